// TierStore's backup side: async mode acknowledges after primary and exposes its lag, overflows
// are counted and repaired, failures retry with backoff on the Clock, sync mode surfaces a
// backup outage to callers without half-acknowledging anything, start-up reconcile and
// restore_from_backup bring the tiers back to equal.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

const TierShape kAsync{false, true, BackupMode::kAsync};
const TierShape kSync{false, true, BackupMode::kSync};

StoreDump dump(TierRig& rig, BackendKvStore* store) { return rig.sync(dump_store(store)); }
bool tiers_equal(TierRig& rig) {
  return dump(rig, rig.primary_raw.store.get()) == dump(rig, rig.backup_raw.store.get());
}

TEST(TierStoreAsyncBackup, AcknowledgesAfterPrimaryAndReportsLagUntilTheMirrorCatchesUp) {
  TierRig rig(1, kAsync);
  rig.backup.gate().close();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(skey("a", "", "k" + std::to_string(i)), "v")).ok());
  }
  // A writer of a key the mirror is copying is not held up by the slow backup.
  ASSERT_TRUE(rig.sync(rig.store->write(skey("a", "", "k0"), "v2")).ok());
  rig.sim.clock.advance_to(rig.sim.clock.now_us() + 5000);  // the oldest entry is older still
  TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.queue_depth, 4u);
  EXPECT_GE(m.oldest_pending_age_us, 5000u);
  EXPECT_EQ(rig.backup.applied.size(), 0u);
  EXPECT_EQ(rig.sync(rig.backup_raw.store->list("a", "")).value().size(), 0u);
  EXPECT_FALSE(rig.store->idle());
  rig.backup.gate().open();
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(skey("a", "", "k0"))).value(), "v2");
  m = rig.store->metrics();
  EXPECT_EQ(m.queue_depth, 0u);
  EXPECT_EQ(m.oldest_pending_age_us, 0u);
  EXPECT_EQ(m.queue_overflows, 0u);
  EXPECT_TRUE(rig.store->idle());
}

TEST(TierStoreAsyncBackup, AnOverflowIsCountedAndRepairedByReconcile) {
  TierStoreOptions options = TierRig::no_startup();
  options.async_queue_capacity = 2;
  TierRig rig(2, kAsync, options);
  rig.backup.gate().close();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(skey("o", "", "k" + std::to_string(i)), "v")).ok());
  }
  ASSERT_TRUE(rig.sync(rig.store->remove(skey("o", "", "k1"), false)).ok());
  TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.queue_depth, 2u);
  EXPECT_EQ(m.queue_overflows, 5u);
  EXPECT_TRUE(m.reconcile_pending);
  rig.backup.gate().open();
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  m = rig.store->metrics();
  EXPECT_FALSE(m.reconcile_pending);
  EXPECT_GE(m.reconciles, 1u);
  EXPECT_GE(m.reconcile_repairs, 4u);  // k2..k5 never went through the queue
  EXPECT_TRUE(rig.store->idle());
}

TEST(TierStoreAsyncBackup, FailuresRetryWithExponentialBackoffOnTheClock) {
  TierStoreOptions options = TierRig::no_startup();
  options.retry_backoff_us_initial = 1000;
  options.retry_backoff_us_max = 4000;
  TierRig rig(3, kAsync, options);
  rig.backup.fail_mutations = true;
  const uint64_t start_us = rig.sim.clock.now_us();
  ASSERT_TRUE(rig.sync(rig.store->write(skey("r", "", "k"), "v")).ok());
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return rig.store->metrics().retries >= 5; }));
  // Sleeps so far: 1000 + 2000 + 4000 + 4000 (capped) before the fifth failure's sleep.
  EXPECT_GE(rig.sim.clock.now_us() - start_us, 11000u);
  EXPECT_GE(rig.store->metrics().backup_failures, 5u);
  EXPECT_EQ(rig.store->metrics().queue_depth, 1u);  // still pending, never dropped
  rig.backup.fail_mutations = false;
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_TRUE(rig.store->idle());
}

// A backup outage window in sync mode: callers see errors naming the backup while it lasts;
// every acknowledged write is in both tiers; once healed the mirror's reconcile evens them.
TEST(TierStoreSyncBackup, AnOutageWindowIsReportedAndNothingIsHalfAcknowledged) {
  TierRig rig(4, kSync);
  std::vector<std::pair<StoreKey, std::string>> acked;
  for (int i = 0; i < 12; ++i) {
    rig.backup.fail_mutations = i >= 4 && i < 8;  // the outage window
    const StoreKey k = skey("w", "", "k" + std::to_string(i % 5));
    const std::string value = "v" + std::to_string(i);
    Status st = rig.sync(rig.store->write(k, value));
    if (rig.backup.fail_mutations) {
      EXPECT_TRUE(st.is_unavailable()) << st.to_string();
      EXPECT_NE(st.message().find("backup"), std::string::npos) << st.to_string();
    } else {
      ASSERT_TRUE(st.ok()) << st.to_string();
      acked.emplace_back(k, value);
      EXPECT_EQ(rig.sync(rig.backup_raw.store->read(k)).value(), value);
      EXPECT_EQ(rig.sync(rig.primary_raw.store->read(k)).value(), value);
    }
  }
  EXPECT_EQ(rig.store->metrics().backup_diverged, 4u);
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_TRUE(rig.store->idle());
}

