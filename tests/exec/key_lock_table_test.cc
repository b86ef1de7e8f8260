// KeyLockTable: same-key holders are serialised in request order, different keys never wait
// for each other, and the table forgets every key once idle — on every executor.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/exec/key_lock_table.h"
#include "tests/exec/executor_harness.h"

namespace tierkv::testing {
namespace {

struct KeyLog {
  std::map<std::string, std::vector<int>> requested;
  std::map<std::string, std::vector<int>> acquired;
  std::map<std::string, int> holders;
  int same_key_overlaps = 0;
};

Task<void> hold_key(Executor* executor, KeyLockTable* table, KeyLog* log, std::string key,
                    int id, int yields) {
  log->requested[key].push_back(id);
  KeyLockGuard guard = co_await table->lock(key);
  EXPECT_EQ(guard.key(), key);
  log->acquired[key].push_back(id);
  if (++log->holders[key] > 1) ++log->same_key_overlaps;
  for (int i = 0; i < yields; ++i) co_await executor->yield();
  --log->holders[key];
}

class KeyLockTableTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyLockTableTest, SameKeyHoldersAreSerialisedInRequestOrderAndTheTableEmpties) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto h = make_executor_harness(GetParam(), seed);
    KeyLockTable table;
    KeyLog log;
    std::vector<Task<void>> tasks;
    const std::vector<std::string> keys = {"alpha", "beta", "gamma"};
    for (int id = 0; id < 60; ++id) {
      tasks.push_back(hold_key(&h->executor(), &table, &log, keys[id % 3], id, id % 4));
    }
    ASSERT_TRUE(run_all(h->executor(), std::move(tasks))) << "seed " << seed;
    EXPECT_EQ(log.same_key_overlaps, 0) << "seed " << seed;
    EXPECT_EQ(log.acquired, log.requested) << "seed " << seed;
    EXPECT_EQ(table.size(), 0u) << "seed " << seed;
  }
}

constexpr int kYieldsMax = 10000;

// Holds `mine` until both coroutines hold their key at the same time (a barrier inside the
// critical section): only possible if different keys run concurrently; if the table
// serialised them, the first holder would wait forever and run_all would report it.
Task<void> hold_until_both_held(Executor* executor, KeyLockTable* table, std::string mine,
                                std::string other, int* holding, int* both_seen) {
  KeyLockGuard guard = co_await table->lock(mine);
  ++*holding;
  // Bounded, so a table that serialised different keys fails here instead of spinning.
  for (int i = 0; *holding < 2 && i < kYieldsMax; ++i) co_await executor->yield();
  if (*holding < 2) {
    ADD_FAILURE() << mine << " was never held together with " << other;
    co_return;
  }
  EXPECT_TRUE(table->is_locked(other));
  EXPECT_EQ(table->size(), 2u);
  ++*both_seen;
  // Neither leaves before both checked.
  for (int i = 0; *both_seen < 2 && i < kYieldsMax; ++i) co_await executor->yield();
}

TEST_P(KeyLockTableTest, DifferentKeysAreHeldConcurrently) {
  auto h = make_executor_harness(GetParam(), 7);
  KeyLockTable table;
  int holding = 0;
  int both_seen = 0;
  std::vector<Task<void>> tasks;
  tasks.push_back(hold_until_both_held(&h->executor(), &table, "a", "b", &holding, &both_seen));
  tasks.push_back(hold_until_both_held(&h->executor(), &table, "b", "a", &holding, &both_seen));
  ASSERT_TRUE(run_all(h->executor(), std::move(tasks)));
  EXPECT_EQ(both_seen, 2);
  EXPECT_EQ(table.size(), 0u);
}

Task<void> lock_and_park(KeyLockTable* table, std::string key, KeyLockGuard* out) {
  *out = co_await table->lock(key);
}

