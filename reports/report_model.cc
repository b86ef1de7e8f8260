#include "reports/report_model.h"

#include <cassert>
#include <utility>

#include "engine/io/env_util.h"
#include "reports/report_fields.h"

namespace tierkv::reports {
namespace {


void read_config(FieldReader in, ReportConfig& c) {
  in.u64("seeds_first", c.seeds_first);
  in.u64("seeds_last", c.seeds_last);
  in.u32("shard_index", c.shard_index);
  in.u32("shard_count", c.shard_count);
  in.u64("jobs", c.jobs);
  in.str("backend", c.backend);
  in.u64("ops", c.ops);
  in.str("faults", c.faults);
  in.boolean("over_budget", c.over_budget);
  in.f64("time_budget_seconds", c.time_budget_seconds);
  in.boolean("stop_on_violation", c.stop_on_violation);
  if (!in.ok()) return;
  if (c.seeds_first > c.seeds_last) in.fail(in.path("seeds_last"), "below seeds_first");
  if (c.shard_count == 0) in.fail(in.path("shard_count"), "must be at least 1");
  if (c.shard_index >= c.shard_count) in.fail(in.path("shard_index"), "not below shard_count");
}

void read_maps(FieldReader& in, SweepSummary& s) {
  const Json* faults_json = in.optional("faults_fired");
  FieldReader faults = in.object("faults_fired");
  if (faults.ok() && faults_json != nullptr) {
    for (const auto& item : faults_json->items()) {
      faults.u64(item.key().c_str(), s.faults_fired[item.key()]);
    }
  }
  const Json* invariants_json = in.optional("invariants");
  FieldReader invariants = in.object("invariants");
  if (invariants.ok() && invariants_json != nullptr) {
    for (const auto& item : invariants_json->items()) {
      FieldReader one = invariants.object(item.key().c_str());
      one.u64("checked", s.invariants[item.key()].checked);
      one.u64("violated", s.invariants[item.key()].violated);
    }
  }
}

void read_failures(FieldReader& in, SweepSummary& s) {
  const Json* failures = in.array("failures");
  if (failures == nullptr) return;
  for (size_t i = 0; i < failures->size() && in.ok(); ++i) {
    FieldReader one = in.element(&(*failures)[i], "failures[" + std::to_string(i) + "]");
    ReportFailure& f = s.failures.emplace_back();
    one.u64("seed", f.seed);
    one.str("invariant", f.invariant);
    one.str("message", f.message);
    one.str("scenario_file", f.scenario_file);
    one.str("reproduce", f.reproduce);
    read_failure_events(one, f);
    if (!one.ok()) return;
    if (!shard_holds_seed(s.config, f.seed)) {
      one.fail(one.path("seed"), std::to_string(f.seed) + " is not a seed of this report's shard");
    } else if (i > 0 && s.failures[i - 1].seed > f.seed) {
      one.fail(one.path("seed"), "failures are not ordered by seed");
    }
  }
}

void read_first_failure(FieldReader& in, SweepSummary& s) {
  const Json* first = in.optional("first_failure");
  if (first == nullptr) return;
  FieldReader one = in.object("first_failure");
  ReportFirstFailure& f = s.first_failure.emplace();
  one.u64("seed", f.seed);
  one.u64("seeds_run", f.seeds_run);
  one.f64("wall_seconds", f.wall_seconds);
}

void read_shards(FieldReader& in, SweepSummary& s) {
  const Json* shards = in.optional("shards");
  if (shards == nullptr) return;
  if (!shards->is_array()) {
    in.fail(in.path("shards"), "expected an array");
    return;
  }
  for (size_t i = 0; i < shards->size() && in.ok(); ++i) {
    FieldReader one = in.element(&(*shards)[i], "shards[" + std::to_string(i) + "]");
    ReportShard& shard = s.shards.emplace_back();
    one.str("source", shard.source);
    one.u64("seeds_first", shard.seeds_first);
    one.u64("seeds_last", shard.seeds_last);
    one.u32("shard_index", shard.shard_index);
    one.u32("shard_count", shard.shard_count);
    one.u64("seeds_run", shard.seeds_run);
    one.u64("failed", shard.failed);
    one.f64("wall_seconds", shard.wall_seconds);
    one.f64("seeds_per_second", shard.seeds_per_second);
    one.f64("ops_per_second", shard.ops_per_second);
  }
}

void check_consistency(FieldReader& in, const SweepSummary& s) {
  const ReportConfig& c = s.config;
  const uint64_t size = shard_seed_count(c.seeds_first, c.seeds_last, c.shard_index, c.shard_count);
  if (s.seeds_planned != size) {
    in.fail("seeds.planned", std::to_string(s.seeds_planned) + ", but shard " +
                                 std::to_string(c.shard_index) + "/" + std::to_string(c.shard_count) +
                                 " of seeds " + std::to_string(c.seeds_first) + ".." +
                                 std::to_string(c.seeds_last) + " holds " + std::to_string(size));
  } else if (s.seeds_run > s.seeds_planned) {
    in.fail("seeds.run", std::to_string(s.seeds_run) + " exceeds seeds.planned");
  }
}

}  // namespace

uint64_t shard_seed_count(uint64_t first, uint64_t last, uint32_t index, uint32_t count) {
  assert(first <= last);
  assert(index < count);
  if (index > last - first) return 0;
  return (last - first - index) / count + 1;
}

bool shard_holds_seed(const ReportConfig& c, uint64_t seed) {
  return seed >= c.seeds_first && seed <= c.seeds_last &&
         (seed - c.seeds_first) % c.shard_count == c.shard_index;
}

uint64_t shard_nth_seed(const ReportConfig& c, uint64_t i) {
  assert(i < shard_seed_count(c.seeds_first, c.seeds_last, c.shard_index, c.shard_count));
  return c.seeds_first + c.shard_index + i * c.shard_count;
}

bool every_seed_ran(const SweepSummary& s) {
  return s.seeds_run == s.seeds_planned && s.setup_errors == 0;
}

Result<SweepSummary> parse_sweep_summary(const Json& report) {
  Status status;
  FieldReader in(&report, "", &status);
  if (!in.ok()) return Status::invalid_argument("report: expected a JSON object");
  SweepSummary s;
  read_config(in.object("config"), s.config);
  FieldReader seeds = in.object("seeds");
  seeds.u64("planned", s.seeds_planned);
  seeds.u64("run", s.seeds_run);
  uint64_t failed = 0;
  seeds.u64("failed", failed);
  seeds.u64("setup_errors", s.setup_errors);
  in.str("stop_reason", s.stop_reason);
  read_maps(in, s);
  if (in.ok()) read_failures(in, s);
  if (in.ok() && failed != s.failures.size()) {
    in.fail("seeds.failed", std::to_string(failed) + ", but `failures` lists " +
                                std::to_string(s.failures.size()));
  }
  read_first_failure(in, s);
  FieldReader throughput = in.object("throughput");
  throughput.f64("wall_seconds", s.wall_seconds);
  throughput.f64("seeds_per_second", s.seeds_per_second);
  throughput.u64("ops_issued", s.ops_issued);
  throughput.f64("ops_per_second", s.ops_per_second);
  FieldReader simulated = in.object("simulated");
  simulated.u64("time_us", s.simulated_time_us);
  simulated.f64("simulated_to_real_ratio", s.simulated_to_real_ratio);
  read_shards(in, s);
  read_latency(in, s);
  if (in.ok()) check_consistency(in, s);
  if (in.ok()) read_seed_outcomes(in, s);
  if (in.ok()) read_throughput_samples(in, s);
  if (!status.ok()) return status;
  return s;
}

Result<Json> parse_report_text(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    return Status::invalid_argument(origin + ": not valid JSON at byte " +
                                    std::to_string(error.byte) + ": " + error.what());
  }
}

