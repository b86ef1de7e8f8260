#include "reports/report_plots.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <sstream>
#include <vector>

#include "reports/report_svg.h"

namespace tierkv::reports {
namespace {

constexpr int kGridColumns = 40;
constexpr int kCellPx = 14;
constexpr int kCellGapPx = 2;
constexpr int kTimelineWidthPx = 800;
constexpr int kTimelineMarginPx = 20;

// Index of a shard seed within the shard (0 for its first seed).
uint64_t seed_position(const ReportConfig& c, uint64_t seed) {
  assert(shard_holds_seed(c, seed));
  return (seed - c.seeds_first - c.shard_index) / c.shard_count;
}

struct GridCell {
  uint64_t first_seed = 0;
  uint64_t last_seed = 0;
  std::vector<const ReportFailure*> failures;
};

std::vector<GridCell> grid_cells(const SweepSummary& s) {
  const uint64_t per_cell = grid_seeds_per_cell(s.seeds_planned);
  const uint64_t count = (s.seeds_planned + per_cell - 1) / per_cell;
  assert(count <= kGridCellsMax);
  std::vector<GridCell> cells(count);
  for (uint64_t i = 0; i < count; ++i) {
    cells[i].first_seed = shard_nth_seed(s.config, i * per_cell);
    cells[i].last_seed = shard_nth_seed(s.config, std::min(s.seeds_planned, (i + 1) * per_cell) - 1);
  }
  for (const ReportFailure& f : s.failures) {
    cells[seed_position(s.config, f.seed) / per_cell].failures.push_back(&f);
  }
  return cells;
}

// The cell's worst seed outcome from seed_outcomes: violated > aborted > setup error > not run
// > passed. 0 when the report has no seed_outcomes.
char worst_outcome(const SweepSummary& s, uint64_t cell_index) {
  if (s.seed_outcomes.empty()) return 0;
  constexpr std::string_view kWorstFirst = "fae-p";
  const uint64_t per_cell = grid_seeds_per_cell(s.seeds_planned);
  const uint64_t end = std::min<uint64_t>(s.seed_outcomes.size(), (cell_index + 1) * per_cell);
  size_t worst = kWorstFirst.size() - 1;
  for (uint64_t i = cell_index * per_cell; i < end; ++i) {
    worst = std::min(worst, kWorstFirst.find(s.seed_outcomes[i]));
  }
  return kWorstFirst[worst];
}

std::string outcome_class(char outcome) {
  switch (outcome) {
    case kOutcomeViolated: return "fail";
    case kOutcomeAborted: return "abort";
    case kOutcomeSetupError: return "setup-error";
    case kOutcomeNotRun: return "not-run";
    default: return "pass";
  }
}

std::string cell_outcome(const GridCell& cell, bool every_ran) {
  if (cell.failures.empty()) return every_ran ? "pass" : "unknown";
  for (const ReportFailure* f : cell.failures) {
    if (f->invariant != "process_abort") return "fail";
  }
  return "abort";
}

std::string cell_tooltip(const GridCell& cell, bool every_ran) {
  std::string text = cell.first_seed == cell.last_seed
                         ? "seed " + std::to_string(cell.first_seed)
                         : "seeds " + std::to_string(cell.first_seed) + ".." +
                               std::to_string(cell.last_seed);
  if (cell.failures.empty()) {
    return text + (every_ran ? ": passed"
                             : ": no violation reported (the sweep stopped early or had setup "
                               "errors; report.json lists no per-seed outcomes)");
  }
  for (size_t i = 0; i < cell.failures.size(); ++i) {
    const ReportFailure& f = *cell.failures[i];
    text += (i == 0 ? ": " : "; ") + f.invariant;
    if (cell.first_seed != cell.last_seed) text += " (seed " + std::to_string(f.seed) + ")";
  }
  return text;
}

double timeline_x(const SweepSummary& s, uint64_t seed) {
  const double span = static_cast<double>(std::max<uint64_t>(s.seeds_planned, 2) - 1);
  return kTimelineMarginPx + static_cast<double>(seed_position(s.config, seed)) / span *
                                 (kTimelineWidthPx - 2 * kTimelineMarginPx);
}

}  // namespace

uint64_t grid_seeds_per_cell(uint64_t seeds_planned) {
  return std::max<uint64_t>(1, (seeds_planned + kGridCellsMax - 1) / kGridCellsMax);
}

std::string svg_seed_grid(const SweepSummary& s) {
  const std::vector<GridCell> cells = grid_cells(s);
  const int rows = static_cast<int>((cells.size() + kGridColumns - 1) / kGridColumns);
  const int width = kGridColumns * (kCellPx + kCellGapPx);
  std::ostringstream svg;
  svg << svg_open("seed-grid", width, std::max(rows, 1) * (kCellPx + kCellGapPx));
  if (cells.empty()) svg << "<text class=\"empty\" x=\"8\" y=\"12\">no seeds in this shard</text>";
  const bool every_ran = every_seed_ran(s);
  for (size_t i = 0; i < cells.size(); ++i) {
    const int x = static_cast<int>(i % kGridColumns) * (kCellPx + kCellGapPx);
    const int y = static_cast<int>(i / kGridColumns) * (kCellPx + kCellGapPx);
    const char worst = worst_outcome(s, i);
    std::string tooltip = cell_tooltip(cells[i], every_ran || worst != 0);
    if (worst == kOutcomeSetupError || worst == kOutcomeNotRun) {
      tooltip += worst == kOutcomeNotRun ? " (not run: the sweep stopped early)"
                                         : " (a setup error: the scenario could not run)";
    }
    svg << "<rect class=\"cell "
        << (worst != 0 ? outcome_class(worst) : cell_outcome(cells[i], every_ran))
        << "\" data-seed=\"" << cells[i].first_seed << "\" x=\"" << x << "\" y=\"" << y
        << "\" width=\"" << kCellPx << "\" height=\"" << kCellPx << "\"><title>"
        << html_escape(tooltip) << "</title></rect>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string svg_faults_fired(const SweepSummary& s) {
  std::vector<Bar> bars;
  for (const auto& [kind, count] : s.faults_fired) {
    bars.push_back({kind, static_cast<double>(count), "fault",
                    kind + ": fired " + std::to_string(count) + " times"});
  }
  return svg_bar_chart("faults-fired", bars, BarDirection::kHorizontal, "no fault fired");
}

std::string svg_invariants_checked(const SweepSummary& s) {
  std::vector<Bar> bars;
  for (const auto& [name, counts] : s.invariants) {
    bars.push_back({name, static_cast<double>(counts.checked), "checked",
                    name + ": checked " + std::to_string(counts.checked) + " times"});
  }
  return svg_bar_chart("invariants-checked", bars, BarDirection::kHorizontal,
                       "no invariant was checked");
}

std::string svg_invariants_violated(const SweepSummary& s) {
  std::vector<Bar> bars;
  for (const auto& [name, counts] : s.invariants) {
    bars.push_back({name, static_cast<double>(counts.violated), "violated",
                    name + ": violated " + std::to_string(counts.violated) + " times"});
  }
  return svg_bar_chart("invariants-violated", bars, BarDirection::kHorizontal,
                       "no invariant was checked");
}

std::string svg_failure_timeline(const SweepSummary& s) {
  constexpr int kHeightPx = 70;
  constexpr int kAxisYPx = 30;
  std::ostringstream svg;
  svg << svg_open("failure-timeline", kTimelineWidthPx, kHeightPx);
  svg << "<line class=\"axis\" x1=\"" << kTimelineMarginPx << "\" y1=\"" << kAxisYPx << "\" x2=\""
      << kTimelineWidthPx - kTimelineMarginPx << "\" y2=\"" << kAxisYPx << "\"/>";
  svg << "<text class=\"label\" x=\"" << kTimelineMarginPx << "\" y=\"" << kAxisYPx + 28
      << "\">seed " << s.config.seeds_first << "</text><text class=\"label\" x=\""
      << kTimelineWidthPx - kTimelineMarginPx << "\" y=\"" << kAxisYPx + 28
      << "\" text-anchor=\"end\">seed " << s.config.seeds_last << "</text>";
  const size_t marks = std::min<size_t>(s.failures.size(), kTimelineMarksMax);
  for (size_t i = 0; i < marks; ++i) {
    const ReportFailure& f = s.failures[i];
    svg << "<circle class=\"failure\" cx=\"" << format_number(timeline_x(s, f.seed), 1)
        << "\" cy=\"" << kAxisYPx << "\" r=\"5\"><title>"
        << html_escape("seed " + std::to_string(f.seed) + ": " + f.invariant + ": " + f.message)
        << "</title></circle>";
  }
  if (s.first_failure && shard_holds_seed(s.config, s.first_failure->seed)) {
    svg << "<circle class=\"first-failure\" cx=\""
        << format_number(timeline_x(s, s.first_failure->seed), 1) << "\" cy=\"" << kAxisYPx - 14
        << "\" r=\"4\"><title>first violation reported: seed " << s.first_failure->seed
        << " after " << s.first_failure->seeds_run << " seeds, "
        << format_number(s.first_failure->wall_seconds, 2) << " s</title></circle>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string svg_latency_buckets(const std::string& id, const std::vector<LatencyBucket>& buckets,
                                const std::string& what) {
  std::vector<Bar> bars;
  for (const LatencyBucket& b : buckets) {
    bars.push_back({"≤" + format_number(static_cast<double>(b.le_us), 0),
                    static_cast<double>(b.count), "latency",
                    std::to_string(b.count) + " " + what + " ≤ " + std::to_string(b.le_us) +
                        " µs (simulated)"});
  }
  return svg_bar_chart(id, bars, BarDirection::kVertical, "no operation completed");
}

std::string svg_latency_histogram(const SweepSummary& s) {
  if (s.latency_histogram_us.empty()) return "";
  std::map<uint64_t, uint64_t> sum;
  for (const auto& [kind, buckets] : s.latency_histogram_us) {
    for (const LatencyBucket& b : buckets) sum[b.le_us] += b.count;
  }
  std::vector<LatencyBucket> all;
  for (const auto& [le_us, count] : sum) all.push_back({le_us, count});
  return svg_latency_buckets("latency-histogram", all, "operations");
}

std::string svg_throughput(const SweepSummary& s) {
  std::vector<Bar> bars;
  for (const ReportShard& shard : s.shards) {
    const std::string name =
        "shard " + std::to_string(shard.shard_index) + "/" + std::to_string(shard.shard_count);
    bars.push_back({name, shard.ops_per_second, "throughput",
                    name + " of seeds " + std::to_string(shard.seeds_first) + ".." +
                        std::to_string(shard.seeds_last) + ": " +
                        format_number(shard.ops_per_second, 0) + " ops/s, " +
                        format_number(shard.seeds_per_second, 1) + " seeds/s (" + shard.source +
                        ")"});
  }
  if (bars.empty()) {
    bars.push_back({"whole sweep", s.ops_per_second, "throughput",
                    format_number(s.ops_per_second, 0) + " ops/s, " +
                        format_number(s.seeds_per_second, 1) + " seeds/s over " +
                        format_number(s.wall_seconds, 1) + " s"});
  }
  return svg_bar_chart("throughput", bars, BarDirection::kHorizontal, "");
}

}  // namespace tierkv::reports
