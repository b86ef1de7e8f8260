// Journaled puts (OverlayStoreOptions::journal_puts_max, store format 4): a put of new content
// is one journal record holding the bytes and a redo header; its metadata reaches the backend
// with the next other write, a scan, or every journal_puts_max + 1-th put, and open() redoes
// what had not. Power cuts at every I/O are in overlay_crash_test.cc (the *Journaled* tests).
#include <gtest/gtest.h>

#include "engine/overlay/overlay_layout.h"
#include "engine/overlay/overlay_store.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

namespace layout = overlay_layout;

OverlayStoreOptions journal_of(uint32_t puts) {
  OverlayStoreOptions options;
  options.journal_puts_max = puts;
  return options;
}

size_t records_with_prefix(Backend& backend, const std::string& prefix) {
  auto rows = backend.scan_prefix(prefix);
  EXPECT_TRUE(rows.ok()) << rows.status().to_string();
  return rows.ok() ? rows->size() : 0;
}

Result<std::unique_ptr<OverlayStore>> reopen(OverlayRig& rig, Backend& backend,
                                             OverlayStoreOptions options) {
  return rig.sync(OverlayStore::open(&backend, &rig.executor, options));
}

TEST(OverlayJournal, APutOfNewContentIsOneWriteAndItsMetadataWaitsUntilTheNextOtherWrite) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig, journal_of(8));
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  const uint64_t writes = ov.backend->writes;
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(rig.sync(ov.store->put_block("a", i, block_bytes(i))).ok());
  }
  EXPECT_EQ(ov.backend->writes - writes, 3u) << "one write per put";
  EXPECT_EQ(records_with_prefix(*ov.backend, layout::journal_prefix()), 3u);
  EXPECT_EQ(records_with_prefix(*ov.backend, layout::block_bytes_prefix()), 0u);
  EXPECT_EQ(records_with_prefix(*ov.backend, layout::leaf_prefix()), 0u) << "metadata deferred";
  // Reads and the quota see the deferred puts.
  auto bytes = rig.sync(ov.store->read_block("a", 1));
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_EQ(*bytes, block_bytes(1));
  EXPECT_EQ(ov.store->quota().used_bytes, 3 * 4096u);
  EXPECT_EQ(ov.store->overlay("a")->block_count, 3u);
  // The next other write carries the metadata in the same atomic batch.
  ASSERT_TRUE(rig.sync(ov.store->set_expiry("a", 1000)).ok());
  EXPECT_EQ(ov.backend->writes - writes, 4u);
  EXPECT_EQ(records_with_prefix(*ov.backend, layout::leaf_prefix()), 3u);
  expect_consistent(rig, *ov.store, "after the checkpoint");
}

TEST(OverlayJournal, EveryJournalPutsMaxPlusOneThPutWritesTheMetadata) {
  OverlayRig rig(2);
  MemoryOverlay ov(rig, journal_of(2));
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  std::vector<size_t> leaves_after_put;
  for (uint32_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(rig.sync(ov.store->put_block("a", i, block_bytes(i))).ok());
    leaves_after_put.push_back(records_with_prefix(*ov.backend, layout::leaf_prefix()));
  }
  EXPECT_EQ(leaves_after_put, (std::vector<size_t>{0, 0, 3, 3, 3, 6}));
}

TEST(OverlayJournal, OpenRedoesJournaledPutsWhoseMetadataWasNeverWritten) {
  OverlayRig rig(3);
  MemoryOverlay ov(rig, journal_of(16));
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, true)).ok());
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("b", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->reserve(3 * 4096)).ok());
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(rig.sync(ov.store->put_block(i % 2 == 0 ? "a" : "b", 1000 + i, block_bytes(i),
                                             /*from_reservation=*/true))
                    .ok());
  }
  const QuotaUsage before = ov.store->quota();
  ov.store.reset();  // the process dies: the metadata lived only in memory
  ASSERT_EQ(records_with_prefix(*ov.backend, layout::leaf_prefix()), 0u);
  // journal_puts_max 0 now: the store keeps the format it was created with.
  auto store = reopen(rig, *ov.backend, OverlayStoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  const QuotaUsage after = (*store)->quota();
  EXPECT_EQ(after.used_bytes, before.used_bytes);
  EXPECT_EQ(after.reserved_bytes, before.reserved_bytes);
  EXPECT_EQ(after.reserved_bytes, 0u) << "three blocks drew the whole reservation";
  EXPECT_EQ(after.block_count, 4u);
  EXPECT_EQ((*store)->overlay("a")->block_count, 2u);
  EXPECT_EQ((*store)->overlay("a")->status, OverlayStatus::kStoring);
  for (uint32_t i = 0; i < 4; ++i) {
    auto bytes = rig.sync((*store)->read_block(i % 2 == 0 ? "a" : "b", 1000 + i));
    ASSERT_TRUE(bytes.ok()) << i << ": " << bytes.status().to_string();
    EXPECT_EQ(*bytes, block_bytes(i));
  }
  expect_consistent(rig, **store, "after the redo");
  // A put after the redo continues the sequence; the same content again is a reference only.
  ASSERT_TRUE(rig.sync((*store)->put_block("b", 7, block_bytes(0))).ok());
  EXPECT_EQ(*rig.sync((*store)->block_refcount(block_bytes(0))), 2u);
  ASSERT_TRUE(rig.sync((*store)->finalize("a", "final")).ok());
  ASSERT_TRUE(rig.sync((*store)->drop("b")).ok());
  ASSERT_TRUE(rig.sync((*store)->drop("final")).ok());
  EXPECT_EQ((*store)->quota().used_bytes, 0u);
  EXPECT_EQ(records_with_prefix(*ov.backend, layout::journal_prefix()), 0u);
  expect_consistent(rig, **store, "after dropping everything");
}

