// TierStore call order and the per-key primary+backup pairing, on tiers over every backend
// (memory, leveldb, sqlite, lmdb): a newer completed call is never overwritten by an older one
// (also through the ephemeral tier and with a failing newer backup write), the LDK reviewer's
// interleaving [w1_prim][w2_prim][w2_bck][w1_bck] cannot happen, and random concurrent
// same-key writes (memory tiers) leave backup applying exactly primary's sequence.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

const TierShape kSyncBackup{false, true, BackupMode::kSync};
const TierShape kAll{true, true, BackupMode::kSync};

// Each test runs with all three tiers on the backend named by the parameter.
class TierStoreOrder : public ::testing::TestWithParam<std::string> {
 protected:
  static TierBackends backends() { return TierBackends::all(GetParam()); }
};

// Primary and backup (raw tiers) both hold value for k (nullopt = absent).
void expect_both(TierRig& rig, const StoreKey& k, std::optional<std::string> value) {
  for (BackendKvStore* tier : {rig.primary_raw.store.get(), rig.backup_raw.store.get()}) {
    Result<std::string> held = rig.sync(tier->read(k));
    if (value) {
      EXPECT_TRUE(held.ok() && *held == *value) << held.status().to_string();
    } else {
      EXPECT_TRUE(held.status().is_not_found()) << *held;
    }
  }
}

