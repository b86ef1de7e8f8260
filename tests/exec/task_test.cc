// Task<T>, the engine's coroutine type, on every executor: values and exceptions travel from
// callee to caller, frames are freed when a task finishes or is dropped unstarted, a long
// loop of tasks that finish without suspending does not grow the stack, an exception escaping
// a spawned task leaves run_until, and a resumption abandoned by its holder destroys the
// suspended chain without running it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/exec/task.h"
#include "tests/exec/executor_harness.h"

namespace tierkv::testing {
namespace {

// Counts live instances: shows whether coroutine frames were torn down.
struct Alive {
  explicit Alive(int* count) : count_(count) { ++*count_; }
  Alive(Alive&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
  Alive(const Alive&) = delete;
  ~Alive() {
    if (count_ != nullptr) --*count_;
  }
  int* count_;
};

Task<int> add_one(int x) { co_return x + 1; }

Task<std::string> describe(Executor* executor, Alive alive, int x) {
  co_await executor->yield();
  const int y = co_await add_one(x);
  (void)alive;
  co_return "value " + std::to_string(y);
}

Task<int> fail_after_yield(Executor* executor) {
  co_await executor->yield();
  throw std::runtime_error("deep failure");
}

Task<std::string> catch_from_callee(Executor* executor) {
  try {
    co_await fail_after_yield(executor);
  } catch (const std::runtime_error& e) {
    co_return std::string("caught ") + e.what();
  }
  co_return std::string("nothing thrown");
}

class TaskTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<ExecutorHarness> harness(uint64_t seed = 1) {
    return make_executor_harness(GetParam(), seed);
  }
};

TEST_P(TaskTest, ValuesReachTheCallerAndFramesAreFreed) {
  auto h = harness();
  int alive = 0;
  EXPECT_EQ(run_sync(h->executor(), describe(&h->executor(), Alive(&alive), 41)), "value 42");
  EXPECT_EQ(alive, 0);
}

TEST_P(TaskTest, AnExceptionPropagatesThroughAwaitingCallers) {
  auto h = harness();
  EXPECT_EQ(run_sync(h->executor(), catch_from_callee(&h->executor())), "caught deep failure");
}

TEST_P(TaskTest, ATaskDroppedUnstartedRunsNothingAndFreesItsFrame) {
  auto h = harness();
  int alive = 0;
  {
    Task<std::string> task = describe(&h->executor(), Alive(&alive), 1);
    EXPECT_EQ(alive, 1);  // lazily started: the frame holds the argument, the body has not run
  }
  EXPECT_EQ(alive, 0);
}

TEST_P(TaskTest, ManyTasksThatFinishWithoutSuspendingDoNotGrowTheStack) {
  auto h = harness();
  // Each co_await transfers into the callee and back without a scheduler hop; if either
  // transfer were a nested call, a million of them would overflow the stack.
  auto sum = [](Executor* executor) -> Task<int64_t> {
    int64_t total = 0;
    for (int i = 0; i < 1'000'000; ++i) total += co_await add_one(i);
    co_await executor->yield();
    co_return total;
  };
  EXPECT_EQ(run_sync(h->executor(), sum(&h->executor())), 500'000'500'000);
}

TEST_P(TaskTest, AnExceptionEscapingASpawnedTaskLeavesRunUntil) {
  auto h = harness();
  h->executor().spawn([](Executor* executor) -> Task<void> {
    co_await fail_after_yield(executor);
  }(&h->executor()));
  EXPECT_THROW(h->executor().run_until([] { return false; }), std::runtime_error);
  // The loop can be driven again.
  EXPECT_EQ(run_sync(h->executor(), add_one(1)), 2);
}

TEST_P(TaskTest, AnAbandonedResumptionDestroysTheChainWithoutRunningIt) {
  auto h = harness();
  int alive = 0;
  bool resumed = false;
  std::optional<UniqueFunction> parked;  // stands in for a waiter list
  h->executor().spawn([](Alive alive, std::optional<UniqueFunction>* parked,
                         bool* resumed) -> Task<void> {
    auto park = [parked](UniqueFunction resume) { parked->emplace(std::move(resume)); };
    co_await suspend_until_resumed(std::move(park));
    *resumed = true;
    (void)alive;
  }(Alive(&alive), &parked, &resumed));
  ASSERT_TRUE(h->executor().run_until([&] { return parked.has_value(); }));
  EXPECT_EQ(alive, 1);
  parked.reset();  // the holder goes: its frames are destroyed on the loop, never resumed
  EXPECT_TRUE(h->executor().run_until([&] { return alive == 0; }));
  EXPECT_FALSE(resumed);
}

TEST_P(TaskTest, AResumptionRunsTheChainOnTheLoopNotInsideTheCall) {
  auto h = harness();
  std::optional<UniqueFunction> parked;
  int step = 0;
  h->executor().spawn([](std::optional<UniqueFunction>* parked, int* step) -> Task<void> {
    auto park = [parked](UniqueFunction resume) { parked->emplace(std::move(resume)); };
    co_await suspend_until_resumed(std::move(park));
    *step = 2;
  }(&parked, &step));
  ASSERT_TRUE(h->executor().run_until([&] { return parked.has_value(); }));
  UniqueFunction resume = std::move(*parked);
  parked.reset();
  resume();
  EXPECT_FALSE(resume);  // one-shot
  EXPECT_EQ(step, 0);    // queued, not run inside the call
  step = 1;
  EXPECT_TRUE(h->executor().run_until([&] { return step == 2; }));
}

INSTANTIATE_TEST_SUITE_P(Executors, TaskTest, ::testing::ValuesIn(all_executor_kinds()));

}  // namespace
}  // namespace tierkv::testing
