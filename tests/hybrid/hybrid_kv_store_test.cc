// HybridKvStore: routing of every call by primary namespace, list_namespaces merged from both
// sides, refusal of batches spanning both sides, record versions and page walks per side, a
// power cut, and TierStore with a HybridKvStore primary (LevelDB LSM side + SQLite B-tree side,
// both BackendKvStores on SimEnv).
#include "engine/hybrid/hybrid_kv_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_store.h"
#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

// "app" (and "logs") -> LSM; every other primary namespace ("", "mon", ...) -> B-tree.
HybridKvConfig test_routes() {
  HybridKvConfig config;
  config.routes = {{"app", HybridSide::kLsm}, {"logs", HybridSide::kLsm}};
  config.default_side = HybridSide::kBtree;
  return config;
}

class HybridKvStoreTest : public ::testing::Test {
 protected:
  HybridKvStoreTest() { open(); }
  ~HybridKvStoreTest() override {
    rig_.executor.shutdown();
    close();
  }
  void open() {
    lsm_ = std::make_unique<BackendStore>("leveldb", rig_.executor, env_, rig_.clock, "", "/lsm");
    btree_ =
        std::make_unique<BackendStore>("sqlite", rig_.executor, env_, rig_.clock, "", "/btree");
    store_ = std::make_unique<HybridKvStore>(*lsm_->store, *btree_->store, test_routes());
  }
  void close() {
    store_.reset();
    lsm_.reset();
    btree_.reset();
  }
  KvStore& side(HybridSide which) { return store_->side(which); }
  Status write(const StoreKey& key, std::string value) {
    return rig_.sync(store_->write(key, std::move(value)));
  }
  bool on_side(HybridSide which, const StoreKey& key) {
    return rig_.sync(side(which).read(key)).ok();
  }
  static HybridSide other(HybridSide which) {
    return which == HybridSide::kLsm ? HybridSide::kBtree : HybridSide::kLsm;
  }

  SimRig rig_{11};
  sim::SimEnv env_{rig_.prng, rig_.trace};
  std::unique_ptr<BackendStore> lsm_, btree_;
  std::unique_ptr<HybridKvStore> store_;
};

TEST_F(HybridKvStoreTest, EveryCallOfANamespacePairGoesToItsSideOnly) {
  EXPECT_EQ(store_->route("app"), HybridSide::kLsm);
  EXPECT_EQ(store_->route("mon"), HybridSide::kBtree);
  EXPECT_EQ(store_->route(""), HybridSide::kBtree);
  const StoreKey keys[] = {skey("app", "", "a"), skey("app", "cfg", "b"), skey("mon", "x", "c"),
                           skey("", "", "d"), skey("logs", "y", "e")};
  for (const StoreKey& key : keys) {
    ASSERT_TRUE(write(key, "v-" + key.key).ok()) << key.to_string();
    const HybridSide want = store_->route(key.primary_namespace);
    EXPECT_TRUE(on_side(want, key)) << key.to_string();
    EXPECT_FALSE(on_side(other(want), key)) << key.to_string() << " must live on one side only";
    EXPECT_EQ(rig_.sync(store_->read(key)).value(), "v-" + key.key);
  }
  // list and list_page of a pair answer from its side.
  EXPECT_EQ(rig_.sync(store_->list("app", "cfg")).value(), std::vector<std::string>{"b"});
  EXPECT_EQ(rig_.sync(store_->list("mon", "x")).value(), std::vector<std::string>{"c"});
  EXPECT_EQ(rig_.sync(store_->list_page("", "", std::nullopt)).value().keys,
            std::vector<std::string>{"d"});
  // remove goes to the key's side.
  ASSERT_TRUE(rig_.sync(store_->remove(skey("mon", "x", "c"), false)).ok());
  EXPECT_TRUE(rig_.sync(store_->read(skey("mon", "x", "c"))).status().is_not_found());
  EXPECT_TRUE(rig_.sync(side(HybridSide::kBtree).list("mon", "x")).value().empty());
  // A bad key is the side's InvalidArgument, nothing written anywhere.
  EXPECT_TRUE(write(skey("app", "", "bad/key"), "v").is_invalid_argument());
  EXPECT_TRUE(write(skey("mon", "", ""), "v").is_invalid_argument());
}

