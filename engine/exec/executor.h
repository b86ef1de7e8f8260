// Executor: where engine coroutines run, how they sleep, and how blocking work (backend and
// file calls) leaves the event loop.
//
// Production (AsioExecutor): one event-loop thread runs coroutines; run_blocking hands work
// to a small thread pool and resumes on the loop. Simulation (SimExecutor): one thread,
// virtual time, and a seeded PRNG choosing latencies, which is how interleavings are explored.
//
// Engine code never assumes more than this interface, so the same code runs in both.
// Thread-safety: coroutines of one Executor all run on its one event-loop thread, so engine
// state touched only from coroutines needs no mutex.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "engine/exec/clock.h"
#include "engine/exec/task.h"

namespace tierkv {

// A caller parked in Executor::run_blocking: the work to run away from the event loop (a
// non-owning reference to a callable in the caller's frame: its BlockingAwaiter; or none) and
// what it threw. Lives in the awaiter, i.e. in the parked caller's frame. SimExecutor also
// parks its sleepers in one, with no work.
class BlockingCall {
 public:
  BlockingCall() = default;
  BlockingCall(const BlockingCall&) = delete;
  BlockingCall& operator=(const BlockingCall&) = delete;

  // Refers to fn (which outlives the call) as the work.
  template <typename F>
  void set_work(F& fn) {
    work_ = &fn;
    invoke_ = [](void* work) { (*static_cast<F*>(work))(); };
  }
  bool has_work() const { return invoke_ != nullptr; }
  // Runs the work, once: afterwards has_work() is false. Returns false if it threw; the
  // exception is then kept and rethrown by rethrow_error() in the caller.
  // REQUIRES: has_work().
  bool run_work() noexcept {
    void (*invoke)(void*) = std::exchange(invoke_, nullptr);
    try {
      invoke(work_);
      return true;
    } catch (...) {
      error_ = std::current_exception();
      return false;
    }
  }
  void rethrow_error() {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

  ParkedCoroutine caller;  // set when the caller suspends

 private:
  void* work_ = nullptr;
  void (*invoke_)(void*) = nullptr;
  std::exception_ptr error_;
};

template <typename F>
class BlockingAwaiter;

class Executor {
 public:
  virtual ~Executor() = default;

  virtual Clock& clock() = 0;

  // Suspends the caller for at least duration_us of clock time.
  virtual Task<void> sleep_us(uint64_t duration_us) = 0;

  // Lets other ready coroutines run before the caller continues. In simulation the caller is
  // resumed after a seeded latency, so the order of concurrent operations varies by seed.
  virtual Task<void> yield() = 0;

  // Runs fn away from the event loop (production: a worker thread; simulation: inline after a
  // seeded latency) and resumes the caller on the event loop once fn returned, with fn's result
  // (co_await yields it); what fn throws is rethrown in the caller. Returns an awaiter (no
  // coroutine frame, no allocation); co_await it at once: it holds fn and the result, and the
  // caller's frame keeps them alive while fn is away.
  // REQUIRES: fn does not touch state owned by the event loop without synchronisation.
  template <typename F>
  BlockingAwaiter<F> run_blocking(F fn) {
    return BlockingAwaiter<F>(*this, std::move(fn));
  }

  // Drives the event loop on the calling thread until done() returns true or nothing is left
  // to run. Returns done(). The blocking facade tools and tests use (see run_sync).
  virtual bool run_until(const std::function<bool()>& done) = 0;

  // Starts task detached: it is queued and starts on the loop, after what is already ready.
  // An exception escaping it is a bug: it propagates out of the run_until driving the loop.
  void spawn(Task<void> task);

  // Schedules a suspended chain on the loop: resumes it (parked.leaf set) or destroys it
  // (leaf null), after what is already ready; never inline. The chain's root was spawned on
  // this executor. Called by UniqueFunction and spawn; AsioExecutor allows any thread.
  virtual void post(ParkedCoroutine parked) = 0;

  // Runs call's work away from the loop, then resumes call.caller on the loop (see
  // run_blocking). Called from BlockingAwaiter::await_suspend; call lives until the caller
  // resumes (or its chain is destroyed).
  virtual void start_blocking(BlockingCall& call) = 0;

 protected:
  // Spawn generation: SimExecutor::shutdown starts a new one (chains of older ones never run).
  uint64_t epoch_ = 0;

  // Rethrows (once) an exception that escaped a spawned task; the loop calls it after every
  // resumption, so it propagates out of run_until.
  void rethrow_escaped() {
    if (escaped_) std::rethrow_exception(std::exchange(escaped_, nullptr));
  }

  // Runs a posted chain on the loop: resumes it, or destroys it when its holder abandoned it
  // (leaf null); then rethrows what escaped a spawned task.
  void run_parked(ParkedCoroutine parked) {
    if (parked.leaf) {
      parked.resume();
    } else {
      parked.destroy();
    }
    rethrow_escaped();
  }

 private:
  friend struct detail::PromiseBase;
  std::exception_ptr escaped_;
};

// What Executor::run_blocking returns: awaiting it parks the caller in a BlockingCall whose
// work is this awaiter's fn (and, when fn returns a value, storing it here), and yields fn's
// result. Everything lives here, i.e. in the caller's frame while it is suspended.
template <typename F>
class [[nodiscard]] BlockingAwaiter {
 public:
  using Result = std::invoke_result_t<F&>;

  BlockingAwaiter(Executor& executor, F fn) : executor_(executor), fn_(std::move(fn)) {}
  bool await_ready() const noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> caller) {
    call_.caller = ParkedCoroutine::of(caller);
    call_.set_work(*this);
    executor_.start_blocking(call_);
  }
  Result await_resume() {
    call_.rethrow_error();
    if constexpr (!std::is_void_v<Result>) return std::move(*result_);
  }

  // The work: runs fn (away from the loop) and keeps its result.
  void operator()() {
    if constexpr (std::is_void_v<Result>) {
      fn_();
    } else {
      result_.emplace(fn_());
    }
  }

 private:
  struct NoResult {};
  Executor& executor_;
  F fn_;
  std::conditional_t<std::is_void_v<Result>, NoResult, std::optional<Result>> result_;
  BlockingCall call_;
};

// Runs fn through run_blocking and returns its result, as a Task (for functions that return
// one; a coroutine can co_await run_blocking itself and save this frame).
template <typename F>
Task<std::invoke_result_t<F&>> blocking(Executor& executor, F fn) {
  co_return co_await executor.run_blocking(std::move(fn));
}

// Blocking facade: runs task to completion on executor's loop and returns its value.
// REQUIRES: called from outside any coroutine of this executor; the task can complete.
template <typename T>
T run_sync(Executor& executor, Task<T> task) {
  std::optional<T> result;
  executor.spawn([](Task<T> t, std::optional<T>* out) -> Task<void> {
    out->emplace(co_await std::move(t));
  }(std::move(task), &result));
  bool done = executor.run_until([&result] { return result.has_value(); });
  if (!done) std::terminate();  // the task can never finish: a deadlock in the caller's setup
  return std::move(*result);
}

inline void run_sync(Executor& executor, Task<void> task) {
  bool finished = false;
  executor.spawn([](Task<void> t, bool* out) -> Task<void> {
    co_await std::move(t);
    *out = true;
  }(std::move(task), &finished));
  if (!executor.run_until([&finished] { return finished; })) std::terminate();
}

}  // namespace tierkv
