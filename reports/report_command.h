// `tierkv-sim report ...`: the command-line entry of the reports library. tierkv-sim passes the
// arguments that follow the word `report`.
//
//   report DIR                      reads DIR/report.json, writes DIR/report.html and
//                                   DIR/summary.md (Markdown for a CI job summary)
//   report BEFORE AFTER [--markdown] compares two sweeps: new failures, fixed ones, throughput
//                                   change, as text (or Markdown with --markdown) on `out`
//   report --merge OUT DIR...       merges shard reports into OUT/report.json, OUT/summary.md
//                                   and OUT/report.html
//   report --help                   usage
//
// Exit codes: 0 done; 2 bad input (usage, missing or malformed report.json naming the file and
// field, shards that overlap or leave gaps); 1 the output could not be written. Errors go to
// `err` as one line each. Production-only tool code: it reads and writes real files (PosixEnv).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "engine/io/env.h"

namespace tierkv::reports {

inline constexpr int kReportExitOk = 0;
inline constexpr int kReportExitWriteFailed = 1;
inline constexpr int kReportExitBadInput = 2;

int run_report_command(std::vector<std::string> args, std::ostream& out, std::ostream& err);
// The same over any Env (tests use SimEnv or a temp dir).
int run_report_command(Env& env, const std::vector<std::string>& args, std::ostream& out,
                       std::ostream& err);

// Writes dir/report.html and dir/summary.md from dir/report.json.
Status write_report_files(Env& env, const std::string& dir);

}  // namespace tierkv::reports
