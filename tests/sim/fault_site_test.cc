// Site-stable fault decisions (faults/fault_site.h) and the scenario format that selects them.
#include "faults/fault_site.h"

#include <gtest/gtest.h>

#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::faults {
namespace {

using sim::FaultKind;

TEST(FaultSite, TheSameSiteAlwaysGetsTheSameDecision) {
  for (uint64_t ordinal = 0; ordinal < 200; ++ordinal) {
    EXPECT_EQ(strikes_at_site(7, FaultKind::kIoError, "append /primary/wal/1.wal", ordinal, 50'000),
              strikes_at_site(7, FaultKind::kIoError, "append /primary/wal/1.wal", ordinal, 50'000));
  }
}

TEST(FaultSite, ZeroNeverStrikesAndTheFullRateAlwaysDoes) {
  for (uint64_t ordinal = 0; ordinal < 1000; ++ordinal) {
    EXPECT_FALSE(strikes_at_site(3, FaultKind::kTornWrites, "restart", ordinal, 0));
    EXPECT_TRUE(strikes_at_site(3, FaultKind::kTornWrites, "restart", ordinal, kPpmMax));
  }
}

TEST(FaultSite, StrikesAtAboutTheRateAndDependsOnSeedKindAndSite) {
  const uint64_t n = 20'000;
  uint64_t struck = 0;
  uint64_t same_other_seed = 0;
  uint64_t same_other_kind = 0;
  uint64_t same_other_site = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const bool s = strikes_at_site(11, FaultKind::kIoError, "read /a", i, 100'000);
    struck += s;
    same_other_seed += s == strikes_at_site(12, FaultKind::kIoError, "read /a", i, 100'000);
    same_other_kind += s == strikes_at_site(11, FaultKind::kNoSpace, "read /a", i, 100'000);
    same_other_site += s == strikes_at_site(11, FaultKind::kIoError, "read /b", i, 100'000);
  }
  EXPECT_GT(struck, n * 8 / 100);
  EXPECT_LT(struck, n * 12 / 100);
  // Independent decisions at 10% agree ~82% of the time; identical ones 100%.
  EXPECT_LT(same_other_seed, n * 90 / 100);
  EXPECT_LT(same_other_kind, n * 90 / 100);
  EXPECT_LT(same_other_site, n * 90 / 100);
}

TEST(FaultSite, GeneratedScenariosUseSiteDecisionsAndOldFilesKeepTheStream) {
  const sim::Scenario generated = sim::generate_scenario(5, sim::options_with(20));
  EXPECT_EQ(generated.fault_decisions, sim::FaultDecisions::kSite);
  std::string json = sim::scenario_to_json(generated);
  const std::string v2 = "\"format_version\": 2";
  ASSERT_NE(json.find(v2), std::string::npos);
  json.replace(json.find(v2), v2.size(), "\"format_version\": 1");
  Result<sim::Scenario> old = sim::scenario_from_json(json);
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  EXPECT_EQ(old->fault_decisions, sim::FaultDecisions::kStream);
  EXPECT_EQ(sim::scenario_to_json(*old), json);  // a version-1 file stays version 1
}

}  // namespace
}  // namespace tierkv::faults
