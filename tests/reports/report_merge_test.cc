// Merging shard reports: counts are summed and failures united; shards that overlap, leave a
// gap, or were generated differently are rejected with an error naming them; the simulator's
// shard split (sim/cli_options.h) is disjoint and complete, so its shards merge back into the
// whole range.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "engine/io/posix_env.h"
#include "reports/report_command.h"
#include "reports/report_merge.h"
#include "sim/cli_options.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using testing::FakeSweep;

ShardReport shard(const std::string& source, const FakeSweep& sweep) {
  Result<SweepSummary> s = parse_sweep_summary(sweep.to_json());
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return {source, s.ok() ? *s : SweepSummary{}};
}

FakeSweep shard_sweep(uint64_t first, uint64_t last, uint32_t index, uint32_t count) {
  return FakeSweep{.first = first, .last = last, .shard_index = index, .shard_count = count};
}

std::string merge_error(const std::vector<ShardReport>& shards) {
  Result<SweepSummary> merged = merge_reports(shards);
  EXPECT_FALSE(merged.ok()) << "merged shards that should have been rejected";
  if (merged.ok()) return "";
  EXPECT_TRUE(merged.status().is_invalid_argument());
  return merged.status().message();
}

TEST(ReportMerge, SumsCountsAndUnitesFailures) {
  FakeSweep a = shard_sweep(0, 99, 0, 3), b = shard_sweep(0, 99, 1, 3), c = shard_sweep(0, 99, 2, 3);
  a.failures = {{30, "recovery"}, {60, "wal"}};
  b.failures = {{4, "routing"}};
  c.faults = {{"crash", 1}, {"bit_rot", 2}};
  b.wall_seconds = 4;
  Result<SweepSummary> m = merge_reports({shard("s0", a), shard("s1", b), shard("s2", c)});
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->config.seeds_first, 0u);
  EXPECT_EQ(m->config.seeds_last, 99u);
  EXPECT_EQ(m->config.shard_count, 1u);
  EXPECT_EQ(m->seeds_planned, 100u);
  EXPECT_EQ(m->seeds_run, 100u);
  EXPECT_EQ(m->faults_fired.at("crash"), 7u + 7u + 1u);
  EXPECT_EQ(m->faults_fired.at("bit_rot"), 2u);
  EXPECT_EQ(m->invariants.at("recovery").checked, 30u);
  EXPECT_EQ(m->invariants.at("recovery").violated, 1u);
  ASSERT_EQ(m->failures.size(), 3u);
  EXPECT_EQ(m->failures[0].seed, 4u);  // ordered by seed
  EXPECT_EQ(m->failures[2].seed, 60u);
  EXPECT_DOUBLE_EQ(m->wall_seconds, 4);  // the slowest shard
  EXPECT_DOUBLE_EQ(m->ops_per_second, 2000 + 1000 + 2000);
  EXPECT_EQ(m->ops_issued, 12000u);
  ASSERT_EQ(m->shards.size(), 3u);
  EXPECT_EQ(m->shards[1].source, "s1");
  // The merged report is itself a valid report.
  Result<SweepSummary> again = parse_sweep_summary(nlohmann::json::parse(summary_to_json(*m).dump()));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->failures.size(), 3u);
  EXPECT_EQ(again->shards.size(), 3u);
}

TEST(ReportMerge, RejectsOverlappingShards) {
  std::string error = merge_error({shard("pod-a", shard_sweep(0, 99, 1, 2)),
                                   shard("pod-b", shard_sweep(0, 99, 1, 2)),
                                   shard("pod-c", shard_sweep(0, 99, 0, 2))});
  EXPECT_NE(error.find("shard 1/2 of seeds 0..99 appears twice: pod-a and pod-b"),
            std::string::npos) << error;
  error = merge_error({shard("x", shard_sweep(0, 99, 0, 1)), shard("y", shard_sweep(50, 149, 0, 1))});
  EXPECT_NE(error.find("seed ranges 0..99 and 50..149 overlap (x and y)"), std::string::npos)
      << error;
}

