// OverlayStore behaviour on a memory backend: blocks, refcounts, finalize, drop, expiry, quota.
#include "engine/overlay/overlay_store.h"

#include <gtest/gtest.h>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

constexpr size_t kBlock = 4096;

TEST(OverlayStore, SharedContentIsStoredOnceAndReadBackFromEveryOverlay) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("b", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 1, block_bytes(2))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("b", 7, block_bytes(1))).ok());
  EXPECT_EQ(s.quota().used_bytes, 2 * kBlock);
  EXPECT_EQ(s.quota().block_count, 2u);
  EXPECT_EQ(*rig.sync(s.read_block("b", 7)), block_bytes(1));
  EXPECT_EQ(*rig.sync(s.read_block("a", 1)), block_bytes(2));
  EXPECT_TRUE(rig.sync(s.read_block("b", 0)).status().is_not_found());
  EXPECT_EQ(s.overlay("a")->block_count, 2u);
  expect_consistent(rig, s, "after puts");
}

TEST(OverlayStore, SamePutTwiceIsNoOpAndOtherContentAtAnIndexIsConflict) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 3, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 3, block_bytes(1))).ok());
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  Status other = rig.sync(s.put_block("a", 3, block_bytes(2)));
  EXPECT_TRUE(other.is_conflict()) << other.to_string();
  EXPECT_NE(other.message().find("a/3"), std::string::npos) << other.message();
  EXPECT_EQ(*rig.sync(s.read_block("a", 3)), block_bytes(1));
  expect_consistent(rig, s, "after conflicting put");
}

TEST(OverlayStore, BadInputIsRejectedWithAClearErrorBeforeAnyWrite) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.block_size_bytes_max = 8192;
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  EXPECT_TRUE(rig.sync(s.create_overlay("bad/tree", kNoExpiry, false)).is_invalid_argument());
  EXPECT_TRUE(rig.sync(s.create_overlay("", kNoExpiry, false)).is_invalid_argument());
  EXPECT_TRUE(rig.sync(s.put_block("nope", 0, block_bytes(1))).is_not_found());
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  Status index = rig.sync(s.put_block("a", overlay_layout::kBlockIndexMax, block_bytes(1)));
  EXPECT_TRUE(index.is_invalid_argument()) << index.to_string();
  Status big = rig.sync(s.put_block("a", 0, block_bytes(1, 8193)));
  EXPECT_TRUE(big.is_invalid_argument()) << big.to_string();
  EXPECT_EQ(s.quota().used_bytes, 0u);
  expect_consistent(rig, s, "after rejected input");
}

TEST(OverlayStore, DropFreesABlockOnlyWithItsLastReference) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  for (std::string t : {"a", "b"})
    ASSERT_TRUE(rig.sync(s.create_overlay(t, kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 1, block_bytes(2))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("b", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.drop("a")).ok());
  EXPECT_FALSE(s.overlay("a").has_value());
  EXPECT_EQ(s.quota().used_bytes, kBlock);  // block 2 freed, block 1 still named by b
  EXPECT_FALSE(*rig.sync(s.has_block_content(block_bytes(2))));
  EXPECT_EQ(*rig.sync(s.read_block("b", 0)), block_bytes(1));
  expect_consistent(rig, s, "after dropping a");
  ASSERT_TRUE(rig.sync(s.drop("b")).ok());
  EXPECT_EQ(s.quota().used_bytes, 0u);
  EXPECT_EQ(s.quota().block_count, 0u);
  EXPECT_TRUE(rig.sync(s.drop("b")).ok());  // idempotent
  expect_consistent(rig, s, "after dropping b");
}

// refcount = overlays referencing the block (issue 6, DESIGN invariant 6), not leaves: the same
// content at five indices of one overlay counts once, and the block lives while any index does.
TEST(OverlayStore, SameBlockAtSeveralIndicesOfOneOverlayCountsOnceInItsRefcount) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.drop_batch_leaves_max = 2;  // the overlay's references span several drop batches
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("b", kNoExpiry, false)).ok());
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(0))).ok());
  EXPECT_EQ(*rig.sync(s.block_refcount(block_bytes(0))), 1u);
  ASSERT_TRUE(rig.sync(s.put_block("b", 0, block_bytes(0))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("b", 1, block_bytes(0))).ok());
  EXPECT_EQ(*rig.sync(s.block_refcount(block_bytes(0))), 2u);
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  expect_consistent(rig, s, "after puts");
  ASSERT_TRUE(rig.sync(s.drop("a")).ok());
  EXPECT_EQ(*rig.sync(s.block_refcount(block_bytes(0))), 1u);
  EXPECT_EQ(*rig.sync(s.read_block("b", 1)), block_bytes(0));
  expect_consistent(rig, s, "after dropping a");
  ASSERT_TRUE(rig.sync(s.drop("b")).ok());
  EXPECT_TRUE(rig.sync(s.block_refcount(block_bytes(0))).status().is_not_found());
  EXPECT_EQ(s.quota().used_bytes, 0u);
  expect_consistent(rig, s, "after dropping b");
}

