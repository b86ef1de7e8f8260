#include "sim/runtime/sim_executor.h"

#include <algorithm>
#include <cassert>
#include <exception>
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

uint32_t SimExecutor::take_slot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  assert(slots_.size() < std::numeric_limits<uint32_t>::max());
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

void SimExecutor::add_timer(uint64_t deadline_us, uint32_t slot) {
  assert(deadline_us >= clock_.now_us() && "timer deadline overflows the clock");
  assert(slots_[slot].resume);
  timers_.push_back(Timer{deadline_us, next_sequence_++, slot});
  std::push_heap(timers_.begin(), timers_.end(), FiresLater{});
}

// Not a coroutine (no frame of its own): it returns Asio's suspension, whose initiation runs
// when the caller awaits, so the deadline and the latency are drawn then, not before.
Task<void> SimExecutor::suspend(Delay kind, uint64_t delay_us, std::function<void()> fn) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(std::exception_ptr)>(
      [this, kind, delay_us](auto handler, std::function<void()> work) {
        const uint32_t slot = take_slot();
        slots_[slot].resume.emplace(std::move(handler));
        slots_[slot].fn = std::move(work);
        const uint64_t wait_us = kind == Delay::kSeeded ? prng_.range(0, delay_us) : delay_us;
        add_timer(clock_.now_us() + wait_us, slot);
      },
      boost::asio::use_awaitable, std::move(fn));
}

Task<void> SimExecutor::sleep_us(uint64_t duration_us) {
  return suspend(Delay::kExact, duration_us, nullptr);
}

Task<void> SimExecutor::yield() { return suspend(Delay::kSeeded, options_.latency_us_max, nullptr); }

Task<void> SimExecutor::run_blocking(std::function<void()> fn) {
  assert(fn);
  return suspend(Delay::kSeeded, options_.blocking_latency_us_max, std::move(fn));
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
  const Timer timer = timers_.back();
  timers_.pop_back();
  clock_.advance_to(timer.deadline_us);  // asserts monotonic time
  trace_.mix("timer", timer.deadline_us, timer.sequence);
  ++steps_;
  Slot& slot = slots_[timer.slot];
  std::exception_ptr error;
  if (slot.fn) {  // run_blocking's first timer: the work, then the latency back
    std::function<void()> fn = std::move(slot.fn);
    slot.fn = nullptr;
    try {
      fn();
      add_timer(clock_.now_us() + prng_.range(0, options_.blocking_latency_us_max), timer.slot);
      return;
    } catch (...) {
      error = std::current_exception();  // thrown in the caller at once, as fn's own frame would
    }
  }
  free_slots_.push_back(timer.slot);
  // Resumes the coroutine here; it may suspend again and reuse this very slot.
  slot.resume(std::move(error));
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
    for (const Timer& timer : doomed) {
      Slot& slot = slots_[timer.slot];
      slot.fn = nullptr;
      free_slots_.push_back(timer.slot);
      slot.resume.reset();
    }
  }
  io_->drain();
  for (auto& retired : retired_) retired->drain();
  assert(timers_.empty());
  retired_.push_back(std::move(io_));
  io_ = std::make_unique<DrainableIoContext>();
}

}  // namespace tierkv::sim
