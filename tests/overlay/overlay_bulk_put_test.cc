// OverlayStore::put_blocks (one uploader, several blocks in flight): every block stored as its
// own put, in index order; on a failure the result names the stored prefix, and no block after
// the failing one reaches the backend. Plain and journaled stores (journal of 2, so the
// uploads cross checkpoints), depths 1 to 3.
#include <gtest/gtest.h>

#include "engine/backends/fault_injecting_backend.h"
#include "engine/backends/memory_backend.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

constexpr size_t kBlock = 4096;

std::vector<std::string> blocks_tagged(uint64_t first_tag, uint32_t count) {
  std::vector<std::string> out;
  for (uint32_t k = 0; k < count; ++k) out.push_back(block_bytes(first_tag + k, kBlock));
  return out;
}

struct BulkCase {
  uint32_t journal_puts_max;
  uint32_t depth;
};

class OverlayBulkPut : public ::testing::TestWithParam<BulkCase> {
 protected:
  OverlayStoreOptions options(uint64_t quota_blocks = 0) const {
    OverlayStoreOptions o;
    o.journal_puts_max = GetParam().journal_puts_max;
    if (quota_blocks > 0) o.quota_max_bytes = quota_blocks * kBlock;
    return o;
  }
  uint32_t depth() const { return GetParam().depth; }
};

TEST_P(OverlayBulkPut, StoresEveryBlockAtItsIndexAsOnePutEach) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig, options());
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  std::vector<std::string> blocks = blocks_tagged(100, 10);
  blocks[7] = blocks[2];  // stored content: a reference, no bytes
  const uint64_t writes_before = ov.backend->writes;
  PutBlocksResult result = rig.sync(s.put_blocks("a", 5, blocks, false, depth()));
  ASSERT_TRUE(result.status.ok()) << result.status.to_string();
  EXPECT_EQ(result.stored, 10u);
  // One synced write per put at most (a journaled store may add a checkpoint write per
  // journal_puts_max puts, never a write per block beyond one).
  EXPECT_LE(ov.backend->writes - writes_before, 10u);
  EXPECT_GE(ov.backend->writes - writes_before, GetParam().journal_puts_max > 0 ? 5u : 10u);
  for (uint32_t k = 0; k < 10; ++k) {
    Result<std::string> bytes = rig.sync(s.read_block("a", 5 + k));
    EXPECT_TRUE(bytes.ok() && *bytes == blocks[k]) << "index " << 5 + k;
  }
  EXPECT_TRUE(rig.sync(s.read_block("a", 4)).status().is_not_found());
  EXPECT_EQ(s.quota().used_bytes, 9 * kBlock);
  EXPECT_EQ(s.overlay("a")->block_count, 10u);
  // The same blocks again are no-ops; an empty call stores nothing and succeeds.
  result = rig.sync(s.put_blocks("a", 5, blocks, false, depth()));
  EXPECT_TRUE(result.status.ok() && result.stored == 10u) << result.status.to_string();
  result = rig.sync(s.put_blocks("a", 0, {}, false, depth()));
  EXPECT_TRUE(result.status.ok() && result.stored == 0u) << result.status.to_string();
  EXPECT_EQ(s.quota().used_bytes, 9 * kBlock);
  expect_consistent(rig, s, "after the bulk put");
}

// A journaled store puts runs of new blocks in one blocking call each: still one synced write
// per block, and the metadata of every block (leaves, the shared bitmap chunks, references,
// quota) is whole, in memory, after a checkpoint, and after a reopen that redoes the journal.
TEST_P(OverlayBulkPut, RunsOfJournaledPutsKeepEveryBlocksMetadata) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig, options());
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("b", kNoExpiry, false)).ok());
  const std::vector<std::string> blocks = blocks_tagged(1, 40);  // indices 1020..1059: 2 chunks
  const uint64_t writes_before = ov.backend->writes;
  PutBlocksResult result = rig.sync(ov.store->put_blocks("a", 1020, blocks, false, depth()));
  ASSERT_TRUE(result.status.ok() && result.stored == 40u) << result.status.to_string();
  if (GetParam().journal_puts_max >= 40) {
    EXPECT_EQ(ov.backend->writes - writes_before, 40u) << "one synced write per block";
  }
  EXPECT_EQ(ov.store->overlay("a")->block_count, 40u);
  expect_consistent(rig, *ov.store, "after the runs");  // a scan: writes the pending metadata
  ASSERT_TRUE(
      rig.sync(ov.store->put_blocks("a", 0, blocks_tagged(100, 20), false, depth())).status.ok());
  ASSERT_TRUE(rig.sync(ov.store->put_blocks("b", 0, blocks_tagged(1, 3), false, depth()))
                  .status.ok());  // stored content: references only
  ov.store.reset();               // metadata of the last puts only in the journal
  auto reopened = rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, options()));
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  OverlayStore& s = **reopened;
  EXPECT_EQ(s.overlay("a")->block_count, 60u);
  EXPECT_EQ(s.quota().used_bytes, 60 * kBlock);
  for (uint32_t k = 0; k < 40; ++k) {
    Result<std::string> bytes = rig.sync(s.read_block("a", 1020 + k));
    EXPECT_TRUE(bytes.ok() && *bytes == blocks[k]) << "index " << 1020 + k;
  }
  EXPECT_EQ(*rig.sync(s.read_block("b", 2)), blocks[2]);
  EXPECT_EQ(*rig.sync(s.block_refcount(blocks[0])), 2u);
  expect_consistent(rig, s, "after the reopen");
}