// Sync mode writes both sides at once: with either side held at its gate, the other side
// still applies the write, and the caller is answered only once both have it. (Writing them one
// after the other would add the second side's latency to every write.)
TEST(TierStoreSyncBackup, PrimaryAndBackupAreWrittenConcurrently) {
  for (const bool hold_backup : {true, false}) {
    SCOPED_TRACE(hold_backup ? "backup held" : "primary held");
    TierRig rig(5, kSync);
    FlakyKvStore& held = hold_backup ? rig.backup : rig.primary;
    FlakyKvStore& free = hold_backup ? rig.primary : rig.backup;
    held.gate().close();
    std::optional<Status> written;
    spawn_into(rig.executor(), rig.store->write(skey("c", "", "k"), "v"), &written);
    ASSERT_TRUE(rig.executor().run_until([&] { return !free.applied.empty(); }))
        << "the free side never applied the write while the other side was held";
    EXPECT_EQ(held.gate().waiting(), 1u);
    EXPECT_TRUE(held.applied.empty());
    EXPECT_FALSE(written.has_value()) << "acknowledged before both sides applied it";
    held.gate().open();
    ASSERT_TRUE(rig.executor().run_until([&] { return written.has_value(); }));
    ASSERT_TRUE(written->ok()) << written->to_string();
    EXPECT_EQ(held.applied.size(), 1u);
    EXPECT_TRUE(tiers_equal(rig));
    EXPECT_TRUE(rig.store->idle());
  }
}

TEST(TierStoreReconcile, StartUpReconcileMakesBackupEqualPrimaryAndDropsEphemeralKeys) {
  // Tiers left unequal by a crash between the two sides, and an ephemeral key in backup.
  SimRig sim(5);
  MemoryStore primary(sim.executor), backup(sim.executor), ephemeral(sim.executor);
  ASSERT_TRUE(sim.sync(primary.store->write(skey("s", "", "newer"), "p")).ok());
  ASSERT_TRUE(sim.sync(primary.store->write(skey("s", "", "only_primary"), "p")).ok());
  ASSERT_TRUE(sim.sync(backup.store->write(skey("s", "", "newer"), "old")).ok());
  ASSERT_TRUE(sim.sync(backup.store->write(skey("s", "", "only_backup"), "b")).ok());
  ASSERT_TRUE(sim.sync(backup.store->write(skey("", "", "scorer"), "stale")).ok());
  TierStore store(sim.executor,
                  TierStoreTiers{primary.store.get(), ephemeral.store.get(), backup.store.get()});
  EXPECT_TRUE(store.metrics().reconcile_pending);
  sim.sync(store.flush_backup());
  EXPECT_EQ(sim.sync(dump_store(backup.store.get())), sim.sync(dump_store(primary.store.get())));
  EXPECT_EQ(store.metrics().reconciles, 1u);
  EXPECT_EQ(store.metrics().reconcile_repairs, 4u);
  EXPECT_TRUE(store.idle());
}

TEST(TierStoreReconcile, ReconcileRetriesUntilTheBackupHeals) {
  TierRig rig(6, kSync);
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->write(skey("x", "", "k"), "v")).ok());
  rig.backup.fail_mutations = true;
  Status failed = rig.sync(rig.store->reconcile());
  EXPECT_TRUE(failed.is_unavailable());
  EXPECT_NE(failed.message().find("reconcile"), std::string::npos) << failed.to_string();
  EXPECT_TRUE(rig.store->metrics().reconcile_pending);
  rig.backup.fail_mutations = false;
  ASSERT_TRUE(rig.sync(rig.store->reconcile()).ok());
  EXPECT_FALSE(rig.store->metrics().reconcile_pending);
  EXPECT_TRUE(tiers_equal(rig));
}

TEST(TierStoreRestore, RestoreFromBackupRebuildsPrimaryAndVerifiesIt) {
  TierRig rig(7, TierShape{true, true, BackupMode::kSync});
  for (int i = 0; i < 30; ++i) {
    const StoreKey k = skey(i % 2 ? "odd" : "even", "", "k" + std::to_string(i));
    ASSERT_TRUE(rig.sync(rig.store->write(k, "v" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "network_graph"), "g")).ok());
  const StoreDump before = dump(rig, rig.primary_raw.store.get());
  // Disaster: primary loses keys, gains junk and has a changed value.
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->remove(skey("odd", "", "k1"), false)).ok());
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->remove(skey("even", "", "k2"), false)).ok());
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->write(skey("junk", "", "j"), "x")).ok());
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->write(skey("odd", "", "k3"), "changed")).ok());
  ASSERT_TRUE(rig.sync(rig.store->restore_from_backup()).ok());
  EXPECT_EQ(dump(rig, rig.primary_raw.store.get()), before);
  EXPECT_EQ(rig.sync(rig.store->read(skey("", "", "network_graph"))).value(), "g");
  EXPECT_TRUE(rig.store->idle());
  // A primary that refuses writes makes restore fail, naming the primary.
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->remove(skey("odd", "", "k5"), false)).ok());
  rig.primary.fail_mutations = true;
  Status failed = rig.sync(rig.store->restore_from_backup());
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("primary"), std::string::npos) << failed.to_string();
}

TEST(TierStoreRestore, RestoreWithoutABackupIsNotSupported) {
  TierRig rig(8, TierShape{});
  Status st = rig.sync(rig.store->restore_from_backup());
  EXPECT_TRUE(st.is_not_supported());
  EXPECT_NE(st.message().find("no backup"), std::string::npos);
}

}  // namespace
}  // namespace tierkv::testing
