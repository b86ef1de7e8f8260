// The simulator's HybridStore world (sim/workload_hybrid.h, World::hybrid): generated for some
// seeds or every seed (--hybrid), driven with raw ops on both sides under faults, replayable,
// and checked (merged-scan order, pages, phantoms) by checkers that do fire on a bad scan.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "sim/checkers.h"
#include "sim/model.h"
#include "sim/scenario.h"
#include "sim/workload.h"
#include "sim/workload_hybrid.h"
#include "sim/world.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::sim {
namespace {

GenerateOptions hybrid_options(uint64_t ops, std::vector<FaultKind> kinds = {}) {
  GenerateOptions options = options_with(ops, std::move(kinds));
  options.hybrid = true;
  return options;
}

size_t hybrid_ops(const Scenario& s) {
  return static_cast<size_t>(std::count_if(s.ops.begin(), s.ops.end(), [](const Op& op) {
    return op.primary_namespace == kHybridRawNamespace;
  }));
}

HybridSide side_of_tag(const std::string& tag) {
  const HybridConfig config = hybrid_config();
  auto it = config.routes.find(tag);
  return it == config.routes.end() ? config.default_side : it->second;
}

TEST(HybridWorld, ForcedSeedsGetAHybridWorldWithWritesOnBothSidesAndSpanningScans) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Scenario s = generate_scenario(seed, hybrid_options(300));
    ASSERT_TRUE(s.world.hybrid) << "seed " << seed;
    EXPECT_GT(hybrid_ops(s), 50u) << "seed " << seed;
    bool lsm = false;
    bool btree = false;
    bool spanning_scan = false;
    for (const Op& op : s.ops) {
      if (op.primary_namespace != kHybridRawNamespace) continue;
      if (op.kind == OpKind::kList && op.secondary_namespace.empty()) spanning_scan = true;
      if (op.kind != OpKind::kWrite) continue;
      (side_of_tag(op.secondary_namespace) == HybridSide::kLsm ? lsm : btree) = true;
    }
    EXPECT_TRUE(lsm && btree && spanning_scan) << "seed " << seed;
  }
}

TEST(HybridWorld, WithoutTheFlagSomeSeedsAreHybridAndTheRestHaveNoHybridOps) {
  size_t hybrid = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario s = generate_scenario(seed, options_with(100));
    if (s.world.hybrid) {
      ++hybrid;
    } else {
      EXPECT_EQ(hybrid_ops(s), 0u) << "seed " << seed;
    }
  }
  EXPECT_GT(hybrid, 0u);
  EXPECT_LT(hybrid, 30u);
}

TEST(HybridWorld, RunsUnderCrashesAndIoErrorsPassAndReplayBitForBit) {
  const uint64_t seeds = long_mode() ? 60 : 6;  // TIERKV_LONG=1: the long loop
  uint64_t crashes = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    const Scenario s = generate_scenario(
        seed, hybrid_options(200, {FaultKind::kCrash, FaultKind::kTornWrites,
                                   FaultKind::kIoError}));
    const RunResult first = run_scenario(s);
    ASSERT_TRUE(first.ok()) << "seed " << seed << describe(first);
    EXPECT_GT(first.stats.invariants_checked.at(kCheckPagination), 0u);
    crashes += first.stats.crashes;
    // The scenario file replays the same run.
    Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_TRUE(parsed->world.hybrid);
    EXPECT_EQ(run_scenario(*parsed).trace_hex, first.trace_hex) << "seed " << seed;
  }
  EXPECT_GT(crashes, 0u);
}

TEST(HybridWorld, TheSeedPicksSqliteOrLmdbAsTheBtreeSide) {
  std::map<std::string, size_t> sides;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const Scenario s = generate_scenario(seed, hybrid_options(100));
    ++sides[s.world.hybrid_btree];
    EXPECT_EQ(world_needs_real_dir(s.world), s.world.hybrid_btree == "lmdb") << "seed " << seed;
  }
  EXPECT_EQ(sides.size(), 2u);
  EXPECT_GT(sides["lmdb"], 5u);
  EXPECT_GT(sides["sqlite"], 5u);
  // A seed that is not hybrid keeps the default, and needs no real directory.
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario s = generate_scenario(seed, options_with(60));
    if (!s.world.hybrid) {
      EXPECT_EQ(s.world.hybrid_btree, "sqlite") << "seed " << seed;
      EXPECT_FALSE(world_needs_real_dir(s.world)) << "seed " << seed;
    }
  }
}

