// OverlayStore under concurrency on the SimExecutor: every seed interleaves puts, drops,
// finalize and maintenance differently (seeded backend latencies), and after each run the
// consistency checker must find nothing and the quota must equal the bytes of what survives.
// Every counter decrement that would go negative aborts the binary (on_underflow = kAbort).
// Seeds: a fast subset by default; TIERKV_LONG=1 runs many more.
#include <gtest/gtest.h>

#include <set>

#include "engine/overlay/overlay_store.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

constexpr size_t kBlock = 1024;

// Runs task after a delay of delay_us on the rig's clock.
template <typename T>
void spawn_after(OverlayRig& rig, uint64_t delay_us, Task<T> task, std::optional<T>* out) {
  spawn_into(
      rig.executor,
      [](Executor* ex, uint64_t delay, Task<T> t) -> Task<T> {
        co_await ex->sleep_us(delay);
        co_return co_await std::move(t);
      }(&rig.executor, delay_us, std::move(task)),
      out);
}

// Runs the consistency checker at `count` seeded moments during a run: the invariants hold at
// every batch boundary, not just at the end.
using CheckResults = std::vector<std::optional<Result<std::vector<std::string>>>>;
void spawn_checkers(OverlayRig& rig, OverlayStore& store, uint64_t window_us, CheckResults* out) {
  for (auto& slot : *out)
    spawn_after(rig, rig.prng.uniform(window_us), store.check_consistency(), &slot);
}
void expect_no_problems(const CheckResults& results, uint64_t seed) {
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value() && r->ok()) << "seed " << seed;
    EXPECT_TRUE((*r)->empty()) << "seed " << seed << " mid-run:" << join_problems(**r);
  }
}

bool refused_or_ok(const Status& s) { return s.ok() || s.is_aborted() || s.is_not_found(); }

// Distinct bytes of the given contents.
uint64_t distinct_bytes(const std::set<uint64_t>& tags) { return tags.size() * kBlock; }

TEST(OverlayRace, ConcurrentPutAndDropOfTheSameOverlay) {
  const uint64_t seeds = overlay_seed_count(40, 2000);
  uint64_t stored = 0, refused = 0;  // both outcomes must occur over the seeds
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    OverlayRig rig(seed);
    MemoryOverlay ov(rig);
    OverlayStore& s = *ov.store;
    ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
    ASSERT_TRUE(rig.sync(s.create_overlay("keep", kNoExpiry, false)).ok());
    for (uint32_t i = 0; i < 4; ++i) {
      ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(i, kBlock))).ok());
      ASSERT_TRUE(rig.sync(s.put_block("keep", i, block_bytes(i * 2, kBlock))).ok());
    }
    std::vector<std::optional<Status>> puts(12);
    for (uint32_t i = 0; i < puts.size(); ++i) {
      spawn_after(rig, rig.prng.uniform(400), s.put_block("a", 4 + i, block_bytes(i % 6, kBlock)),
                  &puts[i]);
    }
    std::optional<Status> dropped;
    spawn_after(rig, rig.prng.uniform(400), s.drop("a"), &dropped);
    CheckResults checks(6);
    spawn_checkers(rig, s, 600, &checks);
    rig.executor.run_until_idle();
    expect_no_problems(checks, seed);
    ASSERT_TRUE(dropped.has_value() && dropped->ok()) << "seed " << seed;
    for (const auto& p : puts) {
      ASSERT_TRUE(p.has_value());
      EXPECT_TRUE(refused_or_ok(*p)) << "seed " << seed << ": " << p->to_string();
      (p->ok() ? stored : refused) += 1;
    }
    EXPECT_FALSE(s.overlay("a").has_value()) << "seed " << seed;
    EXPECT_EQ(s.quota().used_bytes, distinct_bytes({0, 2, 4, 6})) << "seed " << seed;
    for (uint32_t i = 0; i < 4; ++i) {
      EXPECT_EQ(*rig.sync(s.read_block("keep", i)), block_bytes(i * 2, kBlock));
    }
    expect_consistent(rig, s, "seed " + std::to_string(seed));
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(stored, 0u);
  EXPECT_GT(refused, 0u);
}

