// SimExecutor: virtual time, FIFO ties, seeded interleavings, run_sync, shutdown, exceptions,
// run_blocking's two halves.
#include "sim/runtime/sim_executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tierkv::sim {
namespace {

struct World {
  explicit World(uint64_t seed, SimExecutorOptions options = {})
      : prng(seed), executor(clock, prng, trace, options) {}
  SimClock clock;
  Prng prng;
  TraceHash trace;
  SimExecutor executor;
};

// Increments *count when destroyed: shows whether a coroutine frame was torn down.
struct DestroyCounter {
  explicit DestroyCounter(int* count) : count_(count) {}
  DestroyCounter(DestroyCounter&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
  DestroyCounter(const DestroyCounter&) = delete;
  ~DestroyCounter() {
    if (count_ != nullptr) ++*count_;
  }
  int* count_;
};

TEST(SimExecutorTest, SleepersWakeInDeadlineOrderAtTheirDeadline) {
  World w(1);
  std::vector<std::pair<uint64_t, uint64_t>> woke;  // (requested, clock at wake)
  for (uint64_t d : {30u, 10u, 20u, 0u}) {
    w.executor.spawn([](SimExecutor* ex, uint64_t d, auto* woke) -> Task<void> {
      co_await ex->sleep_us(d);
      woke->emplace_back(d, ex->clock().now_us());
    }(&w.executor, d, &woke));
  }
  w.executor.run_until_idle();
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{0, 0}, {10, 10}, {20, 20}, {30, 30}};
  EXPECT_EQ(woke, expected);
  EXPECT_EQ(w.clock.now_us(), 30u);
  EXPECT_EQ(w.executor.pending_timers(), 0u);
}

TEST(SimExecutorTest, EqualDeadlinesFireInSleepOrder) {
  World w(2);
  std::vector<int> order;
  constexpr int kCoroutines = 64;
  for (int i = 0; i < kCoroutines; ++i) {
    w.executor.spawn([](SimExecutor* ex, int i, std::vector<int>* order) -> Task<void> {
      co_await ex->sleep_us(7);
      order->push_back(i);
    }(&w.executor, i, &order));
  }
  w.executor.run_until_idle();
  ASSERT_EQ(order.size(), static_cast<size_t>(kCoroutines));
  for (int i = 0; i < kCoroutines; ++i) EXPECT_EQ(order[i], i);
}

// N coroutines each yield several times and log their id at every step.
struct Interleaving {
  std::vector<int> log;
  uint64_t trace = 0;
  uint64_t end_us = 0;
};

Interleaving run_interleaving(uint64_t seed) {
  World w(seed);
  Interleaving out;
  constexpr int kCoroutines = 8;
  constexpr int kSteps = 5;
  for (int i = 0; i < kCoroutines; ++i) {
    w.executor.spawn([](SimExecutor* ex, int id, std::vector<int>* log) -> Task<void> {
      for (int step = 0; step < kSteps; ++step) {
        co_await ex->yield();
        log->push_back(id);
      }
    }(&w.executor, i, &out.log));
  }
  w.executor.run_until_idle();
  EXPECT_EQ(out.log.size(), static_cast<size_t>(kCoroutines * kSteps));
  out.trace = w.trace.value();
  out.end_us = w.clock.now_us();
  return out;
}

TEST(SimExecutorTest, SameSeedGivesSameInterleavingAndTrace) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const Interleaving a = run_interleaving(seed);
    const Interleaving b = run_interleaving(seed);
    EXPECT_EQ(a.log, b.log) << "seed " << seed;
    EXPECT_EQ(a.trace, b.trace) << "seed " << seed;
    EXPECT_EQ(a.end_us, b.end_us) << "seed " << seed;
  }
}

TEST(SimExecutorTest, DifferentSeedsGiveDifferentInterleavings) {
  std::set<std::vector<int>> logs;
  std::set<uint64_t> traces;
  constexpr uint64_t kSeeds = 20;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const Interleaving run = run_interleaving(seed);
    logs.insert(run.log);
    traces.insert(run.trace);
  }
  // 8 coroutines x 5 yields: a repeated interleaving across 20 seeds would mean the latencies
  // are not really drawn from the seed.
  EXPECT_GE(logs.size(), kSeeds - 1);
  EXPECT_GE(traces.size(), kSeeds - 1);
}

