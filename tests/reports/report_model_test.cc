// report.json parsing: the exact shape tierkv-sim writes is accepted and round-trips; every
// malformed or inconsistent field is rejected with a message naming that field.
#include <gtest/gtest.h>

#include "reports/report_model.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using testing::FakeSweep;

void expect_field_error(const nlohmann::json& report, const std::string& field) {
  Result<SweepSummary> summary = parse_sweep_summary(report);
  ASSERT_FALSE(summary.ok()) << "accepted a report with a bad " << field;
  EXPECT_TRUE(summary.status().is_invalid_argument());
  EXPECT_NE(summary.status().message().find("`" + field + "`"), std::string::npos)
      << summary.status().message();
}

TEST(ReportModel, ParsesWhatTheSweepWrites) {
  FakeSweep sweep{.first = 10, .last = 29, .shard_index = 1, .shard_count = 2};
  sweep.failures = {{13, "recovery"}, {21, "process_abort"}};
  Result<SweepSummary> s = parse_sweep_summary(sweep.to_json());
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->config.seeds_first, 10u);
  EXPECT_EQ(s->config.shard_index, 1u);
  EXPECT_EQ(s->seeds_planned, 10u);
  ASSERT_EQ(s->failures.size(), 2u);
  EXPECT_EQ(s->failures[1].seed, 21u);
  EXPECT_EQ(s->failures[1].invariant, "process_abort");
  EXPECT_EQ(s->faults_fired.at("crash"), 7u);
  EXPECT_EQ(s->invariants.at("recovery").violated, 1u);
  ASSERT_TRUE(s->first_failure.has_value());
  EXPECT_EQ(s->first_failure->seed, 13u);
  EXPECT_DOUBLE_EQ(s->ops_per_second, 2000);
  EXPECT_TRUE(every_seed_ran(*s));
}

TEST(ReportModel, RoundTripsThroughJson) {
  FakeSweep sweep{.first = 0, .last = 99};
  sweep.failures = {{5, "recovery"}, {77, "wal"}};
  const nlohmann::json original = sweep.to_json();
  Result<SweepSummary> s = parse_sweep_summary(original);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  const nlohmann::json again = nlohmann::json::parse(summary_to_json(*s).dump());
  EXPECT_EQ(again, original);
}

TEST(ReportModel, SessionThreeFieldsParseAndRoundTrip) {
  FakeSweep sweep{.first = 0, .last = 29, .shard_index = 1, .shard_count = 3};
  sweep.failures = {{4, "recovery"}, {16, "process_abort"}};
  sweep.extras = true;
  const nlohmann::json original = sweep.to_json();
  Result<SweepSummary> s = parse_sweep_summary(original);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->seed_outcomes, "pfpppap" "ppp");  // seeds 1,4,...,28: 4 violated, 16 aborted
  ASSERT_EQ(s->failures[0].events.size(), 8u);
  EXPECT_EQ(s->failures[0].events[1].status, "IOError");
  EXPECT_EQ(s->failures[0].events[1].client, 1u);
  EXPECT_EQ(s->failures[0].events.back().type, "violation");
  EXPECT_EQ(s->failures[0].events_dropped, 3u);
  ASSERT_EQ(s->latency_histogram_us.at("read").size(), 3u);
  EXPECT_EQ(s->latency_histogram_us.at("read")[1].le_us, 64u);
  EXPECT_EQ(s->latency_histogram_us.at("read")[1].count, 30u);
  ASSERT_EQ(s->throughput_samples.size(), 3u);
  EXPECT_EQ(s->throughput_samples[2].seeds_run, 10u);
  EXPECT_FALSE(s->throughput_samples[2].shard.has_value());
  const nlohmann::json again = nlohmann::json::parse(summary_to_json(*s).dump());
  EXPECT_EQ(again, original);
}

