// Shrinking: ddmin finds a 1-minimal failing sublist; shrink keeps the same invariant failing
// and strips ops, faults, clients and world features the failure does not need.
#include "sim/shrink.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
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

// A scenario of n ops with one crash fault at `crash_at` env ops and a torn-writes fault.
Scenario crash_scenario(size_t n, uint64_t crash_at, uint32_t torn_ppm) {
  Scenario s;
  for (size_t i = 0; i < n; ++i) {
    Op op;
    op.kind = OpKind::kWrite;
    op.key = i == n / 2 ? "needed" : "k" + std::to_string(i);
    s.ops.push_back(op);
  }
  s.faults.push_back(Fault{FaultKind::kCrash, crash_at, 0, 0, "", false});
  s.faults.push_back(Fault{FaultKind::kTornWrites, 0, 0, torn_ppm, "", false});
  return s;
}

bool has_needed_op(const Scenario& s) {
  return std::any_of(s.ops.begin(), s.ops.end(), [](const Op& op) { return op.key == "needed"; });
}

const Fault* find_fault(const Scenario& s, FaultKind kind) {
  for (const Fault& f : s.faults) {
    if (f.kind == kind) return &f;
  }
  return nullptr;
}

// Models a failure that needs its crash to fire inside the run (about 10 env ops per op):
// removing half the ops leaves the original crash point past the end, so only scaling the
// crash point with the run lets ddmin go below the ops before it.
TEST(Shrink, ScalesCrashPointsSoOpsBeforeTheCrashCanGo) {
  const auto still_fails = [](const Scenario& s) {
    const Fault* crash = find_fault(s, FaultKind::kCrash);
    return has_needed_op(s) && crash != nullptr && crash->at <= 10 * s.ops.size();
  };
  const Scenario start = crash_scenario(300, 2900, 0);
  ASSERT_TRUE(still_fails(start));
  const ShrinkResult result = shrink_scenario(start, "recovery", still_fails, {.max_runs = 400});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_LE(result.scenario.ops.size(), 10u);
  EXPECT_FALSE(result.budget_exhausted);
}

// Models a torn-tail failure whose torn decision came out right only in the long run: pinned
// to strike at every restart, the fault no longer depends on the ops around it.
TEST(Shrink, PinsARestartTimeFaultToEveryRestart) {
  const auto still_fails = [](const Scenario& s) {
    const Fault* torn = find_fault(s, FaultKind::kTornWrites);
    return has_needed_op(s) && torn != nullptr &&
           (torn->rate_ppm == 1'000'000 || s.ops.size() > 200);
  };
  const Scenario start = crash_scenario(300, 100, 300'000);
  const ShrinkResult result = shrink_scenario(start, "wal_prefix", still_fails, {.max_runs = 400});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 1u);
  ASSERT_NE(find_fault(result.scenario, FaultKind::kTornWrites), nullptr);
  EXPECT_EQ(find_fault(result.scenario, FaultKind::kTornWrites)->rate_ppm, 1'000'000u);
}

// Models a failure that needed a rare ENOSPC strike: in a short run the strike only comes at a
// higher rate, which the shrinker tries before removing ops.
TEST(Shrink, RaisesARareEnvErrorRateSoTheStrikeSurvivesShorterRuns) {
  const auto still_fails = [](const Scenario& s) {
    const Fault* no_space = find_fault(s, FaultKind::kNoSpace);
    return has_needed_op(s) && no_space != nullptr &&
           (s.ops.size() > 200 || no_space->rate_ppm >= 4 * 500);
  };
  Scenario start = crash_scenario(300, 100, 0);
  start.faults.push_back(Fault{FaultKind::kNoSpace, 0, 0, 500, "", false});
  const ShrinkResult result = shrink_scenario(start, "recovery", still_fails, {.max_runs = 400});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 1u);
  ASSERT_NE(find_fault(result.scenario, FaultKind::kNoSpace), nullptr);
  EXPECT_LE(find_fault(result.scenario, FaultKind::kNoSpace)->rate_ppm, 50'000u);
}

// Models a failure that needs every op of one namespace (30 of 300, spread out): one run per
// group removes the other namespaces, where ddmin alone would need far more than the budget.
TEST(Shrink, RemovesWholeGroupsOfOpsInOneRunEach) {
  Scenario start;
  start.clients = 3;
  for (uint32_t i = 0; i < 300; ++i) {
    Op op;
    op.kind = i % 3 == 0 ? OpKind::kRead : OpKind::kWrite;
    op.client = i % 3;
    op.primary_namespace = i % 10 == 0 ? "keep" : "ns" + std::to_string(i % 7);
    op.key = "k" + std::to_string(i);
    start.ops.push_back(op);
  }
  const auto keep_count = [](const Scenario& s) {
    return std::count_if(s.ops.begin(), s.ops.end(),
                         [](const Op& op) { return op.primary_namespace == "keep"; });
  };
  const auto still_fails = [&](const Scenario& s) { return keep_count(s) == 30; };
  const ShrinkResult result = shrink_scenario(start, "recovery", still_fails, {.max_runs = 100});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 30u);
}