// 16 coroutines, each 20 blocking calls mixed with yields and sleeps: every step happens in
// time order, and the order of the timers (hence the trace) is the one the executor had when
// these values were recorded (a change to the timer heap must not move any event).
TEST(SimExecutorTest, ConcurrentBlockingCallsKeepTheirTimerOrder) {
  const std::vector<std::pair<uint64_t, std::string>> pinned = {
      {1, "9f7fac3399ca0119"}, {2, "b14e16ca2a73eba6"}, {3, "f11625bc475d7639"}};
  for (const auto& [seed, trace] : pinned) {
    World w(seed);
    std::vector<uint64_t> times;  // clock at every work and every resumption
    for (int i = 0; i < 16; ++i) {
      w.executor.spawn([](SimExecutor* ex, int id, std::vector<uint64_t>* times) -> Task<void> {
        for (int step = 0; step < 20; ++step) {
          co_await ex->run_blocking([ex, times] { times->push_back(ex->clock().now_us()); });
          times->push_back(ex->clock().now_us());
          if (step % 3 == 0) co_await ex->yield();
          if (step % 5 == 0) co_await ex->sleep_us(static_cast<uint64_t>(id));
        }
      }(&w.executor, i, &times));
    }
    w.executor.run_until_idle();
    EXPECT_EQ(times.size(), 640u);
    EXPECT_TRUE(std::is_sorted(times.begin(), times.end())) << "seed " << seed;
    EXPECT_EQ(w.trace.hex(), trace) << "seed " << seed;
    EXPECT_EQ(w.trace.events(), 816u) << "seed " << seed;
  }
}

TEST(SimExecutorTest, YieldAndRunBlockingStayWithinTheirLatencyBounds) {
  SimExecutorOptions options;
  options.latency_us_max = 40;
  options.blocking_latency_us_max = 25;
  World w(3, options);
  for (int i = 0; i < 50; ++i) {
    const uint64_t before_us = w.clock.now_us();
    run_sync(w.executor, w.executor.yield());
    EXPECT_LE(w.clock.now_us() - before_us, 40u);
  }
  for (int i = 0; i < 50; ++i) {
    const uint64_t before_us = w.clock.now_us();
    uint64_t ran_at_us = 0;
    run_sync(w.executor, blocking(w.executor, [&] { ran_at_us = w.clock.now_us(); }));
    EXPECT_GE(ran_at_us, before_us);
    EXPECT_LE(ran_at_us - before_us, 25u);
    EXPECT_LE(w.clock.now_us() - ran_at_us, 25u);
  }
}

TEST(SimExecutorTest, RunSyncReturnsTheTaskValue) {
  World w(4);
  auto task = [](SimExecutor* ex) -> Task<std::string> {
    co_await ex->sleep_us(100);
    int value = co_await blocking(*ex, [] { return 42; });
    // run_blocking yields the work's result too (moved out: a move-only one works).
    std::unique_ptr<int> boxed = co_await ex->run_blocking([] { return std::make_unique<int>(7); });
    co_return "answer " + std::to_string(value) + " " + std::to_string(*boxed);
  };
  EXPECT_EQ(run_sync(w.executor, task(&w.executor)), "answer 42 7");
  EXPECT_GE(w.clock.now_us(), 100u);
}

TEST(SimExecutorTest, RunUntilWithDeadlineStopsBeforeLaterTimers) {
  World w(5);
  bool woke = false;
  w.executor.spawn([](SimExecutor* ex, bool* woke) -> Task<void> {
    co_await ex->sleep_us(1000);
    *woke = true;
  }(&w.executor, &woke));
  EXPECT_FALSE(w.executor.run_until([&] { return woke; }, 999));
  EXPECT_FALSE(woke);
  EXPECT_LE(w.clock.now_us(), 999u);
  EXPECT_EQ(w.executor.pending_timers(), 1u);
  EXPECT_TRUE(w.executor.run_until([&] { return woke; }, 1000));
  EXPECT_EQ(w.clock.now_us(), 1000u);
}

