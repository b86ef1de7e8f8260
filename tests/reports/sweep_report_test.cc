// What a real sweep writes into report.json beyond counts, end to end through the simulator:
// observing a run never changes its trace or outcome; every seed gets its outcome; client
// latencies in simulated time are histogrammed; a failing seed carries the timeline of its run
// (ops, faults, crash and recovery points, the violation); throughput is sampled; and the
// reports library parses what the sweep wrote.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "engine/core/forwarding_kv_store.h"
#include "reports/report_model.h"
#include "sim/cli_report.h"
#include "sim/runner.h"
#include "sim/sweep.h"
#include "sim/sweep_observer.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using sim::GenerateOptions;
using sim::RunResult;
using sim::Scenario;
using sim::SimDriver;

constexpr uint64_t kOps = 80;

// An engine bug: the primary acknowledges every other write without doing it.
class ForgetfulPrimary final : public ForwardingKvStore {
 public:
  using ForwardingKvStore::ForwardingKvStore;
  Task<Status> write(StoreKey key, std::string value) override {
    if (++writes_ % 2 == 0) return ok_now();  // acknowledged, forgotten: the bug
    return inner().write(std::move(key), std::move(value));
  }

 private:
  static Task<Status> ok_now() { co_return Status::ok_status(); }
  uint64_t writes_ = 0;
};

SimDriver real_driver(bool buggy) {
  return SimDriver{
      [](uint64_t seed, const GenerateOptions& options) {
        return sim::generate_scenario(seed, options);
      },
      [buggy](const Scenario& scenario) -> RunResult {
        if (!buggy) return sim::run_scenario(scenario);
        return sim::run_scenario(scenario, [](KvStore& primary) -> std::unique_ptr<KvStore> {
          return std::make_unique<ForgetfulPrimary>(primary);
        });
      }};
}

GenerateOptions options() {
  GenerateOptions o;
  o.ops = kOps;
  o.fault_kinds = {sim::FaultKind::kCrash, sim::FaultKind::kIoError};
  return o;
}

uint64_t latency_total(const sim::LatencyHistogram& histogram) {
  uint64_t total = 0;
  for (const auto& [kind, buckets] : histogram) {
    for (const auto& [le_us, count] : buckets) total += count;
  }
  return total;
}

TEST(SweepRecorder, ObservingARunChangesNeitherItsTraceNorItsOutcome) {
  const SimDriver driver = real_driver(false);
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const Scenario scenario = sim::generate_scenario(seed, options());
    const RunResult plain = sim::run_scenario(scenario);
    const sim::SeedRecord recorded = sim::run_recorded(scenario, driver);
    EXPECT_EQ(recorded.outcome.trace_hex, plain.trace_hex) << "seed " << seed;
    EXPECT_EQ(recorded.outcome.violated(), !plain.violations.empty()) << "seed " << seed;
    // Every completed client op is in the histogram, never more than were issued.
    const uint64_t timed = latency_total(recorded.latency);
    EXPECT_GT(timed, 0u) << "seed " << seed;
    EXPECT_LE(timed, plain.stats.ops_issued) << "seed " << seed;
  }
}

TEST(SweepRecorder, LatencyBucketsArePowersOfTwoHoldingTheirLatency) {
  EXPECT_EQ(sim::latency_bucket_le_us(0), 0u);
  EXPECT_EQ(sim::latency_bucket_le_us(1), 1u);
  for (uint64_t latency : {2u, 3u, 5u, 64u, 65u, 1000u, 123456u}) {
    const uint64_t le = sim::latency_bucket_le_us(latency);
    EXPECT_GE(le, latency);
    EXPECT_LT(le / 2, latency);  // the smallest such bound
    EXPECT_EQ(le & (le - 1), 0u);
  }
}

TEST(SweepReportJson, RealSweepCarriesOutcomesLatencySamplesAndFailingTimelines) {
  testing::TempDir tmp;
  sim::SweepConfig config;
  config.seeds = {1, 8};
  config.jobs = 2;
  config.failures_dir = tmp.sub("failures");
  config.flags.ops = kOps;
  config.flags.faults = "crash,io_error";
  config.options = options();
  std::ostringstream progress;
  const sim::SweepReport report = sim::run_sweep(config, real_driver(true), progress);
  ASSERT_EQ(report.seeds_run, 8u);
  ASSERT_FALSE(report.failures.empty()) << "the forgetful primary was not caught";
  ASSERT_EQ(report.seed_outcomes.size(), 8u);
  for (const sim::SweepFailure& f : report.failures) {
    EXPECT_EQ(report.seed_outcomes[f.seed - 1], sim::kSeedViolated) << "seed " << f.seed;
    ASSERT_FALSE(f.events.empty()) << "seed " << f.seed;
    EXPECT_LE(f.events.size(), sim::kRunEventsMax);
    EXPECT_EQ(f.events.back().type, "violation");  // the run ends with what it violated
    std::map<std::string, int> types;
    bool first_violation_shown = false;
    for (const sim::RunEvent& e : f.events) {
      ++types[e.type];
      EXPECT_LE(e.start_us, e.end_us);
      first_violation_shown |= e.type == "violation" && e.kind == f.invariant;
    }
    EXPECT_TRUE(first_violation_shown) << "seed " << f.seed;
    EXPECT_GT(types["op"], 0) << "seed " << f.seed;
  }
  EXPECT_GT(latency_total(report.latency_histogram_us), 0u);
  ASSERT_FALSE(report.throughput_samples.empty());
  EXPECT_EQ(report.throughput_samples.back().seeds_run, 8u);  // the final sample

  // The reports library reads exactly what the sweep wrote.
  Result<SweepSummary> parsed =
      parse_sweep_summary_text(sim::sweep_report_json(report), "report.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->seed_outcomes, report.seed_outcomes);
  EXPECT_EQ(parsed->failures.front().events.size(), report.failures.front().events.size());
  EXPECT_FALSE(parsed->latency_histogram_us.empty());
}

TEST(SweepReportJson, EventsOfARunWithCrashesShowCrashAndRecoveryPoints) {
  // Find a seed whose run crashes at least once; its recorded timeline has both points.
  const SimDriver driver = real_driver(false);
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario scenario = sim::generate_scenario(seed, options());
    sim::SweepRecorder recorder;
    RunResult result;
    {
      sim::ScopedRunObserver scope(&recorder);
      result = sim::run_scenario(scenario);
    }
    if (result.stats.crashes == 0) continue;
    std::map<std::string, int> types;
    for (const sim::RunEvent& e : recorder.events()) ++types[e.type];
    EXPECT_GT(types["crash"], 0);
    EXPECT_GT(types["recovery"], 0);
    EXPECT_GT(types["fault"], 0);
    return;
  }
  FAIL() << "no seed in 1..30 crashed; the fault mix changed";
}

}  // namespace
}  // namespace tierkv::reports
