// AsioExecutor, the production executor: sleeps take at least their clock time, blocking work
// runs off the loop thread and resumes on it, exceptions from blocking work reach the caller,
// run_sync returns the task's value, and run_until stops once nothing can run any more.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/exec/asio_executor.h"
#include "engine/exec/executor.h"

namespace tierkv {
namespace {

TEST(AsioExecutorTest, SleepWaitsAtLeastItsDurationOnTheClock) {
  AsioExecutor executor;
  const uint64_t start_us = executor.clock().now_us();
  run_sync(executor, executor.sleep_us(20 * kMicrosPerMilli));
  EXPECT_GE(executor.clock().now_us() - start_us, 20 * kMicrosPerMilli);
}

TEST(AsioExecutorTest, RunBlockingRunsOffTheLoopThreadAndResumesOnIt) {
  AsioExecutor executor;
  const std::thread::id loop_thread = std::this_thread::get_id();
  auto task = [](Executor* ex, std::thread::id loop) -> Task<std::string> {
    std::thread::id worker;
    co_await ex->run_blocking([&worker] { worker = std::this_thread::get_id(); });
    EXPECT_NE(worker, loop);
    EXPECT_EQ(std::this_thread::get_id(), loop);
    int value = co_await blocking(*ex, [] { return 41 + 1; });
    // run_blocking yields the work's result too (moved out: a move-only one works).
    std::unique_ptr<int> boxed = co_await ex->run_blocking([] { return std::make_unique<int>(7); });
    EXPECT_EQ(std::this_thread::get_id(), loop);
    co_return "answer " + std::to_string(value) + " " + std::to_string(*boxed);
  };
  EXPECT_EQ(run_sync(executor, task(&executor, loop_thread)), "answer 42 7");
}

TEST(AsioExecutorTest, AnExceptionInBlockingWorkIsRethrownInTheCaller) {
  AsioExecutor executor;
  auto task = [](Executor* ex) -> Task<std::string> {
    try {
      co_await ex->run_blocking([] { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what());
    }
    co_return std::string("no exception");
  };
  EXPECT_EQ(run_sync(executor, task(&executor)), "disk on fire");
}

TEST(AsioExecutorTest, ManyBlockingCallsAllCompleteAndYieldInterleavesCoroutines) {
  AsioExecutor executor(AsioExecutorOptions{.blocking_threads = 2});
  int finished = 0;
  for (int i = 0; i < 50; ++i) {
    executor.spawn([](Executor* ex, int* done) -> Task<void> {
      co_await ex->yield();
      co_await ex->run_blocking([] {});
      co_await ex->sleep_us(100);
      ++*done;
    }(&executor, &finished));
  }
  EXPECT_TRUE(executor.run_until([&] { return finished == 50; }));
  // Nothing left: run_until returns at once with done()'s value.
  EXPECT_FALSE(executor.run_until([] { return false; }));
}

}  // namespace
}  // namespace tierkv
