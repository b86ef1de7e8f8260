// The HTML report: one grid cell per seed titled with the seed and the invariant that failed,
// one bar per fault kind and invariant, report strings escaped, large sweeps bounded, no
// external resources, and the file written next to report.json.
#include <gtest/gtest.h>

#include <regex>

#include "engine/io/posix_env.h"
#include "reports/report_html.h"
#include "reports/report_plots.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using testing::FakeSweep;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The markup of <svg id="id">...</svg>, "" if the page has none.
std::string svg_by_id(const std::string& html, const std::string& id) {
  const size_t start = html.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</svg>", start) + 6 - start);
}

std::string render(const FakeSweep& sweep) {
  Result<std::string> html = render_report_html(sweep.to_json());
  EXPECT_TRUE(html.ok()) << html.status().to_string();
  return html.ok() ? *html : "";
}

TEST(ReportHtml, SeedGridHasOneCellPerSeedColouredByOutcome) {
  FakeSweep sweep{.first = 100, .last = 123};
  sweep.failures = {{104, "recovery"}, {117, "process_abort"}};
  const std::string grid = svg_by_id(render(sweep), "seed-grid");
  ASSERT_FALSE(grid.empty());
  EXPECT_EQ(count(grid, "<rect class=\"cell "), 24u);
  EXPECT_EQ(count(grid, "class=\"cell pass\""), 22u);
  EXPECT_EQ(count(grid, "class=\"cell fail\""), 1u);
  EXPECT_EQ(count(grid, "class=\"cell abort\""), 1u);
  EXPECT_NE(grid.find("data-seed=\"104\""), std::string::npos);
  EXPECT_NE(grid.find("<title>seed 104: recovery</title>"), std::string::npos);
  EXPECT_NE(grid.find("<title>seed 117: process_abort</title>"), std::string::npos);
  EXPECT_NE(grid.find("<title>seed 123: passed</title>"), std::string::npos);
}

TEST(ReportHtml, ShardGridHoldsOnlyTheShardsSeeds) {
  FakeSweep sweep{.first = 0, .last = 29, .shard_index = 2, .shard_count = 3};
  sweep.failures = {{5, "wal"}};
  const std::string grid = svg_by_id(render(sweep), "seed-grid");
  EXPECT_EQ(count(grid, "<rect class=\"cell "), 10u);
  EXPECT_NE(grid.find("data-seed=\"29\""), std::string::npos);
  EXPECT_EQ(grid.find("data-seed=\"3\""), std::string::npos);
}

TEST(ReportHtml, SeedsNotKnownToHaveRunAreNotCalledPassed) {
  FakeSweep sweep{.first = 0, .last = 9, .seeds_run_missing = 4};
  sweep.failures = {{2, "recovery"}};
  const std::string grid = svg_by_id(render(sweep), "seed-grid");
  EXPECT_EQ(count(grid, "class=\"cell unknown\""), 9u);
  EXPECT_EQ(count(grid, "class=\"cell pass\""), 0u);
}

TEST(ReportHtml, LargeSweepGridIsBoundedAndKeepsEveryFailure) {
  FakeSweep sweep{.first = 0, .last = 99999};
  sweep.failures = {{0, "recovery"}, {54321, "wal"}, {99999, "routing"}};
  const std::string grid = svg_by_id(render(sweep), "seed-grid");
  const uint64_t per_cell = grid_seeds_per_cell(100000);
  EXPECT_GT(per_cell, 1u);
  EXPECT_EQ(count(grid, "<rect class=\"cell "), (100000 + per_cell - 1) / per_cell);
  EXPECT_LE(count(grid, "<rect class=\"cell "), kGridCellsMax);
  EXPECT_EQ(count(grid, "class=\"cell fail\""), 3u);
  EXPECT_NE(grid.find("wal (seed 54321)"), std::string::npos);
}

