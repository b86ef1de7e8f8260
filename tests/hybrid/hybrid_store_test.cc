// HybridStore: the Backend contract suite (leveldb + sqlite on SimEnv; leveldb + lmdb on
// PosixEnv and a real directory when PosixEnv is built), plus routing by tag, merged scans,
// refusal of cross-backend batches, fetch_add_u64, CAS on both sides, checkpoint layout and
// error context.
#include <gtest/gtest.h>

#include "engine/hybrid/hybrid_store.h"
#include "tests/backends/backend_contract.h"
#include "tests/backends/backend_harness.h"

namespace tierkv::testing {
namespace {

// test_key() tags keys "a/", "b/", "c/": a and c live in the B-tree backend, the rest in the LSM.
HybridConfig test_config(std::string btree_backend) {
  HybridConfig config;
  config.lsm_backend = "leveldb";
  config.btree_backend = std::move(btree_backend);
  config.routes = {{"a", HybridSide::kBtree}, {"c", HybridSide::kBtree}, {"b", HybridSide::kLsm}};
  config.default_side = HybridSide::kLsm;
  return config;
}

template <EnvKind kEnv>
struct HybridHarness : HarnessBase {
  static constexpr bool kDurable = true;
  static constexpr bool kNotFoundNamesKey = true;
  HybridHarness() : HarnessBase(kEnv) {}
  Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& o) override {
    return as_backend(HybridStore::open(o, test_config(kEnv == EnvKind::kSim ? "sqlite" : "lmdb")));
  }
  // Batches in the suite use "b/" keys: the LSM side, on the failing Env.
  FailureLane lane() const override { return FailureLane::kEnvWrite; }
};

using HybridSimHarness = HybridHarness<EnvKind::kSim>;
using HybridPosixHarness = HybridHarness<EnvKind::kPosix>;

using Harnesses = ::testing::Types<HybridSimHarness
#if TIERKV_HAVE_POSIX_ENV
                                   , HybridPosixHarness
#endif
                                   >;
INSTANTIATE_TYPED_TEST_SUITE_P(Hybrid, BackendContract, Harnesses);

class HybridStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BackendOptions options{env_.env(), nullptr, env_.path("h"), true, 1};
    Result<std::unique_ptr<HybridStore>> store = HybridStore::open(options, test_config("sqlite"));
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    store_ = std::move(*store);
  }
  bool on_side(HybridSide side, const std::string& key) {
    return store_->side(side).get(key).ok();
  }

  HybridSimHarness env_;
  std::unique_ptr<HybridStore> store_;
};

TEST_F(HybridStoreTest, RoutesEachKeyByItsTag) {
  EXPECT_EQ(HybridStore::tag_of("votes/42/x", '/'), "votes");
  EXPECT_EQ(HybridStore::tag_of("untagged", '/'), "untagged");
  EXPECT_EQ(HybridStore::tag_of("/lead", '/'), "");
  for (const std::string key : {"a/1", "c/9", "b/2", "zz/3", "untagged"}) {
    ASSERT_TRUE(store_->put(key, "v").ok());
    const HybridSide want = (key[0] == 'a' || key[0] == 'c') && key[1] == '/' ? HybridSide::kBtree
                                                                              : HybridSide::kLsm;
    EXPECT_EQ(store_->route(key), want) << key;
    EXPECT_TRUE(on_side(want, key)) << key;
    EXPECT_FALSE(on_side(want == HybridSide::kLsm ? HybridSide::kBtree : HybridSide::kLsm, key))
        << key << " must live on one side only";
  }
}

TEST_F(HybridStoreTest, ScansMergeBothSidesInKeyOrder) {
  Model model;
  for (uint64_t i = 0; i < 90; ++i) {
    ASSERT_TRUE(store_->put(test_key(i), test_value(i)).ok());
    model[test_key(i)] = test_value(i);
  }
  for (size_t limit : {0, 1, 5, 31, 200}) {
    Result<std::vector<KeyValue>> got = store_->scan(KeyRange{"a/00000010", "c/00000050"}, limit);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, model_scan(model, KeyRange{"a/00000010", "c/00000050"}, limit));
  }
  Result<std::vector<KeyValue>> all = store_->scan_prefix("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 90u);
}

TEST_F(HybridStoreTest, BatchesSpanningBothBackendsAreRefusedWhole) {
  WriteBatch batch;
  batch.put("b/lsm", "1");
  batch.put("a/btree", "2");
  Status refused = store_->write(batch);
  EXPECT_TRUE(refused.is_invalid_argument()) << refused.to_string();
  EXPECT_NE(refused.message().find("a/btree"), std::string::npos) << refused.to_string();
  EXPECT_TRUE(store_->get("b/lsm").status().is_not_found());
  EXPECT_TRUE(store_->get("a/btree").status().is_not_found());
  WriteBatch one_side;
  one_side.put("a/x", "1");
  one_side.put("c/y", "2");  // another tag, same side: allowed
  EXPECT_TRUE(store_->write(one_side).ok());
  EXPECT_EQ(*store_->get("c/y"), "2");
}