Result<SweepSummary> parse_sweep_summary_text(const std::string& text, const std::string& origin) {
  TIERKV_ASSIGN_OR_RETURN(Json report, parse_report_text(text, origin));
  Result<SweepSummary> summary = parse_sweep_summary(report);
  if (!summary.ok()) return summary.status().with_context(origin);
  return summary;
}

Result<Json> read_report_json(Env& env, const std::string& dir) {
  const std::string path = join_path(dir, "report.json");
  if (!env.file_exists(path)) {
    return Status::not_found(path + ": no sweep report here (run `tierkv-sim sweep --report " +
                             dir + "` first)");
  }
  TIERKV_ASSIGN_OR_RETURN(std::string text, read_file_to_string(env, path));
  return parse_report_text(text, path);
}

Result<SweepSummary> read_sweep_summary(Env& env, const std::string& dir) {
  TIERKV_ASSIGN_OR_RETURN(Json report, read_report_json(env, dir));
  Result<SweepSummary> summary = parse_sweep_summary(report);
  if (!summary.ok()) return summary.status().with_context(join_path(dir, "report.json"));
  return summary;
}

namespace {

nlohmann::ordered_json config_to_json(const ReportConfig& c) {
  return {{"seeds_first", c.seeds_first}, {"seeds_last", c.seeds_last},
          {"shard_index", c.shard_index}, {"shard_count", c.shard_count},
          {"jobs", c.jobs}, {"backend", c.backend}, {"ops", c.ops}, {"faults", c.faults},
          {"over_budget", c.over_budget}, {"time_budget_seconds", c.time_budget_seconds},
          {"stop_on_violation", c.stop_on_violation}};
}

nlohmann::ordered_json shards_to_json(const std::vector<ReportShard>& shards) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ReportShard& s : shards) {
    out.push_back({{"source", s.source}, {"seeds_first", s.seeds_first},
                   {"seeds_last", s.seeds_last}, {"shard_index", s.shard_index},
                   {"shard_count", s.shard_count}, {"seeds_run", s.seeds_run},
                   {"failed", s.failed}, {"wall_seconds", s.wall_seconds},
                   {"seeds_per_second", s.seeds_per_second},
                   {"ops_per_second", s.ops_per_second}});
  }
  return out;
}

}  // namespace

