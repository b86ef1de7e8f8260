// BackendKvStore: record versions (read_versioned, compare_and_swap, write_atomic), the
// persisted sequence counter across reopen, corrupt records, namespace enumeration, and page
// walks under concurrent change (RapidCheck).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "engine/tier/backend_layout.h"
#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

TEST(BackendKvStoreVersions, CompareAndSwapInsertsIfAbsentAndConflictsOnMismatch) {
  SimRig rig(3);
  MemoryStore mem(rig.executor);
  const StoreKey k = skey("ns", "", "cas");
  Result<uint64_t> v1 = rig.sync(mem.store->compare_and_swap(k, 0, "one"));
  ASSERT_TRUE(v1.ok()) << v1.status().to_string();
  EXPECT_TRUE(rig.sync(mem.store->compare_and_swap(k, 0, "again")).status().is_conflict());
  Result<VersionedValue> got = rig.sync(mem.store->read_versioned(k));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->value, "one");
  EXPECT_EQ(got->version, *v1);
  Result<uint64_t> v2 = rig.sync(mem.store->compare_and_swap(k, *v1, "two"));
  ASSERT_TRUE(v2.ok());
  EXPECT_GT(*v2, *v1);
  Result<uint64_t> stale = rig.sync(mem.store->compare_and_swap(k, *v1, "three"));
  EXPECT_TRUE(stale.status().is_conflict());
  EXPECT_NE(stale.status().message().find(k.to_string()), std::string::npos);
  // Remove and re-create: the version keeps growing, so an old token can never match again.
  ASSERT_TRUE(rig.sync(mem.store->remove(k, false)).ok());
  EXPECT_TRUE(rig.sync(mem.store->read_versioned(k)).status().is_not_found());
  ASSERT_TRUE(rig.sync(mem.store->write(k, "reborn")).ok());
  EXPECT_GT(rig.sync(mem.store->read_versioned(k))->version, *v2);
  EXPECT_TRUE(rig.sync(mem.store->compare_and_swap(k, *v2, "x")).status().is_conflict());
}

TEST(BackendKvStoreVersions, WriteAtomicIsAllOrNothingAndNamesConflicts) {
  SimRig rig(4);
  MemoryStore mem(rig.executor);
  const StoreKey a = skey("ns", "", "a"), b = skey("ns", "", "b"), c = skey("ns", "", "c");
  ASSERT_TRUE(rig.sync(mem.store->write(a, "a0")).ok());
  const uint64_t a_version = rig.sync(mem.store->read_versioned(a))->version;
  // b expected absent but c is not: conflict on c, nothing written.
  ASSERT_TRUE(rig.sync(mem.store->write(c, "c0")).ok());
  AtomicResult refused = rig.sync(mem.store->write_atomic(
      {{a, "a1", a_version}, {b, "b1", 0}, {c, std::nullopt, 0}}));
  EXPECT_TRUE(refused.status.is_conflict());
  EXPECT_EQ(refused.conflicts, std::vector<StoreKey>{c});
  EXPECT_EQ(rig.sync(mem.store->read(a)).value(), "a0");
  EXPECT_TRUE(rig.sync(mem.store->read(b)).status().is_not_found());
  // All preconditions hold: every op applies (c removed, b created, a updated).
  const uint64_t c_version = rig.sync(mem.store->read_versioned(c))->version;
  AtomicResult done = rig.sync(mem.store->write_atomic(
      {{a, "a1", a_version}, {b, "b1", 0}, {c, std::nullopt, c_version}}));
  ASSERT_TRUE(done.status.ok()) << done.status.to_string();
  EXPECT_EQ(rig.sync(mem.store->read(a)).value(), "a1");
  EXPECT_EQ(rig.sync(mem.store->read(b)).value(), "b1");
  EXPECT_TRUE(rig.sync(mem.store->read(c)).status().is_not_found());
  // A key twice in one batch, or a bad key, is refused before anything is written.
  AtomicResult dup = rig.sync(mem.store->write_atomic({{a, "x", std::nullopt}, {a, "y", std::nullopt}}));
  EXPECT_TRUE(dup.status.is_invalid_argument());
  AtomicResult bad = rig.sync(mem.store->write_atomic({{a, "x", std::nullopt}, {skey("", "s", "k"), "y", std::nullopt}}));
  EXPECT_TRUE(bad.status.is_invalid_argument());
  EXPECT_EQ(rig.sync(mem.store->read(a)).value(), "a1");
  EXPECT_EQ(mem.store->lock_table_size(), 0u);
}

