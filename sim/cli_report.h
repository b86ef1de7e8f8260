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

// The report as JSON (stable field names; see write_sweep_report).
std::string sweep_report_json(const SweepReport& report);
std::string sweep_report_markdown(const SweepReport& report);

// Creates dir if needed and writes dir/report.json and dir/summary.md. Errors name the file.
Status write_sweep_report(const SweepReport& report, const std::string& dir);

}  // namespace tierkv::sim
