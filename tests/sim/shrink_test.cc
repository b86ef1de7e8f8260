// Shrinking: ddmin finds a 1-minimal failing sublist; shrink keeps the same invariant failing
// and strips ops, faults, clients and world features the failure does not need.
#include "sim/shrink.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "fake_driver.h"
#include "sim/cli_commands.h"

namespace tierkv::sim {
namespace {

// The failure needs every "needle" element present.
RC_GTEST_PROP(Ddmin, FindsExactlyTheNeededElements, ()) {
  const auto size = *rc::gen::inRange<int>(1, 200);
  std::vector<int> items(size);
  for (int i = 0; i < size; ++i) items[i] = i;
  const auto needles = *rc::gen::container<std::set<int>>(rc::gen::inRange(0, size));
  const std::function<bool(const std::vector<int>&)> fails = [&](const std::vector<int>& list) {
    return std::all_of(needles.begin(), needles.end(), [&](int needle) {
      return std::find(list.begin(), list.end(), needle) != list.end();
    });
  };
  uint32_t runs_left = 100'000;
  const std::vector<int> shrunk = ddmin(items, fails, &runs_left);
  RC_ASSERT(shrunk == std::vector<int>(needles.begin(), needles.end()));
}

TEST(Ddmin, StopsAtTheRunBudgetWithAFailingList) {
  std::vector<int> items(1000);
  for (int i = 0; i < 1000; ++i) items[i] = i;
  const std::function<bool(const std::vector<int>&)> fails = [](const std::vector<int>& list) {
    return std::find(list.begin(), list.end(), 777) != list.end();
  };
  uint32_t runs_left = 5;
  const std::vector<int> shrunk = ddmin(items, fails, &runs_left);
  EXPECT_EQ(runs_left, 0u);
  EXPECT_TRUE(fails(shrunk));
  EXPECT_LT(shrunk.size(), items.size());
}

TEST(Shrink, KeepsTheInvariantAndStripsWhatTheFailureDoesNotNeed) {
  GenerateOptions options;
  options.ops = 300;
  Scenario scenario = testing::fake_generate(3, options);
  scenario.hot_keys = true;
  const auto still_fails = [](const Scenario& s) {
    const RunResult result = testing::fake_run(s);
    return !result.violations.empty() && result.violations[0].invariant == "recovery";
  };
  const ShrinkResult result = shrink_scenario(scenario, "recovery", still_fails, {});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.expected_violation, "recovery");
  ASSERT_EQ(result.scenario.ops.size(), 1u);
  EXPECT_EQ(result.scenario.ops[0].key, "bad");
  ASSERT_EQ(result.scenario.faults.size(), 1u);
  EXPECT_EQ(result.scenario.faults[0].kind, FaultKind::kCrash);
  EXPECT_EQ(result.scenario.clients, 1u);
  EXPECT_EQ(result.scenario.ops[0].client, 0u);
  EXPECT_FALSE(result.scenario.world.backup_tier);
  EXPECT_FALSE(result.scenario.hot_keys);
  EXPECT_FALSE(result.budget_exhausted);
  EXPECT_LT(result.runs, 200u);
}

TEST(ShrinkCommand, WritesAShrunkScenarioThatStillFails) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tierkv_shrink_test";
  fs::remove_all(dir);
  Scenario scenario = testing::fake_generate(10, GenerateOptions{});
  ASSERT_TRUE(save_scenario_file((dir / "in.json").string(), scenario).ok());
  ShrinkCommand command{(dir / "in.json").string(), (dir / "out.json").string(), 2000};
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("ops 400 -> 1, faults 3 -> 1, clients 3 -> 1"), std::string::npos)
      << out.str();
  Result<Scenario> shrunk = load_scenario_file(command.out_file);
  ASSERT_TRUE(shrunk.ok());
  EXPECT_EQ(shrunk->expected_violation, "recovery");
  EXPECT_FALSE(testing::fake_run(*shrunk).violations.empty());
}

TEST(ShrinkCommand, RefusesAScenarioThatDoesNotFail) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tierkv_shrink_test_clean";
  fs::remove_all(dir);
  ASSERT_TRUE(save_scenario_file((dir / "in.json").string(), testing::fake_generate(1, GenerateOptions{})).ok());
  std::ostringstream out;
  std::ostringstream err;
  ShrinkCommand command{(dir / "in.json").string(), (dir / "out.json").string(), 100};
  EXPECT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitBadInput);
  EXPECT_NE(err.str().find("does not fail as it stands"), std::string::npos) << err.str();
  EXPECT_FALSE(fs::exists(command.out_file));
}

TEST(ShrinkCommand, AnAbortingScenarioShrinksInIsolatedProcesses) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "tierkv_shrink_test_abort";
  fs::remove_all(dir);
  GenerateOptions options;
  options.ops = 40;
  ASSERT_TRUE(save_scenario_file((dir / "in.json").string(), testing::fake_generate(5, options)).ok());
  std::ostringstream out;
  std::ostringstream err;
  ShrinkCommand command{(dir / "in.json").string(), (dir / "out.json").string(), 500};
  ASSERT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("invariant 'process_abort': ops 40 -> 1, faults 3 -> 0"), std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace tierkv::sim