TEST_P(KeyLockTableTest, AnEntryLivesWhileHeldOrAwaitedAndGoesWithTheLastGuard) {
  auto h = make_executor_harness(GetParam(), 3);
  Executor& executor = h->executor();
  KeyLockTable table;
  KeyLockGuard first;
  KeyLockGuard second;
  executor.spawn(lock_and_park(&table, "k", &first));
  ASSERT_TRUE(executor.run_until([&] { return first.owns_lock(); }));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.is_locked("k"));
  EXPECT_FALSE(table.is_locked("other"));

  executor.spawn(lock_and_park(&table, "k", &second));
  ASSERT_TRUE(executor.run_until([&] { return table.waiters("k") == 1; }));
  first.unlock();  // hands "k" to the waiter: the entry stays
  EXPECT_EQ(table.size(), 1u);
  ASSERT_TRUE(executor.run_until([&] { return second.owns_lock(); }));
  EXPECT_EQ(table.waiters("k"), 0u);

  KeyLockGuard moved = std::move(second);
  EXPECT_FALSE(second.owns_lock());
  EXPECT_EQ(table.size(), 1u);
  moved = KeyLockGuard();  // assigning over a held guard releases it
  EXPECT_EQ(table.size(), 0u);
  EXPECT_FALSE(table.is_locked("k"));
}

// The table reuses the entries of keys it forgot for new keys: each round's keys (more than
// it keeps spare, longer than a small string) are taken at once, carry their own names, and
// none of the previous round's keys stays locked.
TEST_P(KeyLockTableTest, ForgottenKeysEntriesServeNewKeysAsFreeLocks) {
  auto h = make_executor_harness(GetParam(), 11);
  Executor& executor = h->executor();
  KeyLockTable table;
  constexpr size_t kKeys = 40;
  const auto key = [](int round, size_t i) {
    return "a key longer than any small-string buffer/" + std::to_string(round) + "/" +
           std::to_string(i);
  };
  for (int round = 0; round < 3; ++round) {
    std::vector<KeyLockGuard> guards(kKeys);
    for (size_t i = 0; i < kKeys; ++i) {
      executor.spawn(lock_and_park(&table, key(round, i), &guards[i]));
    }
    ASSERT_TRUE(executor.run_until([&] {
      return std::all_of(guards.begin(), guards.end(),
                         [](const KeyLockGuard& g) { return g.owns_lock(); });
    })) << "round " << round;
    EXPECT_EQ(table.size(), kKeys);
    for (size_t i = 0; i < kKeys; ++i) {
      EXPECT_EQ(guards[i].key(), key(round, i));
      EXPECT_TRUE(table.is_locked(key(round, i)));
      EXPECT_EQ(table.waiters(key(round, i)), 0u);
      if (round > 0) {
        EXPECT_FALSE(table.is_locked(key(round - 1, i)));
      }
    }
    guards.clear();
    EXPECT_EQ(table.size(), 0u);
  }
}

TEST_P(KeyLockTableTest, DestroyingATableWithWaitersDoesNotTouchFreedEntries) {
  auto h = make_executor_harness(GetParam(), 5);
  KeyLockGuard held;
  {
    KeyLockTable table;
    KeyLockGuard never;
    h->executor().spawn(lock_and_park(&table, "k", &held));
    ASSERT_TRUE(h->executor().run_until([&] { return held.owns_lock(); }));
    h->executor().spawn(lock_and_park(&table, "k", &never));
    ASSERT_TRUE(h->executor().run_until([&] { return table.waiters("k") == 1; }));
    held = KeyLockGuard();  // hands over to the waiter, whose resumption is queued
    EXPECT_EQ(table.size(), 1u);
  }  // crash-style teardown: the queued waiter's guard must not edit the dead table
}

// Property: any schedule of holders over a few keys keeps each key exclusive and FIFO, and
// leaves the table empty.
RC_GTEST_PROP(KeyLockTableProperty, RandomSchedulesStayExclusiveFifoAndEndEmpty, ()) {
  const auto plan = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(0, 5)));
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1000);
  for (const std::string& kind : all_executor_kinds()) {
    auto h = make_executor_harness(kind, seed);
    KeyLockTable table;
    KeyLog log;
    std::vector<Task<void>> tasks;
    for (size_t id = 0; id < plan.size(); ++id) {
      tasks.push_back(hold_key(&h->executor(), &table, &log, "key" + std::to_string(plan[id].first),
                               static_cast<int>(id), plan[id].second));
    }
    RC_ASSERT(run_all(h->executor(), std::move(tasks)));
    RC_ASSERT(log.same_key_overlaps == 0);
    RC_ASSERT(log.acquired == log.requested);
    RC_ASSERT(table.size() == 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Executors, KeyLockTableTest, ::testing::ValuesIn(all_executor_kinds()));

}  // namespace
}  // namespace tierkv::testing
