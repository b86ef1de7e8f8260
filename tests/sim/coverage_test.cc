// What the simulator's workload and fault model reach (issue 7 coverage): pipelined
// VersionedStore commits, overlay uploads under quota reservations next to drops interrupted
// by crashes, and the engine's BUGGIFY points. A user relies on each being driven (a bug there
// can be caught at all) while a correct engine still passes every checker, deterministically.
//
// Seeds: a fast subset by default. TIERKV_LONG=1 (environment) runs longer seed loops.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "sim/checkers.h"
#include "sim/runner.h"
#include "sim/runner_observer.h"
#include "sim/scenario.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::sim {
namespace {

size_t count_kind(const Scenario& scenario, OpKind kind) {
  size_t n = 0;
  for (const Op& op : scenario.ops) n += op.kind == kind ? 1 : 0;
  return n;
}

// Pipelined commits are generated only where a VersionedStore is the primary, each op issuing
// 2..kPipelinedCommitsMax commits, and a correct store passes with crashes among them (the
// recovered raw keys and the LtHash are checked).
TEST(CoveragePipelinedCommits, GeneratedForVersionedWorldsAndPassUnderCrashes) {
  const uint64_t seeds = long_mode() ? 300 : 20;
  size_t commit_ops = 0;
  uint64_t crashes = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario scenario = generate_scenario(
        seed, options_with(150, {FaultKind::kCrash, FaultKind::kTornWrites}));
    const size_t n = count_kind(scenario, OpKind::kCommitAsync);
    if (!scenario.world.versioned_primary) {
      EXPECT_EQ(n, 0u) << "seed " << seed;
    }
    for (const Op& op : scenario.ops) {
      if (op.kind != OpKind::kCommitAsync) continue;
      EXPECT_GE(op.keys.size(), 2u);
      EXPECT_LE(op.keys.size(), 4u);
    }
    commit_ops += n;
    const RunResult result = run_scenario(scenario);
    ASSERT_TRUE(result.ok()) << "seed " << seed << describe(result);
    crashes += result.stats.crashes;
  }
  EXPECT_GT(commit_ops, seeds);
  EXPECT_GT(crashes, 0u);
}

// Overlay worlds: reserved uploads and drops run under crashes; the overlays checker (which
// also compares the quota's reserved bytes with what clients hold) holds.
TEST(CoverageOverlays, ReservedUploadsAndInterruptedDropsPass) {
  const uint64_t seeds = long_mode() ? 300 : 40;
  size_t reserve_ops = 0;
  uint64_t overlay_checks = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario scenario = generate_scenario(seed, options_with(150, {FaultKind::kCrash}));
    if (!scenario.world.overlay_store) continue;  // a third of the seeds have overlays
    reserve_ops += count_kind(scenario, OpKind::kOverlayReserve);
    const RunResult result = run_scenario(scenario);
    ASSERT_TRUE(result.ok()) << "seed " << seed << describe(result);
    auto it = result.stats.invariants_checked.find(kCheckOverlays);
    if (it != result.stats.invariants_checked.end()) overlay_checks += it->second;
  }
  EXPECT_GT(reserve_ops, 0u);
  EXPECT_GT(overlay_checks, 0u);
}

// Bulk uploads (OpKind::kOverlayPutBlocks: one OverlayStore::put_blocks call of 2-4 blocks)
// run in overlay worlds under crashes and EIO; most are acknowledged, and the overlays checker
// (store consistency after every crash, nothing stored into a Deleting overlay, put_blocks'
// answer consistent with what it stored) holds.
class OpCounter : public RunObserver {
 public:
  void op_finished(uint64_t, const Op& op, StatusCode code, bool, uint64_t,
                   const RunStats&) override {
    if (op.kind != OpKind::kOverlayPutBlocks) return;
    ++finished;
    if (code == StatusCode::kOk) ++acknowledged;
  }
  uint64_t finished = 0;
  uint64_t acknowledged = 0;
};

TEST(CoverageOverlays, BulkUploadsRunUnderCrashesAndPass) {
  const uint64_t seeds = long_mode() ? 300 : 40;
  size_t bulk_ops = 0;
  uint64_t crashes = 0;
  OpCounter counter;
  ScopedRunObserver observe(&counter);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario scenario =
        generate_scenario(seed, options_with(150, {FaultKind::kCrash, FaultKind::kIoError}));
    if (!scenario.world.overlay_store) continue;  // a third of the seeds have overlays
    for (const Op& op : scenario.ops) {
      if (op.kind != OpKind::kOverlayPutBlocks) continue;
      ++bulk_ops;
      EXPECT_GE(op.value_bytes, 2u);
      EXPECT_LE(op.value_bytes, 4u);
    }
    const RunResult result = run_scenario(scenario);
    ASSERT_TRUE(result.ok()) << "seed " << seed << describe(result);
    crashes += result.stats.crashes;
  }
  EXPECT_GT(bulk_ops, 0u);
  EXPECT_GT(counter.finished, 0u);
  EXPECT_GT(counter.acknowledged * 2, counter.finished);  // most uploads store every block
  EXPECT_GT(crashes, 0u);
}

// BUGGIFY: with the fault on at the highest rate, the engine's points fire, each named in the
// run's statistics ("buggify:<point>"), the run still passes, and it replays identically.
TEST(CoverageBuggify, PointsFireAreReportedAndRunsStayDeterministic) {
  const uint64_t seeds = long_mode() ? 200 : 16;
  std::set<std::string> fired_points;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario scenario = generate_scenario(seed, options_with(120, {FaultKind::kCrash}));
    scenario.faults.push_back(Fault{FaultKind::kBuggify, 0, 0, 200'000, "", false});
    const RunResult first = run_scenario(scenario);
    ASSERT_TRUE(first.ok()) << "seed " << seed << describe(first);
    const RunResult second = run_scenario(scenario);
    ASSERT_EQ(first.trace_hex, second.trace_hex) << "seed " << seed;
    uint64_t per_point = 0;
    for (const auto& [name, count] : first.stats.faults_fired) {
      if (name.rfind("buggify:", 0) != 0) continue;
      fired_points.insert(name);
      per_point += count;
    }
    auto total = first.stats.faults_fired.find("buggify");
    EXPECT_EQ(per_point, total == first.stats.faults_fired.end() ? 0 : total->second);
  }
  EXPECT_TRUE(fired_points.contains("buggify:wal.group_commit_split")) << fired_points.size();
  EXPECT_GE(fired_points.size(), 3u);
}

}  // namespace
}  // namespace tierkv::sim