TEST_P(TierStoreOrder, AnOlderWriteThatRunsAfterANewerOneIsSkipped) {
  TierRig rig(1, kSyncBackup, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("order", "", "k");
  Task<Status> a = rig.store->write(k, "A");  // called first
  Task<Status> b = rig.store->write(k, "B");
  ASSERT_TRUE(rig.sync(std::move(b)).ok());   // B finishes first
  ASSERT_TRUE(rig.sync(std::move(a)).ok());   // A reports OK but must not apply
  EXPECT_EQ(rig.sync(rig.store->read(k)).value(), "B");
  expect_both(rig, k, "B");
  EXPECT_EQ(rig.store->metrics().stale_skipped, 1u);
  EXPECT_EQ(rig.primary.applied.size(), 1u);  // A never reached a tier
  EXPECT_EQ(rig.store->pending_call_keys(), 0u);
  EXPECT_EQ(rig.store->lock_table_size(), 0u);
}

TEST_P(TierStoreOrder, RemoveThenWriteTheWriteWinsWhicheverRunsFirst) {
  TierRig rig(2, kSyncBackup, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("order", "", "k");
  ASSERT_TRUE(rig.sync(rig.store->write(k, "old")).ok());
  Task<Status> r = rig.store->remove(k, false);
  Task<Status> w = rig.store->write(k, "new");
  ASSERT_TRUE(rig.sync(std::move(w)).ok());
  ASSERT_TRUE(rig.sync(std::move(r)).ok());
  expect_both(rig, k, "new");
  Task<Status> r2 = rig.store->remove(k, true);
  Task<Status> w2 = rig.store->write(k, "newer");
  ASSERT_TRUE(rig.sync(std::move(r2)).ok());  // in order this time
  ASSERT_TRUE(rig.sync(std::move(w2)).ok());
  expect_both(rig, k, "newer");
  EXPECT_TRUE(rig.store->idle());
}

TEST_P(TierStoreOrder, EphemeralWritesKeepCallOrderToo) {
  TierRig rig(3, kAll, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("", "", "scorer");
  Task<Status> a = rig.store->write(k, "A");
  Task<Status> b = rig.store->remove(k, false);
  Task<Status> c = rig.store->write(k, "C");
  ASSERT_TRUE(rig.sync(std::move(c)).ok());
  ASSERT_TRUE(rig.sync(std::move(a)).ok());
  ASSERT_TRUE(rig.sync(std::move(b)).ok());
  EXPECT_EQ(rig.sync(rig.ephemeral_raw.store->read(k)).value(), "C");
  EXPECT_EQ(rig.store->metrics().stale_skipped, 2u);
  EXPECT_EQ(rig.primary.mutations_seen + rig.backup.mutations_seen, 0u);
}

// B (newer) fails on backup: the caller hears "backup", B did not complete, so the older A may
// still apply, and then to both tiers: backup is never left older than primary.
TEST_P(TierStoreOrder, AFailingNewerBackupWriteNamesTheBackupAndLeavesTiersEqual) {
  TierRig rig(4, kSyncBackup, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("order", "", "k");
  Task<Status> a = rig.store->write(k, "A");
  Task<Status> b = rig.store->write(k, "B");
  rig.backup.fail_mutations = true;
  Status b_status = rig.sync(std::move(b));
  EXPECT_TRUE(b_status.is_unavailable());
  EXPECT_NE(b_status.message().find("backup"), std::string::npos) << b_status.to_string();
  EXPECT_EQ(b_status.message().find("primary:"), std::string::npos) << b_status.to_string();
  EXPECT_EQ(rig.store->metrics().backup_diverged, 1u);
  EXPECT_TRUE(rig.store->metrics().reconcile_pending);
  rig.backup.fail_mutations = false;
  ASSERT_TRUE(rig.sync(std::move(a)).ok());
  expect_both(rig, k, "A");
  rig.sync(rig.store->flush_backup());  // the repair reconcile finds nothing left to fix
  expect_both(rig, k, "A");
  EXPECT_FALSE(rig.store->metrics().reconcile_pending);
  EXPECT_TRUE(rig.store->idle());
}

TEST_P(TierStoreOrder, AFailingPrimaryIsNamedAndNothingIsAcknowledged) {
  TierRig rig(5, kSyncBackup, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("order", "", "k");
  rig.primary.fail_mutations = true;
  rig.backup.fail_mutations = true;
  Status both = rig.sync(rig.store->write(k, "v"));
  EXPECT_FALSE(both.ok());
  EXPECT_NE(both.message().find("primary"), std::string::npos) << both.to_string();
  EXPECT_NE(both.message().find("backup"), std::string::npos) << both.to_string();
  EXPECT_NE(both.message().find(k.to_string()), std::string::npos) << both.to_string();
  rig.backup.fail_mutations = false;
  Status primary_only = rig.sync(rig.store->write(k, "v"));
  EXPECT_TRUE(primary_only.is_unavailable());
  EXPECT_NE(primary_only.message().find("primary"), std::string::npos);
  rig.primary.fail_mutations = false;
  rig.sync(rig.store->flush_backup());  // reconcile removes the backup-only copy
  expect_both(rig, k, std::nullopt);
  EXPECT_TRUE(rig.store->idle());
}

// The reviewer's interleaving: w1 has written primary and waits on backup; w2 must not reach
// primary before w1's backup write finished.
TEST_P(TierStoreOrder, ReviewerInterleavingW1PrimW2PrimW2BckW1BckIsImpossible) {
  TierRig rig(6, kSyncBackup, TierRig::no_startup(), {}, backends());
  const StoreKey k = skey("order", "", "k");
  rig.backup.gate().close();
  std::optional<Status> w1, w2;
  spawn_into(rig.executor(), rig.store->write(k, "w1"), &w1);
  spawn_into(rig.executor(), rig.store->write(k, "w2"), &w2);
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return rig.backup.gate().waiting() == 1; }));
  rig.sim.executor.run_until([] { return false; });  // everything that can run, runs
  // w1 reached primary and waits at backup; w2 has not touched primary.
  ASSERT_EQ(rig.primary.applied.size(), 1u);
  EXPECT_EQ(rig.primary.applied[0].second, "w1");
  EXPECT_EQ(rig.backup.gate().waiting(), 1u);
  EXPECT_FALSE(w1.has_value());
  EXPECT_FALSE(w2.has_value());
  EXPECT_EQ(rig.store->lock_table_size(), 1u);
  rig.backup.gate().open();
  ASSERT_TRUE(rig.sim.executor.run_until([&] { return w1.has_value() && w2.has_value(); }));
  EXPECT_TRUE(w1->ok());
  EXPECT_TRUE(w2->ok());
  // Completion order is the same on both tiers: w1 then w2.
  EXPECT_EQ(rig.primary.applied, rig.backup.applied);
  ASSERT_EQ(rig.backup.applied.size(), 2u);
  EXPECT_EQ(rig.backup.applied[1].second, "w2");
  expect_both(rig, k, "w2");
  EXPECT_EQ(rig.store->lock_table_size(), 0u);
  EXPECT_EQ(rig.store->pending_call_keys(), 0u);
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, TierStoreOrder, ::testing::ValuesIn(backend_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Random same-key writes and removes with random latencies: per key, backup applies exactly
// the sequence primary applied, tiers end equal, and the store ends idle.
RC_GTEST_PROP(TierStoreOrderProperty, BackupAppliesPrimarysSequencePerKey, ()) {
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(0, 3)));
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  sim::SimExecutorOptions latencies;
  latencies.latency_us_max = 40;
  latencies.blocking_latency_us_max = 40;
  TierRig rig(seed, kSyncBackup, TierRig::no_startup(), latencies);
  std::vector<std::optional<Status>> results(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const StoreKey k = skey("race", "", "k" + std::to_string(ops[i].second));
    Task<Status> call = ops[i].first == 0 ? rig.store->remove(k, false)
                                          : rig.store->write(k, "v" + std::to_string(i));
    spawn_into(rig.executor(), std::move(call), &results[i]);
  }
  rig.sim.executor.run_until([] { return false; });
  for (const auto& r : results) RC_ASSERT(r.has_value() && r->ok());
  std::map<std::string, std::vector<std::string>> by_key_primary, by_key_backup;
  for (const auto& [key, value] : rig.primary.applied) by_key_primary[key].push_back(value);
  for (const auto& [key, value] : rig.backup.applied) by_key_backup[key].push_back(value);
  RC_ASSERT(by_key_primary == by_key_backup);
  RC_ASSERT(rig.sync(dump_store(rig.backup_raw.store.get())) ==
            rig.sync(dump_store(rig.primary_raw.store.get())));
  // The last call on each key decides its value (call order, whatever ran first).
  std::map<std::string, std::optional<std::string>> last;
  for (size_t i = 0; i < ops.size(); ++i) {
    last["k" + std::to_string(ops[i].second)] =
        ops[i].first == 0 ? std::nullopt : std::optional<std::string>("v" + std::to_string(i));
  }
  for (const auto& [name, value] : last) {
    Result<std::string> held = rig.sync(rig.store->read(skey("race", "", name)));
    const bool matches = value ? held.ok() && *held == *value : held.status().is_not_found();
    RC_ASSERT(matches);
  }
  RC_ASSERT(rig.store->idle());
}

}  // namespace
}  // namespace tierkv::testing