TEST(ReportHtml, BarsForEveryFaultKindAndInvariant) {
  FakeSweep sweep;
  sweep.faults = {{"crash", 5}, {"io_error", 2}, {"torn_write", 1}};
  sweep.invariants = {{"recovery", 10}, {"wal", 10}, {"pagination", 9}, {"routing", 8}};
  sweep.failures = {{3, "wal"}};
  const std::string html = render(sweep);
  EXPECT_EQ(count(svg_by_id(html, "faults-fired"), "<rect class=\"bar fault\""), 3u);
  EXPECT_NE(svg_by_id(html, "faults-fired").find("torn_write: fired 1 times"), std::string::npos);
  EXPECT_EQ(count(svg_by_id(html, "invariants-checked"), "<rect class=\"bar checked\""), 4u);
  EXPECT_EQ(count(svg_by_id(html, "invariants-violated"), "<rect class=\"bar violated\""), 4u);
  EXPECT_NE(svg_by_id(html, "invariants-violated").find("wal: violated 1 times"),
            std::string::npos);
}

TEST(ReportHtml, FailingRunShowsItsReproduceCommandOnTheTimeline) {
  FakeSweep sweep{.first = 0, .last = 49};
  sweep.failures = {{7, "recovery"}, {30, "wal"}};
  const std::string html = render(sweep);
  const std::string timeline = svg_by_id(html, "failure-timeline");
  EXPECT_EQ(count(timeline, "<circle class=\"failure\""), 2u);
  EXPECT_EQ(count(timeline, "<circle class=\"first-failure\""), 1u);
  EXPECT_NE(html.find("<code>tierkv-sim run --seed 7</code>"), std::string::npos);
  EXPECT_NE(html.find("id=\"failures\""), std::string::npos);
}

TEST(ReportHtml, LatencyHistogramsDrawnPerOpKindWhenPresentElseNamedAsMissing) {
  FakeSweep sweep;
  nlohmann::json report = sweep.to_json();
  EXPECT_NE(render_report_html(report)->find("id=\"latency-histogram-missing\""),
            std::string::npos);
  sweep.extras = true;
  report = sweep.to_json();
  Result<std::string> html = render_report_html(report);
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  // All kinds together: buckets 0, 64, 128, 1024, 4096; then one chart per kind.
  EXPECT_EQ(count(svg_by_id(*html, "latency-histogram"), "<rect class=\"bar latency\""), 5u);
  EXPECT_EQ(count(svg_by_id(*html, "latency-read"), "<rect class=\"bar latency\""), 3u);
  EXPECT_EQ(count(svg_by_id(*html, "latency-write"), "<rect class=\"bar latency\""), 2u);
  EXPECT_NE(svg_by_id(*html, "latency-read").find("30 read ops ≤ 64 µs"), std::string::npos);
  report["latency_histogram_us"]["read"][2]["le"] = 50;
  Result<std::string> bad = render_report_html(report);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("latency_histogram_us.read[2].le"), std::string::npos);
}

TEST(ReportHtml, FailingRunTimelineDrawsOpsFaultsCrashRecoveryAndViolation) {
  FakeSweep sweep{.first = 0, .last = 19};
  sweep.failures = {{7, "recovery"}};
  EXPECT_NE(render(sweep).find("id=\"run-timeline-missing\""), std::string::npos);
  sweep.extras = true;
  const std::string html = render(sweep);
  const std::string timeline = svg_by_id(html, "run-timeline");
  ASSERT_FALSE(timeline.empty());
  EXPECT_EQ(count(timeline, "<rect class=\"op ok\""), 1u);
  EXPECT_EQ(count(timeline, "<rect class=\"op failed\""), 1u);
  EXPECT_EQ(count(timeline, "<rect class=\"op abandoned\""), 1u);
  EXPECT_EQ(count(timeline, "<circle class=\"fault\""), 2u);
  EXPECT_EQ(count(timeline, "<line class=\"crash\""), 1u);
  EXPECT_EQ(count(timeline, "<line class=\"recovery\""), 1u);
  EXPECT_EQ(count(timeline, "<line class=\"violation\""), 1u);
  EXPECT_EQ(count(timeline, ">client "), 2u);  // one lane per client
  EXPECT_NE(timeline.find("op #1 read (client 1)"), std::string::npos);
  EXPECT_NE(html.find("first 3 events are not shown"), std::string::npos);
}