TEST_F(HybridKvStoreTest, ListNamespacesMergesBothSidesAscendingEachPairOnce) {
  for (const StoreKey& key :
       {skey("mon", "x", "1"), skey("app", "", "1"), skey("app", "", "2"), skey("", "", "1"),
        skey("zed", "", "1"), skey("logs", "y", "1"), skey("app", "cfg", "1")}) {
    ASSERT_TRUE(write(key, "v").ok());
  }
  const std::vector<NamespacePair> want = {{"", ""},      {"app", ""},  {"app", "cfg"},
                                           {"logs", "y"}, {"mon", "x"}, {"zed", ""}};
  EXPECT_EQ(rig_.sync(store_->list_namespaces()).value(), want);
  // Each side holds only its own pairs.
  EXPECT_EQ(rig_.sync(side(HybridSide::kLsm).list_namespaces()).value(),
            (std::vector<NamespacePair>{{"app", ""}, {"app", "cfg"}, {"logs", "y"}}));
  EXPECT_EQ(rig_.sync(side(HybridSide::kBtree).list_namespaces()).value(),
            (std::vector<NamespacePair>{{"", ""}, {"mon", "x"}, {"zed", ""}}));
}

TEST_F(HybridKvStoreTest, BatchesOnOneSideApplyAndBatchesSpanningBothAreRefusedWritingNothing) {
  ASSERT_TRUE(write(skey("mon", "x", "old"), "before").ok());
  // One side (LSM): applied as a unit.
  AtomicResult lsm_batch =
      rig_.sync(store_->write_atomic({AtomicOp{skey("app", "", "a"), "1", std::nullopt},
                                      AtomicOp{skey("logs", "y", "b"), "2", 0}}));
  ASSERT_TRUE(lsm_batch.status.ok()) << lsm_batch.status.to_string();
  EXPECT_EQ(rig_.sync(side(HybridSide::kLsm).read(skey("logs", "y", "b"))).value(), "2");
  // One side (B-tree), with a failed precondition: Conflict naming the key, nothing written.
  AtomicResult conflict =
      rig_.sync(store_->write_atomic({AtomicOp{skey("mon", "x", "new"), "3", std::nullopt},
                                      AtomicOp{skey("mon", "x", "old"), "4", 0}}));
  EXPECT_TRUE(conflict.status.is_conflict()) << conflict.status.to_string();
  ASSERT_EQ(conflict.conflicts.size(), 1u);
  EXPECT_EQ(conflict.conflicts[0], skey("mon", "x", "old"));
  EXPECT_TRUE(rig_.sync(store_->read(skey("mon", "x", "new"))).status().is_not_found());
  // Both sides: refused, naming a key of each side, nothing written on either.
  AtomicResult spanning =
      rig_.sync(store_->write_atomic({AtomicOp{skey("app", "", "c"), "5", std::nullopt},
                                      AtomicOp{skey("app", "", "a"), std::nullopt, std::nullopt},
                                      AtomicOp{skey("mon", "x", "old"), "6", std::nullopt}}));
  EXPECT_TRUE(spanning.status.is_invalid_argument()) << spanning.status.to_string();
  EXPECT_NE(spanning.status.message().find("app//c"), std::string::npos)
      << spanning.status.to_string();
  EXPECT_NE(spanning.status.message().find("mon/x/old"), std::string::npos)
      << spanning.status.to_string();
  EXPECT_NE(spanning.status.message().find("lsm"), std::string::npos);
  EXPECT_NE(spanning.status.message().find("btree"), std::string::npos);
  EXPECT_TRUE(rig_.sync(store_->read(skey("app", "", "c"))).status().is_not_found());
  EXPECT_EQ(rig_.sync(store_->read(skey("app", "", "a"))).value(), "1");
  EXPECT_EQ(rig_.sync(store_->read(skey("mon", "x", "old"))).value(), "before");
}

