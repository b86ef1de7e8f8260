// AsyncMutex: mutual exclusion, FIFO hand-off, no barging, RAII guards — on every executor.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "engine/exec/async_mutex.h"
#include "tests/exec/executor_harness.h"

namespace tierkv::testing {
namespace {

struct CriticalSectionLog {
  std::vector<int> requested;  // order in which lock() was called
  std::vector<int> acquired;   // order in which the lock was obtained
  int holders = 0;
  int holders_max = 0;
};

// Requests the lock, holds it across `yields` suspensions, releases it.
Task<void> contend(Executor* executor, AsyncMutex* mutex, CriticalSectionLog* log, int id,
                   int yields) {
  log->requested.push_back(id);
  co_await mutex->lock();
  log->acquired.push_back(id);
  log->holders_max = std::max(log->holders_max, ++log->holders);
  for (int i = 0; i < yields; ++i) co_await executor->yield();
  --log->holders;
  mutex->unlock();
}

class AsyncMutexTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<ExecutorHarness> harness(uint64_t seed = 1) {
    return make_executor_harness(GetParam(), seed);
  }
};

TEST_P(AsyncMutexTest, TryLockTakesAFreeMutexOnlyOnce) {
  AsyncMutex mutex;
  EXPECT_FALSE(mutex.locked());
  EXPECT_TRUE(mutex.try_lock());
  EXPECT_TRUE(mutex.locked());
  EXPECT_FALSE(mutex.try_lock());
  mutex.unlock();
  EXPECT_FALSE(mutex.locked());
  EXPECT_TRUE(mutex.try_lock());
  mutex.unlock();
}

TEST_P(AsyncMutexTest, ManyContendersAreExclusiveAndServedInRequestOrder) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto h = harness(seed);
    AsyncMutex mutex;
    CriticalSectionLog log;
    std::vector<Task<void>> tasks;
    constexpr int kContenders = 50;
    for (int id = 0; id < kContenders; ++id) {
      tasks.push_back(contend(&h->executor(), &mutex, &log, id, id % 3));
    }
    ASSERT_TRUE(run_all(h->executor(), std::move(tasks))) << "seed " << seed;
    EXPECT_EQ(log.holders_max, 1) << "seed " << seed;
    ASSERT_EQ(log.acquired.size(), size_t{kContenders});
    EXPECT_EQ(log.acquired, log.requested) << "seed " << seed;
    EXPECT_FALSE(mutex.locked());
    EXPECT_EQ(mutex.waiters(), 0u);
  }
}

Task<void> lock_and_record(AsyncMutex* mutex, std::vector<int>* acquired, int id) {
  co_await mutex->lock();
  acquired->push_back(id);
  mutex->unlock();
}

TEST_P(AsyncMutexTest, UnlockHandsTheLockToTheOldestWaiterWithoutLettingOthersBarge) {
  auto h = harness();
  Executor& executor = h->executor();
  AsyncMutex mutex;
  ASSERT_TRUE(mutex.try_lock());
  std::vector<int> acquired;
  executor.spawn(lock_and_record(&mutex, &acquired, 1));
  executor.spawn(lock_and_record(&mutex, &acquired, 2));
  ASSERT_TRUE(executor.run_until([&] { return mutex.waiters() == 2; }));

  mutex.unlock();
  // Handed over, not released: the first waiter owns it though it has not run yet.
  EXPECT_TRUE(mutex.locked());
  EXPECT_EQ(mutex.waiters(), 1u);
  EXPECT_FALSE(mutex.try_lock());
  EXPECT_TRUE(acquired.empty());  // resumption goes through the executor, not inline

  ASSERT_TRUE(executor.run_until([&] { return acquired.size() == 2; }));
  EXPECT_EQ(acquired, (std::vector<int>{1, 2}));
  EXPECT_FALSE(mutex.locked());
}

Task<void> hold_with_guard(Executor* executor, AsyncMutex* mutex, CriticalSectionLog* log,
                           int id) {
  log->requested.push_back(id);
  AsyncMutexGuard guard = co_await scoped_lock(*mutex);
  EXPECT_TRUE(guard.owns_lock());
  log->acquired.push_back(id);
  log->holders_max = std::max(log->holders_max, ++log->holders);
  co_await executor->yield();
  --log->holders;
  AsyncMutexGuard moved = std::move(guard);  // ownership travels with the guard
  EXPECT_FALSE(guard.owns_lock());
  EXPECT_TRUE(mutex->locked());
}  // `moved` unlocks here

TEST_P(AsyncMutexTest, GuardsUnlockOnDestructionAndSurviveMoves) {
  auto h = harness();
  AsyncMutex mutex;
  CriticalSectionLog log;
  std::vector<Task<void>> tasks;
  for (int id = 0; id < 10; ++id) tasks.push_back(hold_with_guard(&h->executor(), &mutex, &log, id));
  ASSERT_TRUE(run_all(h->executor(), std::move(tasks)));
  EXPECT_EQ(log.holders_max, 1);
  EXPECT_EQ(log.acquired, log.requested);
  EXPECT_FALSE(mutex.locked());
}

TEST_P(AsyncMutexTest, TryLockGuardFailsWhileHeldAndEarlyUnlockReleases) {
  AsyncMutex mutex;
  std::optional<AsyncMutexGuard> first = mutex.try_lock_guard();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(mutex.try_lock_guard().has_value());
  first->unlock();
  EXPECT_FALSE(first->owns_lock());
  EXPECT_FALSE(mutex.locked());
  first.reset();  // a released guard does not unlock twice
  EXPECT_FALSE(mutex.locked());
  EXPECT_TRUE(mutex.try_lock_guard().has_value());
  EXPECT_FALSE(mutex.locked());
}

TEST_P(AsyncMutexTest, AWaiterThatCanNeverGetTheLockLeavesRunUntilFalse) {
  auto h = harness();
  AsyncMutex mutex;
  ASSERT_TRUE(mutex.try_lock());  // never released
  std::vector<int> acquired;
  h->executor().spawn(lock_and_record(&mutex, &acquired, 1));
  EXPECT_FALSE(h->executor().run_until([&] { return !acquired.empty(); }));
  EXPECT_EQ(mutex.waiters(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Executors, AsyncMutexTest, ::testing::ValuesIn(all_executor_kinds()));

}  // namespace
}  // namespace tierkv::testing