TEST(ReportMerge, RejectsGapsAndMissingShards) {
  std::string error = merge_error({shard("p0", shard_sweep(0, 99, 0, 3)),
                                   shard("p2", shard_sweep(0, 99, 2, 3))});
  EXPECT_NE(error.find("seeds 0..99: shard 1/3 is missing"), std::string::npos) << error;
  error = merge_error({shard("x", shard_sweep(0, 99, 0, 1)), shard("y", shard_sweep(120, 199, 0, 1))});
  EXPECT_NE(error.find("seeds 100..119 are not covered by any shard (x and y)"), std::string::npos)
      << error;
  error = merge_error({shard("p0", shard_sweep(0, 99, 0, 2)), shard("p1", shard_sweep(0, 99, 1, 3))});
  EXPECT_NE(error.find("shard counts differ"), std::string::npos) << error;
  EXPECT_NE(merge_error({}).find("no shard reports"), std::string::npos);
}

TEST(ReportMerge, RejectsShardsGeneratedDifferently) {
  FakeSweep a = shard_sweep(0, 9, 0, 2), b = shard_sweep(0, 9, 1, 2);
  b.backend = "leveldb";
  const std::string error = merge_error({shard("a", a), shard("b", b)});
  EXPECT_NE(error.find("b: config.backend is leveldb but a has memory"), std::string::npos)
      << error;
}

TEST(ReportMerge, ContiguousRangesAndMergedReportsMergeAgain) {
  Result<SweepSummary> left = merge_reports({shard("l0", shard_sweep(0, 49, 0, 2)),
                                             shard("l1", shard_sweep(0, 49, 1, 2))});
  ASSERT_TRUE(left.ok()) << left.status().to_string();
  Result<SweepSummary> all =
      merge_reports({{"left", *left}, shard("right", shard_sweep(50, 79, 0, 1))});
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(all->seeds_planned, 80u);
  EXPECT_EQ(all->shards.size(), 3u);  // l0, l1, right
}

TEST(ReportMerge, SeedOutcomesLatencySamplesAndEventsSurviveTheMerge) {
  FakeSweep a = shard_sweep(0, 9, 0, 2), b = shard_sweep(0, 9, 1, 2);
  a.extras = b.extras = true;
  a.failures = {{4, "recovery"}};
  b.failures = {{7, "process_abort"}};
  Result<SweepSummary> m = merge_reports({shard("s0", a), shard("s1", b)});
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->seed_outcomes, "ppppfppapp");  // each shard's chars at their seeds
  EXPECT_EQ(m->latency_histogram_us.at("read")[1].count, 60u);  // bucket by bucket
  EXPECT_EQ(m->latency_histogram_us.at("write")[0].le_us, 1024u);
  EXPECT_EQ(m->latency_histogram_us.at("write")[0].count, 14u);
  ASSERT_EQ(m->throughput_samples.size(), 6u);
  EXPECT_EQ(m->throughput_samples[0].shard, 0u);
  EXPECT_EQ(m->throughput_samples[5].shard, 1u);
  ASSERT_EQ(m->failures.size(), 2u);
  EXPECT_EQ(m->failures[0].events.size(), 8u);
  // The merged report parses again (its seed_outcomes agree with its counts) and merges again.
  Result<SweepSummary> reparsed = parse_sweep_summary(nlohmann::json::parse(summary_to_json(*m).dump()));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status().to_string();
  FakeSweep c = shard_sweep(10, 19, 0, 1);
  c.extras = true;
  Result<SweepSummary> all = merge_reports({{"left", *reparsed}, shard("right", c)});
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(all->seed_outcomes, "ppppfppapp" "pppppppppp");
  EXPECT_EQ(all->throughput_samples.back().shard, 2u);  // after s0 and s1
  // An input without seed_outcomes: the merge cannot know every seed's outcome.
  Result<SweepSummary> partial = merge_reports({shard("s0", a), shard("s1", shard_sweep(0, 9, 1, 2))});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->seed_outcomes, "");
}

