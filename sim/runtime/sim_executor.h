// SimExecutor: the simulator's Executor. One thread, virtual time, seeded latencies.
//
// How it runs: coroutines live on one boost::asio::io_context that is only ever polled from the
// thread calling run_*(). Sleeping coroutines park their Asio completion handler, inline (no
// heap allocation), in the executor's own timer queue, ordered by (deadline_us, sequence) so
// equal deadlines fire in FIFO order (Asio's timer heap does not promise that). The loop polls
// the io_context until nothing is ready, then pops the earliest timer, jumps the SimClock to its
// deadline and resumes that coroutine directly from the loop (no posted hop: nothing else is
// ready at that moment, so running it inline is the order a post would give), and repeats.
//
// Where interleavings come from: yield() and run_blocking() sleep a latency drawn from the
// run's Prng, so concurrent coroutines interleave differently per seed and identically for one
// seed. run_blocking is one suspension with two timers: fn runs from the loop when the first
// fires (so a crash inside fn stops the loop before the caller continues), the caller resumes
// when the second fires. Every timer firing is mixed into the TraceHash ("timer", deadline_us,
// sequence).
//
// Crashes: shutdown() destroys every parked timer handler and every handler queued on the
// io_context without running them. Destroying a parked Asio awaitable handler destroys its
// coroutine frames, so a crashed world's coroutines are abandoned, not resumed. The executor
// is usable again afterwards (a fresh io_context: asio_executor() returns a new executor).
// Coroutines parked outside the executor (e.g. in an async mutex's waiter list) die when their
// holder is destroyed; Asio then posts their unwinding to the old io_context, which shutdown()
// keeps alive (retired, never run) so that post is safe; retired contexts are drained again on
// the next shutdown() and freed with the executor. Recipe for a crash restart:
//   executor.shutdown(); destroy the world's objects; env.crash(); executor.shutdown(); reopen.
//
// Errors: an exception escaping a spawned coroutine (RethrowOnError) propagates out of the
// run_*() call that was driving the loop; the loop can be driven again afterwards.
// Thread-safety: none. Everything, including run_*(), runs on one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "engine/exec/executor.h"
#include "sim/runtime/inline_handler.h"
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
  boost::asio::any_io_executor asio_executor() override;

  // Resumes the caller once the clock reached now + duration_us (after every coroutine that
  // was due earlier, and after those due at the same time that slept first).
  Task<void> sleep_us(uint64_t duration_us) override;
  // Sleeps a seeded latency in [0, latency_us_max].
  Task<void> yield() override;
  // Seeded latency, fn inline on the loop thread, seeded latency.
  Task<void> run_blocking(std::function<void()> fn) override;

  // Runs until done() is true or nothing is left to run (no ready handler, no timer).
  // Returns done().
  bool run_until(const std::function<bool()>& done) override;

  // Same, but never fires a timer whose deadline is past deadline_us: stops there with the
  // clock at or before deadline_us (the bound a liveness check needs). Returns done().
  bool run_until(const std::function<bool()>& done, uint64_t deadline_us);

  // Runs until no handler is ready and no timer is pending.
  void run_until_idle();

  // Runs every event due within duration_us from now, then moves the clock to now+duration_us.
  void run_for(uint64_t duration_us);

  // Abandons every pending coroutine (see the header comment). Afterwards pending_timers() is
  // 0 and the executor runs new work on a fresh io_context.
  void shutdown();

  size_t pending_timers() const { return timers_.size(); }
  // Handlers run plus timers fired since construction: a measure of simulated work.
  uint64_t steps() const { return steps_; }
  const SimExecutorOptions& options() const { return options_; }

 private:
  // One suspended coroutine: its resumption, and for run_blocking the work still to run. Slots
  // live in a deque (never moved while parked); freed ones are reused, so a suspension costs
  // no heap allocation once the run has warmed up.
  struct Slot {
    InlineHandler resume;       // Asio's handler: resumes the coroutine (inline, no post)
    std::function<void()> fn;   // run_blocking's work, run when the first timer fires
  };
  // The heap holds plain entries; "later" compares as "less" so the earliest is on top.
  struct Timer {
    uint64_t deadline_us;
    uint64_t sequence;
    uint32_t slot;
  };
  struct FiresLater {
    bool operator()(const Timer& a, const Timer& b) const {
      if (a.deadline_us != b.deadline_us) return a.deadline_us > b.deadline_us;
      return a.sequence > b.sequence;
    }
  };
  enum class Delay { kExact, kSeeded };

  // Suspends the caller (at its co_await) and parks it in a slot with a timer at now + delay
  // (kSeeded: a latency drawn in [0, delay_us]); fn, if set, runs when that timer fires, and
  // the caller resumes after a second seeded blocking latency.
  Task<void> suspend(Delay kind, uint64_t delay_us, std::function<void()> fn);
  uint32_t take_slot();
  void add_timer(uint64_t deadline_us, uint32_t slot);
  // Runs ready handlers until none is ready; returns how many ran.
  size_t poll_ready();
  void fire_next_timer();

  SimClock& clock_;
  Prng& prng_;
  TraceHash& trace_;
  SimExecutorOptions options_;
  // An io_context whose queued handlers can be destroyed without running them.
  class DrainableIoContext;

  std::unique_ptr<DrainableIoContext> io_;
  std::vector<std::unique_ptr<DrainableIoContext>> retired_;
  std::vector<Timer> timers_;  // a heap under FiresLater
  std::deque<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_sequence_ = 0;
  uint64_t steps_ = 0;
};

}  // namespace tierkv::sim
