// TierStore: the LDK contract checks on every tier combination over every backend (validation
// before any tier is touched, round trip, list, remove, 120-byte parts, unknown namespace),
// routing of ephemeral keys, CAS and batches, and the lock table / call-order table emptying
// once idle. The matrix: every tier shape on memory, leveldb, sqlite (on SimEnv) and lmdb (in a
// real temp dir), plus a mixed-backend rig.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

class TierContract : public ::testing::TestWithParam<TierCase> {
 protected:
  TierRig rig{11, GetParam().shape, TierRig::no_startup(), {}, GetParam().backends};
  TierStore& store = *rig.store;

  Status write(const StoreKey& k, std::string v) { return rig.sync(store.write(k, std::move(v))); }
  Result<std::string> read(const StoreKey& k) { return rig.sync(store.read(k)); }
  std::vector<std::string> list(std::string p, std::string s) {
    Result<std::vector<std::string>> keys = rig.sync(store.list(std::move(p), std::move(s)));
    EXPECT_TRUE(keys.ok()) << keys.status().to_string();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }
  void expect_idle() {
    rig.sync(store.flush_backup());
    EXPECT_TRUE(store.idle());
    EXPECT_EQ(store.lock_table_size(), 0u);
    EXPECT_EQ(store.pending_call_keys(), 0u);
  }
  uint64_t tier_calls() const {
    uint64_t n = 0;
    for (const FlakyKvStore* t : {&rig.primary, &rig.ephemeral, &rig.backup}) {
      n += t->mutations_seen + t->reads_seen + t->lists_seen;
    }
    return n;
  }
};