TEST(BackendKvStoreVersions, ReopeningContinuesTheSequenceSoCreationOrderHolds) {
  SimRig rig(5);
  MemoryStore mem(rig.executor);
  ASSERT_TRUE(rig.sync(mem.store->write(skey("ns", "", "old1"), "v")).ok());
  ASSERT_TRUE(rig.sync(mem.store->write(skey("ns", "", "old2"), "v")).ok());
  const uint64_t old_version = rig.sync(mem.store->read_versioned(skey("ns", "", "old2")))->version;
  mem.store = std::make_unique<BackendKvStore>(*mem.backend, rig.executor);  // a restart
  ASSERT_TRUE(rig.sync(mem.store->write(skey("ns", "", "new"), "v")).ok());
  EXPECT_GT(rig.sync(mem.store->read_versioned(skey("ns", "", "new")))->version, old_version);
  Result<ListPage> page = rig.sync(mem.store->list_page("ns", "", std::nullopt));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->keys, (std::vector<std::string>{"new", "old2", "old1"}));
}

TEST(BackendKvStoreVersions, ACorruptRecordIsReportedNamingTheKeyAndOthersStillRead) {
  SimRig rig(6);
  MemoryStore mem(rig.executor);
  const StoreKey good = skey("ns", "", "good"), bad = skey("ns", "", "bad");
  ASSERT_TRUE(rig.sync(mem.store->write(good, "fine")).ok());
  ASSERT_TRUE(rig.sync(mem.store->write(bad, "will rot")).ok());
  std::string bytes = mem.backend->get(backend_layout::data_key(bad)).value();
  bytes[bytes.size() - 1] ^= 0x01;
  ASSERT_TRUE(mem.backend->put(backend_layout::data_key(bad), bytes).ok());
  Result<std::string> got = rig.sync(mem.store->read(bad));
  EXPECT_TRUE(got.status().is_corruption());
  EXPECT_NE(got.status().message().find("ns//bad"), std::string::npos);
  EXPECT_EQ(rig.sync(mem.store->read(good)).value(), "fine");
  ASSERT_TRUE(mem.backend->put(backend_layout::data_key(bad), "short").ok());
  EXPECT_TRUE(rig.sync(mem.store->read(bad)).status().is_corruption());
  // A write over a corrupt record is refused rather than guessing its index entry.
  EXPECT_TRUE(rig.sync(mem.store->write(bad, "new")).is_corruption());
}

TEST(BackendKvStoreVersions, ListNamespacesReportsEachNonEmptyPairOnce) {
  SimRig rig(8);
  MemoryStore mem(rig.executor);
  for (const StoreKey& k : {skey("", "", "a"), skey("p", "", "b"), skey("p", "s", "c"),
                            skey("p", "s", "d"), skey("p", "s2", "e"), skey("q", "", "f")}) {
    ASSERT_TRUE(rig.sync(mem.store->write(k, "v")).ok());
  }
  ASSERT_TRUE(rig.sync(mem.store->remove(skey("q", "", "f"), false)).ok());
  Result<std::vector<NamespacePair>> pairs = rig.sync(mem.store->list_namespaces());
  ASSERT_TRUE(pairs.ok());
  EXPECT_EQ(*pairs, (std::vector<NamespacePair>{{"", ""}, {"p", ""}, {"p", "s"}, {"p", "s2"}}));
}

// A page walk interleaved with random creates, updates and removes never returns a key twice,
// and returns every key that existed for the whole walk exactly once.
RC_GTEST_PROP(BackendKvStoreProperty, PageWalksUnderChangeReturnEachStableKeyExactlyOnce, ()) {
  const auto initial = *rc::gen::inRange(0, 180);
  const auto changes = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(0, 240)));
  SimRig rig(initial + 1);
  MemoryStore mem(rig.executor);
  std::set<int> present;
  for (int i = 0; i < initial; ++i) {
    RC_ASSERT(rig.sync(mem.store->write(skey("w", "", "k" + std::to_string(i)), "v")).ok());
    present.insert(i);
  }
  std::set<int> stable = present;  // keys never touched during the walk
  std::multiset<std::string> seen;
  std::optional<std::string> token;
  size_t change = 0;
  for (int round = 0; round < 100; ++round) {
    Result<ListPage> page = rig.sync(mem.store->list_page("w", "", token));
    RC_ASSERT(page.ok());
    RC_ASSERT(page->keys.size() <= kListPageSizeMax);
    seen.insert(page->keys.begin(), page->keys.end());
    if (!page->next_token) break;
    token = page->next_token;
    for (int i = 0; i < 7 && change < changes.size(); ++i, ++change) {  // change between pages
      const auto [kind, key] = changes[change];
      const StoreKey k = skey("w", "", "k" + std::to_string(key));
      stable.erase(key);
      if (kind == 0) {
        RC_ASSERT(rig.sync(mem.store->remove(k, false)).ok());
      } else {
        RC_ASSERT(rig.sync(mem.store->write(k, "v" + std::to_string(kind))).ok());
      }
    }
  }
  for (const std::string& key : seen) RC_ASSERT(seen.count(key) == 1u);
  for (int key : stable) RC_ASSERT(seen.count("k" + std::to_string(key)) == 1u);
  if (changes.empty()) {
    Result<std::vector<std::string>> listed = rig.sync(mem.store->list("w", ""));
    RC_ASSERT(std::vector<std::string>(seen.begin(), seen.end()) == *listed);
  }
}

}  // namespace
}  // namespace tierkv::testing
