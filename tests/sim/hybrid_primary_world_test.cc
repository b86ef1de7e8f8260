// The simulator's hybrid-primary world (WorldConfig::hybrid_primary, World::hybrid_primary):
// TierStore's primary is a HybridKvStore over LevelDB + SQLite or LMDB. Drawn for part of the
// hybrid worlds (or forced), replayable, passing every checker under crashes, torn writes and
// I/O errors, and caught by `routing` when a pair's records land on the wrong side or the
// router's list_namespaces disagrees with its sides.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/forwarding_kv_store.h"
#include "sim/checkers.h"
#include "sim/cli_options.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::sim {
namespace {

GenerateOptions forced(uint64_t ops, std::vector<FaultKind> kinds, std::string btree = "") {
  GenerateOptions options = options_with(ops, std::move(kinds));
  options.hybrid_primary = true;
  options.hybrid_btree = std::move(btree);
  return options;
}

TEST(HybridPrimaryWorld, DrawnForPartOfTheHybridWorldsOnlyAndForcedByTheOptions) {
  std::map<bool, size_t> hybrid_worlds;  // hybrid_primary -> count
  for (uint64_t seed = 1; seed <= 90; ++seed) {
    const Scenario s = generate_scenario(seed, options_with(100));
    if (!s.world.hybrid) {
      EXPECT_FALSE(s.world.hybrid_primary) << "seed " << seed;
      continue;
    }
    ++hybrid_worlds[s.world.hybrid_primary];
  }
  EXPECT_GT(hybrid_worlds[true], 0u);
  EXPECT_GT(hybrid_worlds[false], 0u);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const Scenario s = generate_scenario(seed, forced(100, {}, "lmdb"));
    EXPECT_TRUE(s.world.hybrid && s.world.hybrid_primary) << "seed " << seed;
    EXPECT_EQ(s.world.hybrid_btree, "lmdb") << "seed " << seed;
    EXPECT_TRUE(world_needs_real_dir(s.world));
  }
}

TEST(HybridPrimaryWorld, TheDrawLeavesEveryOtherPartOfTheSeedsScenarioAsItWas) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    GenerateOptions hybrid = options_with(150);
    hybrid.hybrid = true;
    Scenario plain = generate_scenario(seed, hybrid);
    Scenario with_primary = generate_scenario(seed, forced(150, {}));
    plain.world.hybrid_primary = true;
    EXPECT_EQ(plain, with_primary) << "seed " << seed;
  }
}

TEST(HybridPrimaryWorld, RunsUnderCrashesTornWritesAndIoErrorsPassAndReplayBitForBit) {
  const uint64_t seeds = long_mode() ? 40 : 4;  // TIERKV_LONG=1: the long loop
  uint64_t crashes = 0;
  uint64_t side_checks = 0;
  for (const std::string btree : {"sqlite", "lmdb"}) {
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      SCOPED_TRACE(btree + " seed " + std::to_string(seed));
      Scenario s = generate_scenario(
          seed,
          forced(200, {FaultKind::kCrash, FaultKind::kTornWrites, FaultKind::kIoError}, btree));
      const RunResult first = run_scenario(s);
      ASSERT_TRUE(first.ok()) << describe(first);
      crashes += first.stats.crashes;
      side_checks += first.stats.invariants_checked.at(kCheckRouting);
      Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
      ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
      EXPECT_TRUE(parsed->world.hybrid_primary);
      EXPECT_EQ(run_scenario(*parsed).trace_hex, first.trace_hex);
      // The primary really is elsewhere: the same scenario on the backend's store differs.
      s.world.hybrid_primary = false;
      EXPECT_NE(run_scenario(s).trace_hex, first.trace_hex);
    }
  }
  EXPECT_GT(crashes, 0u);
  EXPECT_GT(side_checks, 0u);
}

