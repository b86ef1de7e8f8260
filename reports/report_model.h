// SweepSummary: what one tierkv-sim sweep report (report.json, written by sim/cli_report.cc)
// holds, parsed and checked, so that the HTML, Markdown, compare and merge code all read the
// same validated numbers.
//
// Contract:
//   - parse_sweep_summary accepts exactly the JSON that `tierkv-sim sweep --report DIR` writes
//     (field names as in sim/cli_report.cc: config, seeds, stop_reason, faults_fired,
//     invariants, failures, first_failure, throughput, simulated) plus the optional fields a
//     merge adds ("shards"). The fields added in session 3 are optional so that older reports
//     still parse: seed_outcomes, failures[].events/events_dropped, latency_histogram_us,
//     throughput_samples (schema: sim/cli_report.h). Unknown fields are ignored.
//   - A missing field, a field of the wrong type or an inconsistent value (a failing seed outside
//     the shard, seeds.failed != failures, seeds.planned != the shard's size, seed_outcomes of
//     another length or disagreeing with failures / seeds.run / setup_errors, an event that
//     ends before it starts, latency bucket bounds that do not increase) is
//     InvalidArgument whose message names the field, e.g. "field `config.seeds_first`: missing".
//     Malformed JSON is InvalidArgument naming the byte offset.
//   - summary_to_json(parse_sweep_summary(j)) keeps every field parse_sweep_summary reads.
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/io/env.h"

namespace tierkv::reports {

struct ReportConfig {
  uint64_t seeds_first = 0;
  uint64_t seeds_last = 0;  // inclusive
  uint32_t shard_index = 0;
  uint32_t shard_count = 1;
  uint64_t jobs = 1;
  std::string backend{};
  uint64_t ops = 0;
  std::string faults{};  // "swarm", "none" or a comma-separated list
  bool over_budget = false;
  double time_budget_seconds = 0;
  bool stop_on_violation = false;
};

struct ReportInvariant {
  uint64_t checked = 0;
  uint64_t violated = 0;
};

// One event of a failing run's timeline (simulated time); see sim/sweep_observer.h.
struct ReportEvent {
  std::string type;  // op | fault | crash | recovery | violation
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  std::string kind;
  uint64_t op = 0;       // op only
  uint32_t client = 0;   // op only
  std::string status;    // op only
  uint64_t count = 1;    // fault only
};

struct ReportFailure {
  uint64_t seed = 0;
  std::string invariant;
  std::string message;
  std::string scenario_file;
  std::string reproduce;
  std::vector<ReportEvent> events;  // empty if the report has none for this run
  uint64_t events_dropped = 0;
};

// Cumulative progress of a sweep at one wall-clock moment. `shard` indexes `shards` of a merged
// report (whose samples come from several shards); unset in a single sweep's report.
struct ThroughputPoint {
  double wall_seconds = 0;
  uint64_t seeds_run = 0;
  uint64_t ops_issued = 0;
  std::optional<uint32_t> shard;
};

// Seed outcome characters of `seed_outcomes` (as sim/sweep.h).
inline constexpr char kOutcomePassed = 'p';
inline constexpr char kOutcomeViolated = 'f';
inline constexpr char kOutcomeAborted = 'a';
inline constexpr char kOutcomeSetupError = 'e';
inline constexpr char kOutcomeNotRun = '-';

struct ReportFirstFailure {
  uint64_t seed = 0;
  uint64_t seeds_run = 0;
  double wall_seconds = 0;
};

// One shard of a merged report (one entry per shard report that went into the merge).
struct ReportShard {
  std::string source;  // the directory the shard report was read from
  uint64_t seeds_first = 0;
  uint64_t seeds_last = 0;
  uint32_t shard_index = 0;
  uint32_t shard_count = 1;
  uint64_t seeds_run = 0;
  uint64_t failed = 0;
  double wall_seconds = 0;
  double seeds_per_second = 0;
  double ops_per_second = 0;
};

// Latency histogram in simulated time: count of operations with latency <= le_us (and above the
// previous bucket's bound).
struct LatencyBucket {
  uint64_t le_us = 0;
  uint64_t count = 0;
};

struct SweepSummary {
  ReportConfig config;
  uint64_t seeds_planned = 0;
  uint64_t seeds_run = 0;
  uint64_t setup_errors = 0;
  std::string stop_reason;
  std::map<std::string, uint64_t> faults_fired;
  std::map<std::string, ReportInvariant> invariants;
  std::vector<ReportFailure> failures;  // ordered by seed
  std::optional<ReportFirstFailure> first_failure;
  double wall_seconds = 0;
  double seeds_per_second = 0;
  uint64_t ops_issued = 0;
  double ops_per_second = 0;
  uint64_t simulated_time_us = 0;
  double simulated_to_real_ratio = 0;
  std::vector<ReportShard> shards;  // empty unless the report is a merge
  // By op kind; buckets in increasing le_us. Empty if the report has none.
  std::map<std::string, std::vector<LatencyBucket>> latency_histogram_us;
  std::string seed_outcomes;  // one char per shard seed; "" if the report has none
  std::vector<ThroughputPoint> throughput_samples;
};

// Shard K of N of [first, last]: the seeds s with (s - first) % N == K (as sim/cli_options.h).
uint64_t shard_seed_count(uint64_t first, uint64_t last, uint32_t index, uint32_t count);
bool shard_holds_seed(const ReportConfig& config, uint64_t seed);
// The shard's i-th seed. REQUIRES: i < shard_seed_count(...).
uint64_t shard_nth_seed(const ReportConfig& config, uint64_t i);

// True when every seed of the shard is known to have run without a setup error, so a seed
// without a listed failure passed (for reports without seed_outcomes).
bool every_seed_ran(const SweepSummary& summary);

Result<SweepSummary> parse_sweep_summary(const nlohmann::json& report);
// Parses JSON text; `origin` (a path) prefixes every error message.
Result<SweepSummary> parse_sweep_summary_text(const std::string& text, const std::string& origin);
nlohmann::ordered_json summary_to_json(const SweepSummary& summary);

// Reads and parses dir/report.json. Errors name the file (NotFound if it is missing).
Result<SweepSummary> read_sweep_summary(Env& env, const std::string& dir);
Result<nlohmann::json> read_report_json(Env& env, const std::string& dir);

}  // namespace tierkv::reports
