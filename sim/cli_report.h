// The sweep's summary: printed to the terminal, and written as report.json (for tools: the
// reports/ generator, CI, the canary script) plus summary.md (for people).
#pragma once

#include <iosfwd>
#include <string>

#include "engine/core/status.h"
#include "sim/sweep.h"

namespace tierkv::sim {

// Per fault kind how often it fired, per invariant how often it was checked and violated,
// failing seeds with their scenario files and reproduce commands, throughput.
void print_sweep_summary(const SweepReport& report, std::ostream& out);

// The report as JSON, schema (stable field names; reports/report_model.h parses it):
//   config        {seeds_first, seeds_last, shard_index, shard_count, jobs, backend, ops,
//                  faults, over_budget, time_budget_seconds, stop_on_violation}
//   seeds         {planned, run, failed, setup_errors}
//   stop_reason   "" when every planned seed ran
//   faults_fired  {kind: count}            invariants {name: {checked, violated}}
//   failures      [{seed, invariant, message, scenario_file, reproduce, events_dropped,
//                   events: [{type: op|fault|crash|recovery|violation, start_us, end_us, kind,
//                             op, client, status (op only), count (fault only)}]}], by seed;
//                  events = the run's last kRunEventsMax events (sim/sweep_observer.h)
//   first_failure {seed, seeds_run, wall_seconds} or null
//   throughput    {wall_seconds, seeds_per_second, ops_issued, ops_per_second}
//   simulated     {time_us, simulated_to_real_ratio}
//   throughput_samples   [{wall_seconds, seeds_run, ops_issued}] cumulative, in time order
//   latency_histogram_us {op kind: [{le, count}]} non-empty power-of-two buckets (simulated µs)
//   seed_outcomes "pf-..." one char per shard seed in shard order (p passed, f violated,
//                  a process aborted, e setup error, - not run); absent for shards larger than
//                  kSeedOutcomesTrackedMax
std::string sweep_report_json(const SweepReport& report);
std::string sweep_report_markdown(const SweepReport& report);

// Creates dir if needed and writes dir/report.json and dir/summary.md. Errors name the file.
Status write_sweep_report(const SweepReport& report, const std::string& dir);

}  // namespace tierkv::sim