// The bitmap is stored in chunks of kBitmapChunkBits bits: indices on both sides of chunk
// boundaries survive a reopen, and a drop clears every chunk record.
TEST(OverlayStore, BitmapChunksAcrossBoundariesSurviveReopenAndDrop) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  const std::vector<uint32_t> indices = {0,    1023, 1024,
                                         2047, 5000, overlay_layout::kBlockIndexMax - 1};
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  for (uint32_t index : indices) {
    ASSERT_TRUE(rig.sync(ov.store->put_block("a", index, block_bytes(index))).ok()) << index;
  }
  ov.store.reset();
  auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {}));
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  OverlayStore& s = **reopened;
  EXPECT_EQ(s.overlay("a")->block_count, indices.size());
  for (uint32_t index : indices) EXPECT_EQ(*rig.sync(s.read_block("a", index)), block_bytes(index));
  EXPECT_TRUE(rig.sync(s.read_block("a", 1025)).status().is_not_found());
  expect_consistent(rig, s, "after reopen");
  ASSERT_TRUE(rig.sync(s.drop("a")).ok());
  auto chunks = ov.backend->scan_prefix(overlay_layout::chunk_prefix());
  ASSERT_TRUE(chunks.ok());
  EXPECT_TRUE(chunks->empty()) << chunks->size() << " chunk records left";
  expect_consistent(rig, s, "after drop");
}

TEST(OverlayStore, CorruptBitmapChunkIsCorruptionNamingTheChunk) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("a", 3, block_bytes(1))).ok());
  ov.store.reset();
  auto chunks = ov.backend->scan_prefix(overlay_layout::chunk_prefix());
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  ASSERT_TRUE(ov.backend->put(chunks->front().key, "bad").ok());
  auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {}));
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
  EXPECT_NE(
      reopened.status().message().find("bitmap chunk " + overlay_layout::hex(chunks->front().key)),
      std::string::npos)
      << reopened.status().message();
  // The store was not touched: the block is still there for a repaired reopen.
  auto stored = ov.backend->scan_prefix(overlay_layout::block_bytes_prefix());
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().value, block_bytes(1));
}

TEST(OverlayStore, FinalizeMovesTheTemporaryOverlayToItsTreeId) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("tmp", 500, true)).ok());
  EXPECT_EQ(s.overlay("tmp")->status, OverlayStatus::kStoring);
  ASSERT_TRUE(rig.sync(s.put_block("tmp", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.finalize("tmp", "tree")).ok());
  EXPECT_FALSE(s.overlay("tmp").has_value());
  ASSERT_TRUE(s.overlay("tree").has_value());
  EXPECT_EQ(s.overlay("tree")->status, OverlayStatus::kActive);
  EXPECT_EQ(s.overlay("tree")->expiry_us, 500u);
  EXPECT_EQ(*rig.sync(s.read_block("tree", 0)), block_bytes(1));
  Status again = rig.sync(s.finalize("tree", "other"));
  EXPECT_TRUE(again.is_aborted()) << again.to_string();  // Active, not Storing
  expect_consistent(rig, s, "after finalize");
}

TEST(OverlayStore, FinalizeOntoAnExistingTreeDropsTheTemporaryAndSucceeds) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("tree", 100, false)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("tree", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("tmp", 900, true)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("tmp", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(s.put_block("tmp", 1, block_bytes(2))).ok());
  ASSERT_TRUE(rig.sync(s.finalize("tmp", "tree")).ok());
  EXPECT_FALSE(s.overlay("tmp").has_value());
  EXPECT_EQ(s.overlay("tree")->block_count, 1u);
  EXPECT_EQ(s.overlay("tree")->expiry_us, 900u);  // the later expiry wins
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  expect_consistent(rig, s, "after finalize onto existing");
}

