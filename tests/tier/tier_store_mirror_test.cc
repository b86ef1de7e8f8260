// TierStore's async mirror group-commits: keys queued while backup is busy go to backup in one
// write_atomic call (at most async_batch_max_keys distinct keys), a failed batch is retried and
// loses nothing, a backup without write_atomic gets one key per call, the optional batch delay
// runs on the Clock, and same-key writes racing the mirror never make backup go back to a value
// primary had already replaced.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

const TierShape kAsync{false, true, BackupMode::kAsync};

bool tiers_equal(TierRig& rig) {
  return rig.sync(dump_store(rig.primary_raw.store.get())) ==
         rig.sync(dump_store(rig.backup_raw.store.get()));
}

// The mirror is done: backup equals primary, nothing queued, the store idle.
void expect_mirrored(TierRig& rig) {
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_EQ(rig.store->metrics().queue_depth, 0u);
  EXPECT_TRUE(rig.store->idle());
}

StoreKey key_n(int i) { return skey("m", "", "k" + std::to_string(i)); }

// Holds backup at its gate while the first key's copy is in flight, so `count` keys queue up
// behind it; returns with every write acknowledged and the gate still closed.
void queue_behind_a_held_copy(TierRig& rig, int count) {
  rig.backup.gate().close();
  ASSERT_TRUE(rig.sync(rig.store->write(key_n(0), "v0")).ok());
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return rig.backup.gate().waiting() == 1; }));
  for (int i = 1; i < count; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(key_n(i), "v" + std::to_string(i))).ok());
  }
  ASSERT_EQ(rig.backup.gate().waiting(), 1u);  // key 0's copy, a lone key: a plain write
  ASSERT_EQ(rig.backup.batches_seen, 0u);
}

TEST(TierStoreMirrorBatch, KeysQueuedWhileBackupIsBusyGoToBackupInOneCall) {
  TierRig rig(11, kAsync);
  queue_behind_a_held_copy(rig, 10);
  // A key written twice while queued is copied once, with its newest value.
  ASSERT_TRUE(rig.sync(rig.store->write(key_n(3), "v3b")).ok());
  EXPECT_EQ(rig.store->metrics().queue_depth, 11u);
  rig.backup.gate().open();
  rig.sync(rig.store->flush_backup());
  EXPECT_EQ(rig.backup.mutations_seen, 2u);  // key 0 alone, then keys 1..9 in one batch
  EXPECT_EQ(rig.backup.batch_sizes, (std::vector<size_t>{9}));
  const TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.backup_batches, 2u);
  EXPECT_EQ(m.backup_writes, 10u);
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(key_n(3))).value(), "v3b");
  expect_mirrored(rig);
}

TEST(TierStoreMirrorBatch, ABatchHoldsAtMostTheConfiguredNumberOfKeys) {
  TierStoreOptions options = TierRig::no_startup();
  options.async_batch_max_keys = 4;
  TierRig rig(12, kAsync, options);
  queue_behind_a_held_copy(rig, 12);
  ASSERT_TRUE(rig.sync(rig.store->remove(key_n(5), false)).ok());  // a remove rides along
  rig.backup.gate().open();
  rig.sync(rig.store->flush_backup());
  // Keys 1..4, 5..8, then 9..11 and 5 again (queued behind 11 by the remove).
  EXPECT_EQ(rig.backup.batch_sizes, (std::vector<size_t>{4, 4, 4}));
  EXPECT_EQ(rig.backup.applied.size(), 1u + 12u);
  EXPECT_EQ(rig.store->metrics().backup_batches, 4u);
  EXPECT_TRUE(rig.sync(rig.backup_raw.store->read(key_n(5))).status().is_not_found());
  expect_mirrored(rig);
}

TEST(TierStoreMirrorBatch, AFailingBatchIsRetriedWithBackoffAndLosesNothing) {
  TierStoreOptions options = TierRig::no_startup();
  options.retry_backoff_us_initial = 1000;
  options.retry_backoff_us_max = 4000;
  TierRig rig(13, kAsync, options);
  queue_behind_a_held_copy(rig, 8);
  rig.backup.fail_mutations = true;
  rig.backup.gate().open();
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return rig.store->metrics().retries >= 4; }));
  TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.queue_depth, 8u);  // nothing dropped, nothing half-copied
  EXPECT_GE(m.backup_failures, 4u);
  EXPECT_EQ(m.backup_batches, 0u);
  EXPECT_EQ(rig.sync(rig.backup_raw.store->list("m", "")).value().size(), 0u);
  // A key changed during the outage is copied with its newest value once backup heals.
  ASSERT_TRUE(rig.sync(rig.store->write(key_n(2), "v2b")).ok());
  rig.backup.fail_mutations = false;
  rig.sync(rig.store->flush_backup());
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(key_n(2))).value(), "v2b");
  expect_mirrored(rig);
}

