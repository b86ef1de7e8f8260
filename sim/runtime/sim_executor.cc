#include "sim/runtime/sim_executor.h"

#include <algorithm>
#include <cassert>
#include <coroutine>
#include <exception>
#include <limits>
#include <utility>

namespace tierkv::sim {

class SimExecutor::Sleep {
 public:
  Sleep(SimExecutor* executor, Delay kind, uint64_t delay_us)
      : executor_(executor), kind_(kind), delay_us_(delay_us) {}

  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> caller) {
    call_.caller = ParkedCoroutine::of(caller);
    SimExecutor& ex = *executor_;
    const uint64_t wait_us = kind_ == Delay::kSeeded ? ex.prng_.range(0, delay_us_) : delay_us_;
    ex.add_timer(ex.clock_.now_us() + wait_us, &call_);
  }
  void await_resume() const noexcept {}

 private:
  SimExecutor* executor_;
  Delay kind_;
  uint64_t delay_us_;
  BlockingCall call_;
};

SimExecutor::SimExecutor(SimClock& clock, Prng& prng, TraceHash& trace,
                         SimExecutorOptions options)
    : clock_(clock), prng_(prng), trace_(trace), options_(options) {}

SimExecutor::~SimExecutor() { shutdown(); }

void SimExecutor::post(ParkedCoroutine parked) {
  if (parked.epoch() != epoch_) {
    retired_.push_back(parked);  // spawned before the last shutdown: never runs again
    return;
  }
  ready_.push_back(parked);
}

void SimExecutor::add_timer(uint64_t deadline_us, BlockingCall* call) {
  assert(deadline_us >= clock_.now_us() && "timer deadline overflows the clock");
  timers_.push_back(Timer{deadline_us, next_sequence_++, call});
  std::push_heap(timers_.begin(), timers_.end(), FiresLater{});
}

// Each is a coroutine of its own (lazily started), so the deadline and the latency are drawn
// when the caller awaits, not before.
Task<void> SimExecutor::sleep_us(uint64_t duration_us) {
  co_await Sleep(this, Delay::kExact, duration_us);
}

Task<void> SimExecutor::yield() { co_await Sleep(this, Delay::kSeeded, options_.latency_us_max); }

// Called as the caller suspends, so the latency is drawn when it awaits.
void SimExecutor::start_blocking(BlockingCall& call) {
  assert(call.has_work());
  add_timer(clock_.now_us() + prng_.range(0, options_.blocking_latency_us_max), &call);
}

void SimExecutor::run_now(ParkedCoroutine parked) {
  ++steps_;
  run_parked(parked);
}

size_t SimExecutor::poll_ready() {
  size_t ran = 0;
  while (!ready_.empty()) {
    const ParkedCoroutine parked = ready_.front();
    ready_.pop_front();
    ++ran;
    run_now(parked);
  }
  return ran;
}

void SimExecutor::replace_first_timer(uint64_t deadline_us, BlockingCall* call) {
  assert(deadline_us >= timers_.front().deadline_us && "timer deadline overflows the clock");
  const Timer timer{deadline_us, next_sequence_++, call};
  // Sift down from the top: the hole moves to the earlier child while that fires first.
  const size_t size = timers_.size();
  size_t hole = 0;
  for (size_t child = 1; child < size; child = 2 * hole + 1) {
    if (child + 1 < size && FiresLater{}(timers_[child], timers_[child + 1])) ++child;
    if (!FiresLater{}(timer, timers_[child])) break;
    timers_[hole] = timers_[child];
    hole = child;
  }
  timers_[hole] = timer;
}

void SimExecutor::fire_next_timer() {
  assert(!timers_.empty());
  // The earliest timer stays on top while its work runs: anything added meanwhile fires later.
  const Timer timer = timers_.front();
  clock_.advance_to(timer.deadline_us);  // asserts monotonic time
  trace_.mix("timer", timer.deadline_us, timer.sequence);
  BlockingCall& call = *timer.call;
  // run_blocking's first timer: the work, then the latency back (that timer takes this one's
  // place). Work that threw resumes the caller at once (it rethrows there).
  if (call.has_work() && call.run_work()) {
    ++steps_;
    replace_first_timer(clock_.now_us() + prng_.range(0, options_.blocking_latency_us_max), &call);
    return;
  }
  std::pop_heap(timers_.begin(), timers_.end(), FiresLater{});
  timers_.pop_back();
  // Resumes the coroutine here; it may suspend again before this returns.
  run_now(call.caller);
}

bool SimExecutor::run_until(const std::function<bool()>& done) {
  return run_until(done, std::numeric_limits<uint64_t>::max());
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
  // Destroying a chain runs its frames' destructors, which may park, resume or abandon more
  // chains: repeat until nothing is left.
  while (!timers_.empty() || !ready_.empty() || !retired_.empty()) {
    const std::vector<Timer> parked = std::exchange(timers_, {});
    for (const Timer& timer : parked) {
      const ParkedCoroutine chain = timer.call->caller;  // the call dies with its frame
      chain.destroy();
    }
    const std::deque<ParkedCoroutine> ready = std::exchange(ready_, {});
    for (const ParkedCoroutine& chain : ready) chain.destroy();
    const std::vector<ParkedCoroutine> retired = std::exchange(retired_, {});
    for (const ParkedCoroutine& chain : retired) chain.destroy();
  }
  ++epoch_;
}

}  // namespace tierkv::sim