TEST_F(HybridKvStoreTest, VersionsGrowPerKeyOnEachSideAcrossRemoveAndRecreate) {
  for (const StoreKey& key : {skey("app", "", "k"), skey("mon", "x", "k")}) {
    SCOPED_TRACE(key.to_string());
    // Insert-if-absent, then CAS against the version read, then remove and re-create.
    const uint64_t v1 = rig_.sync(store_->compare_and_swap(key, 0, "a")).value();
    EXPECT_TRUE(rig_.sync(store_->compare_and_swap(key, 0, "b")).status().is_conflict());
    VersionedValue read = rig_.sync(store_->read_versioned(key)).value();
    EXPECT_EQ(read.value, "a");
    EXPECT_EQ(read.version, v1);
    const uint64_t v2 = rig_.sync(store_->compare_and_swap(key, v1, "c")).value();
    EXPECT_GT(v2, v1);
    ASSERT_TRUE(rig_.sync(store_->remove(key, false)).ok());
    EXPECT_TRUE(rig_.sync(store_->compare_and_swap(key, v2, "d")).status().is_conflict());
    const uint64_t v3 = rig_.sync(store_->compare_and_swap(key, 0, "e")).value();
    EXPECT_GT(v3, v2) << "no ABA across remove + re-create";
    EXPECT_EQ(
        rig_.sync(side(store_->route(key.primary_namespace)).read_versioned(key)).value().version,
        v3);
  }
}

TEST_F(HybridKvStoreTest, PageWalksStayOnTheirSideNewestFirstAndSurviveAPowerCut) {
  // 70 keys in a LSM pair, 60 in a B-tree pair: more than one page each.
  for (int i = 0; i < 70; ++i)
    ASSERT_TRUE(write(skey("app", "", "k" + std::to_string(i)), "v").ok());
  for (int i = 0; i < 60; ++i)
    ASSERT_TRUE(write(skey("mon", "x", "k" + std::to_string(i)), "v").ok());
  const auto walk = [&](const std::string& p, const std::string& s) {
    std::vector<std::string> keys;
    std::optional<std::string> token;
    size_t pages = 0;
    do {
      ListPage page = rig_.sync(store_->list_page(p, s, token)).value();
      EXPECT_LE(page.keys.size(), kListPageSizeMax);
      keys.insert(keys.end(), page.keys.begin(), page.keys.end());
      token = page.next_token;
      ++pages;
    } while (token.has_value() && pages < 100);
    return keys;
  };
  for (const auto& [p, s, n] :
       {std::tuple<std::string, std::string, int>{"app", "", 70}, {"mon", "x", 60}}) {
    std::vector<std::string> keys = walk(p, s);
    ASSERT_EQ(keys.size(), static_cast<size_t>(n)) << p;
    EXPECT_EQ(keys.front(), "k" + std::to_string(n - 1)) << "newest-created first";
    EXPECT_EQ(keys.back(), "k0");
    std::set<std::string> unique(keys.begin(), keys.end());
    std::vector<std::string> listed = rig_.sync(store_->list(p, s)).value();
    EXPECT_EQ(std::vector<std::string>(unique.begin(), unique.end()), listed);
  }
  // Power cut: both sides synced every acknowledged write; reopened, everything is there.
  rig_.executor.shutdown();
  close();
  env_.crash();
  open();
  EXPECT_EQ(walk("app", "").size(), 70u);
  EXPECT_EQ(walk("mon", "x").size(), 60u);
  EXPECT_EQ(rig_.sync(store_->list_namespaces()).value(),
            (std::vector<NamespacePair>{{"app", ""}, {"mon", "x"}}));
}

// TierStore with a HybridKvStore primary, a memory backup and a memory ephemeral tier.
class TierOverHybridTest : public HybridKvStoreTest {
 protected:
  TierOverHybridTest() {
    TierStoreTiers tiers{store_.get(), ephemeral_.store.get(), backup_.store.get()};
    TierStoreOptions options;
    options.reconcile_at_start = false;
    tier_ = std::make_unique<TierStore>(rig_.executor, tiers, std::move(options));
  }
  ~TierOverHybridTest() override {
    rig_.executor.shutdown();
    tier_.reset();
  }
  MemoryStore ephemeral_{rig_.executor};
  MemoryStore backup_{rig_.executor};
  std::unique_ptr<TierStore> tier_;
};