TEST(TierStoreMirrorBatch, APrimaryReadFailureInABatchRetriesTheWholeBatch) {
  TierRig rig(14, kAsync);
  queue_behind_a_held_copy(rig, 5);
  rig.primary.fail_reads = true;
  rig.backup.gate().open();
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return rig.store->metrics().retries >= 2; }));
  EXPECT_EQ(rig.backup.batches_seen, 0u);  // nothing reached backup without primary's value
  EXPECT_EQ(rig.store->metrics().queue_depth, 4u);  // key 0's lone copy had been called
  rig.primary.fail_reads = false;
  rig.sync(rig.store->flush_backup());
  expect_mirrored(rig);
}

TEST(TierStoreMirrorBatch, ABackupWithoutBatchesGetsOneKeyPerCall) {
  TierRig rig(15, kAsync);
  queue_behind_a_held_copy(rig, 6);
  rig.backup.refuse_batches = true;
  rig.backup.gate().open();
  rig.sync(rig.store->flush_backup());
  EXPECT_EQ(rig.backup.batches_seen, 1u);  // refused once, never asked again
  EXPECT_EQ(rig.backup.mutations_seen, 1u + 1u + 5u);
  const TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.backup_batches, 6u);
  EXPECT_EQ(m.backup_failures, 0u);
  EXPECT_EQ(m.retries, 0u);
  expect_mirrored(rig);
}

// With a batch delay the mirror waits on the Clock before copying, so a lone writer's keys
// written within the delay share one backup call; the lag it adds is bounded by the delay.
TEST(TierStoreMirrorBatch, TheBatchDelayLetsALoneWritersKeysShareABackupCall) {
  TierStoreOptions options = TierRig::no_startup();
  options.async_batch_delay_us = 5000;
  TierRig rig(16, kAsync, options);
  const uint64_t start_us = rig.sim.clock.now_us();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(key_n(i), "v")).ok());
  }
  ASSERT_LT(rig.sim.clock.now_us() - start_us, 5000u) << "the writes outlasted the delay";
  EXPECT_EQ(rig.backup.mutations_seen, 0u);  // still waiting out the delay
  rig.sync(rig.store->flush_backup());
  EXPECT_EQ(rig.backup.batch_sizes, (std::vector<size_t>{6}));
  EXPECT_EQ(rig.backup.mutations_seen, 1u);
  EXPECT_GE(rig.sim.clock.now_us() - start_us, 5000u);
  expect_mirrored(rig);
}

// A flush_backup() caller waits for the backup, so the mirror does not wait for more keys.
TEST(TierStoreMirrorBatch, AWaitingFlushSkipsTheBatchDelay) {
  TierStoreOptions options = TierRig::no_startup();
  options.async_batch_delay_us = 5000;
  TierRig rig(18, kAsync, options);
  queue_behind_a_held_copy(rig, 4);
  std::optional<bool> flushed;
  rig.executor().spawn([](TierStore* store, std::optional<bool>* done) -> Task<void> {
    co_await store->flush_backup();
    done->emplace(true);
  }(rig.store.get(), &flushed));
  rig.sim.executor.run_until([] { return false; });
  const uint64_t opened_us = rig.sim.clock.now_us();
  rig.backup.gate().open();
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return flushed.has_value(); }));
  EXPECT_LT(rig.sim.clock.now_us() - opened_us, 5000u);
  EXPECT_EQ(rig.backup.batch_sizes, (std::vector<size_t>{3}));
  expect_mirrored(rig);
}

