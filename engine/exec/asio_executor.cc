#include "engine/exec/asio_executor.h"

#include <atomic>
#include <cassert>
#include <chrono>
#include <exception>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace tierkv {

AsioExecutor::AsioExecutor(AsioExecutorOptions options)
    : blocking_pool_((assert(options.blocking_threads > 0), options.blocking_threads)) {}

AsioExecutor::~AsioExecutor() {
  blocking_pool_.stop();
  blocking_pool_.join();
}

namespace {
// Counts one piece of in-flight work for as long as it lives.
class InFlight {
 public:
  explicit InFlight(std::atomic<size_t>* count) : count_(count) { count_->fetch_add(1); }
  InFlight(InFlight&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  InFlight& operator=(InFlight&&) = delete;
  ~InFlight() {
    if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_release);
  }

 private:
  std::atomic<size_t>* count_;
};

// A posted chain: destroyed with its frames if the io_context drops the handler unrun.
class PostedChain {
 public:
  explicit PostedChain(ParkedCoroutine parked) : parked_(parked) {}
  PostedChain(PostedChain&& other) noexcept : parked_(std::exchange(other.parked_, {})) {}
  PostedChain(const PostedChain&) = delete;
  PostedChain& operator=(const PostedChain&) = delete;
  PostedChain& operator=(PostedChain&&) = delete;
  ~PostedChain() {
    if (parked_.root != nullptr) parked_.destroy();
  }
  ParkedCoroutine release() { return std::exchange(parked_, {}); }

 private:
  ParkedCoroutine parked_;
};
}  // namespace

void AsioExecutor::post(ParkedCoroutine parked) {
  boost::asio::post(io_context_, [this, chain = PostedChain(parked)]() mutable {
    run_parked(chain.release());
  });
}

Task<void> AsioExecutor::sleep_us(uint64_t duration_us) {
  InFlight in_flight(&in_flight_);
  boost::asio::steady_timer timer(io_context_, std::chrono::microseconds(duration_us));
  boost::asio::steady_timer* waiting = &timer;  // a pointer: see the g++ 12 rule in task.h
  co_await suspend_until_resumed([waiting](UniqueFunction resume) {
    waiting->async_wait(
        [resume = std::move(resume)](const boost::system::error_code&) mutable { resume(); });
  });
}

Task<void> AsioExecutor::yield() {
  co_await suspend_until_resumed([](UniqueFunction resume) { resume(); });
}

void AsioExecutor::start_blocking(BlockingCall& call) {
  // The in-flight count keeps run_until from deciding "nothing left to run" while the work is
  // away, and the work guard keeps its run_one() waiting for the resumption instead of
  // returning at once; both drop only after the caller's resumption was posted. call lives in
  // the suspended caller's frame, which stays alive until that resumption runs (or, if the
  // pool drops this handler unrun, the UniqueFunction abandons the chain).
  boost::asio::post(blocking_pool_, [&call, resume = UniqueFunction(call.caller),
                                     in_flight = InFlight(&in_flight_),
                                     work = boost::asio::make_work_guard(io_context_)]() mutable {
    call.run_work();  // what it threw stays in call: rethrown in the caller
    resume();         // posts the caller back onto the io_context, before in_flight goes
  });
}

bool AsioExecutor::run_until(const std::function<bool()>& done) {
  // run_one() alone would block forever on a coroutine parked where nothing can wake it (e.g.
  // an async mutex that is never released). Only timers and run_blocking work can make a
  // handler ready later; both are counted in in_flight_, so once nothing is ready and nothing
  // is in flight, we stop.
  while (!done()) {
    if (io_context_.stopped()) io_context_.restart();
    if (io_context_.poll_one() > 0) continue;
    if (in_flight_.load(std::memory_order_acquire) == 0) {
      // Work that finished between poll_one() and the load posted its handler before it left
      // in_flight_: poll once more before giving up.
      if (io_context_.poll_one() > 0) continue;
      return done();
    }
    io_context_.run_one();  // blocks until a timer fires or blocking work completes
  }
  return true;
}

}  // namespace tierkv