TEST(MergeClients, ReHomesOneClientKeepingEveryClientsOrder) {
  Scenario s;
  s.clients = 4;
  const uint32_t clients[] = {0, 3, 1, 3, 2, 1, 0, 3};
  for (size_t i = 0; i < std::size(clients); ++i) {
    Op op;
    op.client = clients[i];
    op.key = "k" + std::to_string(i);
    s.ops.push_back(op);
  }
  const Scenario merged = merge_clients(s, 3, 1);
  EXPECT_EQ(merged.clients, 3u);
  ASSERT_EQ(merged.ops.size(), s.ops.size());
  // Client 3's ops (k1, k3, k7) join client 1's (k2, k5) in their list order; client 2 is
  // client 2 still, client 0 untouched.
  const uint32_t expected[] = {0, 1, 1, 1, 2, 1, 0, 1};
  for (size_t i = 0; i < merged.ops.size(); ++i) {
    EXPECT_EQ(merged.ops[i].key, s.ops[i].key);
    EXPECT_EQ(merged.ops[i].client, expected[i]) << "op " << i;
  }
  // Clients above the re-homed one move down by one.
  const Scenario lower = merge_clients(s, 1, 0);
  const uint32_t expected_lower[] = {0, 2, 0, 2, 1, 0, 0, 2};
  for (size_t i = 0; i < lower.ops.size(); ++i) EXPECT_EQ(lower.ops[i].client, expected_lower[i]);
}

// A race between two clients (ops "a" and "b" must run on different clients) among 4 clients:
// all on one client passes, and so does every mapping "client % k" the earlier pass tried for
// k = 2 (a and b on clients 1 and 3 land together); merging pairs leaves exactly the two
// racing clients.
TEST(Shrink, MergesClientsDownToTheTwoThatRace) {
  Scenario start;
  start.clients = 4;
  for (uint32_t i = 0; i < 40; ++i) {
    Op op;
    op.kind = OpKind::kWrite;
    op.client = i % 4;
    op.key = i == 13 ? "a" : i == 27 ? "b" : "k" + std::to_string(i);
    start.ops.push_back(op);
  }
  ASSERT_EQ(start.ops[13].client, 1u);
  ASSERT_EQ(start.ops[27].client, 3u);
  const auto client_of = [](const Scenario& s, const std::string& key) -> std::optional<uint32_t> {
    for (const Op& op : s.ops) {
      if (op.key == key) return op.client % s.clients;
    }
    return std::nullopt;
  };
  const auto still_fails = [&](const Scenario& s) {
    const auto a = client_of(s, "a");
    const auto b = client_of(s, "b");
    return a && b && *a != *b;
  };
  ASSERT_TRUE(still_fails(start));
  const ShrinkResult result =
      shrink_scenario(start, "backup_primary", still_fails, {.max_runs = 400});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.expected_violation, "backup_primary");
  EXPECT_EQ(result.scenario.clients, 2u);
  EXPECT_EQ(result.scenario.ops.size(), 2u);
  EXPECT_FALSE(result.budget_exhausted);
}

// Rounds repeat until nothing changes; every verdict is remembered, so no candidate is ever
// run twice and the budget goes to new candidates only.
TEST(Shrink, NeverRunsTheSameCandidateTwice) {
  std::set<std::string> ran;
  bool repeated = false;
  const auto still_fails = [&](const Scenario& s) {
    repeated = repeated || !ran.insert(scenario_to_json(s)).second;
    const Fault* crash = find_fault(s, FaultKind::kCrash);
    return has_needed_op(s) && crash != nullptr && crash->at <= 10 * s.ops.size();
  };
  const Scenario start = crash_scenario(300, 2900, 0);
  const ShrinkResult result = shrink_scenario(start, "recovery", still_fails, {.max_runs = 2000});
  EXPECT_FALSE(repeated);
  EXPECT_EQ(result.runs, ran.size());
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 1u);
  EXPECT_FALSE(result.budget_exhausted);
}

// Models a race: with the scenario's own seed the failure needs 50 ops of timing around the
// needed one; under seed + 2 the needed op alone fails. Plain passes stop at 50 ops; the
// reseeding rounds keep the single op with the seed it fails under.
TEST(Shrink, ReseedsACandidateWhoseInterleavingNeededTheRemovedOps) {
  const auto still_fails = [](const Scenario& s) {
    return has_needed_op(s) && (s.ops.size() >= 50 || s.seed == 102);
  };
  Scenario start = crash_scenario(300, 100, 0);
  start.faults.clear();  // a race needs no fault
  start.seed = 100;
  const ShrinkResult result = shrink_scenario(start, "backup_primary", still_fails, {});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 1u);
  EXPECT_EQ(result.scenario.seed, 102u);
  EXPECT_FALSE(result.budget_exhausted);
}