// After a restart the queue is gone; the start-up reconcile copies what the mirror had not.
TEST(TierStoreMirrorBatch, KeysStillQueuedAtARestartAreCopiedByTheStartUpReconcile) {
  TierRig rig(17, kAsync);
  queue_behind_a_held_copy(rig, 7);
  EXPECT_FALSE(tiers_equal(rig));
  // The store goes away with a copy in flight and six keys queued; a new one starts over the
  // same tiers (the held copy is abandoned at the gate).
  rig.store.reset();
  rig.backup.gate().open();
  rig.sim.executor.run_until([] { return false; });
  TierStoreOptions options;  // reconcile_at_start
  options.backup_mode = BackupMode::kAsync;
  rig.store = std::make_unique<TierStore>(rig.executor(),
                                          TierStoreTiers{&rig.primary, nullptr, &rig.backup},
                                          options);
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_GE(rig.store->metrics().reconcile_repairs, 6u);
  EXPECT_TRUE(rig.store->idle());
}

// Index of value in seq at or after from, or seq.size().
size_t find_from(const std::vector<std::string>& seq, size_t from, const std::string& value) {
  for (size_t i = from; i < seq.size(); ++i) {
    if (seq[i] == value) return i;
  }
  return seq.size();
}

// Backup refuses mutations from start_us for duration_us of simulated time (the mirror retries
// meanwhile).
Task<Status> backup_outage(TierRig& rig, uint64_t start_us, uint64_t duration_us) {
  co_await rig.executor().sleep_us(start_us);
  rig.backup.fail_mutations = true;
  co_await rig.executor().sleep_us(duration_us);
  rig.backup.fail_mutations = false;
  co_return Status::ok_status();
}

// Random concurrent writes and removes of a few keys from several clients, with random
// latencies and small batches, plus reconcile() calls and short backup outages racing the
// mirror: per key, the values backup applied are primary's values in primary's order (repeats
// allowed, never an older one after a newer), and once flushed backup equals primary.
RC_GTEST_PROP(TierStoreMirrorProperty, BackupNeverGoesBackToAValuePrimaryReplaced, ()) {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 7), rc::gen::inRange(0, 5)));
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const bool reconciles = *rc::gen::arbitrary<bool>();  // else nothing repairs a lost copy
  TierStoreOptions options = TierRig::no_startup();
  options.async_batch_max_keys = *rc::gen::inRange<size_t>(1, 5);
  options.async_batch_delay_us =  // none, short, the default
      *rc::gen::element<uint64_t>(0, 30, TierStoreOptions().async_batch_delay_us);
  options.retry_backoff_us_initial = 10;
  options.retry_backoff_us_max = 80;
  sim::SimExecutorOptions latencies;
  latencies.latency_us_max = 40;
  latencies.blocking_latency_us_max = 40;
  TierRig rig(seed, kAsync, options, latencies);
  std::vector<std::optional<Status>> results(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const StoreKey k = skey("race", "", "k" + std::to_string(ops[i].second));
    Task<Status> call = ops[i].first == 0                 ? rig.store->remove(k, false)
                        : ops[i].first == 1 && reconciles ? rig.store->reconcile()
                        : ops[i].first == 2 ? backup_outage(rig, 50 * i, 20 * (ops[i].second + 1))
                                            : rig.store->write(k, "v" + std::to_string(i));
    spawn_into(rig.executor(), std::move(call), &results[i]);
  }
  rig.sim.executor.run_until([] { return false; });
  for (size_t i = 0; i < ops.size(); ++i) {
    RC_ASSERT(results[i].has_value());
    RC_ASSERT(results[i]->ok() || (ops[i].first == 1 && reconciles));  // outage
  }
  rig.sync(rig.store->flush_backup());
  std::map<std::string, std::vector<std::string>> primary_seq, backup_seq;
  for (const auto& [key, value] : rig.primary.applied) primary_seq[key].push_back(value);
  for (const auto& [key, value] : rig.backup.applied) backup_seq[key].push_back(value);
  for (const auto& [key, applied] : backup_seq) {
    const std::vector<std::string>& primary = primary_seq[key];
    size_t at = 0;
    for (const std::string& value : applied) {
      at = find_from(primary, at, value);
      RC_ASSERT(at < primary.size());  // never a value primary held before the last one copied
    }
  }
  RC_ASSERT(rig.sync(dump_store(rig.backup_raw.store.get())) ==
            rig.sync(dump_store(rig.primary_raw.store.get())));
  RC_ASSERT(rig.store->idle());
  RC_ASSERT(rig.store->metrics().backup_batches <= rig.store->metrics().backup_writes);
}

}  // namespace
}  // namespace tierkv::testing