// Three drops of one overlay at once: all succeed, and the backend sees exactly the writes of
// one drop.
TEST(OverlayRace, ConcurrentDropsDoTheWorkOnce) {
  for (uint64_t seed = 1; seed <= overlay_seed_count(20, 500); ++seed) {
    uint64_t writes[2] = {0, 0};
    for (int drops : {1, 3}) {
      OverlayRig rig(seed);
      OverlayStoreOptions options;
      options.drop_batch_leaves_max = 4;
      MemoryOverlay ov(rig, options);
      OverlayStore& s = *ov.store;
      ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
      for (uint32_t i = 0; i < 10; ++i) {
        ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(i, kBlock))).ok());
      }
      const uint64_t before = ov.backend->writes;
      std::vector<std::optional<Status>> results(drops);
      for (auto& r : results) spawn_after(rig, rig.prng.uniform(100), s.drop("a"), &r);
      rig.executor.run_until_idle();
      for (const auto& r : results) ASSERT_TRUE(r.has_value() && r->ok()) << "seed " << seed;
      writes[drops == 1 ? 0 : 1] = ov.backend->writes - before;
      EXPECT_EQ(s.quota().used_bytes, 0u);
      expect_consistent(rig, s, "seed " + std::to_string(seed));
    }
    EXPECT_EQ(writes[0], writes[1]) << "seed " << seed;
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(OverlayRace, DropRacingMaintenanceOfAnExpiredOverlay) {
  for (uint64_t seed = 1; seed <= overlay_seed_count(40, 2000); ++seed) {
    OverlayRig rig(seed);
    OverlayStoreOptions options;
    options.drop_batch_leaves_max = 3;
    MemoryOverlay ov(rig, options);
    OverlayStore& s = *ov.store;
    ASSERT_TRUE(rig.sync(s.create_overlay("old", 100, false)).ok());
    ASSERT_TRUE(rig.sync(s.create_overlay("new", kNoExpiry, false)).ok());
    for (uint32_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(rig.sync(s.put_block("old", i, block_bytes(i, kBlock))).ok());
    }
    ASSERT_TRUE(rig.sync(s.put_block("new", 0, block_bytes(3, kBlock))).ok());
    rig.executor.run_for(200);
    std::optional<Status> dropped;
    std::optional<Result<MaintenanceReport>> maintained;
    spawn_after(rig, rig.prng.uniform(100), s.drop("old"), &dropped);
    spawn_after(rig, rig.prng.uniform(100), s.maintenance(), &maintained);
    rig.executor.run_until_idle();
    ASSERT_TRUE(dropped.has_value() && dropped->ok()) << "seed " << seed;
    ASSERT_TRUE(maintained.has_value() && maintained->ok()) << "seed " << seed;
    EXPECT_FALSE(s.overlay("old").has_value());
    EXPECT_EQ(s.quota().used_bytes, kBlock) << "seed " << seed;
    EXPECT_EQ(*rig.sync(s.read_block("new", 0)), block_bytes(3, kBlock));
    expect_consistent(rig, s, "seed " + std::to_string(seed));
    if (::testing::Test::HasFailure()) return;
  }
}

