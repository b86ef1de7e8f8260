// SimExecutor: the simulator's Executor. One thread, virtual time, seeded latencies.
//
// How it runs: spawn() and every resumption (UniqueFunction) append the suspended chain of
// tasks to a FIFO ready queue. Sleeping coroutines park in the executor's own timer heap,
// ordered by (deadline_us, sequence) so equal deadlines fire in FIFO order; the awaiter that
// parked them lives in their frame, so a suspension costs no heap allocation. The loop runs
// the ready queue until it is empty, then pops the earliest timer, jumps the SimClock to its
// deadline and resumes that coroutine directly from the loop (nothing else is ready at that
// moment), and repeats.
//
// Where interleavings come from: yield() and run_blocking() sleep a latency drawn from the
// run's Prng, so concurrent coroutines interleave differently per seed and identically for one
// seed. run_blocking is one suspension (its awaiter's BlockingCall, in the caller's frame) with
// two timers: fn runs from the loop when the first fires (so a crash inside fn stops the loop
// before the caller continues), the caller resumes when the second fires. Every timer firing is
// mixed into the TraceHash ("timer", deadline_us, sequence).
//
// Crashes: shutdown() destroys every parked and every ready chain without running it, then
// starts a new spawn generation. Coroutines parked outside the executor (e.g. in an async
// mutex's waiter list) die when their holder is destroyed: the holder's UniqueFunction hands
// the chain back, and a chain of an older generation, resumed or abandoned, is never run: it
// is kept (retired) and destroyed by the next shutdown() or with the executor. A chain of the
// current generation abandoned by its holder is destroyed from the ready queue, in turn.
// Recipe for a crash restart:
//   executor.shutdown(); destroy the world's objects; env.crash(); executor.shutdown(); reopen.
//
// Errors: an exception escaping a spawned coroutine propagates out of the run_*() call that
// was driving the loop; the loop can be driven again afterwards.
// Thread-safety: none. Everything, including run_*(), runs on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "engine/exec/executor.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/trace.h"

namespace tierkv::sim {

struct SimExecutorOptions {
  // yield() resumes after a latency drawn uniformly from [0, latency_us_max].
  uint64_t latency_us_max = 50;
  // run_blocking(fn) waits [0, blocking_latency_us_max] before fn and again after it.
  uint64_t blocking_latency_us_max = 50;
};

class SimExecutor final : public Executor {
 public:
  // clock, prng and trace must outlive the executor.
  SimExecutor(SimClock& clock, Prng& prng, TraceHash& trace, SimExecutorOptions options = {});
  ~SimExecutor() override;
  SimExecutor(const SimExecutor&) = delete;
  SimExecutor& operator=(const SimExecutor&) = delete;

  Clock& clock() override { return clock_; }
  SimClock& sim_clock() { return clock_; }

  // Resumes the caller once the clock reached now + duration_us (after every coroutine that
  // was due earlier, and after those due at the same time that slept first).
  Task<void> sleep_us(uint64_t duration_us) override;
  // Sleeps a seeded latency in [0, latency_us_max].
  Task<void> yield() override;
  // run_blocking: seeded latency, the work inline on the loop thread, seeded latency.
  void start_blocking(BlockingCall& call) override;

  // Runs until done() is true or nothing is left to run (no ready handler, no timer).
  // Returns done().
  bool run_until(const std::function<bool()>& done) override;
  void post(ParkedCoroutine parked) override;

  // Same, but never fires a timer whose deadline is past deadline_us: stops there with the
  // clock at or before deadline_us (the bound a liveness check needs). Returns done(). done is
  // asked again only after something ran (it reads state, it does not change it).
  template <typename Done>
  bool run_until(const Done& done, uint64_t deadline_us) {
    while (!done()) {
      if (poll_ready() > 0) continue;
      if (timers_.empty() || timers_.front().deadline_us > deadline_us) return false;
      fire_next_timer();
    }
    return true;
  }

  // Runs until no handler is ready and no timer is pending.
  void run_until_idle();

  // Runs every event due within duration_us from now, then moves the clock to now+duration_us.
  void run_for(uint64_t duration_us);

  // Abandons every pending coroutine (see the header comment). Afterwards pending_timers() is
  // 0; work spawned afterwards runs as usual.
  void shutdown();

  size_t pending_timers() const { return timers_.size(); }
  // Ready chains run plus timers fired since construction: a measure of simulated work.
  uint64_t steps() const { return steps_; }
  const SimExecutorOptions& options() const { return options_; }

 private:
  enum class Delay { kExact, kSeeded };
  // The awaiter sleep_us and yield suspend on: parks the caller, in a BlockingCall without
  // work, with a timer at now + delay (kSeeded: a latency drawn in [0, delay_us] when the
  // caller suspends). Lives in the suspended coroutine's frame.
  class Sleep;
  // The heap holds plain entries; "later" compares as "less" so the earliest is on top. A
  // timer fires a parked call: its work, if it still has some (then a second timer resumes
  // the caller after a seeded blocking latency), or else the caller.
  struct Timer {
    uint64_t deadline_us;
    uint64_t sequence;
    BlockingCall* call;  // lives in the suspended coroutine's frame
  };
  struct FiresLater {
    bool operator()(const Timer& a, const Timer& b) const {
      if (a.deadline_us != b.deadline_us) return a.deadline_us > b.deadline_us;
      return a.sequence > b.sequence;
    }
  };

  void add_timer(uint64_t deadline_us, BlockingCall* call);
  // Replaces the earliest timer (just fired) by a new one, not earlier: one sift instead of a
  // pop and a push; the order timers fire in is the same.
  void replace_first_timer(uint64_t deadline_us, BlockingCall* call);
  // Runs ready chains until none is ready; returns how many ran.
  size_t poll_ready();
  void fire_next_timer();
  void run_now(ParkedCoroutine parked);  // counts a step, then run_parked

  SimClock& clock_;
  Prng& prng_;
  TraceHash& trace_;
  SimExecutorOptions options_;
  std::deque<ParkedCoroutine> ready_;    // FIFO
  std::vector<ParkedCoroutine> retired_;  // chains of older generations: destroyed, never run
  std::vector<Timer> timers_;             // a heap under FiresLater
  uint64_t next_sequence_ = 0;
  uint64_t steps_ = 0;
};

}  // namespace tierkv::sim
