// BUGGIFY: off unless a source is installed; the seeded source is deterministic per seed.
#include "engine/core/buggify.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faults/buggify_source.h"

namespace tierkv::faults {
namespace {

class AlwaysFire final : public BuggifySource {
 public:
  bool fire(std::string_view) override {
    ++calls;
    return true;
  }
  int calls = 0;
};

TEST(Buggify, FalseWithoutSourceAndDoesNotEvaluate) {
  ASSERT_EQ(installed_buggify_source(), nullptr);
  EXPECT_FALSE(TIERKV_BUGGIFY("wal.rotate_early"));
}

TEST(Buggify, ScopedSourceIsConsultedAndRemovedAfterward) {
  AlwaysFire source;
  {
    ScopedBuggifySource scope(&source);
    EXPECT_TRUE(TIERKV_BUGGIFY("wal.rotate_early"));
    EXPECT_EQ(source.calls, 1);
  }
  EXPECT_EQ(installed_buggify_source(), nullptr);
  EXPECT_FALSE(TIERKV_BUGGIFY("wal.rotate_early"));
  EXPECT_EQ(source.calls, 1);
}

std::vector<bool> firing_sequence(uint64_t seed, int evaluations) {
  SeededBuggifySource source(seed, 500'000, 500'000);
  ScopedBuggifySource scope(&source);
  std::vector<bool> fired;
  for (int i = 0; i < evaluations; ++i) {
    fired.push_back(TIERKV_BUGGIFY("a.point"));
    fired.push_back(TIERKV_BUGGIFY("b.point"));
  }
  return fired;
}

RC_GTEST_PROP(SeededBuggify, SameSeedSameFirings, (uint64_t seed)) {
  RC_ASSERT(firing_sequence(seed, 50) == firing_sequence(seed, 50));
}

TEST(SeededBuggify, DisabledPointsNeverFireAndStatsCountEvaluations) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SeededBuggifySource source(seed, 1'000'000, 500'000);
    for (int i = 0; i < 10; ++i) {
      const bool fired = source.fire("wal.rotate_early");
      EXPECT_EQ(fired, source.enabled("wal.rotate_early")) << "seed " << seed;
    }
    EXPECT_EQ(source.stats().at("wal.rotate_early").evaluated, 10u);
    EXPECT_EQ(source.stats().at("wal.rotate_early").fired, source.fired_total());
  }
}

TEST(SeededBuggify, SeedsSwitchPointsOnAndOffIndependentlyOfCallOrder) {
  int enabled_seeds = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SeededBuggifySource first(seed, 0);
    SeededBuggifySource second(seed, 0);
    (void)second.fire("other.point");  // evaluation order must not change enablement
    EXPECT_EQ(first.enabled("wal.group_commit_tiny"), second.enabled("wal.group_commit_tiny"));
    enabled_seeds += first.enabled("wal.group_commit_tiny") ? 1 : 0;
  }
  // Default enable share is 25%: some seeds on, most off.
  EXPECT_GT(enabled_seeds, 20);
  EXPECT_LT(enabled_seeds, 80);
}

TEST(SeededBuggify, ZeroRateNeverFires) {
  SeededBuggifySource source(7, 0, 1'000'000);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(source.fire("x.y"));
}

}  // namespace
}  // namespace tierkv::faults