// Puts keep arriving around the overlay's expiry while maintenance runs periodically: each put
// is either stored (and later dropped) or refused, never half-applied.
TEST(OverlayRace, ExpiryWhilePutsAreInFlight) {
  uint64_t stored = 0, refused = 0;  // both outcomes must occur over the seeds
  for (uint64_t seed = 1; seed <= overlay_seed_count(30, 1000); ++seed) {
    OverlayRig rig(seed);
    MemoryOverlay ov(rig);
    OverlayStore& s = *ov.store;
    ASSERT_TRUE(rig.sync(s.create_overlay("ds", 1000, false)).ok());
    std::vector<std::optional<Status>> puts(24);
    for (uint32_t i = 0; i < puts.size(); ++i) {
      spawn_after(rig, rig.prng.uniform(2000), s.put_block("ds", i, block_bytes(i % 9, kBlock)),
                  &puts[i]);
    }
    std::vector<std::optional<Result<MaintenanceReport>>> runs(8);
    for (uint32_t k = 0; k < runs.size(); ++k)
      spawn_after(rig, 300 * (k + 1), s.maintenance(), &runs[k]);
    rig.executor.run_until_idle();
    for (const auto& p : puts) {
      ASSERT_TRUE(p.has_value());
      EXPECT_TRUE(refused_or_ok(*p)) << "seed " << seed << ": " << p->to_string();
      (p->ok() ? stored : refused) += 1;
    }
    for (const auto& r : runs) ASSERT_TRUE(r.has_value() && r->ok()) << "seed " << seed;
    EXPECT_FALSE(s.overlay("ds").has_value()) << "seed " << seed;
    EXPECT_EQ(s.quota().used_bytes, 0u) << "seed " << seed;
    EXPECT_EQ(s.quota().block_count, 0u) << "seed " << seed;
    expect_consistent(rig, s, "seed " + std::to_string(seed));
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(stored, 0u);
  EXPECT_GT(refused, 0u);
}

TEST(OverlayRace, SharedBlocksOutliveTheEarlierExpiry) {
  OverlayRig rig(3);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("early", 100, false)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("late", 200, false)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("forever", kNoExpiry, false)).ok());
  for (uint32_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("early", i, block_bytes(i, kBlock))).ok());        // 0..5
    ASSERT_TRUE(rig.sync(s.put_block("late", i, block_bytes(i + 3, kBlock))).ok());     // 3..8
    ASSERT_TRUE(rig.sync(s.put_block("forever", i, block_bytes(i + 6, kBlock))).ok());  // 6..11
  }
  EXPECT_EQ(s.quota().used_bytes, 12 * kBlock);
  const uint64_t now_us = rig.clock.now_us();  // puts take simulated time: expiries from now
  ASSERT_TRUE(rig.sync(s.set_expiry("early", now_us + 10'000)).ok());
  ASSERT_TRUE(rig.sync(s.set_expiry("late", now_us + 1'000'000)).ok());
  rig.executor.run_for(100'000);
  ASSERT_TRUE(rig.sync(s.maintenance()).ok());
  EXPECT_FALSE(s.overlay("early").has_value());
  EXPECT_EQ(s.quota().used_bytes, 9 * kBlock);  // 3..11 still named
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(*rig.sync(s.read_block("late", i)), block_bytes(i + 3, kBlock));
  }
  expect_consistent(rig, s, "after the early expiry");
  rig.executor.run_for(1'000'000);
  ASSERT_TRUE(rig.sync(s.maintenance()).ok());
  EXPECT_FALSE(s.overlay("late").has_value());
  EXPECT_EQ(s.quota().used_bytes, 6 * kBlock);
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(*rig.sync(s.read_block("forever", i)), block_bytes(i + 6, kBlock));
  }
  expect_consistent(rig, s, "after the late expiry");
}

// The seed's "value out of range: -131199": blocks arriving while the quota runs out, with
// shared content, drops and maintenance racing. Here no counter may ever be asked to go below
// zero (kAbort would kill the test), the quota is never exceeded, and it always equals the
// bytes of the blocks still stored.
TEST(OverlayRace, QuotaRunningOutUnderRacingPutsAndDropsNeverUnderflows) {
  uint64_t out_of_quota = 0;  // the quota must actually run out in some seeds
  for (uint64_t seed = 1; seed <= overlay_seed_count(30, 1000); ++seed) {
    OverlayRig rig(seed);
    OverlayStoreOptions options;
    options.quota_max_bytes = 6 * kBlock;
    options.drop_batch_leaves_max = 2;
    MemoryOverlay ov(rig, options);
    OverlayStore& s = *ov.store;
    const std::vector<std::string> trees = {"t0", "t1", "t2", "t3"};
    for (const std::string& t : trees) {
      ASSERT_TRUE(
          rig.sync(s.create_overlay(t, rig.prng.range(100, 3000), rig.prng.chance(1, 2))).ok());
    }
    std::vector<std::optional<Status>> ops(60);
    for (uint32_t i = 0; i < ops.size(); ++i) {
      const std::string& tree = trees[rig.prng.uniform(trees.size())];
      const uint64_t delay = rig.prng.uniform(3000);
      if (rig.prng.chance(1, 10)) {
        spawn_after(rig, delay, s.drop(tree), &ops[i]);
      } else {
        spawn_after(rig, delay,
                    s.put_block(tree, static_cast<uint32_t>(rig.prng.uniform(12)),
                                block_bytes(rig.prng.uniform(10), kBlock)),
                    &ops[i]);
      }
    }
    std::vector<std::optional<Result<MaintenanceReport>>> runs(10);
    for (uint32_t k = 0; k < runs.size(); ++k) spawn_after(rig, 350 * k, s.maintenance(), &runs[k]);
    CheckResults checks(10);
    spawn_checkers(rig, s, 3500, &checks);
    rig.executor.run_until_idle();
    expect_no_problems(checks, seed);
    for (const auto& op : ops) {
      ASSERT_TRUE(op.has_value());
      EXPECT_TRUE(refused_or_ok(*op) || op->is_no_space() || op->is_conflict())
          << "seed " << seed << ": " << op->to_string();
      out_of_quota += op->is_no_space() ? 1 : 0;
    }
    EXPECT_LE(s.quota().used_bytes, options.quota_max_bytes);
    expect_consistent(rig, s, "seed " + std::to_string(seed));
    for (const std::string& t : trees) ASSERT_TRUE(rig.sync(s.drop(t)).ok());
    EXPECT_EQ(s.quota().used_bytes, 0u) << "seed " << seed;
    EXPECT_EQ(s.underflow_count(), 0u);
    expect_consistent(rig, s, "seed " + std::to_string(seed) + " after dropping all");
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(out_of_quota, 0u);
}

// The seed's 10x upload slow-down came from per-block CAS round trips. A put of new content
// costs one atomic batch and no lookup at all (the block filter answers "absent"); a put of
// content already stored costs two small lookups (its block record and the overlay's reference
// to it) and one batch; nothing scans.
TEST(OverlayCost, PutIsOneBatchAndAtMostOneLookupWithNoScans) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  ASSERT_TRUE(rig.sync(s.create_overlay("b", kNoExpiry, false)).ok());
  const uint64_t gets = ov.backend->gets, writes = ov.backend->writes, scans = ov.backend->scans;
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(i, kBlock))).ok());
  }
  EXPECT_EQ(ov.backend->writes - writes, 100u);
  EXPECT_LE(ov.backend->gets - gets, 1u);  // a filter false positive at most
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("b", i, block_bytes(i, kBlock))).ok());  // shared content
  }
  EXPECT_EQ(ov.backend->writes - writes, 200u);
  EXPECT_LE(ov.backend->gets - gets, 201u);
  EXPECT_GE(ov.backend->gets - gets, 200u);
  EXPECT_EQ(ov.backend->scans - scans, 0u);
  EXPECT_EQ(s.quota().used_bytes, 100 * kBlock);
  expect_consistent(rig, s, "after shared puts");
}

