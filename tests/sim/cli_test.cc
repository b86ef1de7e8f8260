// tierkv-sim's flags and subcommands (run, replay, replay-all) on a fake driver: exit codes,
// messages naming the bad flag or field, failure files and reproduce lines.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_driver.h"
#include "sim/cli_commands.h"

namespace tierkv::sim {
namespace {

namespace fs = std::filesystem;

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tierkv_cli_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct Captured {
  int code;
  std::string out;
  std::string err;
};

template <typename Command>
Captured capture(Command command) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = command(out, err);
  return {code, out.str(), err.str()};
}

Captured run(RunCommand command) {
  return capture([&](std::ostream& out, std::ostream& err) {
    return run_command(command, testing::fake_driver(), out, err);
  });
}

TEST(SeedRange, ParsesRangesAndSingleSeeds) {
  EXPECT_EQ(*parse_seed_range("3..9"), (SeedRange{3, 9}));
  EXPECT_EQ(*parse_seed_range("7"), (SeedRange{7, 7}));
  EXPECT_EQ(parse_seed_range("3..9")->size(), 7u);
  for (const char* bad : {"", "9..3", "a..b", "1..", "..4", "1...4", "-1..3", "1..2x"}) {
    Result<SeedRange> range = parse_seed_range(bad);
    ASSERT_FALSE(range.ok()) << bad;
    EXPECT_EQ(range.status().message().rfind("--seeds '", 0), 0u) << range.status().message();
  }
}

TEST(Shard, ParsesAndRejectsWithReasons) {
  EXPECT_EQ(*parse_shard("2/5"), (Shard{2, 5}));
  EXPECT_NE(parse_shard("5/5").status().message().find("K must be below N"), std::string::npos);
  EXPECT_FALSE(parse_shard("1/0").ok());
  EXPECT_FALSE(parse_shard("1").ok());
  EXPECT_FALSE(parse_shard("a/2").ok());
}

// Shards of one range are disjoint and together cover the range exactly.
RC_GTEST_PROP(Shard, ShardsPartitionTheRange, ()) {
  const uint64_t first = *rc::gen::inRange<uint64_t>(0, 1'000'000);
  const uint64_t last = first + *rc::gen::inRange<uint64_t>(0, 500);
  const uint32_t count = *rc::gen::inRange<uint32_t>(1, 40);
  const SeedRange range{first, last};
  std::vector<int> owners(range.size(), 0);
  for (uint32_t k = 0; k < count; ++k) {
    const std::vector<uint64_t> seeds = shard_seeds(range, Shard{k, count});
    RC_ASSERT(std::is_sorted(seeds.begin(), seeds.end()));
    for (uint64_t seed : seeds) {
      RC_ASSERT(seed >= first);
      RC_ASSERT(seed <= last);
      RC_ASSERT(shard_contains(range, Shard{k, count}, seed));
      ++owners[seed - first];
    }
  }
  for (int owner_count : owners) RC_ASSERT(owner_count == 1);
}

TEST(GenerateFlags, ValidatesBackendOpsAndFaultsNamingTheFlag) {
  GenerateFlags flags;
  flags.backend = "rocksdb";
  EXPECT_EQ(make_generate_options(flags).status().message(),
            "--backend: unknown backend 'rocksdb' (expected memory, leveldb, sqlite or lmdb)");
  flags = GenerateFlags{};
  flags.ops = 0;
  EXPECT_NE(make_generate_options(flags).status().message().find("--ops 0"), std::string::npos);
  flags = GenerateFlags{};
  flags.faults = "crash,meteor";
  EXPECT_EQ(make_generate_options(flags).status().message().rfind("--faults: unknown fault kind 'meteor'", 0), 0u);
  flags.faults = "bit_rot";
  EXPECT_NE(make_generate_options(flags).status().message().find("--over-budget"), std::string::npos);
  flags.over_budget = true;
  Result<GenerateOptions> options = make_generate_options(flags);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->fault_kinds, std::vector<FaultKind>{FaultKind::kBitRot});
  flags.faults = "none";
  EXPECT_TRUE(make_generate_options(flags)->no_faults);
}

