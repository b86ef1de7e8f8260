#include "sim/cli_report.h"

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace tierkv::sim {
namespace {

using OrderedJson = nlohmann::ordered_json;

double per_second(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string seeds_text(const SweepConfig& config) {
  return std::to_string(config.seeds.first) + ".." + std::to_string(config.seeds.last) +
         " shard " + std::to_string(config.shard.index) + "/" + std::to_string(config.shard.count);
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) return Status::io_error(path.string() + ": write failed");
  return Status::ok_status();
}

}  // namespace

void print_sweep_summary(const SweepReport& r, std::ostream& out) {
  out << "sweep: seeds " << seeds_text(r.config) << ", backend " << r.config.flags.backend << ": "
      << r.seeds_run << "/" << r.seeds_planned << " run, " << r.failures.size() << " failed, "
      << r.setup_errors << " setup errors, " << fixed(r.wall_seconds, 1) << " s, "
      << fixed(per_second(r.seeds_run, r.wall_seconds), 1) << " seeds/s, " << r.ops_issued
      << " ops (" << fixed(per_second(r.ops_issued, r.wall_seconds), 0) << " ops/s), simulated "
      << fixed(r.simulated_time_us / 1e6, 1) << " s\n";
  if (!r.stop_reason.empty()) out << "stopped early: " << r.stop_reason << "\n";
  out << "faults fired:\n";
  if (r.faults_fired.empty()) out << "  (none)\n";
  for (const auto& [kind, count] : r.faults_fired) {
    out << "  " << std::left << std::setw(18) << kind << count << "\n";
  }
  out << "invariants (checked / violated):\n";
  if (r.invariants.empty()) out << "  (none)\n";
  for (const auto& [name, counts] : r.invariants) {
    out << "  " << std::left << std::setw(18) << name << counts.checked << " / " << counts.violated
        << "\n";
  }
  if (r.failures.empty()) return;
  out << "failures:\n";
  for (const SweepFailure& f : r.failures) {
    out << "  seed " << f.seed << ": " << f.invariant << ": " << f.message << "\n";
    if (!f.scenario_file.empty()) out << "    scenario: " << f.scenario_file << "\n";
    out << "    reproduce: " << f.reproduce << "\n";
  }
  if (r.first_failure_seed) {
    out << "first violation: seed " << *r.first_failure_seed << " after "
        << *r.first_failure_seeds_run << " seeds, " << fixed(*r.first_failure_seconds, 2)
        << " s\n";
  }
}

std::string sweep_report_json(const SweepReport& r) {
  const SweepConfig& c = r.config;
  OrderedJson faults = OrderedJson::object();
  for (const auto& [kind, count] : r.faults_fired) faults[kind] = count;
  OrderedJson invariants = OrderedJson::object();
  for (const auto& [name, counts] : r.invariants) {
    invariants[name] = {{"checked", counts.checked}, {"violated", counts.violated}};
  }
  OrderedJson failures = OrderedJson::array();
  for (const SweepFailure& f : r.failures) {
    OrderedJson events = OrderedJson::array();
    for (const RunEvent& event : f.events) events.push_back(run_event_to_json(event));
    failures.push_back({{"seed", f.seed}, {"invariant", f.invariant}, {"message", f.message},
                        {"scenario_file", f.scenario_file}, {"reproduce", f.reproduce},
                        {"events", events}, {"events_dropped", f.events_dropped}});
  }
  OrderedJson samples = OrderedJson::array();
  for (const ThroughputSample& t : r.throughput_samples) {
    samples.push_back({{"wall_seconds", t.wall_seconds}, {"seeds_run", t.seeds_run},
                       {"ops_issued", t.ops_issued}});
  }
  OrderedJson first = nullptr;
  if (r.first_failure_seed) {
    first = {{"seed", *r.first_failure_seed}, {"seeds_run", *r.first_failure_seeds_run},
             {"wall_seconds", *r.first_failure_seconds}};
  }
  OrderedJson report = {
      {"config", {{"seeds_first", c.seeds.first}, {"seeds_last", c.seeds.last},
                  {"shard_index", c.shard.index}, {"shard_count", c.shard.count},
                  {"jobs", c.jobs}, {"backend", c.flags.backend}, {"ops", c.flags.ops},
                  {"faults", c.flags.faults.empty() ? "swarm" : c.flags.faults},
                  {"over_budget", c.flags.over_budget},
                  {"time_budget_seconds", c.time_budget_seconds},
                  {"stop_on_violation", c.stop_on_violation}}},
      {"seeds", {{"planned", r.seeds_planned}, {"run", r.seeds_run},
                 {"failed", r.failures.size()}, {"setup_errors", r.setup_errors}}},
      {"stop_reason", r.stop_reason},
      {"faults_fired", faults},
      {"invariants", invariants},
      {"failures", failures},
      {"first_failure", first},
      {"throughput", {{"wall_seconds", r.wall_seconds},
                      {"seeds_per_second", per_second(r.seeds_run, r.wall_seconds)},
                      {"ops_issued", r.ops_issued},
                      {"ops_per_second", per_second(r.ops_issued, r.wall_seconds)}}},
      {"simulated", {{"time_us", r.simulated_time_us},
                     {"simulated_to_real_ratio",
                      per_second(r.simulated_time_us / 1e6, r.wall_seconds)}}},
      {"throughput_samples", samples},
      {"latency_histogram_us", latency_to_json(r.latency_histogram_us)}};
  if (!r.seed_outcomes.empty()) report["seed_outcomes"] = r.seed_outcomes;
  return report.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

std::string sweep_report_markdown(const SweepReport& r) {
  std::ostringstream md;
  md << "# tierkv-sim sweep\n\n"
     << "- seeds: " << seeds_text(r.config) << " (" << r.seeds_run << " of " << r.seeds_planned
     << " run" << (r.stop_reason.empty() ? "" : "; " + r.stop_reason) << ")\n"
     << "- backend: " << r.config.flags.backend << ", ops per seed: " << r.config.flags.ops
     << ", faults: " << (r.config.flags.faults.empty() ? "swarm" : r.config.flags.faults)
     << (r.config.flags.over_budget ? " (over budget)" : "") << "\n"
     << "- result: **" << (r.failures.empty() ? "all invariants held" : std::to_string(r.failures.size()) + " failing seeds")
     << "**\n"
     << "- throughput: " << fixed(per_second(r.seeds_run, r.wall_seconds), 1) << " seeds/s, "
     << fixed(per_second(r.ops_issued, r.wall_seconds), 0) << " ops/s, simulated/real "
     << fixed(per_second(r.simulated_time_us / 1e6, r.wall_seconds), 1) << "x over "
     << fixed(r.wall_seconds, 1) << " s\n\n";
  md << "## Faults fired\n\n| fault | fired |\n|---|---:|\n";
  for (const auto& [kind, count] : r.faults_fired) md << "| " << kind << " | " << count << " |\n";
  md << "\n## Invariants\n\n| invariant | checked | violated |\n|---|---:|---:|\n";
  for (const auto& [name, counts] : r.invariants) {
    md << "| " << name << " | " << counts.checked << " | " << counts.violated << " |\n";
  }
  md << "\n## Failures\n\n";
  if (r.failures.empty()) md << "None.\n";
  for (const SweepFailure& f : r.failures) {
    md << "- seed " << f.seed << " — `" << f.invariant << "`: " << f.message << "\n"
       << "  - reproduce: `" << f.reproduce << "`\n";
  }
  return md.str();
}

Status write_sweep_report(const SweepReport& report, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::io_error(dir + ": cannot create report directory: " + error.message());
  const std::filesystem::path base(dir);
  TIERKV_RETURN_IF_ERROR(write_text(base / "report.json", sweep_report_json(report)));
  return write_text(base / "summary.md", sweep_report_markdown(report));
}

}  // namespace tierkv::sim
