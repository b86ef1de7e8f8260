// Comparing two sweeps: (seed, invariant) failures that appeared are new, those that went away
// on a seed the new sweep ran are fixed, seeds one sweep did not run are never counted either
// way, and the throughput change is reported.
#include <gtest/gtest.h>

#include "reports/report_command.h"
#include "reports/report_compare.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using testing::FakeSweep;

SweepSummary parse(const FakeSweep& sweep) {
  Result<SweepSummary> s = parse_sweep_summary(sweep.to_json());
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? *s : SweepSummary{};
}

std::vector<uint64_t> seeds_of(const std::vector<ReportFailure>& failures) {
  std::vector<uint64_t> seeds;
  for (const ReportFailure& f : failures) seeds.push_back(f.seed);
  return seeds;
}

TEST(ReportCompare, FindsNewFixedAndStillFailing) {
  FakeSweep before{.first = 0, .last = 99};
  before.failures = {{3, "recovery"}, {10, "wal"}, {42, "routing"}};
  FakeSweep after{.first = 0, .last = 99};
  after.failures = {{10, "wal"}, {42, "pagination"}, {77, "recovery"}};
  const ReportComparison c = compare_reports(parse(before), parse(after));
  EXPECT_EQ(seeds_of(c.new_failures), (std::vector<uint64_t>{42, 77}));  // 42: other invariant
  EXPECT_EQ(c.new_failures[0].invariant, "pagination");
  EXPECT_EQ(seeds_of(c.fixed), (std::vector<uint64_t>{3, 42}));
  EXPECT_EQ(c.fixed[1].invariant, "routing");
  EXPECT_EQ(seeds_of(c.still_failing), (std::vector<uint64_t>{10}));
  EXPECT_TRUE(c.not_comparable.empty());
  EXPECT_TRUE(c.config_differences.empty());
}

TEST(ReportCompare, SeedsTheOtherSweepDidNotRunAreNotComparable) {
  FakeSweep before{.first = 0, .last = 49};
  before.failures = {{3, "recovery"}};
  FakeSweep after{.first = 0, .last = 99, .seeds_run_missing = 10};  // stopped early
  after.failures = {{60, "wal"}};
  const ReportComparison c = compare_reports(parse(before), parse(after));
  EXPECT_TRUE(c.new_failures.empty());  // seed 60 is outside the before sweep
  EXPECT_TRUE(c.fixed.empty());         // after may not have run seed 3
  EXPECT_EQ(seeds_of(c.not_comparable), (std::vector<uint64_t>{60, 3}));
}

TEST(ReportCompare, ThroughputChangeAndConfigWarnings) {
  FakeSweep before{.wall_seconds = 2, .ops_issued = 4000};
  FakeSweep after{.ops = 200, .wall_seconds = 2, .ops_issued = 5000};
  const ReportComparison c = compare_reports(parse(before), parse(after));
  EXPECT_DOUBLE_EQ(c.ops_per_second_before, 2000);
  EXPECT_DOUBLE_EQ(c.ops_per_second_after, 2500);
  EXPECT_DOUBLE_EQ(relative_change(c.ops_per_second_before, c.ops_per_second_after), 0.25);
  EXPECT_EQ(c.config_differences, (std::vector<std::string>{"ops: 400 -> 200"}));
  const std::string text = comparison_text(c, "old", "new");
  EXPECT_NE(text.find("2000 -> 2500 ops/s (+25%)"), std::string::npos) << text;
  EXPECT_NE(text.find("warning: configs differ (ops: 400 -> 200)"), std::string::npos);
}

TEST(ReportCompare, MarkdownListsNewFailuresWithReproduceCommands) {
  FakeSweep before;
  FakeSweep after{.failures = {{4, "recovery"}}};
  const std::string md =
      comparison_markdown(compare_reports(parse(before), parse(after)), "main", "branch");
  EXPECT_NE(md.find("**1 new failures**, 0 fixed"), std::string::npos) << md;
  EXPECT_NE(md.find("## New failures (1)"), std::string::npos);
  EXPECT_NE(md.find("`tierkv-sim run --seed 4`"), std::string::npos);
  EXPECT_NE(md.find("| ops/s |"), std::string::npos);
}

TEST(ReportCompare, CommandComparesTwoDirsAndRejectsBadInput) {
  testing::TempDir tmp;
  testing::write_report(tmp.sub("a"), FakeSweep{.failures = {{1, "wal"}}});
  testing::write_report(tmp.sub("b"), FakeSweep{.failures = {{2, "recovery"}}});
  std::ostringstream out, err;
  ASSERT_EQ(run_report_command({tmp.sub("a"), tmp.sub("b")}, out, err), kReportExitOk)
      << err.str();
  EXPECT_NE(out.str().find("new failures: 1\n  seed 2: recovery"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("fixed: 1\n  seed 1: wal"), std::string::npos);

  std::ostringstream md;
  ASSERT_EQ(run_report_command({tmp.sub("a"), tmp.sub("b"), "--markdown"}, md, err),
            kReportExitOk);
  EXPECT_NE(md.str().find("# tierkv-sim sweep comparison"), std::string::npos);

  std::ostringstream out2, err2;
  testing::write_text_file(tmp.sub("c/report.json"), "{\"config\":");
  EXPECT_EQ(run_report_command({tmp.sub("a"), tmp.sub("c")}, out2, err2), kReportExitBadInput);
  EXPECT_NE(err2.str().find("c/report.json"), std::string::npos) << err2.str();
  EXPECT_EQ(run_report_command({tmp.sub("a"), tmp.sub("nowhere")}, out2, err2),
            kReportExitBadInput);
  EXPECT_EQ(run_report_command({"--bogus"}, out2, err2), kReportExitBadInput);
  EXPECT_EQ(run_report_command({}, out2, err2), kReportExitBadInput);
}

TEST(ReportCompare, CommandWritesHtmlAndMarkdownForOneSweep) {
  testing::TempDir tmp;
  testing::write_report(tmp.path(), FakeSweep{.failures = {{6, "routing"}}});
  std::ostringstream out, err;
  ASSERT_EQ(run_report_command({tmp.path()}, out, err), kReportExitOk) << err.str();
  EXPECT_NE(testing::read_text_file(tmp.sub("report.html")).find("seed 6: routing"),
            std::string::npos);
  const std::string md = testing::read_text_file(tmp.sub("summary.md"));
  EXPECT_NE(md.find("**1 failing seeds**"), std::string::npos) << md;
  EXPECT_NE(md.find("| crash | 7 |"), std::string::npos);
}

}  // namespace
}  // namespace tierkv::reports
