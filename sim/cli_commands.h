// The tierkv-sim subcommands as functions (tierkv_sim_main.cc only parses flags into these
// structs), so tests can drive them with a fake SimDriver and capture their output.
//
// Exit codes: kExitOk (0) every invariant held; kExitViolation (1) a violation (or, with
// --check-determinism, differing trace hashes); kExitBadInput (2) a bad flag, a malformed or
// unreadable scenario file, or a scenario that cannot run. Every error message names the flag,
// file or field at fault.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "sim/cli_options.h"
#include "sim/cli_outcome.h"
#include "sim/sweep.h"

namespace tierkv::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitViolation = 1;
inline constexpr int kExitBadInput = 2;

struct RunCommand {
  std::optional<uint64_t> seed;
  std::string scenario_file;  // run this file instead of generating from the seed
  std::optional<std::string> backend;
  std::optional<uint64_t> ops;
  std::optional<std::string> faults;
  bool over_budget = false;
  bool hybrid = false;
  bool hybrid_primary = false;
  std::string hybrid_btree;
  bool check_determinism = false;
  std::string out_dir = "scenarios/failures";
};
int run_command(const RunCommand& command, const SimDriver& driver, std::ostream& out,
                std::ostream& err);

// Runs the file; says whether the recorded violation reproduced. 1 if any violation occurs.
int replay_command(const std::string& file, const SimDriver& driver, std::ostream& out,
                   std::ostream& err);

// Replays every *.json under dir (sorted); 0 when each replays clean (the regression catalog).
int replay_all_command(const std::string& dir, const SimDriver& driver, std::ostream& out,
                       std::ostream& err);

// 0 when it wrote a (smaller or equal) scenario that still fails the same way; 2 when the input
// is malformed or does not fail.
struct ShrinkCommand {
  std::string file;
  std::string out_file;
  uint32_t max_runs = 2000;
  bool verbose = false;  // a progress line per shrink pass
};
int shrink_command(const ShrinkCommand& command, const SimDriver& driver, std::ostream& out,
                   std::ostream& err);

struct SweepCommand {
  std::string seeds = "1..100";
  std::string shard = "0/1";
  uint32_t jobs = 1;
  double time_budget_seconds = 0;
  bool stop_on_violation = false;
  std::string report_dir;  // "" = no report files
  std::string failures_dir = "scenarios/failures";
  GenerateFlags flags;
};
int sweep_command(const SweepCommand& command, const SimDriver& driver, std::ostream& out,
                  std::ostream& err);

}  // namespace tierkv::sim