TEST(ReportModel, BadSessionThreeFieldsAreNamed) {
  FakeSweep sweep{.first = 0, .last = 9};
  sweep.failures = {{2, "wal"}};
  sweep.extras = true;
  const nlohmann::json good = sweep.to_json();
  nlohmann::json report = good;
  report["seed_outcomes"] = "pfp";
  expect_field_error(report, "seed_outcomes");  // wrong length
  report = good;
  report["seed_outcomes"] = "ppfpppppxp";
  expect_field_error(report, "seed_outcomes");  // unknown outcome
  report = good;
  report["seed_outcomes"] = "pfpppppppp";
  expect_field_error(report, "seed_outcomes");  // the failing seed 2 is not marked failed
  report = good;
  report["seed_outcomes"] = "ppfpppppp-";
  expect_field_error(report, "seed_outcomes");  // 9 run, seeds.run says 10
  report = good;
  report["failures"][0]["events"][3]["type"] = "meteor";
  expect_field_error(report, "failures[0].events[3].type");
  report = good;
  report["failures"][0]["events"][0]["end_us"] = 0;
  report["failures"][0]["events"][0]["start_us"] = 10;
  expect_field_error(report, "failures[0].events[0].end_us");
  report = good;
  report["failures"][0]["events"][2].erase("count");
  expect_field_error(report, "failures[0].events[2].count");
  report = good;
  report["latency_histogram_us"]["write"] = 7;
  expect_field_error(report, "latency_histogram_us.write");
  report = good;
  report["throughput_samples"][1]["seeds_run"] = 11;
  expect_field_error(report, "throughput_samples[1].seeds_run");
}

TEST(ReportModel, MissingFieldsAreNamed) {
  for (const auto& [object, field] : std::vector<std::pair<std::string, std::string>>{
           {"config", "seeds_first"}, {"config", "backend"}, {"seeds", "planned"},
           {"throughput", "ops_per_second"}, {"simulated", "time_us"}}) {
    nlohmann::json report = FakeSweep{}.to_json();
    report[object].erase(field);
    expect_field_error(report, object + "." + field);
  }
  nlohmann::json report = FakeSweep{}.to_json();
  report.erase("invariants");
  expect_field_error(report, "invariants");
}

TEST(ReportModel, WrongTypesAreNamed) {
  nlohmann::json report = FakeSweep{}.to_json();
  report["config"]["ops"] = "many";
  expect_field_error(report, "config.ops");
  report = FakeSweep{}.to_json();
  report["faults_fired"]["crash"] = -1;
  expect_field_error(report, "faults_fired.crash");
  report = FakeSweep{.failures = {{3, "recovery"}}}.to_json();
  report["failures"][0]["seed"] = "three";
  expect_field_error(report, "failures[0].seed");
  report = FakeSweep{}.to_json();
  report["failures"] = "none";
  expect_field_error(report, "failures");
}

TEST(ReportModel, InconsistentCountsAreNamed) {
  nlohmann::json report = FakeSweep{.failures = {{3, "recovery"}}}.to_json();
  report["seeds"]["failed"] = 0;
  expect_field_error(report, "seeds.failed");
  report = FakeSweep{}.to_json();
  report["seeds"]["planned"] = 11;
  expect_field_error(report, "seeds.planned");
  report = FakeSweep{.first = 0, .last = 9, .shard_index = 0, .shard_count = 2}.to_json();
  report["failures"] = nlohmann::json::array(
      {{{"seed", 3}, {"invariant", "recovery"}, {"message", ""}, {"scenario_file", ""},
        {"reproduce", ""}}});
  report["seeds"]["failed"] = 1;
  expect_field_error(report, "failures[0].seed");  // seed 3 belongs to shard 1/2
  report = FakeSweep{}.to_json();
  report["config"]["shard_index"] = 1;
  expect_field_error(report, "config.shard_index");
}

TEST(ReportModel, MalformedJsonTextNamesFileAndOffset) {
  Result<SweepSummary> s = parse_sweep_summary_text("{\"config\": {,}", "out/report.json");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().is_invalid_argument());
  EXPECT_NE(s.status().message().find("out/report.json"), std::string::npos);
  EXPECT_NE(s.status().message().find("byte"), std::string::npos);
}

TEST(ReportModel, ShardArithmeticMatchesTheDefinition) {
  for (uint32_t count = 1; count <= 5; ++count) {
    for (uint32_t index = 0; index < count; ++index) {
      ReportConfig c{.seeds_first = 7, .seeds_last = 19, .shard_index = index,
                     .shard_count = count};
      std::vector<uint64_t> expected;
      for (uint64_t s = 7; s <= 19; ++s) {
        if ((s - 7) % count == index) expected.push_back(s);
        EXPECT_EQ(shard_holds_seed(c, s), (s - 7) % count == index);
      }
      ASSERT_EQ(shard_seed_count(7, 19, index, count), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(shard_nth_seed(c, i), expected[i]);
    }
  }
  EXPECT_EQ(shard_seed_count(0, 2, 4, 5), 0u);  // more shards than seeds: empty shards
}

}  // namespace
}  // namespace tierkv::reports
