// The simulator's overlay worlds with journaled puts (WorldConfig::overlay_journal_puts, the
// OverlayStore's format 4): drawn for half the overlay worlds, run under crashes, torn writes
// and EIO with the overlay checker after every recovery, and replayable from the scenario file.
#include <gtest/gtest.h>

#include <map>

#include "sim/checkers.h"
#include "sim/scenario.h"
#include "sim/workload.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::sim {
namespace {

TEST(OverlayWorld, HalfTheOverlayWorldsJournalTheirPuts) {
  std::map<uint32_t, size_t> journals;  // journal_puts_max -> overlay worlds
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const Scenario s = generate_scenario(seed, options_with(50));
    if (!s.world.overlay_store) {
      EXPECT_EQ(s.world.overlay_journal_puts, 0u) << "seed " << seed;
      continue;
    }
    EXPECT_LE(s.world.overlay_journal_puts, 4u) << "seed " << seed;
    ++journals[s.world.overlay_journal_puts];
  }
  EXPECT_GT(journals[0], 10u);
  size_t journaled = 0;
  for (const auto& [puts, worlds] : journals) journaled += puts > 0 ? worlds : 0;
  EXPECT_GT(journaled, 10u);
}

TEST(OverlayWorld, JournaledOverlayWorldsRunCleanUnderCrashesAndReplayBitForBit) {
  const size_t wanted = long_mode() ? 40 : 4;  // TIERKV_LONG=1: the long loop
  size_t ran = 0;
  uint64_t crashes = 0;
  uint64_t overlay_checks = 0;
  for (uint64_t seed = 1; ran < wanted && seed <= 2000; ++seed) {
    const Scenario s = generate_scenario(
        seed, options_with(300, {FaultKind::kCrash, FaultKind::kTornWrites,
                                 FaultKind::kIoError}));
    if (s.world.overlay_journal_puts == 0) continue;
    ++ran;
    const RunResult first = run_scenario(s);
    ASSERT_TRUE(first.ok()) << "seed " << seed << describe(first);
    crashes += first.stats.crashes;
    overlay_checks += first.stats.invariants_checked.at(kCheckOverlays);
    Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->world.overlay_journal_puts, s.world.overlay_journal_puts);
    EXPECT_EQ(run_scenario(*parsed).trace_hex, first.trace_hex) << "seed " << seed;
  }
  EXPECT_EQ(ran, wanted);
  EXPECT_GT(crashes, 0u);
  EXPECT_GT(overlay_checks, 0u);
}

}  // namespace
}  // namespace tierkv::sim
