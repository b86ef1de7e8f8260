// Merges the reports of the shards of one sweep (`tierkv-sim sweep --shard K/N`, one per pod or
// CI job) into one report: `tierkv-sim report --merge OUT DIR...`.
//
// Contract:
//   - The inputs must be disjoint and together cover one contiguous seed range: inputs that share
//     a seed range (config.seeds_first..seeds_last) must have the same shard_count and hold each
//     shard index 0..count-1 exactly once; different ranges must not overlap and must leave no
//     gap. A merged report (shard 0/1 over its range) can be merged again with its neighbours.
//   - The inputs must have been generated alike (backend, ops, faults, over_budget equal), since
//     otherwise their seeds ran different scenarios.
//   - Anything else is InvalidArgument naming the shards at fault (by source directory) and the
//     seeds that overlap or are missing; nothing is written then.
//   - The merge sums seeds planned/run/setup errors, fault counts, invariant counts, ops and
//     simulated time; unites failures (ordered by seed); takes the longest shard wall time as
//     the sweep's (shards run side by side) and the sum of the shards' rates as its throughput;
//     keeps the earliest first_failure (in wall time); lists every input shard in `shards`.
//     Latency histograms are summed per op kind, bucket bound by bucket bound. seed_outcomes
//     are placed seed by seed over the merged range (dropped unless every input has them).
//     Throughput samples are kept per shard, each tagged with its shard's entry in `shards`.
//     Failures keep their event timelines.
// Thread-safety: merge_reports is pure; merge_report_dirs writes through the Env.
#pragma once

#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/io/env.h"
#include "reports/report_model.h"

namespace tierkv::reports {

struct ShardReport {
  std::string source;  // where it was read from; names the shard in errors
  SweepSummary summary;
};

Result<SweepSummary> merge_reports(const std::vector<ShardReport>& shards);

// Reads DIR/report.json of every dir, merges them and writes out_dir/report.json,
// out_dir/summary.md and out_dir/report.html (out_dir is created if needed).
Result<SweepSummary> merge_report_dirs(Env& env, const std::vector<std::string>& dirs,
                                       const std::string& out_dir);

}  // namespace tierkv::reports