// A bulk put of new content appends every record but the block record (keyed by hash): bytes
// and references sort in arrival order, so a B-tree backend dirties tail pages, not random ones.
TEST(OverlayCost, BulkPutAppendsBytesAndReferencesInArrivalOrder) {
  OverlayRig rig(1);
  MemoryOverlay ov(rig);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  constexpr uint32_t kBlocks = 40;
  for (uint32_t i = 0; i < kBlocks; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(i, kBlock))).ok());
  }
  auto bytes = ov.backend->scan_prefix(overlay_layout::block_bytes_prefix());
  auto references = ov.backend->scan_prefix(overlay_layout::reference_prefix());
  ASSERT_TRUE(bytes.ok() && references.ok());
  ASSERT_EQ(bytes->size(), kBlocks);
  ASSERT_EQ(references->size(), kBlocks);
  for (uint32_t i = 0; i < kBlocks; ++i) {
    EXPECT_EQ((*bytes)[i].value, block_bytes(i, kBlock)) << "bytes of block " << i;
    uint64_t id = 0, sequence = 0, bytes_sequence = 0;
    ASSERT_TRUE(overlay_layout::parse_reference_key((*references)[i].key, &id, &sequence));
    ASSERT_TRUE(overlay_layout::parse_block_bytes_key((*bytes)[i].key, &bytes_sequence));
    EXPECT_EQ(sequence, bytes_sequence) << "reference " << i << " is not block " << i << "'s";
  }
  expect_consistent(rig, s, "after the bulk put");
}

// A tiny filter (every hash a false positive) changes cost, never results.
TEST(OverlayCost, SaturatedBlockFilterStaysCorrect) {
  OverlayRig rig(1);
  OverlayStoreOptions options;
  options.block_filter_bits = 64;
  MemoryOverlay ov(rig, options);
  OverlayStore& s = *ov.store;
  ASSERT_TRUE(rig.sync(s.create_overlay("a", kNoExpiry, false)).ok());
  for (uint32_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(rig.sync(s.put_block("a", i, block_bytes(i % 50, kBlock))).ok());
  }
  EXPECT_EQ(s.quota().used_bytes, 50 * kBlock);
  ASSERT_TRUE(rig.sync(s.drop("a")).ok());
  EXPECT_EQ(s.quota().used_bytes, 0u);
  expect_consistent(rig, s, "after drop");
}

}  // namespace
}  // namespace tierkv::testing