TEST(HybridPrimaryWorld, TheScenarioFieldIsOptionalAndABadValueIsAnErrorNamingIt) {
  Scenario s = generate_scenario(4, forced(20, {}));
  std::string json = scenario_to_json(s);
  EXPECT_NE(json.find("\"hybrid_primary\":true"), std::string::npos) << json;
  const std::string field = "\"hybrid_primary\":true,";
  ASSERT_NE(json.find(field), std::string::npos) << json;
  std::string without = json;
  without.erase(without.find(field), field.size());
  Result<Scenario> old = scenario_from_json(without);
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  EXPECT_FALSE(old->world.hybrid_primary) << "a file without the field keeps the backend's primary";
  std::string bad = json;
  bad.replace(bad.find(field), field.size(), "\"hybrid_primary\":\"yes\",");
  Result<Scenario> refused = scenario_from_json(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("world.hybrid_primary: expected true or false"),
            std::string::npos)
      << refused.status().to_string();
}

TEST(HybridPrimaryWorld, BadFlagsAreErrorsNamingTheFlag) {
  GenerateFlags flags;
  flags.hybrid_btree = "rocksdb";
  Result<GenerateOptions> bad = make_generate_options(flags);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--hybrid-btree: unknown B-tree backend 'rocksdb'"),
            std::string::npos)
      << bad.status().to_string();
  flags.hybrid_btree = "";
  flags.hybrid_primary = true;
  flags.backend = "lmdb";
  bad = make_generate_options(flags);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--hybrid-primary"), std::string::npos);
  flags.backend = "sqlite";
  flags.hybrid_btree = "lmdb";
  ASSERT_TRUE(make_generate_options(flags).ok());
  EXPECT_EQ(generate_flags_to_args(flags), "--backend sqlite --hybrid-primary --hybrid-btree lmdb");
}

// An engine bug: every write lands on the LSM side whatever its namespace routes to; reads look
// on the routed side, then on the LSM side, so a lone read still finds the value.
class WrongSidePrimary final : public ForwardingKvStore {
 public:
  explicit WrongSidePrimary(KvStore& primary)
      : ForwardingKvStore(primary), hybrid_(dynamic_cast<HybridKvStore&>(primary)) {}
  Task<Status> write(StoreKey key, std::string value) override {
    return hybrid_.side(HybridSide::kLsm).write(std::move(key), std::move(value));
  }
  Task<Result<std::string>> read(StoreKey key) override {
    Result<std::string> routed = co_await inner().read(key);
    if (!routed.status().is_not_found()) co_return routed;
    co_return co_await hybrid_.side(HybridSide::kLsm).read(std::move(key));
  }

 private:
  HybridKvStore& hybrid_;
};

TEST(HybridPrimaryWorld, RecordsOnTheWrongSideAreCaughtByRouting) {
  const PrimaryWrapper wrong_side = [](KvStore& primary) -> std::unique_ptr<KvStore> {
    return std::make_unique<WrongSidePrimary>(primary);
  };
  const Scenario s = generate_scenario(2, forced(150, {}, "sqlite"));
  const RunResult result = run_scenario(s, wrong_side);
  const Violation* caught = nullptr;
  for (const Violation& v : result.violations) {
    if (v.invariant == kCheckRouting && caught == nullptr) caught = &v;
  }
  ASSERT_NE(caught, nullptr) << describe(result);
  EXPECT_NE(caught->message.find("found on the hybrid primary's lsm side; its primary namespace "
                                 "routes to the btree side"),
            std::string::npos)
      << caught->message;
  EXPECT_TRUE(run_scenario(s).ok()) << describe(run_scenario(s));
}

TEST(HybridPrimaryWorld, AListingThatMissesASidesPairIsARoutingViolation) {
  Model model;
  RunStats stats;
  std::vector<Violation> violations;
  Checkers checkers(model, &stats, &violations);
  const std::vector<NamespacePair> sides = {{"", ""}, {"app", ""}, {"mon", "x"}};
  EXPECT_TRUE(checkers.hybrid_namespaces(sides, sides));
  EXPECT_FALSE(checkers.hybrid_namespaces({{"app", ""}}, sides));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].invariant, kCheckRouting);
  EXPECT_NE(violations[0].message.find("returned ['app/']; its lsm and btree sides together hold "
                                       "['/', 'app/', 'mon/x']"),
            std::string::npos)
      << violations[0].message;
  EXPECT_FALSE(checkers.hybrid_side(StoreKey{"mon", "x", "k1"}, "btree", "lsm"));
  EXPECT_EQ(stats.invariants_checked.at(kCheckRouting), 3u);
}

}  // namespace
}  // namespace tierkv::sim
