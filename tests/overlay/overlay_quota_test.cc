// OverlayStore quota: reservations (a reserved upload draws from its reservation) and the
// underflow policy (the seed's crash "value out of range: -131199" must never happen silently).
#include <gtest/gtest.h>

#include "engine/overlay/overlay_store.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

constexpr size_t kBlock = 4096;

TEST(OverlayStore, ReservationLimitsHeadroomAndOverReleaseChangesNothing) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.quota_max_bytes = 3 * kBlock;
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.reserve(2 * kBlock)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 0, block_bytes(1))).ok());
  Status full = rig.sync(s.put_block("a", 1, block_bytes(2)));
  EXPECT_TRUE(full.is_no_space()) << full.to_string();
  EXPECT_TRUE(rig.sync(s.reserve(1)).is_no_space());
  Status over = rig.sync(s.release(2 * kBlock + 1));
  EXPECT_TRUE(over.is_invalid_argument()) << over.to_string();
  EXPECT_EQ(s.quota().reserved_bytes, 2 * kBlock);
  ASSERT_TRUE(rig.sync(s.release(2 * kBlock)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("a", 1, block_bytes(2))).ok());
  EXPECT_EQ(s.quota().used_bytes, 2 * kBlock);
  expect_consistent(rig, s, "after reserve/release");
}

// A reserved upload draws its new blocks from its reservation: others cannot take that room,
// the upload itself can; shared content and re-puts take nothing; release returns the rest.
TEST(OverlayStore, PutsFromAReservationUseItAndReleaseReturnsTheRest) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.quota_max_bytes = 4 * kBlock;
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("up", kNoExpiry, true)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("other", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.reserve(3 * kBlock)).ok());
  ASSERT_TRUE(rig.sync(s.put_block("other", 0, block_bytes(9))).ok());  // the free block
  EXPECT_TRUE(rig.sync(s.put_block("other", 1, block_bytes(8))).is_no_space());
  for (uint32_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("up", i, block_bytes(i), true)).ok()) << i;
  }
  ASSERT_TRUE(rig.sync(s.put_block("up", 2, block_bytes(9), true)).ok());  // shared: no bytes
  ASSERT_TRUE(rig.sync(s.put_block("up", 0, block_bytes(0), true)).ok());  // re-put: no-op
  EXPECT_EQ(s.quota().used_bytes, 3 * kBlock);
  EXPECT_EQ(s.quota().reserved_bytes, kBlock);
  Status beyond = rig.sync(s.put_block("up", 3, block_bytes(3, kBlock + 1), true));
  EXPECT_TRUE(beyond.is_no_space()) << beyond.to_string();
  EXPECT_EQ(s.quota().reserved_bytes, kBlock);  // a refused put takes nothing
  ASSERT_TRUE(rig.sync(s.release(kBlock)).ok());
  EXPECT_EQ(s.quota().reserved_bytes, 0u);
  ASSERT_TRUE(rig.sync(s.put_block("other", 1, block_bytes(8))).ok());
  expect_consistent(rig, s, "after the reserved upload");
}

// The seed's crash "value out of range: -131199": a counter decremented below zero. Here a
// tampered meta record (used_bytes smaller than what is stored) forces the attempt: production
// policy clamps to 0, logs and counts; the test policy aborts.
TEST(OverlayStoreUnderflow, ClampAndLogPolicyClampsAndCounts) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  ASSERT_TRUE(rig.sync(ov.store->create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(ov.store->put_block("a", 0, block_bytes(1))).ok());
  ov.store.reset();
  overlay_layout::MetaRecord tampered{100, 0, 1, 2, 2};
  ASSERT_TRUE(
      ov.backend->put(overlay_layout::meta_key(), overlay_layout::encode_meta(tampered)).ok());
  OverlayStoreOptions options;
  options.on_underflow = UnderflowPolicy::kClampAndLog;
  auto s =
      std::move(rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, options)).value());
  ASSERT_TRUE(rig.sync(s->drop("a")).ok());
  EXPECT_EQ(s->underflow_count(), 1u);
  EXPECT_EQ(s->quota().used_bytes, 0u);
  EXPECT_EQ(s->quota().block_count, 0u);
  expect_consistent(rig, *s, "after the clamped underflow");
}

// Runs the tampered-meta drop under the default (kAbort) policy.
void drop_with_tampered_meta() {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  (void)rig.sync(ov.store->create_overlay("a", kNoExpiry, false));
  (void)rig.sync(ov.store->put_block("a", 0, block_bytes(1)));
  ov.store.reset();
  overlay_layout::MetaRecord tampered{100, 0, 1, 2, 2};
  (void)ov.backend->put(overlay_layout::meta_key(), overlay_layout::encode_meta(tampered));
  auto s = std::move(rig.sync(OverlayStore::open(ov.backend.get(), &rig.executor, {})).value());
  (void)rig.sync(s->drop("a"));
}

TEST(OverlayStoreUnderflowDeathTest, AbortPolicyFailsLoudly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(drop_with_tampered_meta(), "quota used bytes would go negative: 100 - 4096 = -3996");
}

}  // namespace
}  // namespace tierkv::testing