TEST(RunCommand, CleanSeedPrintsOptionsTraceAndResultAndExitsZero) {
  RunCommand command;
  command.seed = 1;
  const Captured result = run(command);
  EXPECT_EQ(result.code, kExitOk) << result.err;
  EXPECT_EQ(result.out.rfind("options: seed=1 backend=memory", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("\ntrace: "), std::string::npos);
  EXPECT_NE(result.out.find("\nresult: ok"), std::string::npos);
}

TEST(RunCommand, ViolationWritesAReplayableScenarioAndExitsOne) {
  const fs::path dir = scratch_dir("run_violation");
  RunCommand command;
  command.seed = 3;  // plants a recovery failure
  command.out_dir = dir.string();
  const Captured result = run(command);
  EXPECT_EQ(result.code, kExitViolation);
  const std::string file = (dir / "seed-3-recovery.json").string();
  EXPECT_NE(result.out.find("reproduce: tierkv-sim replay " + file), std::string::npos) << result.out;
  Result<Scenario> saved = load_scenario_file(file);
  ASSERT_TRUE(saved.ok()) << saved.status().to_string();
  EXPECT_EQ(saved->expected_violation, "recovery");
  const Captured replay = capture([&](std::ostream& out, std::ostream& err) {
    return replay_command(file, testing::fake_driver(), out, err);
  });
  EXPECT_EQ(replay.code, kExitViolation);
  EXPECT_NE(replay.out.find("reproduced: the recorded violation 'recovery'"), std::string::npos);
  // The same trace as the original run: a replay is the same run.
  const std::string trace_line = result.out.substr(result.out.find("trace: "));
  EXPECT_EQ(replay.out.find(trace_line.substr(0, trace_line.find('\n'))) != std::string::npos, true);
}

TEST(RunCommand, BadFlagsExitTwoNamingTheFlag) {
  RunCommand no_seed;
  Captured result = run(no_seed);
  EXPECT_EQ(result.code, kExitBadInput);
  EXPECT_NE(result.err.find("--seed is required"), std::string::npos);
  RunCommand bad_backend;
  bad_backend.seed = 1;
  bad_backend.backend = "mongo";
  result = run(bad_backend);
  EXPECT_EQ(result.code, kExitBadInput);
  EXPECT_NE(result.err.find("--backend: unknown backend 'mongo'"), std::string::npos);
  RunCommand over;
  over.seed = 1;
  over.faults = "crash,bit_rot";
  EXPECT_EQ(run(over).code, kExitBadInput);
}

TEST(RunCommand, SetupErrorIsBadInputNotAViolation) {
  RunCommand command;
  command.seed = 1;
  command.backend = "lmdb";  // the fake refuses it
  const Captured result = run(command);
  EXPECT_EQ(result.code, kExitBadInput);
  EXPECT_NE(result.out.find("SETUP ERROR"), std::string::npos);
}

TEST(RunCommand, CheckDeterminismCatchesDifferingTraces) {
  RunCommand command;
  command.seed = 1;
  command.check_determinism = true;
  const Captured same = run(command);
  EXPECT_EQ(same.code, kExitOk);
  EXPECT_NE(same.out.find("determinism: ok"), std::string::npos);
  int calls = 0;
  SimDriver flaky = testing::fake_driver();
  flaky.run = [&calls](const Scenario& s) {
    RunResult r = testing::fake_run(s);
    r.trace_hex += std::to_string(calls++);
    return r;
  };
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_command(command, flaky, out, err), kExitViolation);
  EXPECT_NE(out.str().find("NONDETERMINISM"), std::string::npos);
}

TEST(RunCommand, ScenarioFileRunsAsWritten) {
  const fs::path dir = scratch_dir("run_file");
  Scenario scenario = testing::fake_generate(3, GenerateOptions{});
  ASSERT_TRUE(save_scenario_file((dir / "s.json").string(), scenario).ok());
  RunCommand command;
  command.scenario_file = (dir / "s.json").string();
  command.out_dir = dir.string();
  EXPECT_EQ(run(command).code, kExitViolation);
  command.ops = 5;  // cannot reshape a file
  EXPECT_EQ(run(command).code, kExitBadInput);
}

