// Executor: where engine coroutines run, how they sleep, and how blocking work (backend and
// file calls) leaves the event loop.
//
// Production (AsioExecutor): one io_context thread runs coroutines; run_blocking hands work
// to a small thread pool and resumes on the io_context. Simulation (SimExecutor): one thread,
// virtual time, and a seeded PRNG choosing latencies, which is how interleavings are explored.
//
// Engine code never assumes more than this interface, so the same code runs in both.
// Thread-safety: coroutines of one Executor all run on its one event-loop thread, so engine
// state touched only from coroutines needs no mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>

#include "engine/exec/clock.h"
#include "engine/exec/task.h"

namespace tierkv {

class Executor {
 public:
  virtual ~Executor() = default;

  virtual Clock& clock() = 0;

  // The Asio executor coroutines are spawned on.
  virtual boost::asio::any_io_executor asio_executor() = 0;

  // Suspends the caller for at least duration_us of clock time.
  virtual Task<void> sleep_us(uint64_t duration_us) = 0;

  // Lets other ready coroutines run before the caller continues. In simulation the caller is
  // resumed after a seeded latency, so the order of concurrent operations varies by seed.
  virtual Task<void> yield() = 0;

  // Runs fn away from the event loop (production: a worker thread; simulation: inline after a
  // seeded latency) and resumes the caller on the event loop once fn returned.
  // REQUIRES: fn does not touch state owned by the event loop without synchronisation.
  virtual Task<void> run_blocking(std::function<void()> fn) = 0;

  // Drives the event loop on the calling thread until done() returns true or nothing is left
  // to run. Returns done(). The blocking facade tools and tests use (see run_sync).
  virtual bool run_until(const std::function<bool()>& done) = 0;

  // Starts task detached. An exception escaping it propagates out of run_until.
  void spawn(Task<void> task) {
    boost::asio::co_spawn(asio_executor(), std::move(task), RethrowOnError{});
  }
};

// Runs fn through run_blocking and returns its result.
template <typename F>
Task<std::invoke_result_t<F&>> blocking(Executor& executor, F fn) {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await executor.run_blocking(std::move(fn));
  } else {
    std::optional<R> result;
    co_await executor.run_blocking([&result, &fn] { result.emplace(fn()); });
    co_return std::move(*result);
  }
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
