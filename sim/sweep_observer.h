// SweepRecorder: the RunObserver a sweep worker installs around each seed. It collects what
// report.json carries beyond counts: a latency histogram of client operations in simulated
// time (per op kind) and a bounded timeline of the run (operations, faults, crashes,
// recoveries), which the sweep keeps for failing seeds only.
//
// Contract:
//   - Latency = simulated time from an op's issue to its completion, for every op that
//     completed (ops abandoned at a crash and advance_clock ops are not client latencies and
//     are left out). Buckets are powers of two: an op of latency L counts in the bucket
//     le_us = latency_bucket_le_us(L), the smallest of 0, 1, 2, 4, 8, ... that is >= L. Fixed
//     bounds make histograms of seeds, workers and shards add up bucket by bucket.
//   - The timeline keeps the last kRunEventsMax events (the end of a failing run is where the
//     violation is); events_dropped() counts the earlier ones. Events are in simulated-time
//     order. Faults are seen through the run's counters: a fault event is placed at the first
//     hook after the counter moved (an op's completion, a crash or a recovery), so its time is
//     exact for crashes and at most one op late for env faults.
//   - Observing only: see sim/runner_observer.h.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "sim/runner_observer.h"

namespace tierkv::sim {

inline constexpr size_t kRunEventsMax = 400;

// One point or span of a run's timeline.
struct RunEvent {
  std::string type;        // "op", "fault", "crash", "recovery", "violation"
  uint64_t start_us = 0;   // simulated time
  uint64_t end_us = 0;     // == start_us for point events
  std::string kind;        // op kind, fault kind, or the violated invariant
  uint64_t op_index = 0;   // "op" only
  uint32_t client = 0;     // "op" only
  std::string status;      // "op": a status code name, "unobserved" (completed after a
                           // crash) or "abandoned" (in flight at a crash)
  uint64_t count = 1;      // "fault": how many fired since the previous event
  friend bool operator==(const RunEvent&, const RunEvent&) = default;
};

// op kind -> bucket upper bound (µs) -> ops.
using LatencyHistogram = std::map<std::string, std::map<uint64_t, uint64_t>>;

uint64_t latency_bucket_le_us(uint64_t latency_us);
void add_latency(LatencyHistogram& total, const LatencyHistogram& more);

class SweepRecorder : public RunObserver {
 public:
  void op_started(uint64_t op_index, const Op& op, uint64_t now_us) override;
  void op_finished(uint64_t op_index, const Op& op, StatusCode code, bool observed,
                   uint64_t now_us, const RunStats& stats) override;
  void crashed(uint64_t now_us, bool scheduled, const RunStats& stats) override;
  void recovered(uint64_t now_us, const RunStats& stats) override;

  // After the run: faults counted since the last hook, and one "violation" event per
  // violation at the run's end.
  void finish_run(const RunResult& result);

  const LatencyHistogram& latency() const { return latency_; }
  std::vector<RunEvent> events() const { return {events_.begin(), events_.end()}; }
  uint64_t events_dropped() const { return events_dropped_; }

 private:
  struct InFlight {
    uint64_t start_us = 0;
    uint32_t client = 0;
    std::string kind;
  };
  void push(RunEvent event);
  void note_faults(const RunStats& stats, uint64_t now_us);

  LatencyHistogram latency_;
  std::map<uint64_t, InFlight> in_flight_;  // by op index
  std::map<std::string, uint64_t> faults_seen_;
  std::deque<RunEvent> events_;
  uint64_t events_dropped_ = 0;
};

// JSON forms, as report.json writes them (see sim/cli_report.h for the schema).
nlohmann::ordered_json run_event_to_json(const RunEvent& event);
Result<RunEvent> run_event_from_json(const nlohmann::json& json);
// {"read": [{"le": 4, "count": 10}, ...], ...}: non-empty buckets, increasing bounds.
nlohmann::ordered_json latency_to_json(const LatencyHistogram& histogram);
Result<LatencyHistogram> latency_from_json(const nlohmann::json& json);

}  // namespace tierkv::sim
