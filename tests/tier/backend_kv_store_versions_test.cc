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

// The bytes a store reads and writes, pinned against the layout in backend_layout.h
// (checksums computed independently: CRC-32C, masked as LevelDB does), so data written by any
// build keeps its meaning.
std::string bytes(std::string_view hex) { return backend_layout::from_hex(hex).value(); }

TEST(BackendKvStoreVersions, StoredBytesFollowTheDocumentedLayout) {
  using namespace std::string_literals;
  SimRig rig(7);
  MemoryStore mem(rig.executor);
  const std::string k1_data = "dp\0s\0k1"s;
  const std::string k1_index = "cp\0s\0\xff\xff\xff\xff\xff\xff\xff\xfck1"s;  // ~3, big-endian
  // A store as an earlier build left it: k1 = "hello" at version 7, created at sequence 3.
  // Records: masked crc32c | fixed64 version | fixed64 creation_seq | value.
  const std::string k1_record = bytes("09b10bcc0700000000000000030000000000000068656c6c6f");
  ASSERT_TRUE(mem.backend->put(k1_data, k1_record).ok());
  ASSERT_TRUE(mem.backend->put(k1_index, "").ok());
  ASSERT_TRUE(mem.backend->put("msequence", bytes("0800000000000000")).ok());

  Result<VersionedValue> k1 = rig.sync(mem.store->read_versioned(skey("p", "s", "k1")));
  ASSERT_TRUE(k1.ok()) << k1.status().to_string();
  EXPECT_EQ(k1->value, "hello");
  EXPECT_EQ(k1->version, 7u);

  // A new key takes sequence 8 as its version and creation sequence.
  ASSERT_TRUE(rig.sync(mem.store->write(skey("p", "s", "k2"), "new")).ok());
  const std::string k2_record = bytes("f3d413e2080000000000000008000000000000006e6577");
  EXPECT_EQ(mem.backend->get("dp\0s\0k2"s).value(), k2_record);
  EXPECT_TRUE(mem.backend->get("cp\0s\0\xff\xff\xff\xff\xff\xff\xff\xf7k2"s).ok());
  // An update keeps the creation sequence (3) and its index entry.
  ASSERT_TRUE(rig.sync(mem.store->write(skey("p", "s", "k1"), "bye")).ok());
  const std::string k1_updated = bytes("67ba69f009000000000000000300000000000000627965");
  EXPECT_EQ(mem.backend->get(k1_data).value(), k1_updated);
  EXPECT_TRUE(mem.backend->get(k1_index).ok());
  EXPECT_EQ(mem.backend->get("msequence").value(), bytes("0a00000000000000"));
  // A remove deletes the record and its index entry.
  ASSERT_TRUE(rig.sync(mem.store->remove(skey("p", "s", "k1"), false)).ok());
  EXPECT_TRUE(mem.backend->get(k1_data).status().is_not_found());
  EXPECT_TRUE(mem.backend->get(k1_index).status().is_not_found());
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