// A journal record that does not check out is refused at open, naming it, and the store is left
// as it was (nothing redone, nothing written).
TEST(OverlayJournal, BadJournalRecordsAreCorruptionNamingTheRecordAndNothingIsWritten) {
  struct Case {
    const char* name;
    std::function<void(Backend&, const KeyValue&)> damage;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"header bit flip",
       [](Backend& b, const KeyValue& row) {
         std::string v = row.value;
         v[3] ^= 0x10;
         ASSERT_TRUE(b.put(row.key, v).ok());
       },
       "checksum mismatch"},
      {"bytes bit flip",
       [](Backend& b, const KeyValue& row) {
         std::string v = row.value;
         v[v.size() - 1] ^= 0x01;
         ASSERT_TRUE(b.put(row.key, v).ok());
       },
       "fails its hash"},
      {"truncated",
       [](Backend& b, const KeyValue& row) { ASSERT_TRUE(b.put(row.key, row.value.substr(0, 20)).ok()); },
       "too short"},
      {"gap in the sequence",
       [](Backend& b, const KeyValue& row) {
         ASSERT_TRUE(b.remove(row.key).ok());
         ASSERT_TRUE(b.put(layout::journal_key(99), row.value).ok());
       },
       "is not the next block sequence"},
  };
  for (const Case& c : cases) {
    OverlayRig rig(4);
    MemoryOverlay ov(rig, journal_of(8));
    ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
    ASSERT_TRUE(rig.sync(ov.store->put_block("a", 0, block_bytes(1))).ok());
    ov.store.reset();
    auto rows = ov.backend->scan_prefix(layout::journal_prefix());
    ASSERT_TRUE(rows.ok() && rows->size() == 1u);
    c.damage(*ov.backend, rows->front());
    const auto before = ov.backend->scan_prefix("");
    const uint64_t writes = ov.backend->writes;
    auto store = reopen(rig, *ov.backend, journal_of(8));
    ASSERT_FALSE(store.ok()) << c.name;
    EXPECT_TRUE(store.status().is_corruption()) << c.name << ": " << store.status().to_string();
    EXPECT_NE(store.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << store.status().message();
    EXPECT_NE(store.status().message().find("journal record"), std::string::npos)
        << c.name << ": " << store.status().message();
    EXPECT_EQ(ov.backend->writes, writes) << c.name;
    EXPECT_EQ(ov.backend->scan_prefix("")->size(), before->size()) << c.name;
  }
}

TEST(OverlayJournal, CheckerFindsAJournalRecordNamingAnotherBlock) {
  OverlayRig rig(5);
  MemoryOverlay ov(rig, journal_of(8));
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("a", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(ov.store->set_expiry("a", 5)).ok());  // metadata written
  auto rows = ov.backend->scan_prefix(layout::journal_prefix());
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  auto decoded = layout::decode_journal(rows->front().value, rows->front().key);
  ASSERT_TRUE(decoded.ok());
  layout::JournalHeader header = decoded->first;
  header.hash = layout::block_hash("other");
  ASSERT_TRUE(
      ov.backend->put(rows->front().key, layout::encode_journal(header, decoded->second)).ok());
  auto problems = rig.sync(ov.store->check_consistency());
  ASSERT_TRUE(problems.ok());
  ASSERT_EQ(problems->size(), 1u) << join_problems(*problems);
  EXPECT_NE(problems->front().find("its journal record names block"), std::string::npos)
      << problems->front();
}

}  // namespace
}  // namespace tierkv::testing