TEST_P(TierContract, InvalidKeysAndNamespacesAreRefusedBeforeAnyTierIsTouched) {
  const std::string part121(121, 'a');
  const std::vector<StoreKey> bad = {
      skey("p", "s", "has/slash"), skey("p", "s", "has space"), skey("p", "s", "caf\xc3\xa9"),
      skey(part121, "", "k"),      skey("p", part121, "k"),     skey("p", "s", part121),
      skey("p", "s", ""),          skey("", "s", "k"),          skey("", "", "")};
  for (const StoreKey& k : bad) {
    EXPECT_TRUE(write(k, "v").is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(read(k).status().is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(rig.sync(store.remove(k, false)).is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(rig.sync(store.compare_and_swap(k, 0, "v")).status().is_invalid_argument());
    EXPECT_TRUE(rig.sync(store.write_atomic({AtomicOp{k, "v", std::nullopt}}))
                    .status.is_invalid_argument());
  }
  for (const auto& [p, s] : std::vector<std::pair<std::string, std::string>>{
           {"a/b", ""}, {part121, ""}, {"p", part121}, {"", "s"}, {"p", "s s"}}) {
    EXPECT_TRUE(rig.sync(store.list(p, s)).status().is_invalid_argument()) << p << "/" << s;
    EXPECT_TRUE(rig.sync(store.list_page(p, s, std::nullopt)).status().is_invalid_argument());
  }
  EXPECT_EQ(tier_calls(), 0u);
  expect_idle();
}

TEST_P(TierContract, RoundTripListRemoveWith120BytePartsAndUnknownNamespace) {
  const std::string part120(120, 'z');
  const StoreKey longest = skey(part120, part120, part120);
  const StoreKey other = skey("payments", "channels", "c1");
  ASSERT_TRUE(write(longest, "long").ok());
  ASSERT_TRUE(write(other, "v1").ok());
  ASSERT_TRUE(write(other, "v2").ok());
  EXPECT_EQ(read(longest).value(), "long");
  EXPECT_EQ(read(other).value(), "v2");
  EXPECT_EQ(list(part120, part120), std::vector<std::string>{part120});
  EXPECT_EQ(list("payments", "channels"), std::vector<std::string>{"c1"});
  EXPECT_TRUE(list("unknown", "namespace").empty());
  ASSERT_TRUE(rig.sync(store.remove(other, false)).ok());
  EXPECT_TRUE(read(other).status().is_not_found());
  EXPECT_TRUE(rig.sync(store.remove(other, true)).ok());  // removing a missing key succeeds
  EXPECT_TRUE(list("payments", "channels").empty());
  expect_idle();
  if (GetParam().shape.backup) {  // backup holds exactly what primary holds
    EXPECT_EQ(rig.sync(dump_store(rig.backup_raw.store.get())),
              rig.sync(dump_store(rig.primary_raw.store.get())));
  }
}

TEST_P(TierContract, EphemeralKeysGoOnlyToTheEphemeralTierWhenThereIsOne) {
  const StoreKey graph = skey("", "", "network_graph");
  const StoreKey scorer = skey("", "", "scorer");
  const StoreKey durable = skey("", "", "manager");
  ASSERT_TRUE(write(graph, "g").ok());
  ASSERT_TRUE(write(scorer, "s").ok());
  ASSERT_TRUE(write(durable, "m").ok());
  EXPECT_EQ(read(graph).value(), "g");
  EXPECT_EQ(read(scorer).value(), "s");
  expect_idle();
  BackendKvStore& primary = *rig.primary_raw.store;
  if (GetParam().shape.ephemeral) {
    EXPECT_TRUE(rig.sync(primary.read(graph)).status().is_not_found());
    EXPECT_TRUE(rig.sync(primary.read(scorer)).status().is_not_found());
    EXPECT_TRUE(rig.sync(rig.backup_raw.store->read(graph)).status().is_not_found());
    EXPECT_EQ(rig.sync(rig.ephemeral_raw.store->read(graph)).value(), "g");
    EXPECT_TRUE(rig.sync(rig.ephemeral_raw.store->read(durable)).status().is_not_found());
  } else {  // without an ephemeral tier they are ordinary durable keys
    EXPECT_EQ(rig.sync(primary.read(graph)).value(), "g");
  }
  EXPECT_EQ(rig.sync(primary.read(durable)).value(), "m");
  if (GetParam().shape.backup) {
    EXPECT_EQ(rig.sync(rig.backup_raw.store->read(durable)).value(), "m");
  }
  // Reads and lists never consult the backup.
  EXPECT_EQ(rig.backup.reads_seen + rig.backup.lists_seen, 0u);
  EXPECT_EQ(list("", ""), (std::vector<std::string>{"manager", "network_graph", "scorer"}));
  ASSERT_TRUE(rig.sync(store.remove(graph, false)).ok());
  EXPECT_TRUE(read(graph).status().is_not_found());
  EXPECT_EQ(list("", ""), (std::vector<std::string>{"manager", "scorer"}));
  expect_idle();
}

TEST_P(TierContract, CompareAndSwapAndBatchesPassThroughAndMirrorToBackup) {
  const StoreKey k = skey("cas", "", "k");
  Result<uint64_t> v1 = rig.sync(store.compare_and_swap(k, 0, "one"));
  ASSERT_TRUE(v1.ok()) << v1.status().to_string();
  EXPECT_TRUE(rig.sync(store.compare_and_swap(k, 0, "again")).status().is_conflict());
  Result<VersionedValue> current = rig.sync(store.read_versioned(k));
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->value, "one");
  EXPECT_EQ(current->version, *v1);
  ASSERT_TRUE(rig.sync(store.compare_and_swap(k, *v1, "two")).ok());
  const StoreKey a = skey("cas", "", "a");
  AtomicResult conflicted = rig.sync(store.write_atomic(
      {AtomicOp{a, "A", uint64_t{0}}, AtomicOp{k, std::nullopt, *v1}}));  // v1 is stale
  EXPECT_TRUE(conflicted.status.is_conflict());
  EXPECT_EQ(conflicted.conflicts, std::vector<StoreKey>{k});
  EXPECT_TRUE(read(a).status().is_not_found());  // nothing of the batch was written
  AtomicResult applied = rig.sync(store.write_atomic(
      {AtomicOp{a, "A", uint64_t{0}}, AtomicOp{k, std::nullopt, std::nullopt}}));
  ASSERT_TRUE(applied.status.ok()) << applied.status.to_string();
  EXPECT_EQ(read(a).value(), "A");
  EXPECT_TRUE(read(k).status().is_not_found());
  if (GetParam().shape.ephemeral) {
    AtomicResult mixed = rig.sync(store.write_atomic(
        {AtomicOp{a, "x", std::nullopt}, AtomicOp{skey("", "", "scorer"), "s", std::nullopt}}));
    EXPECT_TRUE(mixed.status.is_not_supported()) << mixed.status.to_string();
    EXPECT_NE(mixed.status.message().find("ephemeral"), std::string::npos);
  }
  expect_idle();
  if (GetParam().shape.backup) {
    EXPECT_EQ(rig.sync(dump_store(rig.backup_raw.store.get())),
              rig.sync(dump_store(rig.primary_raw.store.get())));
  }
}

std::vector<TierCase> every_case() {
  const std::vector<TierShape> shapes = {
      TierShape{false, false, BackupMode::kSync}, TierShape{true, false, BackupMode::kSync},
      TierShape{false, true, BackupMode::kSync},  TierShape{false, true, BackupMode::kAsync},
      TierShape{true, true, BackupMode::kSync},   TierShape{true, true, BackupMode::kAsync}};
  std::vector<TierCase> cases;
  for (const std::string& backend : backend_names()) {
    for (const TierShape& shape : shapes) cases.push_back({TierBackends::all(backend), shape});
  }
  // A realistic mix: LSM primary, B-tree backup, in-memory ephemeral tier.
  cases.push_back({TierBackends{"leveldb", "memory", "lmdb"}, shapes[4]});
  cases.push_back({TierBackends{"sqlite", "memory", "leveldb"}, shapes[5]});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryBackendAndCombination, TierContract,
                         ::testing::ValuesIn(every_case()),
                         [](const ::testing::TestParamInfo<TierCase>& info) {
                           return info.param.name();
                         });

// A store whose tiers cannot do CAS answers NotSupported naming the tier.
TEST(TierStoreCapabilities, CasOnATierWithoutItIsRefusedNamingTheTier) {
  struct PlainStore final : KvStore {
    Task<Result<std::string>> read(StoreKey) override { co_return Status::not_found("none"); }
    Task<Status> write(StoreKey, std::string) override { co_return Status::ok_status(); }
    Task<Status> remove(StoreKey, bool) override { co_return Status::ok_status(); }
    Task<Result<std::vector<std::string>>> list(std::string, std::string) override {
      co_return std::vector<std::string>{};
    }
    Task<Result<ListPage>> list_page(std::string, std::string,
                                     std::optional<std::string>) override {
      co_return ListPage{};
    }
  };
  SimRig sim(3);
  PlainStore plain;
  TierStore store(sim.executor, TierStoreTiers{&plain, nullptr, nullptr});
  Result<uint64_t> cas = sim.sync(store.compare_and_swap(skey("p", "", "k"), 0, "v"));
  EXPECT_TRUE(cas.status().is_not_supported());
  EXPECT_NE(cas.status().message().find("primary tier"), std::string::npos)
      << cas.status().to_string();
  AtomicResult batch = sim.sync(store.write_atomic({AtomicOp{skey("p", "", "k"), "v", {}}}));
  EXPECT_TRUE(batch.status.is_not_supported());
  EXPECT_NE(batch.status.message().find("primary tier"), std::string::npos);
  EXPECT_TRUE(sim.sync(store.read_versioned(skey("p", "", "k"))).status().is_not_supported());
  EXPECT_TRUE(store.idle());
}

// A backup that cannot enumerate its keys: reconcile says so instead of retrying for ever, and
// the background mirror gives up on it (flush_backup returns, the store goes idle).
TEST(TierStoreCapabilities, ReconcileOverATierWithoutListNamespacesIsNotSupported) {
  struct NoEnumeration final : KvStore {
    explicit NoEnumeration(KvStore& inner) : inner_(inner) {}
    Task<Result<std::string>> read(StoreKey k) override { return inner_.read(std::move(k)); }
    Task<Status> write(StoreKey k, std::string v) override {
      return inner_.write(std::move(k), std::move(v));
    }
    Task<Status> remove(StoreKey k, bool lazy) override { return inner_.remove(std::move(k), lazy); }
    Task<Result<std::vector<std::string>>> list(std::string p, std::string s) override {
      return inner_.list(std::move(p), std::move(s));
    }
    Task<Result<ListPage>> list_page(std::string p, std::string s,
                                     std::optional<std::string> t) override {
      return inner_.list_page(std::move(p), std::move(s), std::move(t));
    }
    KvStore& inner_;
  };
  SimRig sim(4);
  MemoryStore primary(sim.executor), backup_mem(sim.executor);
  NoEnumeration backup(*backup_mem.store);
  TierStore store(sim.executor, TierStoreTiers{primary.store.get(), nullptr, &backup});
  sim.sync(store.flush_backup());  // the start-up reconcile gives up instead of looping
  EXPECT_EQ(store.metrics().reconcile_unsupported, 1u);
  EXPECT_TRUE(store.idle());
  Status st = sim.sync(store.reconcile());
  EXPECT_TRUE(st.is_not_supported()) << st.to_string();
  EXPECT_NE(st.message().find("backup"), std::string::npos) << st.to_string();
  // Writes still go to both tiers.
  ASSERT_TRUE(sim.sync(store.write(skey("p", "", "k"), "v")).ok());
  EXPECT_EQ(sim.sync(backup_mem.store->read(skey("p", "", "k"))).value(), "v");
}

}  // namespace
}  // namespace tierkv::testing