TEST(SimExecutorTest, RunForMovesTheClockAndLeavesLaterWork) {
  World w(6);
  int woke = 0;
  for (uint64_t d : {100u, 500u}) {
    w.executor.spawn([](SimExecutor* ex, uint64_t d, int* woke) -> Task<void> {
      co_await ex->sleep_us(d);
      ++*woke;
    }(&w.executor, d, &woke));
  }
  w.executor.run_for(300);
  EXPECT_EQ(woke, 1);
  EXPECT_EQ(w.clock.now_us(), 300u);
  EXPECT_EQ(w.executor.pending_timers(), 1u);
  w.executor.run_until_idle();
  EXPECT_EQ(woke, 2);
}

TEST(SimExecutorTest, RunUntilReportsFalseWhenNothingIsLeft) {
  World w(7);
  EXPECT_FALSE(w.executor.run_until([] { return false; }));
  EXPECT_TRUE(w.executor.run_until([] { return true; }));
}

TEST(SimExecutorTest, EveryTimerFiringIsMixedIntoTheTrace) {
  World w(8);
  const uint64_t events_before = w.trace.events();
  run_sync(w.executor, w.executor.sleep_us(5));
  run_sync(w.executor, w.executor.sleep_us(5));
  EXPECT_EQ(w.trace.events() - events_before, 2u);
  EXPECT_GE(w.executor.steps(), 2u);
}

TEST(SimExecutorTest, ShutdownAbandonsSleepingAndQueuedCoroutines) {
  World w(9);
  int destroyed = 0;
  bool resumed = false;
  auto sleeper = [](SimExecutor* ex, DestroyCounter guard, bool* resumed) -> Task<void> {
    co_await ex->sleep_us(1'000'000);
    *resumed = true;
    (void)guard;
  };
  w.executor.spawn(sleeper(&w.executor, DestroyCounter(&destroyed), &resumed));
  EXPECT_FALSE(w.executor.run_until([] { return false; }, 10));
  EXPECT_EQ(w.executor.pending_timers(), 1u);
  // A second coroutine is queued on the ready queue but never started.
  w.executor.spawn(sleeper(&w.executor, DestroyCounter(&destroyed), &resumed));
  EXPECT_EQ(destroyed, 0);
  w.executor.shutdown();
  EXPECT_EQ(destroyed, 2);
  EXPECT_FALSE(resumed);
  EXPECT_EQ(w.executor.pending_timers(), 0u);
  // The executor runs new work afterwards, on the same clock.
  const uint64_t before_us = w.clock.now_us();
  run_sync(w.executor, w.executor.sleep_us(3));
  EXPECT_EQ(w.clock.now_us(), before_us + 3);
  EXPECT_FALSE(resumed);
}

TEST(SimExecutorTest, CoroutineParkedOutsideTheExecutorDiesWithItsHolder) {
  World w(10);
  int destroyed = 0;
  std::optional<UniqueFunction> parked;  // stands in for an async mutex's waiter list
  w.executor.spawn([](DestroyCounter guard, std::optional<UniqueFunction>* parked) -> Task<void> {
    co_await suspend_until_resumed([parked](UniqueFunction resume) {
      parked->emplace(std::move(resume));
    });
    (void)guard;
  }(DestroyCounter(&destroyed), &parked));
  w.executor.run_until_idle();
  ASSERT_TRUE(parked.has_value());
  w.executor.shutdown();
  EXPECT_EQ(destroyed, 0);  // still owned by the holder
  parked.reset();           // the holder dies after shutdown: the chain is retired, not run
  w.executor.shutdown();
  EXPECT_EQ(destroyed, 1);
}

