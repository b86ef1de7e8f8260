#include "sim/cli_commands.h"

#include <algorithm>
#include <filesystem>
#include <ostream>

#include "sim/cli_report.h"
#include "sim/shrink.h"

namespace tierkv::sim {
namespace {

int bad_input(std::ostream& err, const Status& status) {
  err << "error: " << status.message() << "\n";
  return kExitBadInput;
}

// The scenario `run` executes: the file's, or one generated from the seed and flags.
Result<Scenario> scenario_for_run(const RunCommand& c, const SimDriver& driver) {
  if (!c.scenario_file.empty()) {
    if (c.ops || c.faults || c.over_budget || c.hybrid || c.hybrid_primary ||
        !c.hybrid_btree.empty()) {
      return Status::invalid_argument(
          "--scenario: --ops, --faults, --over-budget, --hybrid, --hybrid-primary and "
          "--hybrid-btree shape a generated scenario; they cannot change a scenario file");
    }
    TIERKV_ASSIGN_OR_RETURN(Scenario scenario, load_scenario_file(c.scenario_file));
    if (c.seed) scenario.seed = *c.seed;
    if (c.backend) {
      TIERKV_RETURN_IF_ERROR(check_backend("--backend", *c.backend));
      scenario.world.backend = *c.backend;
    }
    return scenario;
  }
  if (!c.seed) return Status::invalid_argument("--seed is required (or give --scenario FILE)");
  GenerateFlags flags;
  if (c.backend) flags.backend = *c.backend;
  if (c.ops) flags.ops = *c.ops;
  if (c.faults) flags.faults = *c.faults;
  flags.over_budget = c.over_budget;
  flags.hybrid = c.hybrid;
  flags.hybrid_primary = c.hybrid_primary;
  flags.hybrid_btree = c.hybrid_btree;
  TIERKV_ASSIGN_OR_RETURN(GenerateOptions options, make_generate_options(flags));
  return driver.generate(*c.seed, options);
}

// Prints the outcome; writes a failure file and the reproduce line on a violation.
int report_run(const Scenario& scenario, const RunOutcome& outcome, const std::string& out_dir,
               std::ostream& out, std::ostream& err) {
  out << "trace: " << outcome.trace_hex << "\n" << result_line(outcome) << "\n";
  if (!outcome.setup_error.empty()) return bad_input(err, Status::invalid_argument(outcome.setup_error));
  if (!outcome.violated()) return kExitOk;
  print_violations(outcome, out);
  Result<std::string> path = save_failure(out_dir, scenario, outcome.first_invariant());
  if (!path.ok()) {
    err << "error: could not write the failing scenario: " << path.status().message() << "\n";
    return kExitViolation;
  }
  out << "scenario: " << *path << "\nreproduce: tierkv-sim replay " << *path << "\n";
  return kExitViolation;
}

}  // namespace

int run_command(const RunCommand& c, const SimDriver& driver, std::ostream& out, std::ostream& err) {
  Result<Scenario> scenario = scenario_for_run(c, driver);
  if (!scenario.ok()) return bad_input(err, scenario.status());
  out << describe_scenario(*scenario) << std::endl;
  const RunOutcome outcome = outcome_from_result(scenario->seed, driver.run(*scenario));
  if (c.check_determinism && outcome.setup_error.empty()) {
    const RunOutcome again = outcome_from_result(scenario->seed, driver.run(*scenario));
    if (again.trace_hex != outcome.trace_hex) {
      out << "trace: " << outcome.trace_hex << "\ntrace (second run): " << again.trace_hex << "\n"
          << "result: NONDETERMINISM: the same scenario gave two different trace hashes\n";
      return kExitViolation;
    }
    out << "determinism: ok (two runs, same trace)\n";
  }
  return report_run(*scenario, outcome, c.out_dir, out, err);
}

int replay_command(const std::string& file, const SimDriver& driver, std::ostream& out,
                   std::ostream& err) {
  Result<Scenario> scenario = load_scenario_file(file);
  if (!scenario.ok()) return bad_input(err, scenario.status());
  out << describe_scenario(*scenario) << std::endl;
  const RunOutcome outcome = outcome_from_result(scenario->seed, driver.run(*scenario));
  out << "trace: " << outcome.trace_hex << "\n" << result_line(outcome) << "\n";
  if (!outcome.setup_error.empty()) return bad_input(err, Status::invalid_argument(file + ": " + outcome.setup_error));
  print_violations(outcome, out);
  const std::string& expected = scenario->expected_violation;
  const bool reproduced = std::any_of(outcome.violations.begin(), outcome.violations.end(),
                                      [&](const Violation& v) { return v.invariant == expected; });
  if (!expected.empty()) {
    out << (reproduced ? "reproduced: " : "not reproduced: ") << "the recorded violation '"
        << expected << "'" << (reproduced ? "" : (outcome.violated() ? " (a different one occurred)" : " (the run was clean)")) << "\n";
  }
  return outcome.violated() ? kExitViolation : kExitOk;
}

int replay_all_command(const std::string& dir, const SimDriver& driver, std::ostream& out,
                       std::ostream& err) {
  std::error_code error;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  if (error) return bad_input(err, Status::invalid_argument(dir + ": cannot list: " + error.message()));
  std::sort(files.begin(), files.end());
  int worst = kExitOk;
  for (const std::string& file : files) {
    Result<Scenario> scenario = load_scenario_file(file);
    if (!scenario.ok()) {
      worst = std::max(worst, bad_input(err, scenario.status()));
      continue;
    }
    const RunOutcome outcome = outcome_from_result(scenario->seed, driver.run(*scenario));
    out << file << ": " << (outcome.ok() ? "clean" : "FAILED") << " trace " << outcome.trace_hex
        << (outcome.ok() ? "" : " " + result_line(outcome)) << "\n";
    if (!outcome.setup_error.empty()) worst = std::max(worst, kExitBadInput);
    if (outcome.violated()) worst = std::max(worst, kExitViolation);
  }
  out << "replay-all: " << files.size() << " scenarios in " << dir << ", "
      << (worst == kExitOk ? "all clean" : "some failed") << "\n";
  return worst;
}

int shrink_command(const ShrinkCommand& c, const SimDriver& driver, std::ostream& out,
                   std::ostream& err) {
  Result<Scenario> scenario = load_scenario_file(c.file);
  if (!scenario.ok()) return bad_input(err, scenario.status());
  const RunOutcome first = run_isolated(*scenario, driver.run);
  if (!first.setup_error.empty()) return bad_input(err, Status::invalid_argument(c.file + ": " + first.setup_error));
  std::string invariant = scenario->expected_violation;
  if (invariant.empty()) invariant = first.first_invariant();
  const auto still_fails = [&](const Scenario& candidate) {
    const RunOutcome outcome = run_isolated(candidate, driver.run);
    return std::any_of(outcome.violations.begin(), outcome.violations.end(),
                       [&](const Violation& v) { return v.invariant == invariant; });
  };
  if (invariant.empty() || !still_fails(*scenario)) {
    return bad_input(err, Status::invalid_argument(
        c.file + ": does not fail" + (invariant.empty() ? "" : " with '" + invariant + "'") +
        " as it stands; nothing to shrink"));
  }
  ShrinkProgress progress;
  if (c.verbose) {
    progress = [&](const std::string& line) { out << "  " << line << "\n" << std::flush; };
  }
  const ShrinkResult result =
      shrink_scenario(*scenario, invariant, still_fails, {c.max_runs}, progress);
  const Status saved = save_scenario_file(c.out_file, result.scenario);
  if (!saved.ok()) return bad_input(err, saved);
  out << "shrink: invariant '" << invariant << "': ops " << scenario->ops.size() << " -> "
      << result.scenario.ops.size() << ", faults " << scenario->faults.size() << " -> "
      << result.scenario.faults.size() << ", clients " << scenario->clients << " -> "
      << result.scenario.clients
      << (result.scenario.seed == scenario->seed
              ? ""
              : ", seed " + std::to_string(scenario->seed) + " -> " + std::to_string(result.scenario.seed))
      << " (" << result.runs << " runs"
      << (result.budget_exhausted ? ", run budget exhausted" : "") << ")\n"
      << "wrote " << c.out_file << "\nreproduce: tierkv-sim replay " << c.out_file << "\n";
  return kExitOk;
}

int sweep_command(const SweepCommand& c, const SimDriver& driver, std::ostream& out,
                  std::ostream& err) {
  SweepConfig config;
  Result<SeedRange> seeds = parse_seed_range(c.seeds);
  if (!seeds.ok()) return bad_input(err, seeds.status());
  Result<Shard> shard = parse_shard(c.shard);
  if (!shard.ok()) return bad_input(err, shard.status());
  if (c.jobs == 0 || c.jobs > kJobsMax) {
    return bad_input(err, Status::invalid_argument("--jobs " + std::to_string(c.jobs) +
                                                   ": must be between 1 and " + std::to_string(kJobsMax)));
  }
  if (c.time_budget_seconds < 0) {
    return bad_input(err, Status::invalid_argument("--time-budget: must not be negative"));
  }
  Result<GenerateOptions> options = make_generate_options(c.flags);
  if (!options.ok()) return bad_input(err, options.status());
  config.seeds = *seeds;
  config.shard = *shard;
  config.jobs = c.jobs;
  config.time_budget_seconds = c.time_budget_seconds;
  config.stop_on_violation = c.stop_on_violation;
  config.failures_dir = c.failures_dir;
  config.flags = c.flags;
  config.options = *options;
  out.flush();
  const SweepReport report = run_sweep(config, driver, err);
  print_sweep_summary(report, out);
  if (!c.report_dir.empty()) {
    const Status written = write_sweep_report(report, c.report_dir);
    if (!written.ok()) return bad_input(err, written);
    out << "report: " << c.report_dir << "/report.json, " << c.report_dir << "/summary.md\n";
  }
  if (!report.failures.empty()) return kExitViolation;
  return report.setup_errors > 0 ? kExitBadInput : kExitOk;
}

}  // namespace tierkv::sim