TEST(SaveScenarioFile, RefusesAPathThatIsNotARegularFileAndLeavesItAsItWas) {
  const fs::path dir = scratch_dir("save_not_regular");
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Status saved = save_scenario_file(fifo.string(), testing::fake_generate(1, GenerateOptions{}));
  EXPECT_EQ(saved.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(saved.to_string().find("not a regular file"), std::string::npos);
  EXPECT_TRUE(fs::is_fifo(fifo));  // the rename would have replaced it with a regular file
  EXPECT_FALSE(fs::exists(dir / "pipe.tmp"));
  EXPECT_TRUE(save_scenario_file(fs::path(dir / "ok.json").string(),
                                 testing::fake_generate(1, GenerateOptions{})).ok());
}

TEST(ReplayCommand, MalformedFileExitsTwoNamingFileAndField) {
  const fs::path dir = scratch_dir("replay_bad");
  const fs::path file = dir / "bad.json";
  std::string text = scenario_to_json(testing::fake_generate(1, GenerateOptions{}));
  text.replace(text.find("\"write\""), 7, "\"wrte\"");
  std::ofstream(file) << text;
  const Captured result = capture([&](std::ostream& out, std::ostream& err) {
    return replay_command(file.string(), testing::fake_driver(), out, err);
  });
  EXPECT_EQ(result.code, kExitBadInput);
  EXPECT_EQ(result.err, "error: " + file.string() + ": ops[0].kind: unknown op kind 'wrte'\n");
  const Captured missing = capture([&](std::ostream& out, std::ostream& err) {
    return replay_command((dir / "nope.json").string(), testing::fake_driver(), out, err);
  });
  EXPECT_EQ(missing.code, kExitBadInput);
  EXPECT_NE(missing.err.find("nope.json: cannot open"), std::string::npos);
}

TEST(ReplayCommand, SaysWhenTheRecordedViolationNoLongerReproduces) {
  const fs::path dir = scratch_dir("replay_fixed");
  Scenario scenario = testing::fake_generate(1, GenerateOptions{});
  scenario.expected_violation = "recovery";  // recorded before a fix; now clean
  ASSERT_TRUE(save_scenario_file((dir / "fixed.json").string(), scenario).ok());
  const Captured result = capture([&](std::ostream& out, std::ostream& err) {
    return replay_command((dir / "fixed.json").string(), testing::fake_driver(), out, err);
  });
  EXPECT_EQ(result.code, kExitOk);
  EXPECT_NE(result.out.find("not reproduced: the recorded violation 'recovery' (the run was clean)"),
            std::string::npos);
}

TEST(ReplayAll, CleanCatalogPassesAndAFailingEntryFails) {
  const fs::path dir = scratch_dir("replay_all");
  for (uint64_t seed : {1, 2, 4}) {
    ASSERT_TRUE(save_scenario_file((dir / ("s" + std::to_string(seed) + ".json")).string(),
                                   testing::fake_generate(seed, GenerateOptions{})).ok());
  }
  std::ofstream(dir / "notes.txt") << "not a scenario";
  const auto replay_all = [&] {
    return capture([&](std::ostream& out, std::ostream& err) {
      return replay_all_command(dir.string(), testing::fake_driver(), out, err);
    });
  };
  Captured result = replay_all();
  EXPECT_EQ(result.code, kExitOk) << result.out << result.err;
  EXPECT_NE(result.out.find("3 scenarios"), std::string::npos);
  ASSERT_TRUE(save_scenario_file((dir / "s3.json").string(), testing::fake_generate(3, GenerateOptions{})).ok());
  result = replay_all();
  EXPECT_EQ(result.code, kExitViolation);
  EXPECT_NE(result.out.find("s3.json: FAILED"), std::string::npos);
}

}  // namespace
}  // namespace tierkv::sim