TEST_F(HybridStoreTest, FetchAddCountsOnBothSides) {
  for (const std::string key : {"a/counter", "b/counter"}) {
    EXPECT_EQ(*store_->fetch_add_u64(key, 5), 0u) << "a missing counter starts at 0";
    EXPECT_EQ(*store_->fetch_add_u64(key, 7), 5u);
    EXPECT_EQ(*store_->fetch_add_u64(key, 0), 12u);
    EXPECT_EQ(*store_->fetch_add_u64(key, UINT64_MAX), 12u);  // wraps modulo 2^64
    EXPECT_EQ(*store_->fetch_add_u64(key, 0), 11u);
  }
  ASSERT_TRUE(store_->put("a/text", "not a counter").ok());
  Result<uint64_t> bad = store_->fetch_add_u64("a/text", 1);
  EXPECT_TRUE(bad.status().is_corruption());
  EXPECT_NE(bad.status().message().find("a/text"), std::string::npos);
  EXPECT_EQ(*store_->get("a/text"), "not a counter") << "a refused add changes nothing";
}

TEST_F(HybridStoreTest, CompareAndSwapOnBothSides) {
  for (const std::string key : {"c/cas", "b/cas"}) {
    EXPECT_TRUE(store_->compare_and_swap(key, std::nullopt, "v1").ok()) << "create if missing";
    EXPECT_TRUE(store_->compare_and_swap(key, std::nullopt, "v2").is_conflict());
    Status stale = store_->compare_and_swap(key, "old", "v2");
    EXPECT_TRUE(stale.is_conflict());
    EXPECT_NE(stale.message().find(key), std::string::npos);
    EXPECT_EQ(*store_->get(key), "v1");
    EXPECT_TRUE(store_->compare_and_swap(key, "v1", "v2").ok());
    EXPECT_EQ(*store_->get(key), "v2");
    EXPECT_TRUE(store_->compare_and_swap(key, "v2", std::nullopt).ok()) << "delete";
    EXPECT_TRUE(store_->get(key).status().is_not_found());
  }
}

TEST_F(HybridStoreTest, CheckpointHoldsOneDirectoryPerSide) {
  ASSERT_TRUE(store_->put("a/1", "btree").ok());
  ASSERT_TRUE(store_->put("b/1", "lsm").ok());
  const std::string dir = env_.path("ckpt");
  ASSERT_TRUE(store_->checkpoint(dir).ok());
  EXPECT_TRUE(env_.env()->dir_exists(dir + "/" + kHybridLsmDir));
  EXPECT_TRUE(env_.env()->dir_exists(dir + "/" + kHybridBtreeDir));
  BackendOptions options{env_.env(), nullptr, dir, true, 1};
  Result<std::unique_ptr<HybridStore>> copy = HybridStore::open(options, test_config("sqlite"));
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*(*copy)->get("a/1"), "btree");
  EXPECT_EQ(*(*copy)->get("b/1"), "lsm");
  EXPECT_TRUE((*copy)->side(HybridSide::kLsm).get("a/1").status().is_not_found());
}

TEST(HybridStore, ErrorsOnOneSideNameThatSide) {
  MemoryHarness memory;
  Result<std::unique_ptr<Backend>> lsm = memory.open(memory.path("l"));
  Result<std::unique_ptr<Backend>> btree = memory.open(memory.path("b"));
  ASSERT_TRUE(lsm.ok() && btree.ok());
  auto faulty = std::make_unique<FaultInjectingBackend>(
      std::move(*btree), [](std::string_view, std::string_view) {
        return Status::io_error("btree disk gone");
      });
  HybridStore store(std::move(*lsm), std::move(faulty), test_config("memory"));
  EXPECT_TRUE(store.put("b/fine", "1").ok()) << "the healthy side keeps working";
  Result<std::vector<KeyValue>> scan = store.scan_prefix("");
  EXPECT_TRUE(scan.status().is_io_error());
  EXPECT_NE(scan.status().message().find("btree side"), std::string::npos)
      << scan.status().to_string();
  EXPECT_TRUE(store.put("a/broken", "1").is_io_error());
}

TEST(HybridStore, UnknownBackendNameIsRefusedClearly) {
  MemoryHarness memory;
  BackendOptions options{memory.env(), nullptr, memory.path("h"), true, 1};
  HybridConfig config = test_config("btreedb");
  Result<std::unique_ptr<HybridStore>> store = HybridStore::open(options, config);
  EXPECT_TRUE(store.status().is_invalid_argument());
  EXPECT_NE(store.status().message().find("btreedb"), std::string::npos)
      << store.status().to_string();
}

}  // namespace
}  // namespace tierkv::testing
