// tierkv-sim sweep on a fake driver: every seed of the shard runs once whatever --jobs is,
// failures become scenario files with reproduce commands, a dying worker is a failure (not a
// hung or crashed sweep), and report.json / summary.md carry the counts.
#include "sim/sweep.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_driver.h"
#include "sim/cli_commands.h"
#include "sim/cli_report.h"

namespace tierkv::sim {
namespace {

namespace fs = std::filesystem;

SweepConfig config_for(const std::string& name, SeedRange seeds, uint32_t jobs) {
  const fs::path dir = fs::temp_directory_path() / ("tierkv_sweep_test_" + name);
  fs::remove_all(dir);
  SweepConfig config;
  config.seeds = seeds;
  config.jobs = jobs;
  config.failures_dir = dir.string();
  config.options.ops = 20;
  config.flags.ops = 20;
  return config;
}

std::vector<uint64_t> failing_seeds(const SweepReport& report) {
  std::vector<uint64_t> seeds;
  for (const SweepFailure& f : report.failures) seeds.push_back(f.seed);
  return seeds;
}

TEST(Sweep, SameFailuresAndCountsWithOneOrFourJobs) {
  std::ostringstream progress;
  // Seeds 1..40: 3,10,17,24,31,38 plant recovery failures; 5,16,27,38 abort the worker.
  const SweepReport one = run_sweep(config_for("jobs1", {1, 40}, 1), testing::fake_driver(), progress);
  const SweepReport four = run_sweep(config_for("jobs4", {1, 40}, 4), testing::fake_driver(), progress);
  for (const SweepReport* report : {&one, &four}) {
    EXPECT_EQ(report->seeds_run, 40u);
    EXPECT_EQ(failing_seeds(*report), (std::vector<uint64_t>{3, 5, 10, 16, 17, 24, 27, 31, 38}));
    EXPECT_EQ(report->invariants.at("recovery").checked, 40u - 4u);  // aborted seeds report nothing
    EXPECT_EQ(report->invariants.at("recovery").violated, 5u);
    EXPECT_EQ(report->invariants.at(std::string(kProcessAbortInvariant)).violated, 4u);
    EXPECT_EQ(report->ops_issued, 36u * 20u);
    EXPECT_TRUE(report->stop_reason.empty());
  }
  EXPECT_NE(progress.str().find("progress: 40/40 seeds"), std::string::npos) << progress.str();
}

TEST(Sweep, FailuresCarryScenarioFilesThatReplayTheSameWay) {
  std::ostringstream progress;
  const SweepReport report = run_sweep(config_for("files", {1, 12}, 2), testing::fake_driver(), progress);
  ASSERT_EQ(failing_seeds(report), (std::vector<uint64_t>{3, 5, 10}));
  for (const SweepFailure& failure : report.failures) {
    ASSERT_FALSE(failure.scenario_file.empty()) << failure.seed;
    EXPECT_EQ(failure.reproduce, "tierkv-sim replay " + failure.scenario_file);
    Result<Scenario> scenario = load_scenario_file(failure.scenario_file);
    ASSERT_TRUE(scenario.ok()) << scenario.status().to_string();
    EXPECT_EQ(scenario->expected_violation, failure.invariant);
    EXPECT_EQ(scenario->seed, failure.seed);
  }
  EXPECT_EQ(report.failures[1].invariant, kProcessAbortInvariant);
  EXPECT_NE(report.failures[1].message.find("signal 6"), std::string::npos) << report.failures[1].message;
}

TEST(Sweep, ShardsRunDisjointSeedsThatCoverTheRange) {
  std::ostringstream progress;
  std::vector<uint64_t> failing;
  uint64_t run = 0;
  for (uint32_t k = 0; k < 3; ++k) {
    SweepConfig config = config_for("shard" + std::to_string(k), {1, 40}, 2);
    config.shard = Shard{k, 3};
    const SweepReport report = run_sweep(config, testing::fake_driver(), progress);
    run += report.seeds_run;
    for (uint64_t seed : failing_seeds(report)) failing.push_back(seed);
  }
  std::sort(failing.begin(), failing.end());
  EXPECT_EQ(run, 40u);
  EXPECT_EQ(failing, (std::vector<uint64_t>{3, 5, 10, 16, 17, 24, 27, 31, 38}));
}

TEST(Sweep, StopOnViolationStopsHandingOutSeeds) {
  std::ostringstream progress;
  SweepConfig config = config_for("stop", {1, 1000}, 1);
  config.stop_on_violation = true;
  const SweepReport report = run_sweep(config, testing::fake_driver(), progress);
  EXPECT_EQ(report.seeds_run, 3u);  // seed 3 is the first failure
  EXPECT_EQ(report.first_failure_seed, 3u);
  EXPECT_EQ(report.first_failure_seeds_run, 3u);
  EXPECT_EQ(report.stop_reason, "stopped at the first violation");
}

TEST(Sweep, TimeBudgetStopsStartingSeeds) {
  std::ostringstream progress;
  SweepConfig config = config_for("budget", {1, 1'000'000'000}, 1);
  config.options.no_faults = true;  // nothing fails; only the budget ends it
  config.time_budget_seconds = 0.3;
  const SweepReport report = run_sweep(config, testing::fake_driver(), progress);
  EXPECT_EQ(report.stop_reason, "time budget reached");
  EXPECT_LT(report.seeds_run, report.seeds_planned);
  EXPECT_GT(report.seeds_run, 0u);
}

TEST(SweepReport, JsonAndMarkdownCarryCountsFailuresAndReproduceCommands) {
  std::ostringstream progress;
  const SweepReport report = run_sweep(config_for("report", {1, 12}, 2), testing::fake_driver(), progress);
  const fs::path dir = fs::temp_directory_path() / "tierkv_sweep_test_report_out";
  fs::remove_all(dir);
  ASSERT_TRUE(write_sweep_report(report, dir.string()).ok());
  std::ifstream in(dir / "report.json");
  const nlohmann::json json = nlohmann::json::parse(in);
  EXPECT_EQ(json["seeds"]["run"], 12);
  EXPECT_EQ(json["seeds"]["failed"], 3);
  EXPECT_EQ(json["config"]["seeds_first"], 1);
  EXPECT_EQ(json["invariants"]["recovery"]["violated"], 2);
  EXPECT_EQ(json["faults_fired"]["crash"], 11);
  EXPECT_EQ(json["failures"][0]["reproduce"], "tierkv-sim replay " + report.failures[0].scenario_file);
  EXPECT_GT(json["throughput"]["ops_per_second"].get<double>(), 0.0);
  EXPECT_EQ(json["simulated"]["time_us"], 11 * 1000);
  std::ifstream md_in(dir / "summary.md");
  std::stringstream md;
  md << md_in.rdbuf();
  EXPECT_NE(md.str().find("| recovery | 11 | 2 |"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("tierkv-sim replay"), std::string::npos);
}

TEST(SweepCommand, BadFlagsExitTwoNamingTheFlag) {
  const auto sweep = [](SweepCommand command) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = sweep_command(command, testing::fake_driver(), out, err);
    return std::make_pair(code, err.str());
  };
  SweepCommand bad_seeds;
  bad_seeds.seeds = "9..1";
  EXPECT_EQ(sweep(bad_seeds), std::make_pair(kExitBadInput, std::string("error: --seeds '9..1': A must not exceed B\n")));
  SweepCommand bad_shard;
  bad_shard.shard = "3/3";
  EXPECT_EQ(sweep(bad_shard).first, kExitBadInput);
  SweepCommand bad_jobs;
  bad_jobs.jobs = 0;
  EXPECT_NE(sweep(bad_jobs).second.find("--jobs 0"), std::string::npos);
}

}  // namespace
}  // namespace tierkv::sim
