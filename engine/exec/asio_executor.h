// AsioExecutor: the production Executor (never used by the simulator).
//
// - Coroutines run on one boost::asio::io_context, driven by whichever thread calls
//   run_until() (one thread at a time): spawn() and every resumption post the suspended chain
//   there. Engine state touched only from coroutines therefore needs no mutex.
// - sleep_us() waits on a steady_timer; clock() is a RealClock (steady_clock).
// - yield() re-posts the caller to the back of the io_context's queue.
// - run_blocking(fn) runs fn on a boost::asio::thread_pool and posts the caller's resumption
//   back to the io_context. An exception thrown by fn is rethrown in the caller. Work the pool
//   drops unrun (at destruction) abandons its caller's chain, which is destroyed unresumed.
// - run_until(done) runs handlers one at a time until done() is true, or until nothing is
//   left that could ever run: no ready handler, no pending sleep_us and no run_blocking work
//   in flight (a coroutine parked elsewhere, e.g. on a mutex nobody releases, does not keep it
//   running). It returns done(), as executor.h specifies.
//
// Thread-safety: post() (hence a UniqueFunction resumption) may be called from any thread;
// every other method is called from the event-loop thread (or, for run_until, the thread
// that drives it). Destruction joins the pool (work already running finishes; queued work is
// dropped) and then destroys coroutines that never finished.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "engine/exec/executor.h"
#include "engine/exec/real_clock.h"

namespace tierkv {

struct AsioExecutorOptions {
  size_t blocking_threads = 4;  // size of the run_blocking pool; REQUIRES: > 0
};

class AsioExecutor final : public Executor {
 public:
  explicit AsioExecutor(AsioExecutorOptions options = {});
  ~AsioExecutor() override;
  AsioExecutor(const AsioExecutor&) = delete;
  AsioExecutor& operator=(const AsioExecutor&) = delete;

  Clock& clock() override { return clock_; }
  Task<void> sleep_us(uint64_t duration_us) override;
  Task<void> yield() override;
  void start_blocking(BlockingCall& call) override;
  bool run_until(const std::function<bool()>& done) override;
  void post(ParkedCoroutine parked) override;

 private:
  RealClock clock_;
  // Sleeps and run_blocking calls not finished yet: what could still make a handler ready.
  // Declared first: abandoned work that still counts itself is destroyed with the members below.
  std::atomic<size_t> in_flight_{0};
  boost::asio::io_context io_context_;  // declared before the pool: destroyed after it
  boost::asio::thread_pool blocking_pool_;
};

}  // namespace tierkv