nlohmann::ordered_json summary_to_json(const SweepSummary& s) {
  using OrderedJson = nlohmann::ordered_json;
  OrderedJson faults = OrderedJson::object();
  for (const auto& [kind, count] : s.faults_fired) faults[kind] = count;
  OrderedJson invariants = OrderedJson::object();
  for (const auto& [name, counts] : s.invariants) {
    invariants[name] = {{"checked", counts.checked}, {"violated", counts.violated}};
  }
  OrderedJson failures = OrderedJson::array();
  for (const ReportFailure& f : s.failures) {
    OrderedJson one = {{"seed", f.seed}, {"invariant", f.invariant}, {"message", f.message},
                       {"scenario_file", f.scenario_file}, {"reproduce", f.reproduce}};
    failure_events_to_json(f, one);
    failures.push_back(std::move(one));
  }
  OrderedJson first = nullptr;
  if (s.first_failure) {
    first = {{"seed", s.first_failure->seed}, {"seeds_run", s.first_failure->seeds_run},
             {"wall_seconds", s.first_failure->wall_seconds}};
  }
  OrderedJson out = {
      {"config", config_to_json(s.config)},
      {"seeds", {{"planned", s.seeds_planned}, {"run", s.seeds_run},
                 {"failed", s.failures.size()}, {"setup_errors", s.setup_errors}}},
      {"stop_reason", s.stop_reason},
      {"faults_fired", faults},
      {"invariants", invariants},
      {"failures", failures},
      {"first_failure", first},
      {"throughput", {{"wall_seconds", s.wall_seconds}, {"seeds_per_second", s.seeds_per_second},
                      {"ops_issued", s.ops_issued}, {"ops_per_second", s.ops_per_second}}},
      {"simulated", {{"time_us", s.simulated_time_us},
                     {"simulated_to_real_ratio", s.simulated_to_real_ratio}}}};
  if (!s.shards.empty()) out["shards"] = shards_to_json(s.shards);
  extras_to_json(s, out);
  return out;
}

}  // namespace tierkv::reports