TEST(HybridWorld, AnLmdbBtreeSideRunsUnderCrashesAndIoErrorsAndReplaysBitForBit) {
  const uint64_t seeds = long_mode() ? 60 : 6;  // TIERKV_LONG=1: the long loop
  uint64_t crashes = 0;
  uint64_t batches = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario s = generate_scenario(
        seed, hybrid_options(200, {FaultKind::kCrash, FaultKind::kIoError}));
    s.world.hybrid_btree = "lmdb";
    const RunResult first = run_scenario(s);
    ASSERT_TRUE(first.ok()) << "seed " << seed << describe(first);
    crashes += first.stats.crashes;
    const auto judged = first.stats.invariants_checked.find(kCheckAtomicity);
    if (judged != first.stats.invariants_checked.end()) batches += judged->second;
    Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->world.hybrid_btree, "lmdb");
    EXPECT_EQ(run_scenario(*parsed).trace_hex, first.trace_hex) << "seed " << seed;
    // The B-tree side really is elsewhere: the same seed on SQLite runs another trace.
    s.world.hybrid_btree = "sqlite";
    EXPECT_NE(run_scenario(s).trace_hex, first.trace_hex) << "seed " << seed;
  }
  EXPECT_GT(crashes, 0u);
  EXPECT_GT(batches, 0u);
}

TEST(HybridWorld, HybridOpsInAWorldWithoutTheStoreAreRefusedNotRun) {
  Scenario s = generate_scenario(3, hybrid_options(80, {}));
  s.world.hybrid = false;  // what shrink's "hybrid off" candidate does
  const RunResult result = run_scenario(s);
  ASSERT_TRUE(result.ok()) << describe(result);
  EXPECT_GE(result.stats.ops_failed, hybrid_ops(s));
}

struct ScanCheck {
  Model model;
  RunStats stats;
  std::vector<Violation> violations;
  Checkers checkers{model, &stats, &violations};
};

TEST(HybridScanCheck, AnOrderedScanMatchingTheModelPasses) {
  ScanCheck c;
  const StoreKey a{kHybridRawNamespace, "index", "h1"};
  const StoreKey b{kHybridRawNamespace, "votes", "h0"};
  c.model.complete(c.model.begin(0, 0, "write", a, "va", true, true, 0), Status(), 1);
  c.model.complete(c.model.begin(1, 0, "write", b, "vb", true, true, 0), Status(), 1);
  const uint64_t tick = c.model.tick();
  check_hybrid_scan(c.checkers, c.model, "", {{"index/h1", "va"}, {"votes/h0", "vb"}}, tick,
                    tick, 2);
  EXPECT_TRUE(c.violations.empty()) << c.violations.front().message;
}

TEST(HybridScanCheck, AMergedScanOutOfOrderIsAPaginationViolation) {
  ScanCheck c;
  const uint64_t tick = c.model.tick();
  check_hybrid_scan(c.checkers, c.model, "", {{"votes/h0", "x"}, {"index/h1", "y"}}, tick, tick,
                    2);
  ASSERT_FALSE(c.violations.empty());
  EXPECT_EQ(c.violations.front().invariant, kCheckPagination);
  EXPECT_NE(c.violations.front().message.find("ascending"), std::string::npos);
}

TEST(HybridScanCheck, APhantomKeyOrALostAckedKeyIsCaught) {
  ScanCheck phantom;
  uint64_t tick = phantom.model.tick();
  check_hybrid_scan(phantom.checkers, phantom.model, "votes/", {{"votes/h3", "never written"}},
                    tick, tick, 2);
  ASSERT_EQ(phantom.violations.size(), 1u);
  EXPECT_EQ(phantom.violations.front().invariant, kCheckReads);

  ScanCheck lost;
  const StoreKey key{kHybridRawNamespace, "index", "h1"};
  lost.model.complete(lost.model.begin(0, 0, "write", key, "acked", true, true, 0), Status(), 1);
  tick = lost.model.tick();
  check_hybrid_scan(lost.checkers, lost.model, "", {}, tick, tick, 2);
  ASSERT_EQ(lost.violations.size(), 1u);
  EXPECT_NE(lost.violations.front().message.find("index"), std::string::npos);
}

TEST(HybridScanCheck, AKeyOutsideTheScannedPrefixIsCaught) {
  ScanCheck c;
  const uint64_t tick = c.model.tick();
  check_hybrid_scan(c.checkers, c.model, "votes/", {{"index/h1", "x"}}, tick, tick, 2);
  ASSERT_FALSE(c.violations.empty());
  EXPECT_NE(c.violations.front().message.find("outside the prefix"), std::string::npos);
}

// Batch atomicity: a single-side HybridStore batch is judged as a unit after a crash.
struct BatchCheck : ScanCheck {
  const StoreKey a{kHybridRawNamespace, "index", "h1"};
  const StoreKey b{kHybridRawNamespace, "meta", "h2"};
  // Acknowledged old values of a and b (ops 0 and 1), then batch op 2 writing both.
  BatchCheck() {
    model.complete(model.begin(0, 0, "write", a, "old-a", true, true, 0), Status(), 1);
    model.complete(model.begin(1, 0, "write", b, "old-b", true, true, 0), Status(), 1);
    model.begin(2, 1, "atomic", a, "batch-a", true, true, 2);
    model.begin(2, 1, "atomic", b, "batch-b", true, true, 2);
  }
  void check(const std::optional<std::string>& in_a, const std::optional<std::string>& in_b) {
    for (const auto& [op, ids] : model.batches()) checkers.batch_atomic(ids, {{a, in_a}, {b, in_b}});
  }
};