// Models a failure that needs a crash inside an automatic snapshot: every 16 versions that
// takes 100 ops of commits, with a snapshot after every commit the needed op alone does it.
TEST(Shrink, TakesASnapshotAfterEveryCommitSoOneNearTheCrashNeedsFewOps) {
  const auto still_fails = [](const Scenario& s) {
    return has_needed_op(s) && (s.ops.size() >= 100 || s.world.snapshot_interval_versions == 1);
  };
  Scenario start = crash_scenario(300, 100, 0);
  start.world.snapshot_interval_versions = 16;
  const ShrinkResult result = shrink_scenario(start, "recovery", still_fails, {.max_runs = 400});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.ops.size(), 1u);
  EXPECT_EQ(result.scenario.world.snapshot_interval_versions, 1u);
  EXPECT_FALSE(result.budget_exhausted);
}

// Models an EIO that struck one op of a kind at a site counted on its file: under seed 100 the
// strike lands on the 61st atomic batch, so no batch before it can go; under seed 104 it lands
// on the 4th. Every other op can go. Plain passes and ddmin stop at 61 batches; the prefix pass
// tries each prefix under seeds + 1 .. + 8 too, from the first round on, and keeps 4 batches
// under seed 104 within a budget ddmin alone spends on the 61.
TEST(Shrink, TriesShortPrefixesUnderOtherSeedsFromTheFirstRound) {
  const auto still_fails = [](const Scenario& s) {
    const auto batches = std::count_if(
        s.ops.begin(), s.ops.end(), [](const Op& op) { return op.kind == OpKind::kAtomicBatch; });
    return (s.seed == 100 && batches > 60) || (s.seed == 104 && batches > 3);
  };
  Scenario start;
  start.seed = 100;
  for (uint32_t i = 0; i < 300; ++i) {
    Op op;
    op.kind = i % 2 == 0 ? OpKind::kAtomicBatch : OpKind::kRead;
    op.key = "k" + std::to_string(i);
    start.ops.push_back(op);
  }
  ASSERT_TRUE(still_fails(start));
  const ShrinkResult result = shrink_scenario(start, "atomicity", still_fails, {.max_runs = 100});
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_EQ(result.scenario.seed, 104u);
  EXPECT_EQ(result.scenario.ops.size(), 4u);
}

// With a crash point the failure needs, the prefix search under other seeds runs no candidate:
// a shorter prefix reaches the crash's Env op count no sooner under another seed.
TEST(Shrink, TriesNoPrefixUnderOtherSeedsWhenTheFailureNeedsACrashPoint) {
  const auto still_fails = [](const Scenario& s) {
    const Fault* crash = find_fault(s, FaultKind::kCrash);
    return has_needed_op(s) && crash != nullptr && crash->at <= 10 * s.ops.size();
  };
  std::vector<std::string> lines;
  const ShrinkResult result =
      shrink_scenario(crash_scenario(300, 2900, 0), "recovery", still_fails, {.max_runs = 400},
                      [&](const std::string& line) { lines.push_back(line); });
  EXPECT_TRUE(still_fails(result.scenario));
  EXPECT_LE(result.scenario.ops.size(), 10u);
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find("prefix under other seeds"), std::string::npos) << line;
  }
}

// A world whose failure needs its async mirror, overlay store and HybridStore, but none of the
// values the seed drew for them: each goes to its simplest value. A value the failure needs
// (here 4 keys per mirror batch) stays as drawn.
TEST(Shrink, SetsEachPerSeedWorldValueToItsSimplestWhenTheFailureKeepsIt) {
  Scenario start = crash_scenario(20, 100, 0);
  start.world.backup_tier = true;
  start.world.async_backup = true;
  start.world.async_batch_max_keys = 64;
  start.world.async_batch_delay_us = 5000;
  start.world.async_backup_queue_capacity = 5;
  start.world.overlay_store = true;
  start.world.overlay_journal_puts = 3;
  start.world.hybrid = true;
  start.world.hybrid_btree = "lmdb";
  start.world.latency_us_max = 200;
  start.world.wal_segment_size_bytes = 4096;
  const auto features_on = [](const Scenario& s) {
    return has_needed_op(s) && s.world.async_backup && s.world.overlay_store && s.world.hybrid;
  };
  ShrinkResult result = shrink_scenario(start, "backup_primary", features_on, {.max_runs = 400});
  EXPECT_TRUE(features_on(result.scenario));
  EXPECT_EQ(result.scenario.world.async_batch_max_keys, 1u);
  EXPECT_EQ(result.scenario.world.async_batch_delay_us, 0u);
  EXPECT_EQ(result.scenario.world.async_backup_queue_capacity, 32u);
  EXPECT_EQ(result.scenario.world.overlay_journal_puts, 0u);
  EXPECT_EQ(result.scenario.world.hybrid_btree, "sqlite");
  EXPECT_EQ(result.scenario.world.latency_us_max, 0u);
  EXPECT_EQ(result.scenario.world.wal_segment_size_bytes, 64u * 1024);

  start.world.async_batch_max_keys = 4;
  const auto needs_batches_of_four = [&](const Scenario& s) {
    return features_on(s) && s.world.async_batch_max_keys == 4;
  };
  result = shrink_scenario(start, "backup_primary", needs_batches_of_four, {.max_runs = 400});
  EXPECT_TRUE(needs_batches_of_four(result.scenario));
  EXPECT_EQ(result.scenario.world.async_batch_max_keys, 4u);
  EXPECT_EQ(result.scenario.world.async_batch_delay_us, 0u);
}