// A chain spawned before a shutdown belongs to the crashed world: resuming it afterwards (a
// holder that outlived the crash releasing its waiters) must not run it on the new world.
TEST(SimExecutorTest, ACoroutineOfACrashedWorldResumedAfterShutdownNeverRuns) {
  World w(15);
  int destroyed = 0;
  bool resumed = false;
  std::optional<UniqueFunction> parked;
  w.executor.spawn([](DestroyCounter guard, std::optional<UniqueFunction>* parked,
                      bool* resumed) -> Task<void> {
    auto park = [parked](UniqueFunction resume) { parked->emplace(std::move(resume)); };
    co_await suspend_until_resumed(std::move(park));
    *resumed = true;
    (void)guard;
  }(DestroyCounter(&destroyed), &parked, &resumed));
  w.executor.run_until_idle();
  ASSERT_TRUE(parked.has_value());
  w.executor.shutdown();
  (*parked)();
  parked.reset();
  w.executor.run_until_idle();
  EXPECT_FALSE(resumed);
  EXPECT_EQ(destroyed, 0);
  w.executor.shutdown();
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(resumed);
}

TEST(SimExecutorTest, ExceptionInSpawnedCoroutinePropagatesOutOfTheLoop) {
  World w(11);
  w.executor.spawn([](SimExecutor* ex) -> Task<void> {
    co_await ex->sleep_us(10);
    throw std::runtime_error("engine bug");
  }(&w.executor));
  EXPECT_THROW(w.executor.run_until_idle(), std::runtime_error);
  // The loop can be driven again.
  run_sync(w.executor, w.executor.sleep_us(1));
  EXPECT_EQ(w.clock.now_us(), 11u);
}

// The crash model relies on this: a run_until condition that turns true inside run_blocking's
// fn (an env crash) stops the loop before the caller sees fn's result, so the world can be
// abandoned between a blocking call's effect and its caller's continuation.
TEST(SimExecutorTest, RunUntilStopsBetweenBlockingWorkAndItsCaller) {
  World w(12);
  bool effect = false;
  bool continued = false;
  int destroyed = 0;
  w.executor.spawn([](SimExecutor* ex, DestroyCounter guard, bool* effect,
                      bool* continued) -> Task<void> {
    co_await ex->run_blocking([effect] { *effect = true; });
    *continued = true;
    (void)guard;
  }(&w.executor, DestroyCounter(&destroyed), &effect, &continued));
  EXPECT_TRUE(w.executor.run_until([&] { return effect; }));
  EXPECT_FALSE(continued);
  EXPECT_EQ(w.executor.pending_timers(), 1u);  // the caller waits for its return latency
  w.executor.shutdown();
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(continued);
}

TEST(SimExecutorTest, RunBlockingRethrowsWhatTheWorkThrewInTheCaller) {
  World w(13);
  std::string caught;
  run_sync(w.executor, [](SimExecutor* ex, std::string* caught) -> Task<void> {
    try {
      co_await ex->run_blocking([] { throw std::runtime_error("backend exploded"); });
    } catch (const std::runtime_error& e) {
      *caught = e.what();
    }
  }(&w.executor, &caught));
  EXPECT_EQ(caught, "backend exploded");
  EXPECT_EQ(w.executor.pending_timers(), 0u);
}

TEST(SimExecutorTest, ShutdownDropsBlockingWorkThatHasNotRunYet) {
  World w(14);
  bool ran = false;
  w.executor.spawn([](SimExecutor* ex, bool* ran) -> Task<void> {
    co_await ex->run_blocking([ran] { *ran = true; });
  }(&w.executor, &ran));
  w.executor.run_until([] { return false; }, 0);  // started and parked; no timer fired yet
  ASSERT_EQ(w.executor.pending_timers(), 1u);
  w.executor.shutdown();
  EXPECT_FALSE(ran);
  // Parked slots are reused afterwards: many suspensions, every one resumed exactly once.
  int finished = 0;
  for (int i = 0; i < 100; ++i) {
    w.executor.spawn([](SimExecutor* ex, int* finished) -> Task<void> {
      co_await ex->yield();
      co_await ex->run_blocking([] {});
      ++*finished;
    }(&w.executor, &finished));
  }
  w.executor.run_until_idle();
  EXPECT_EQ(finished, 100);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace tierkv::sim
