// The report's plots as inline SVG, one function per plot, each with a stable element id that
// tests (and people linking to a plot) rely on:
//   seed-grid          one <rect class="cell pass|fail|abort|unknown"> per seed (or per block of
//                      seeds when a shard holds more than kGridCellsMax), tooltip = seed(s) and
//                      the invariant that failed, attribute data-seed = the cell's first seed
//   faults-fired       one bar per fault kind that fired (count)
//   invariants-checked one bar per invariant (times checked)
//   invariants-violated one bar per invariant (times violated)
//   failure-timeline   the sweep's seeds on an axis, one <circle class="failure"> per failing
//                      seed (at most kTimelineMarksMax) and a <circle class="first-failure">
//   latency-histogram  one bar per latency bucket over every op kind (only if the report has
//                      latency_histogram_us); latency-<kind>: the same for one op kind
//   throughput         one bar per shard of a merged report (ops/s), else one for the sweep
//   throughput-over-time  one <polyline class="series"> per shard (one for a single sweep) and
//                      one <circle class="sample"> per throughput sample: seeds/s between
//                      consecutive samples against wall time (only with throughput_samples)
//   run-timeline       one failing run in simulated time: a lane per client with one
//                      <rect class="op ok|failed|abandoned|unobserved"> per op span, a faults
//                      lane with one <circle class="fault"> per fault event, and
//                      <line class="crash|recovery|violation"> across all lanes
// Contract: output depends only on the summary; every report string is HTML-escaped.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reports/report_model.h"

namespace tierkv::reports {

inline constexpr uint64_t kGridCellsMax = 2048;
inline constexpr uint64_t kTimelineMarksMax = 1000;

// How many consecutive shard seeds one grid cell stands for (1 unless the shard is large).
uint64_t grid_seeds_per_cell(uint64_t seeds_planned);

std::string svg_seed_grid(const SweepSummary& summary);
std::string svg_faults_fired(const SweepSummary& summary);
std::string svg_invariants_checked(const SweepSummary& summary);
std::string svg_invariants_violated(const SweepSummary& summary);
std::string svg_failure_timeline(const SweepSummary& summary);
std::string svg_latency_histogram(const SweepSummary& summary);  // "" if the report has none
std::string svg_throughput(const SweepSummary& summary);
// The bars of one latency histogram in <svg id="id">; `what` names the ops in tooltips.
std::string svg_latency_buckets(const std::string& id, const std::vector<LatencyBucket>& buckets,
                                const std::string& what);
std::string svg_throughput_over_time(const SweepSummary& summary);  // "" without samples
std::string svg_run_timeline(const ReportFailure& failure);        // "" without events

}  // namespace tierkv::reports
