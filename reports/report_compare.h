// Compares two sweeps (before/after a change): which (seed, invariant) failures are new, which
// are fixed, which still fail, and how throughput moved. `tierkv-sim report BEFORE AFTER`.
//
// Contract:
//   - A failure is identified by (seed, invariant). It is *new* if `after` has it and `before`
//     ran that seed without it; *fixed* if `before` has it and `after` ran that seed without it;
//     *still failing* if both have it. A failure whose seed the other sweep is not known to
//     have run (outside its seeds or shard, or that sweep stopped early / had setup errors, since
//     report.json lists failures only) is *not comparable*, never counted as new or fixed.
//   - Config fields that change what a seed generates (backend, ops, faults, over_budget) are
//     listed when they differ, since the same seed then runs a different scenario.
//   - Throughput change is after/before - 1 (ops/s and seeds/s); figures from different machines
//     are compared as given.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "reports/report_model.h"

namespace tierkv::reports {

struct ReportComparison {
  std::vector<ReportFailure> new_failures;  // taken from `after`
  std::vector<ReportFailure> fixed;         // taken from `before`
  std::vector<ReportFailure> still_failing; // taken from `after`
  std::vector<ReportFailure> not_comparable;
  std::vector<std::string> config_differences;  // e.g. "ops: 400 -> 200"
  double ops_per_second_before = 0;
  double ops_per_second_after = 0;
  double seeds_per_second_before = 0;
  double seeds_per_second_after = 0;
};

ReportComparison compare_reports(const SweepSummary& before, const SweepSummary& after);

// Relative change after/before - 1, or 0 if before is 0.
double relative_change(double before, double after);

std::string comparison_text(const ReportComparison& comparison, const std::string& before_name,
                            const std::string& after_name);
std::string comparison_markdown(const ReportComparison& comparison,
                                const std::string& before_name, const std::string& after_name);

}  // namespace tierkv::reports
