// TierStore conditional writes (engine/tier/tier_store_cas.cc) after the owning tier applied
// them: a failing sync backup is named and counted as divergence, then repaired by reconcile;
// async mode acknowledges after primary and the mirror catches backup up; and an applied CAS or
// batch makes older pending writes of its keys stale (call order), for both kinds alike.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

const TierShape kSyncBackup{false, true, BackupMode::kSync};
const TierShape kAsyncBackup{false, true, BackupMode::kAsync};

bool tiers_equal(TierRig& rig) {
  return rig.sync(dump_store(rig.primary_raw.store.get())) ==
         rig.sync(dump_store(rig.backup_raw.store.get()));
}

TEST(TierStoreCas, AFailingSyncBackupIsNamedCountedAndRepairedByReconcile) {
  TierRig rig(1, kSyncBackup);
  const StoreKey k = skey("cas", "", "k");
  const StoreKey a = skey("cas", "", "a");
  rig.backup.fail_mutations = true;
  Result<uint64_t> cas = rig.sync(rig.store->compare_and_swap(k, 0, "one"));
  ASSERT_FALSE(cas.ok());
  EXPECT_TRUE(cas.status().is_unavailable());
  EXPECT_NE(cas.status().message().find("backup (primary already applied it)"), std::string::npos)
      << cas.status().to_string();
  EXPECT_NE(cas.status().message().find(k.to_string()), std::string::npos);
  AtomicResult batch = rig.sync(rig.store->write_atomic({AtomicOp{a, "A", uint64_t{0}}}));
  ASSERT_FALSE(batch.status.ok());
  EXPECT_NE(batch.status.message().find("write_atomic"), std::string::npos);
  EXPECT_NE(batch.status.message().find("backup (primary already applied it)"), std::string::npos)
      << batch.status.to_string();
  // Primary applied both (it is authoritative); backup has neither.
  EXPECT_EQ(rig.sync(rig.primary_raw.store->read(k)).value(), "one");
  EXPECT_EQ(rig.sync(rig.primary_raw.store->read(a)).value(), "A");
  EXPECT_TRUE(rig.sync(rig.backup_raw.store->read(k)).status().is_not_found());
  TierStoreMetrics m = rig.store->metrics();
  EXPECT_EQ(m.primary_writes, 2u);
  EXPECT_EQ(m.backup_writes, 0u);
  EXPECT_EQ(m.backup_failures, 2u);
  EXPECT_EQ(m.backup_diverged, 2u);
  EXPECT_TRUE(m.reconcile_pending);
  rig.backup.fail_mutations = false;
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_FALSE(rig.store->metrics().reconcile_pending);
  EXPECT_TRUE(rig.store->idle());
}

TEST(TierStoreCas, SyncBackupFollowsEveryAppliedCasAndBatch) {
  TierRig rig(2, kSyncBackup);
  const StoreKey k = skey("cas", "", "k");
  Result<uint64_t> v1 = rig.sync(rig.store->compare_and_swap(k, 0, "one"));
  ASSERT_TRUE(v1.ok()) << v1.status().to_string();
  AtomicResult batch = rig.sync(rig.store->write_atomic(
      {AtomicOp{k, "two", *v1}, AtomicOp{skey("cas", "", "b"), "B", uint64_t{0}}}));
  ASSERT_TRUE(batch.status.ok()) << batch.status.to_string();
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(k)).value(), "two");  // no reconcile needed
  EXPECT_EQ(rig.store->metrics().backup_writes, 2u);
  EXPECT_EQ(rig.store->metrics().backup_diverged, 0u);
  EXPECT_FALSE(rig.store->metrics().reconcile_pending);
  EXPECT_TRUE(tiers_equal(rig));
}

TEST(TierStoreCas, AsyncModeAcknowledgesAfterPrimaryAndTheMirrorCatchesUp) {
  TierRig rig(3, kAsyncBackup);
  const StoreKey k = skey("cas", "", "k");
  rig.backup.fail_mutations = true;
  ASSERT_TRUE(rig.sync(rig.store->compare_and_swap(k, 0, "one")).ok());
  AtomicResult batch =
      rig.sync(rig.store->write_atomic({AtomicOp{skey("cas", "", "a"), "A", std::nullopt},
                                        AtomicOp{skey("cas", "", "b"), "B", std::nullopt}}));
  ASSERT_TRUE(batch.status.ok()) << batch.status.to_string();
  EXPECT_EQ(rig.store->metrics().backup_diverged, 0u);  // async: lag, not divergence
  EXPECT_TRUE(rig.sync(rig.backup_raw.store->read(k)).status().is_not_found());
  rig.backup.fail_mutations = false;
  rig.sync(rig.store->flush_backup());
  EXPECT_TRUE(tiers_equal(rig));
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(k)).value(), "one");
  EXPECT_TRUE(rig.store->idle());
}

// An older write, called before the CAS / batch but run after it, is skipped: the conditional
// write completed the key's call order on both paths.
TEST(TierStoreCas, AnAppliedCasOrBatchMakesOlderPendingWritesStale) {
  TierRig rig(4, kSyncBackup);
  const StoreKey k = skey("cas", "", "k");
  Task<Status> older = rig.store->write(k, "older");
  ASSERT_TRUE(rig.sync(rig.store->compare_and_swap(k, 0, "cas")).ok());
  ASSERT_TRUE(rig.sync(std::move(older)).ok());
  EXPECT_EQ(rig.sync(rig.store->read(k)).value(), "cas");
  EXPECT_EQ(rig.store->metrics().stale_skipped, 1u);
  Task<Status> older_remove = rig.store->remove(k, false);
  AtomicResult batch = rig.sync(rig.store->write_atomic({AtomicOp{k, "batch", std::nullopt}}));
  ASSERT_TRUE(batch.status.ok()) << batch.status.to_string();
  ASSERT_TRUE(rig.sync(std::move(older_remove)).ok());
  EXPECT_EQ(rig.sync(rig.store->read(k)).value(), "batch");
  EXPECT_EQ(rig.store->metrics().stale_skipped, 2u);
  EXPECT_EQ(rig.sync(rig.backup_raw.store->read(k)).value(), "batch");
  EXPECT_TRUE(rig.store->idle());
}

}  // namespace
}  // namespace tierkv::testing