TEST(OverlayStore, PutsIntoDeletingOrFailedOverlaysAreRefused) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("f", kNoExpiry, true)).ok());
  ASSERT_TRUE(rig.sync(s.mark_failed("f")).ok());
  Status failed = rig.sync(s.put_block("f", 0, block_bytes(1)));
  EXPECT_TRUE(failed.is_aborted()) << failed.to_string();
  EXPECT_TRUE(rig.sync(s.finalize("f", "g")).is_aborted());
  EXPECT_EQ(s.quota().used_bytes, 0u);
}

// A drop interrupted by a crash leaves the overlay Deleting: puts, creates, expiry changes and
// finalize onto it are refused until maintenance finishes the drop.
TEST(OverlayStore, DeletingOverlayRefusesPutsUntilMaintenanceFinishesTheDrop) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("ds", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("ds", 0, block_bytes(1))).ok());
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("tmp", kNoExpiry, true)).ok());
  ov.store.reset();
  // What mark_deleting wrote before the crash: the same record, status Deleting.
  auto bytes = ov.backend->get(overlay_layout::overlay_key("ds"));
  ASSERT_TRUE(bytes.ok());
  auto record = overlay_layout::decode_overlay(*bytes, "ds");
  ASSERT_TRUE(record.ok());
  record->status = OverlayStatus::kDeleting;
  ASSERT_TRUE(
      ov.backend->put(overlay_layout::overlay_key("ds"), overlay_layout::encode_overlay(*record))
          .ok());
  auto s = std::move(rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {})).value());
  Status put = rig.sync(s->put_block("ds", 1, block_bytes(2)));
  EXPECT_TRUE(put.is_aborted()) << put.to_string();
  EXPECT_NE(put.message().find("Deleting"), std::string::npos) << put.message();
  EXPECT_TRUE(rig.sync(s->create_overlay("ds", kNoExpiry, false)).is_aborted());
  EXPECT_TRUE(rig.sync(s->set_expiry("ds", 5)).is_aborted());
  EXPECT_TRUE(rig.sync(s->finalize("tmp", "ds")).is_aborted());
  EXPECT_EQ(s->quota().used_bytes, kBlock);
  expect_consistent(rig, *s, "with a Deleting overlay");
  Result<MaintenanceReport> report = rig.sync(s->maintenance());
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->overlays_dropped, 1u);
  EXPECT_FALSE(s->overlay("ds").has_value());
  EXPECT_EQ(s->quota().used_bytes, 0u);
  expect_consistent(rig, *s, "after maintenance");
}

TEST(OverlayStore, ReopenRestoresOverlaysAndQuotaFromTheBackend) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", 42, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("a", 9, block_bytes(5))).ok());
  ASSERT_TRUE(rig.sync(ov.store->reserve(10)).ok());
  ov.store.reset();
  auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {}));
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  OverlayStore& s = **reopened;
  EXPECT_EQ(s.overlay("a")->expiry_us, 42u);
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  EXPECT_EQ(s.quota().reserved_bytes, 10u);
  EXPECT_EQ(*rig.sync(s.read_block("a", 9)), block_bytes(5));
  // Content stored before the reopen is known again (block filter rebuilt): shared, not re-stored.
  ASSERT_TRUE(rig.sync(s.create_overlay("b", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("b", 0, block_bytes(5))).ok());
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  ASSERT_TRUE(rig.sync(s.drop("a")).ok());
  EXPECT_EQ(*rig.sync(s.read_block("b", 0)), block_bytes(5));
  expect_consistent(rig, s, "after reopen and shared put");
}

TEST(OverlayStore, CorruptOverlayRecordIsCorruptionNamingTheTree) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("ds1", 42, false)).ok());
  ov.store.reset();
  ASSERT_TRUE(ov.backend->put(overlay_layout::overlay_key("ds1"), "garbage!").ok());
  auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {}));
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption());
  EXPECT_NE(reopened.status().message().find("ds1"), std::string::npos)
      << reopened.status().message();
}

// A sealed meta record body as older layouts wrote it (fixed64 fields, no format version).
std::string sealed(std::string body) {
  put_fixed32(&body, crc32c::mask(crc32c::value(body)));
  return body;
}