// The progress lines name each pass that ran a candidate, what it kept and the runs it spent,
// and their runs add up to the result's.
TEST(Shrink, ReportsEveryPassThatRanACandidate) {
  const auto still_fails = [](const Scenario& s) { return has_needed_op(s); };
  std::vector<std::string> lines;
  const ShrinkResult result =
      shrink_scenario(crash_scenario(40, 100, 0), "recovery", still_fails, {.max_runs = 400},
                      [&](const std::string& line) { lines.push_back(line); });
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].rfind("faults: 40 ops, 4 clients, 0 faults, seed 0 (", 0), 0u) << lines[0];
  const auto prefix = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.rfind("round 1 prefix: 21 ops, 1 clients, 0 faults", 0) == 0;
  });
  EXPECT_NE(prefix, lines.end()) << ::testing::PrintToString(lines);
  uint32_t runs = 0;
  for (const std::string& line : lines) {
    const size_t open = line.rfind('(');
    runs += static_cast<uint32_t>(std::stoul(line.substr(open + 1)));
  }
  EXPECT_EQ(runs, result.runs);
  EXPECT_NE(lines.back().find(" " + std::to_string(result.runs) + " in all)"), std::string::npos)
      << lines.back();
}

// A shrink command of `max_runs` from `name`/in.json (the fake driver's scenario for `seed`,
// in a fresh temporary directory) to `name`/out.json.
ShrinkCommand shrink_fake_scenario(const std::string& name, uint64_t seed, uint32_t max_runs,
                                   const GenerateOptions& options = {}) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  const std::string in = (dir / "in.json").string();
  EXPECT_TRUE(save_scenario_file(in, testing::fake_generate(seed, options)).ok());
  return ShrinkCommand{in, (dir / "out.json").string(), max_runs};
}

TEST(ShrinkCommand, WritesAShrunkScenarioThatStillFails) {
  const ShrinkCommand command = shrink_fake_scenario("tierkv_shrink_test", 10, 2000);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("ops 400 -> 1, faults 3 -> 1, clients 3 -> 1"), std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("\n  round 1 prefix: "), std::string::npos) << out.str();
  Result<Scenario> shrunk = load_scenario_file(command.out_file);
  ASSERT_TRUE(shrunk.ok());
  EXPECT_EQ(shrunk->expected_violation, "recovery");
  EXPECT_FALSE(testing::fake_run(*shrunk).violations.empty());
}

TEST(ShrinkCommand, VerbosePrintsAProgressLinePerPass) {
  ShrinkCommand command = shrink_fake_scenario("tierkv_shrink_test_verbose", 10, 2000);
  command.verbose = true;
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("\n  round 1 prefix: "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("ops 400 -> 1, faults 3 -> 1, clients 3 -> 1"), std::string::npos);
}

TEST(ShrinkCommand, RefusesAScenarioThatDoesNotFail) {
  const ShrinkCommand command = shrink_fake_scenario("tierkv_shrink_test_clean", 1, 100);
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitBadInput);
  EXPECT_NE(err.str().find("does not fail as it stands"), std::string::npos) << err.str();
  EXPECT_FALSE(std::filesystem::exists(command.out_file));
}

TEST(ShrinkCommand, AnAbortingScenarioShrinksInIsolatedProcesses) {
  GenerateOptions options;
  options.ops = 40;
  const ShrinkCommand command = shrink_fake_scenario("tierkv_shrink_test_abort", 5, 500, options);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(shrink_command(command, testing::fake_driver(), out, err), kExitOk) << err.str();
  EXPECT_NE(out.str().find("invariant 'process_abort': ops 40 -> 1, faults 3 -> 0"),
            std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace tierkv::sim
