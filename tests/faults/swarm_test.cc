// Swarm fault plans: deterministic per seed, varied across seeds, and within the fault budget.
#include "faults/swarm.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace tierkv::faults {
namespace {

std::vector<sim::Fault> faults_for(uint64_t seed, const SwarmOptions& options) {
  sim::Prng prng(seed);
  return draw_faults(prng, options);
}

RC_GTEST_PROP(Swarm, SameSeedGivesSamePlanAndSchedule, (uint64_t seed, bool over_budget)) {
  SwarmOptions options;
  options.over_budget = over_budget;
  sim::Prng a(seed);
  sim::Prng b(seed);
  const FaultPlan plan_a = draw_fault_plan(a, options);
  RC_ASSERT(plan_a == draw_fault_plan(b, options));
  RC_ASSERT(schedule_faults(plan_a, a, options) == schedule_faults(plan_a, b, options));
}

TEST(Swarm, DifferentSeedsTurnOnDifferentKindSets) {
  std::set<std::string> mixes;
  SwarmOptions options;
  for (uint64_t seed = 1; seed <= 64; ++seed) {
    sim::Prng prng(seed);
    mixes.insert(draw_fault_plan(prng, options).describe());
  }
  // 9 in-budget kinds each on or off: 64 seeds must explore many mixes, not one average one.
  EXPECT_GT(mixes.size(), 40u);
}

TEST(Swarm, EveryInBudgetKindIsDrawnSomewhereAndOverBudgetNever) {
  std::set<FaultKind> seen;
  SwarmOptions options;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    for (const sim::Fault& fault : faults_for(seed, options)) {
      EXPECT_FALSE(fault.over_budget) << "seed " << seed;
      EXPECT_FALSE(fault_info(fault.kind).over_budget) << "seed " << seed;
      seen.insert(fault.kind);
    }
  }
  for (const FaultKindInfo& info : fault_catalog()) {
    if (!info.over_budget) {
      EXPECT_TRUE(seen.count(info.kind)) << info.name;
    }
  }
}

TEST(Swarm, OverBudgetAlwaysAddsCorruptionMarkedOverBudget) {
  SwarmOptions options;
  options.over_budget = true;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    bool has_bit_rot = false;
    for (const sim::Fault& fault : faults_for(seed, options)) {
      EXPECT_EQ(fault.over_budget, fault_info(fault.kind).over_budget);
      if (fault.kind == FaultKind::kBitRot) {
        has_bit_rot = true;
        EXPECT_TRUE(fault.target == "wal" || fault.target == "snapshot") << fault.target;
      }
    }
    EXPECT_TRUE(has_bit_rot) << "seed " << seed;
  }
}

RC_GTEST_PROP(Swarm, ScheduleStaysInsideHorizonsAndBounds, (uint64_t seed)) {
  SwarmOptions options;
  options.over_budget = true;
  options.env_ops_horizon = *rc::gen::inRange<uint64_t>(1, 100000);
  options.simulated_us_horizon = *rc::gen::inRange<uint64_t>(1, 10'000'000);
  std::map<FaultKind, uint32_t> counts;
  for (const sim::Fault& fault : faults_for(seed, options)) {
    ++counts[fault.kind];
    RC_ASSERT(fault.rate_ppm <= kRatePpmMax);
    const FaultShape shape = fault_info(fault.kind).shape;
    if (shape == FaultShape::kPoint) {
      RC_ASSERT(fault.at >= 1u);
      RC_ASSERT(fault.at <= options.env_ops_horizon);
    }
    if (shape == FaultShape::kWindow) {
      RC_ASSERT(fault.at < options.simulated_us_horizon);
      RC_ASSERT(fault.duration >= 1u);
    }
    if (shape == FaultShape::kRate) {
      RC_ASSERT(fault.rate_ppm >= fault_info(fault.kind).rate_ppm_min);
      RC_ASSERT(fault.rate_ppm <= fault_info(fault.kind).rate_ppm_max);
    }
  }
  RC_ASSERT(counts[FaultKind::kCrash] <= kCrashesMax);
  RC_ASSERT(counts[FaultKind::kBitRot] <= kBitRotsMax);
  RC_ASSERT(counts[FaultKind::kBackupOutage] <= kWindowsMax);
}

TEST(Swarm, ExplicitKindsTurnOnExactlyThose) {
  SwarmOptions options;
  options.kinds = {FaultKind::kCrash, FaultKind::kIoError};
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    sim::Prng prng(seed);
    const FaultPlan plan = draw_fault_plan(prng, options);
    ASSERT_EQ(plan.enabled.size(), 2u);
    EXPECT_EQ(plan.enabled[0].kind, FaultKind::kCrash);
    EXPECT_EQ(plan.enabled[1].kind, FaultKind::kIoError);
    EXPECT_GT(plan.enabled[1].rate_ppm, 0u);
  }
}

TEST(Swarm, NoFaultsSchedulesNothing) {
  SwarmOptions options;
  options.no_faults = true;
  options.over_budget = true;
  for (uint64_t seed = 1; seed <= 20; ++seed) EXPECT_TRUE(faults_for(seed, options).empty());
}

TEST(Swarm, OverBudgetKindNeedsTheFlag) {
  const Status refused = check_fault_kinds({FaultKind::kCrash, FaultKind::kBitRot}, false);
  EXPECT_TRUE(refused.is_invalid_argument());
  EXPECT_NE(refused.message().find("bit_rot"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("--over-budget"), std::string::npos) << refused.message();
  EXPECT_TRUE(check_fault_kinds({FaultKind::kCrash, FaultKind::kBitRot}, true).ok());
}

TEST(FaultList, ParsesNamesNoneAndAll) {
  Result<std::vector<FaultKind>> kinds = parse_fault_list("io_error,crash,crash");
  ASSERT_TRUE(kinds.ok()) << kinds.status().to_string();
  EXPECT_EQ(*kinds, (std::vector<FaultKind>{FaultKind::kCrash, FaultKind::kIoError}));
  EXPECT_TRUE(parse_fault_list("none")->empty());
  EXPECT_EQ(parse_fault_list("all")->size(), fault_catalog().size());
}

TEST(FaultList, RejectsUnknownAndEmptyEntriesByName) {
  Result<std::vector<FaultKind>> unknown = parse_fault_list("crash,chrash");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'chrash'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("torn_writes"), std::string::npos);
  EXPECT_FALSE(parse_fault_list("crash,,io_error").ok());
  EXPECT_FALSE(parse_fault_list("crash,").ok());
}

TEST(FaultCatalog, NamesRoundTripAndOnlyBitRotIsOverBudget) {
  for (const FaultKindInfo& info : fault_catalog()) {
    Result<FaultKind> kind = fault_kind_from_name(info.name);
    ASSERT_TRUE(kind.ok());
    EXPECT_EQ(*kind, info.kind);
    EXPECT_EQ(&fault_info(info.kind), &info);
    EXPECT_EQ(info.over_budget, info.kind == FaultKind::kBitRot) << info.name;
  }
}

}  // namespace
}  // namespace tierkv::faults