TEST_F(TierOverHybridTest, TierStoreWritesReadsListsWalksCasAndBatchesOverTheHybridPrimary) {
  TierStore& tier = *tier_;
  for (int i = 0; i < 55; ++i) {
    ASSERT_TRUE(
        rig_.sync(tier.write(skey("app", "", "k" + std::to_string(i)), "a" + std::to_string(i)))
            .ok());
  }
  ASSERT_TRUE(rig_.sync(tier.write(skey("mon", "x", "m"), "mv")).ok());
  ASSERT_TRUE(rig_.sync(tier.write(skey("", "", "scorer"), "eph")).ok());  // ephemeral tier
  ASSERT_TRUE(rig_.sync(tier.write(skey("", "", "r"), "root")).ok());      // durable, B-tree
  EXPECT_TRUE(on_side(HybridSide::kLsm, skey("app", "", "k3")));
  EXPECT_TRUE(on_side(HybridSide::kBtree, skey("mon", "x", "m")));
  EXPECT_TRUE(on_side(HybridSide::kBtree, skey("", "", "r")));
  EXPECT_FALSE(on_side(HybridSide::kBtree, skey("", "", "scorer")));
  EXPECT_EQ(rig_.sync(tier.read(skey("app", "", "k7"))).value(), "a7");
  EXPECT_EQ(rig_.sync(tier.list("", "")).value(), (std::vector<std::string>{"r", "scorer"}));
  // A page walk of a LSM pair: two pages, newest first, each key once.
  ListPage first = rig_.sync(tier.list_page("app", "", std::nullopt)).value();
  ASSERT_EQ(first.keys.size(), kListPageSizeMax);
  EXPECT_EQ(first.keys.front(), "k54");
  ASSERT_TRUE(first.next_token.has_value());
  ListPage second = rig_.sync(tier.list_page("app", "", first.next_token)).value();
  EXPECT_EQ(second.keys.size(), 5u);
  EXPECT_FALSE(second.next_token.has_value());
  EXPECT_EQ(second.keys.back(), "k0");
  // CAS through the tier.
  VersionedValue m = rig_.sync(tier.read_versioned(skey("mon", "x", "m"))).value();
  EXPECT_TRUE(rig_.sync(tier.compare_and_swap(skey("mon", "x", "m"), m.version + 1, "no"))
                  .status()
                  .is_conflict());
  EXPECT_TRUE(rig_.sync(tier.compare_and_swap(skey("mon", "x", "m"), m.version, "mv2")).ok());
  // An atomic batch on one side applies (and reaches the backup); one spanning both sides is
  // refused by the primary and reaches neither tier.
  AtomicResult one_side =
      rig_.sync(tier.write_atomic({AtomicOp{skey("mon", "x", "b1"), "1", std::nullopt},
                                   AtomicOp{skey("", "", "b2"), "2", std::nullopt}}));
  ASSERT_TRUE(one_side.status.ok()) << one_side.status.to_string();
  EXPECT_EQ(rig_.sync(backup_.store->read(skey("", "", "b2"))).value(), "2");
  AtomicResult spanning =
      rig_.sync(tier.write_atomic({AtomicOp{skey("app", "", "s1"), "1", std::nullopt},
                                   AtomicOp{skey("mon", "x", "s2"), "2", std::nullopt}}));
  EXPECT_TRUE(spanning.status.is_invalid_argument()) << spanning.status.to_string();
  for (const StoreKey& key : {skey("app", "", "s1"), skey("mon", "x", "s2")}) {
    EXPECT_TRUE(rig_.sync(tier.read(key)).status().is_not_found()) << key.to_string();
    EXPECT_TRUE(rig_.sync(backup_.store->read(key)).status().is_not_found()) << key.to_string();
  }
  // The backup holds exactly the primary's durable keys: reconcile walks the merged namespaces.
  ASSERT_TRUE(rig_.sync(tier.reconcile()).ok());
  EXPECT_EQ(rig_.sync(dump_store(store_.get())), rig_.sync(dump_store(backup_.store.get())));
  EXPECT_EQ(rig_.sync(dump_store(store_.get())).size(), 3u);  // ("",""), ("app",""), ("mon","x")
}

}  // namespace
}  // namespace tierkv::testing