TEST(HybridBatchCheck, ABatchInFlightAtACrashMayShowAllOrNoneOfItself) {
  for (const bool all : {true, false}) {
    BatchCheck c;
    c.model.crash();
    ASSERT_EQ(c.model.batches().size(), 1u);
    EXPECT_EQ(c.model.batches().begin()->second.size(), 2u);
    if (all) {
      c.check("batch-a", "batch-b");
    } else {
      c.check("old-a", "old-b");
    }
    EXPECT_TRUE(c.violations.empty()) << c.violations.front().message;
    EXPECT_EQ(c.stats.invariants_checked.at(kCheckAtomicity), 1u);
  }
}

TEST(HybridBatchCheck, AHalfAppliedBatchIsAViolationNamingTheBatch) {
  BatchCheck c;
  c.model.crash();
  c.check("batch-a", "old-b");
  ASSERT_EQ(c.violations.size(), 1u);
  const Violation& v = c.violations.front();
  EXPECT_EQ(v.invariant, kCheckAtomicity);
  EXPECT_NE(v.message.find("atomic batch op#2"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("half-applied"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find(c.b.to_string() + " holds 'old-b'"), std::string::npos) << v.message;
  EXPECT_NE(v.history.find("batch-b"), std::string::npos) << v.history;

  // The other half showing is the same violation, found from b's value.
  BatchCheck other;
  other.model.crash();
  other.check("old-a", "batch-b");
  ASSERT_EQ(other.violations.size(), 1u);
  EXPECT_NE(other.violations.front().message.find(other.b.to_string() + " holds its batch value"),
            std::string::npos);
}

// The violation's text is built only when a batch fails; it names the batch, the key that
// proves it applied and what every other key holds, and prints each key's whole model history
// and the recent run events.
TEST(HybridBatchCheck, AHalfAppliedBatchPrintsEachKeysHistoryAndTheRecentEvents) {
  BatchCheck c;
  c.model.crash();
  c.checkers.note(5, "power cut");
  c.check("batch-a", "old-b");
  ASSERT_EQ(c.violations.size(), 1u);
  EXPECT_EQ(c.violations.front().message,
            "atomic batch op#2 [crashed] of 2 keys (@hybrid/index/h1, @hybrid/meta/h2) is "
            "half-applied: @hybrid/index/h1 holds its batch value; @hybrid/meta/h2 holds "
            "'old-b' (allowed once the batch applied: 'batch-b')");
  EXPECT_EQ(c.violations.front().history,
            "  baseline of @hybrid/index/h1: <absent>\n"
            "  m0 op#0 c0 write @hybrid/index/h1 = 'old-a' [acked issued@0us done@1us]\n"
            "  m2 op#2 c1 atomic @hybrid/index/h1 = 'batch-a' [crashed issued@2us]\n"
            "  baseline of @hybrid/meta/h2: <absent>\n"
            "  m1 op#1 c0 write @hybrid/meta/h2 = 'old-b' [acked issued@0us done@1us]\n"
            "  m3 op#2 c1 atomic @hybrid/meta/h2 = 'batch-b' [crashed issued@2us]\n"
            "recent run events:\n"
            "  @5us power cut\n");
}

TEST(HybridBatchCheck, AnAcknowledgedBatchMissingAKeyIsAViolation) {
  BatchCheck c;
  for (const auto& [op, ids] : c.model.batches()) {
    for (uint64_t id : ids) c.model.complete(id, Status(), 3);
  }
  c.check("batch-a", "old-b");
  ASSERT_EQ(c.violations.size(), 1u);
  EXPECT_NE(c.violations.front().message.find("acknowledged"), std::string::npos);
}

TEST(HybridBatchCheck, AWriteAfterTheBatchMayReplaceOneOfItsKeys) {
  BatchCheck c;
  for (const auto& [op, ids] : c.model.batches()) {
    for (uint64_t id : ids) c.model.complete(id, Status::io_error("sync"), 3);
  }
  c.model.complete(c.model.begin(3, 0, "remove", c.b, std::nullopt, true, true, 4), Status(), 5);
  c.check("batch-a", std::nullopt);
  EXPECT_TRUE(c.violations.empty()) << c.violations.front().message;
  // A refused batch (it spans both sides) is never judged.
  BatchCheck refused;
  for (const auto& [op, ids] : refused.model.batches()) {
    for (uint64_t id : ids) refused.model.complete(id, Status::invalid_argument("spans"), 3);
  }
  refused.check("old-a", "old-b");
  EXPECT_TRUE(refused.violations.empty());
}

}  // namespace
}  // namespace tierkv::sim