// The simulator's own split: for any range and shard count, the shards are disjoint, cover the
// range, and report.json shards built from them merge back into exactly the range.
RC_GTEST_PROP(ReportMerge, SimulatorShardSplitIsDisjointCompleteAndMerges, ()) {
  const uint64_t first = *rc::gen::inRange<uint64_t>(0, 1000);
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 300);
  const uint32_t count = *rc::gen::inRange<uint32_t>(1, 20);
  const sim::SeedRange range{first, first + size - 1};
  std::set<uint64_t> seen;
  std::vector<ShardReport> shards;
  for (uint32_t index = 0; index < count; ++index) {
    const sim::Shard split{index, count};
    for (uint64_t seed : sim::shard_seeds(range, split)) {
      RC_ASSERT(seen.insert(seed).second);  // disjoint
      RC_ASSERT(shard_holds_seed(ReportConfig{.seeds_first = range.first, .seeds_last = range.last,
                                              .shard_index = index, .shard_count = count},
                                 seed));
    }
    RC_ASSERT(sim::shard_size(range, split) ==
              shard_seed_count(range.first, range.last, index, count));
    shards.push_back(shard("pod-" + std::to_string(index),
                           shard_sweep(range.first, range.last, index, count)));
  }
  RC_ASSERT(seen.size() == size);  // complete
  RC_ASSERT(*seen.begin() == range.first && *seen.rbegin() == range.last);
  Result<SweepSummary> merged = merge_reports(shards);
  RC_ASSERT(merged.ok());
  RC_ASSERT(merged->seeds_planned == size);
  // Dropping any one shard leaves a hole the merge names.
  const size_t dropped = *rc::gen::inRange<size_t>(0, shards.size());
  if (count > 1) {
    shards.erase(shards.begin() + static_cast<std::ptrdiff_t>(dropped));
    RC_ASSERT(!merge_reports(shards).ok());
  }
}

TEST(ReportMerge, CommandWritesMergedReportHtmlAndMarkdown) {
  testing::TempDir tmp;
  FakeSweep a = shard_sweep(0, 19, 0, 2), b = shard_sweep(0, 19, 1, 2);
  b.failures = {{13, "recovery"}};
  testing::write_report(tmp.sub("shard-0"), a);
  testing::write_report(tmp.sub("shard-1"), b);
  std::ostringstream out, err;
  ASSERT_EQ(run_report_command({"--merge", tmp.sub("all"), tmp.sub("shard-0"), tmp.sub("shard-1")},
                               out, err),
            kReportExitOk)
      << err.str();
  PosixEnv env;
  Result<SweepSummary> merged = read_sweep_summary(env, tmp.sub("all"));
  ASSERT_TRUE(merged.ok()) << merged.status().to_string();
  EXPECT_EQ(merged->seeds_run, 20u);
  EXPECT_EQ(merged->failures.size(), 1u);
  EXPECT_NE(testing::read_text_file(tmp.sub("all/report.html")).find("seed 13: recovery"),
            std::string::npos);
  EXPECT_NE(testing::read_text_file(tmp.sub("all/summary.md")).find("## Shards"),
            std::string::npos);

  std::ostringstream out2, err2;
  EXPECT_EQ(run_report_command({"--merge", tmp.sub("bad"), tmp.sub("shard-0")}, out2, err2),
            kReportExitBadInput);
  EXPECT_NE(err2.str().find("shard 1/2 is missing"), std::string::npos) << err2.str();
  EXPECT_FALSE(std::filesystem::exists(tmp.sub("bad")));
  EXPECT_EQ(run_report_command({"--merge", tmp.sub("bad")}, out2, err2), kReportExitBadInput);
}

}  // namespace
}  // namespace tierkv::reports
