// RunObserver: a read-only window on simulated runs, for reports (latency histograms in
// simulated time, the timeline of a failing run).
//
// Contract:
//   - Hooks observe only: the runner and the workload clients call them with values they
//     already computed; an observer must not touch the world, the trace, the PRNGs or the
//     stats it is shown. Installing one never changes a run's trace hash or its outcome.
//   - op_started is called when a client issues an op (before its first store call);
//     op_finished once when it completes (`observed` = the process was alive to see the
//     result; false for calls of a crashed world failing out). An op in flight at a crash gets no op_finished (its coroutine is
//     abandoned); crashed() is called once per restart, before recovery, and recovered() once
//     recovery succeeded (the reopened world passed the post-recovery checks or not: see the
//     run's violations).
//   - `stats` is the run's counters at that moment (faults fired so far, by kind).
//   - At most one observer per process (the simulator is single-threaded; sweep workers are
//     forked processes); ScopedRunObserver installs one for a scope. None by default.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cassert>
#include <cstdint>

#include "engine/core/status.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace tierkv::sim {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void op_started(uint64_t /*op_index*/, const Op& /*op*/, uint64_t /*now_us*/) {}
  virtual void op_finished(uint64_t /*op_index*/, const Op& /*op*/, StatusCode /*code*/,
                           bool /*observed*/, uint64_t /*now_us*/,
                           const RunStats& /*stats*/) {}
  virtual void crashed(uint64_t /*now_us*/, bool /*scheduled*/, const RunStats& /*stats*/) {}
  virtual void recovered(uint64_t /*now_us*/, const RunStats& /*stats*/) {}
};

inline RunObserver*& run_observer_slot() {
  static RunObserver* slot = nullptr;
  return slot;
}

// The installed observer, nullptr if none.
inline RunObserver* current_run_observer() { return run_observer_slot(); }

// Installs observer for the scope. REQUIRES: no other observer installed.
class ScopedRunObserver {
 public:
  explicit ScopedRunObserver(RunObserver* observer) {
    assert(run_observer_slot() == nullptr && "one RunObserver at a time");
    run_observer_slot() = observer;
  }
  ~ScopedRunObserver() { run_observer_slot() = nullptr; }
  ScopedRunObserver(const ScopedRunObserver&) = delete;
  ScopedRunObserver& operator=(const ScopedRunObserver&) = delete;
};

}  // namespace tierkv::sim