// Session-3 stores keyed references by block hash (this build keys them by sequence): opening
// one must fail loudly, not misread its references as absent, and must leave it untouched.
TEST(OverlayStore, StoreOfAnOlderFormatIsCorruptionNamingTheFormatAndIsNotWritten) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ov.store.reset();
  std::string session3_meta;
  for (uint64_t field : {65536u, 0u, 1u, 2u, 2u}) put_fixed64(&session3_meta, field);
  std::string future_meta;
  put_fixed32(&future_meta, overlay_layout::kFormatJournaled + 1);
  for (int i = 0; i < 5; ++i) put_fixed64(&future_meta, 1);
  for (const auto& [meta, expected] :
       {std::pair{sealed(session3_meta), std::string("40 bytes is not OverlayStore format 3")},
        std::pair{sealed(future_meta), std::string("format 5; this build reads formats 3 and 4")}}) {
    ASSERT_TRUE(ov.backend->put(overlay_layout::meta_key(), meta).ok());
    auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {}));
    ASSERT_FALSE(reopened.ok());
    EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
    EXPECT_NE(reopened.status().message().find(expected), std::string::npos)
        << reopened.status().message();
    EXPECT_EQ(*ov.backend->get(overlay_layout::meta_key()), meta) << "the store was rewritten";
  }
}

// The checker matches each reference record (keyed by the block's sequence) to the leaves.
TEST(OverlayStore, CheckerNamesAWrongReferenceCountAndAReferenceToNoBlock) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("a", 0, block_bytes(1))).ok());
  auto references = ov.backend->scan_prefix(overlay_layout::reference_prefix());
  ASSERT_TRUE(references.ok());
  ASSERT_EQ(references->size(), 1u);
  uint64_t id = 0, sequence = 0;
  ASSERT_TRUE(overlay_layout::parse_reference_key((*references)[0].key, &id, &sequence));
  ASSERT_TRUE(ov.backend->put((*references)[0].key, overlay_layout::encode_reference(2)).ok());
  ASSERT_TRUE(ov.backend
                  ->put(overlay_layout::reference_key(id, sequence + 7),
                        overlay_layout::encode_reference(1))
                  .ok());
  auto problems = rig.sync(ov.store->check_consistency());
  ASSERT_TRUE(problems.ok());
  const std::string all = join_problems(*problems);
  EXPECT_NE(all.find("counts 2 leaves, 1 name it"), std::string::npos) << all;
  EXPECT_NE(all.find("names sequence " + std::to_string(sequence + 7) + ", which holds no block"),
            std::string::npos)
      << all;
}

// Blocks are found by content, their bytes stored under a sequence number in arrival order
// (overlay_layout.h). Bytes lost underneath the store are reported, never served or hidden.
TEST(OverlayStore, MissingBlockBytesAreCorruptionNamingTheBlock) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(rig.sync(ov.store->put_block("a", i, block_bytes(i))).ok());
  }
  auto stored = ov.backend->scan_prefix(overlay_layout::block_bytes_prefix());
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*stored)[i].value, block_bytes(i)) << "bytes in arrival order";
  }
  ASSERT_TRUE(ov.backend->remove((*stored)[1].key).ok());
  Result<std::string> read = rig.sync(ov.store->read_block("a", 1));
  EXPECT_TRUE(read.status().is_corruption()) << read.status().to_string();
  const std::string hash = overlay_layout::hex(overlay_layout::block_hash(block_bytes(1)));
  EXPECT_NE(read.status().message().find(hash), std::string::npos) << read.status().message();
  auto problems = rig.sync(ov.store->check_consistency());
  ASSERT_TRUE(problems.ok());
  EXPECT_NE(join_problems(*problems).find("block " + hash + " has no bytes"), std::string::npos)
      << join_problems(*problems);
  EXPECT_EQ(*rig.sync(ov.store->read_block("a", 2)), block_bytes(2));
}

TEST(OverlayStore, MaintenanceDropsExpiredOverlaysInBoundedBatches) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.maintenance_overlays_max = 4;
  options.gc_batch_blocks_max = 3;
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  for (int i = 0; i < 10; ++i) {
    const std::string tree = "t" + std::to_string(i);
    ASSERT_TRUE(rig.sync(s.create_overlay(tree, i < 9 ? 100 : 10'000, false)).ok());
    ASSERT_TRUE(rig.sync(s.put_block(tree, 0, block_bytes(i))).ok());
  }
  rig.executor.run_for(200);
  Result<MaintenanceReport> first = rig.sync(s.maintenance());
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->overlays_dropped, 4u);
  EXPECT_TRUE(first->more_pending);
  int calls = 1;
  while (rig.sync(s.maintenance())->more_pending) ASSERT_LT(++calls, 10);
  EXPECT_EQ(s.overlays().size(), 1u);
  EXPECT_EQ(s.quota().used_bytes, kBlock);
  expect_consistent(rig, s, "after maintenance");
}

}  // namespace
}  // namespace tierkv::testing