TEST_P(OverlayBulkPut, BadArgumentsAreRefusedBeforeAnyBlockIsWritten) {
  OverlayRig rig(1);
  OverlayStoreOptions o = options();
  o.block_size_bytes_max = kBlock;
  MemoryOverlay ov(rig, o);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  const uint64_t writes_before = ov.backend->writes;
  std::vector<std::string> blocks = blocks_tagged(1, 4);
  blocks[2] = block_bytes(3, kBlock + 1);
  PutBlocksResult big = rig.sync(s.put_blocks("a", 0, blocks, false, depth()));
  EXPECT_TRUE(big.status.is_invalid_argument()) << big.status.to_string();
  EXPECT_NE(big.status.message().find("a/2"), std::string::npos) << big.status.message();
  EXPECT_EQ(big.stored, 0u);
  PutBlocksResult past = rig.sync(
      s.put_blocks("a", overlay_layout::kBlockIndexMax - 2, blocks_tagged(1, 3), false, depth()));
  EXPECT_TRUE(past.status.is_invalid_argument()) << past.status.to_string();
  EXPECT_NE(past.status.message().find("exceed the limit"), std::string::npos)
      << past.status.message();
  PutBlocksResult tree = rig.sync(s.put_blocks("a/b", 0, blocks_tagged(1, 2), false, depth()));
  EXPECT_TRUE(tree.status.is_invalid_argument()) << tree.status.to_string();
  PutBlocksResult missing = rig.sync(s.put_blocks("nope", 0, blocks_tagged(1, 2), false, depth()));
  EXPECT_TRUE(missing.status.is_not_found()) << missing.status.to_string();
  EXPECT_EQ(missing.stored, 0u);
  EXPECT_EQ(ov.backend->writes, writes_before);
  EXPECT_EQ(s.quota().used_bytes, 0u);
  expect_consistent(rig, s, "after refused bulk puts");
}

// The backend fails the 4th block's write: blocks 0..2 are stored, the 4th is not, and no later
// block reaches the backend; the store (reloaded after the failed write) stays consistent.
TEST_P(OverlayBulkPut, BackendErrorStopsTheUploadAfterAStoredPrefix) {
  OverlayRig rig(1);
  auto inner = MemoryBackend::open(BackendOptions{});
  ASSERT_TRUE(inner.ok());
  uint64_t writes = 0;
  uint64_t fail_at_write = 0;  // 0 = never
  FaultInjectingBackend backend(std::move(inner).value(),
                                [&](std::string_view op, std::string_view) {
                                  if (op == "get" || op == "scan") return Status();
                                  ++writes;
                                  if (writes == fail_at_write)
                                    return Status::io_error("injected write failure");
                                  return Status();
                                });
  auto opened = rig.sync(OverlayStore::open(&backend, &rig.executor, options()));
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  OverlayStore& s = **opened;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  // With a journal of 2, the first two blocks are journal-only writes and the third carries
  // the checkpoint; either way block 3 is the 4th write.
  fail_at_write = writes + 4;
  const std::vector<std::string> blocks = blocks_tagged(1, 8);
  PutBlocksResult result = rig.sync(s.put_blocks("a", 0, blocks, false, depth()));
  EXPECT_TRUE(result.status.is_io_error()) << result.status.to_string();
  EXPECT_NE(result.status.message().find("injected"), std::string::npos);
  EXPECT_EQ(result.stored, 3u);
  EXPECT_EQ(writes, fail_at_write) << "a block after the failed one was written";
  for (uint32_t k = 0; k < 8; ++k) {
    Result<std::string> bytes = rig.sync(s.read_block("a", k));
    if (k < 3) {
      EXPECT_TRUE(bytes.ok() && *bytes == blocks[k]) << "stored block " << k;
    } else {
      EXPECT_TRUE(bytes.status().is_not_found()) << "block " << k << " after the failure";
    }
  }
  EXPECT_EQ(s.quota().used_bytes, 3 * kBlock);
  expect_consistent(rig, s, "after the failed bulk put");
  // The upload resumes where it stopped.
  std::vector<std::string> rest(blocks.begin() + 3, blocks.end());
  result = rig.sync(s.put_blocks("a", 3, rest, false, depth()));
  EXPECT_TRUE(result.status.ok() && result.stored == 5u) << result.status.to_string();
  EXPECT_EQ(s.quota().used_bytes, 8 * kBlock);
  expect_consistent(rig, s, "after the resumed bulk put");
}

