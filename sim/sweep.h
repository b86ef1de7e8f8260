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
//   - Progress goes to `progress` at most once a second; a throughput sample (wall seconds,
//     seeds and ops so far) is taken at the same moments, at most kThroughputSamplesMax of them
//     (when full, every other sample is dropped and sampling slows down by half).
//   - Each worker runs its seeds under a SweepRecorder (sim/sweep_observer.h): the report sums
//     their latency histograms and keeps the event timeline of every failing seed (none for a
//     seed whose worker died: that process's memory is gone). Observing never changes a
//     seed's trace or outcome.
//   - seed_outcomes holds one character per seed of the shard, in shard order: kSeedPassed,
//     kSeedViolated, kSeedAborted (process_abort), kSeedSetupError, kSeedNotRun.
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
#include "sim/sweep_observer.h"

namespace tierkv::sim {

inline constexpr uint32_t kJobsMax = 256;
inline constexpr size_t kThroughputSamplesMax = 240;
// Larger shards get no seed_outcomes (one byte per seed in report.json).
inline constexpr uint64_t kSeedOutcomesTrackedMax = 1u << 24;
inline constexpr char kSeedPassed = 'p';
inline constexpr char kSeedViolated = 'f';
inline constexpr char kSeedAborted = 'a';
inline constexpr char kSeedSetupError = 'e';
inline constexpr char kSeedNotRun = '-';

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
  std::vector<RunEvent> events;  // the run's last events (empty if its process died)
  uint64_t events_dropped = 0;   // earlier events not kept
};

struct ThroughputSample {
  double wall_seconds = 0;
  uint64_t seeds_run = 0;
  uint64_t ops_issued = 0;
};

// One seed's result as a worker sends it: the outcome plus what its SweepRecorder saw.
struct SeedRecord {
  RunOutcome outcome;
  LatencyHistogram latency;
  std::vector<RunEvent> events;  // failing seeds only
  uint64_t events_dropped = 0;
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
  std::string seed_outcomes;  // one char per shard seed ("" when not tracked)
  LatencyHistogram latency_histogram_us;
  std::vector<ThroughputSample> throughput_samples;
};

SweepReport run_sweep(const SweepConfig& config, const SimDriver& driver, std::ostream& progress);

// Adds one seed's outcome to the report's counts (and its failures list, and seed_outcomes
// when that is sized to the shard).
void add_outcome(SweepReport& report, const RunOutcome& outcome);
// add_outcome plus the recorder's latency histogram and, for a failure, its events.
void add_seed_record(SweepReport& report, const SeedRecord& record);

// A worker's result line and back (one line, no '\n'); InvalidArgument on a malformed line.
std::string seed_record_to_line(const SeedRecord& record);
Result<SeedRecord> seed_record_from_line(std::string_view line);

// Runs one seed under a SweepRecorder (what a sweep worker does, minus the scenario file).
SeedRecord run_recorded(const Scenario& scenario, const SimDriver& driver);

}  // namespace tierkv::sim
