#include "sim/runtime/sim_executor.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <utility>

namespace tierkv::sim {

class SimExecutor::DrainableIoContext final : public boost::asio::io_context {
 public:
  DrainableIoContext() : boost::asio::io_context(1) {}
  // Destroys every queued handler without running it (execution_context::shutdown). Handlers
  // posted later are queued and destroyed by the next drain or the destructor.
  void drain() { shutdown(); }
};

SimExecutor::SimExecutor(SimClock& clock, Prng& prng, TraceHash& trace,
                         SimExecutorOptions options)
    : clock_(clock),
      prng_(prng),
      trace_(trace),
      options_(options),
      io_(std::make_unique<DrainableIoContext>()) {}

SimExecutor::~SimExecutor() {
  shutdown();
  io_.reset();
  retired_.clear();
}

boost::asio::any_io_executor SimExecutor::asio_executor() { return io_->get_executor(); }

void SimExecutor::add_timer(uint64_t deadline_us, UniqueFunction resume) {
  assert(deadline_us >= clock_.now_us() && "timer deadline overflows the clock");
  assert(resume);
  timers_.push_back(Timer{deadline_us, next_sequence_++, std::move(resume)});
  std::push_heap(timers_.begin(), timers_.end(), FiresLater{});
}

// sleep_us and yield are plain functions returning the suspension itself (no coroutine frame
// of their own); the deadline and the latency are drawn when the caller awaits, not before.
Task<void> SimExecutor::sleep_us(uint64_t duration_us) {
  return suspend_until_resumed([this, duration_us](UniqueFunction resume) {
    add_timer(clock_.now_us() + duration_us, std::move(resume));
  });
}

Task<void> SimExecutor::sleep_seeded(uint64_t latency_us_max) {
  return suspend_until_resumed([this, latency_us_max](UniqueFunction resume) {
    add_timer(clock_.now_us() + prng_.range(0, latency_us_max), std::move(resume));
  });
}

Task<void> SimExecutor::yield() { return sleep_seeded(options_.latency_us_max); }

Task<void> SimExecutor::run_blocking(std::function<void()> fn) {
  co_await sleep_seeded(options_.blocking_latency_us_max);
  fn();
  co_await sleep_seeded(options_.blocking_latency_us_max);
}

size_t SimExecutor::poll_ready() {
  if (io_->stopped()) io_->restart();
  const size_t ran = io_->poll();
  steps_ += ran;
  return ran;
}

void SimExecutor::fire_next_timer() {
  assert(!timers_.empty());
  std::pop_heap(timers_.begin(), timers_.end(), FiresLater{});
  Timer timer = std::move(timers_.back());
  timers_.pop_back();
  clock_.advance_to(timer.deadline_us);  // asserts monotonic time
  trace_.mix("timer", timer.deadline_us, timer.sequence);
  ++steps_;
  timer.resume();  // posts the coroutine's continuation to the io_context
}

bool SimExecutor::run_until(const std::function<bool()>& done) {
  return run_until(done, std::numeric_limits<uint64_t>::max());
}

bool SimExecutor::run_until(const std::function<bool()>& done, uint64_t deadline_us) {
  while (true) {
    if (done()) return true;
    if (poll_ready() > 0) continue;
    if (done()) return true;
    if (timers_.empty() || timers_.front().deadline_us > deadline_us) return false;
    fire_next_timer();
  }
}

void SimExecutor::run_until_idle() {
  run_until([] { return false; });
  assert(timers_.empty());
}

void SimExecutor::run_for(uint64_t duration_us) {
  const uint64_t deadline_us = clock_.now_us() + duration_us;
  run_until([] { return false; }, deadline_us);
  clock_.advance_to(deadline_us);
}

void SimExecutor::shutdown() {
  // Destroying a parked handler destroys its coroutine frames, whose destructors may park or
  // post more work: repeat until nothing is left.
  while (!timers_.empty()) {
    std::vector<Timer> doomed = std::move(timers_);
    timers_.clear();
    doomed.clear();
  }
  io_->drain();
  for (auto& retired : retired_) retired->drain();
  assert(timers_.empty());
  retired_.push_back(std::move(io_));
  io_ = std::make_unique<DrainableIoContext>();
}

}  // namespace tierkv::sim