TEST_P(OverlayBulkPut, QuotaRefusalStopsTheUploadAtTheFirstBlockThatDoesNotFit) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig, options(5));
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  std::vector<std::string> blocks = blocks_tagged(1, 8);
  blocks[6] = blocks[0];  // would fit (no new bytes), but comes after the refused block
  PutBlocksResult result = rig.sync(s.put_blocks("a", 10, blocks, false, depth()));
  EXPECT_TRUE(result.status.is_no_space()) << result.status.to_string();
  EXPECT_NE(result.status.message().find("a/15"), std::string::npos) << result.status.message();
  EXPECT_EQ(result.stored, 5u);
  EXPECT_EQ(s.quota().used_bytes, 5 * kBlock);
  EXPECT_EQ(s.overlay("a")->block_count, 5u);
  EXPECT_TRUE(rig.sync(s.read_block("a", 16)).status().is_not_found());
  expect_consistent(rig, s, "after the refused bulk put");
}

// A reserved upload draws each new block from its reservation; an unreserved one cannot take
// the reserved room and stops where the free room ends.
TEST_P(OverlayBulkPut, ReservedUploadDrawsEachBlockFromItsReservation) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig, options(6));
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("up", kNoExpiry, true)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("other", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.reserve(4 * kBlock)).ok());
  PutBlocksResult other = rig.sync(s.put_blocks("other", 0, blocks_tagged(50, 3), false, depth()));
  EXPECT_TRUE(other.status.is_no_space()) << other.status.to_string();
  EXPECT_EQ(other.stored, 2u);
  EXPECT_EQ(s.quota().reserved_bytes, 4 * kBlock);
  PutBlocksResult up = rig.sync(s.put_blocks("up", 0, blocks_tagged(1, 4), true, depth()));
  EXPECT_TRUE(up.status.ok() && up.stored == 4u) << up.status.to_string();
  EXPECT_EQ(s.quota().reserved_bytes, 0u);
  EXPECT_EQ(s.quota().used_bytes, 6 * kBlock);
  expect_consistent(rig, s, "after the reserved upload");
}

// A drop of the overlay while its upload runs: the drop marks it Deleting between two blocks,
// the next block is refused (Aborted), nothing after it is written, and the drop finishes with
// the overlay and every block gone.
TEST_P(OverlayBulkPut, DropDuringTheUploadRefusesTheRemainingBlocks) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    OverlayRig rig(seed);
    MemoryOverlay ov(rig, options());
    OverlayStore& s = *ov.store;
    ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
    std::optional<PutBlocksResult> upload;
    spawn_into(rig.executor, s.put_blocks("a", 0, blocks_tagged(1, 20), false, depth()), &upload);
    ASSERT_TRUE(rig.executor.run_until([&] { return s.overlay("a")->block_count >= 3; }));
    std::optional<Status> dropped;
    spawn_into(rig.executor, s.drop("a"), &dropped);
    rig.executor.run_until_idle();
    ASSERT_TRUE(upload.has_value() && dropped.has_value());
    EXPECT_TRUE(dropped->ok()) << dropped->to_string();
    EXPECT_TRUE(upload->status.is_aborted())
        << "seed " << seed << ": " << upload->status.to_string();
    EXPECT_NE(upload->status.message().find("Deleting"), std::string::npos)
        << upload->status.message();
    EXPECT_GE(upload->stored, 3u);
    EXPECT_LT(upload->stored, 20u);
    EXPECT_FALSE(s.overlay("a").has_value());
    EXPECT_EQ(s.quota().used_bytes, 0u);
    expect_consistent(rig, s, "seed " + std::to_string(seed));
  }
}

INSTANTIATE_TEST_SUITE_P(PlainAndJournaled, OverlayBulkPut,
                         ::testing::Values(BulkCase{0, 1}, BulkCase{0, 2}, BulkCase{0, 3},
                                           BulkCase{2, 1}, BulkCase{2, 2}, BulkCase{2, 3},
                                           BulkCase{64, 1}, BulkCase{64, 2}, BulkCase{64, 3}),
                         [](const ::testing::TestParamInfo<BulkCase>& info) {
                           return (info.param.journal_puts_max > 0
                                       ? "Journal" + std::to_string(info.param.journal_puts_max)
                                       : std::string("Plain")) +
                                  "Depth" + std::to_string(info.param.depth);
                         });

}  // namespace
}  // namespace tierkv::testing
