// tierkv-sim sweep: many seeds, in parallel worker processes.
//
// Contract:
//   - Each seed runs single-threaded in a forked worker (fork, no threads: the simulated path
//     stays deterministic), so one seed's outcome never depends on jobs, shard or timing;
//     the parent only hands out seeds and aggregates the results it reads over pipes.
//   - A worker that dies (engine assert, signal) turns its in-flight seed into a
//     "process_abort" failure with a scenario file, and a fresh worker takes over.
//   - Failing seeds are written as scenario files (expected_violation set) under
//     failures_dir; each failure carries the one command that reproduces it.
//   - time_budget_seconds is wall-clock time measured by the sweep driver only (outside the
//     simulated path): after it no new seed starts; seeds already running finish.
//   - Progress goes to `progress` at most once a second.
// REQUIRES: the calling process is single-threaded (it forks).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/cli_options.h"
#include "sim/cli_outcome.h"

namespace tierkv::sim {

inline constexpr uint32_t kJobsMax = 256;

struct SweepConfig {
  SeedRange seeds;
  Shard shard;
  uint32_t jobs = 1;
  double time_budget_seconds = 0;  // wall clock; 0 = no budget
  bool stop_on_violation = false;  // stop handing out seeds after the first violation
  std::string failures_dir = "scenarios/failures";
  GenerateFlags flags;  // as given on the command line (for reproduce commands and reports)
  GenerateOptions options;
};

struct InvariantCounts {
  uint64_t checked = 0;
  uint64_t violated = 0;
};

struct SweepFailure {
  uint64_t seed = 0;
  std::string invariant;
  std::string message;
  std::string scenario_file;  // "" if it could not be written
  std::string reproduce;      // the one command that reproduces it
};

struct SweepReport {
  SweepConfig config;
  uint64_t seeds_planned = 0;  // seeds in this shard
  uint64_t seeds_run = 0;
  uint64_t setup_errors = 0;
  std::vector<SweepFailure> failures;  // ordered by seed
  std::map<std::string, uint64_t> faults_fired;
  std::map<std::string, InvariantCounts> invariants;
  uint64_t ops_issued = 0;
  uint64_t simulated_time_us = 0;
  double wall_seconds = 0;
  std::string stop_reason;  // "" = every planned seed ran
  // Time and seeds until the first violation was reported (what the canary script measures).
  std::optional<double> first_failure_seconds;
  std::optional<uint64_t> first_failure_seeds_run;
  std::optional<uint64_t> first_failure_seed;
};

SweepReport run_sweep(const SweepConfig& config, const SimDriver& driver, std::ostream& progress);

// Adds one seed's outcome to the report's counts (and its failures list).
void add_outcome(SweepReport& report, const RunOutcome& outcome);

}  // namespace tierkv::sim