TEST(ReportHtml, SeedOutcomesColourSetupErrorsAndSeedsNotRun) {
  FakeSweep sweep{.first = 0, .last = 9, .seeds_run_missing = 2};
  sweep.failures = {{3, "wal"}};
  sweep.extras = true;
  nlohmann::json report = sweep.to_json();
  report["seeds"]["setup_errors"] = 1;
  std::string outcomes = report["seed_outcomes"];
  outcomes[5] = 'e';
  report["seed_outcomes"] = outcomes;
  Result<std::string> html = render_report_html(report);
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  const std::string grid = svg_by_id(*html, "seed-grid");
  EXPECT_EQ(count(grid, "class=\"cell pass\""), 6u);
  EXPECT_EQ(count(grid, "class=\"cell fail\""), 1u);
  EXPECT_EQ(count(grid, "class=\"cell setup-error\""), 1u);
  EXPECT_EQ(count(grid, "class=\"cell not-run\""), 2u);
  EXPECT_EQ(count(grid, "class=\"cell unknown\""), 0u);
}

TEST(ReportHtml, ThroughputOverTheSweepFromSamples) {
  FakeSweep sweep{.first = 0, .last = 39};
  EXPECT_NE(render(sweep).find("id=\"throughput-over-time-missing\""), std::string::npos);
  sweep.extras = true;
  const std::string svg = svg_by_id(render(sweep), "throughput-over-time");
  // Samples at 0.5 s (0 seeds), 1 s (10 seeds), 2 s (40 seeds): 0, 20 and 30 seeds/s.
  EXPECT_EQ(count(svg, "<circle class=\"sample\""), 3u);
  EXPECT_EQ(count(svg, "<polyline class=\"series\""), 1u);
  EXPECT_NE(svg.find("1 s: 20 seeds/s, 2000 ops/s"), std::string::npos);
  EXPECT_NE(svg.find("2 s: 30 seeds/s, 3000 ops/s"), std::string::npos);
}

TEST(ReportHtml, ReportStringsAreEscapedAndNothingIsFetched) {
  nlohmann::json report = FakeSweep{.failures = {{1, "recovery"}}}.to_json();
  report["failures"][0]["message"] = "<script>alert(1)</script> & \"quotes\"";
  report["faults_fired"]["<img/>"] = 1;
  Result<std::string> html = render_report_html(report);
  ASSERT_TRUE(html.ok()) << html.status().to_string();
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_EQ(html->find("<img"), std::string::npos);
  EXPECT_NE(html->find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            std::string::npos);
  // Self-contained: no external stylesheet, font, image or script (the svg namespace is a name).
  EXPECT_FALSE(std::regex_search(*html, std::regex("(src|href)=")));
  EXPECT_EQ(html->find("@import"), std::string::npos);
  EXPECT_EQ(html->find("url("), std::string::npos);
}

TEST(ReportHtml, SameReportSameBytes) {
  FakeSweep sweep{.first = 0, .last = 300};
  sweep.failures = {{12, "recovery"}, {200, "wal"}};
  EXPECT_EQ(render(sweep), render(sweep));
}

TEST(ReportHtml, MalformedReportNamesTheField) {
  nlohmann::json report = FakeSweep{}.to_json();
  report["throughput"].erase("wall_seconds");
  Result<std::string> html = render_report_html(report);
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.status().message().find("`throughput.wall_seconds`"), std::string::npos);
}

TEST(ReportHtml, WriteReportHtmlWritesNextToReportJson) {
  testing::TempDir tmp;
  PosixEnv env;
  testing::write_report(tmp.path(), FakeSweep{.failures = {{4, "recovery"}}});
  ASSERT_TRUE(write_report_html(env, tmp.path()).ok());
  const std::string html = testing::read_text_file(tmp.sub("report.html"));
  EXPECT_NE(html.find("<title>seed 4: recovery</title>"), std::string::npos);

  testing::write_text_file(tmp.sub("bad/report.json"), "{\"config\": 3}");
  const Status bad = write_report_html(env, tmp.sub("bad"));
  EXPECT_TRUE(bad.is_invalid_argument());
  EXPECT_NE(bad.message().find("bad/report.json"), std::string::npos);
  EXPECT_NE(bad.message().find("`config`"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.sub("bad/report.html")));
  EXPECT_TRUE(write_report_html(env, tmp.sub("missing")).is_not_found());
}

}  // namespace
}  // namespace tierkv::reports
