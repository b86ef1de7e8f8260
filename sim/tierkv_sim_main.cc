// tierkv-sim: run, sweep, replay and shrink deterministic simulations of the tiered engine, and
// `report` (handed to reports/report_command.h). Flag parsing only; the commands live in
// sim/cli_commands.h. Exit codes: 0 every invariant held, 1 a violation, 2 bad input (the
// message names the flag, file or field).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "reports/report_command.h"
#include "sim/cli_commands.h"
#include "sim/runner.h"

namespace {

using namespace tierkv::sim;

void add_hybrid_primary_flags(CLI::App* app, bool* hybrid_primary, std::string* hybrid_btree) {
  app->add_flag("--hybrid-primary", *hybrid_primary,
                "give every seed a hybrid world whose TierStore primary is a HybridKvStore (LevelDB + the B-tree side, routed by primary namespace); without it 1 hybrid world in 2 gets one");
  app->add_option("--hybrid-btree", *hybrid_btree,
                  "sqlite | lmdb: the B-tree side of every hybrid world (HybridStore and hybrid primary); default: the seed picks");
}

void add_generate_flags(CLI::App* app, GenerateFlags* flags) {
  app->add_option("--backend", flags->backend, "memory | leveldb | sqlite | lmdb");
  app->add_option("--ops", flags->ops, "operations per seed");
  app->add_option("--faults", flags->faults,
                  "fault kinds, comma-separated (crash,torn_writes,io_error,no_space,"
                  "backup_outage,slow_backup,ephemeral_loss,lost_dir_entry,bit_rot,buggify), "
                  "'none' or 'all'; default: swarm (the seed picks)");
  app->add_flag("--over-budget", flags->over_budget,
                "also inject corruption beyond the fault budget (bit rot): must be detected");
  app->add_flag("--hybrid", flags->hybrid,
                "give every seed a HybridStore world (LevelDB LSM side on the simulated disk + a B-tree side the seed picks: SQLite on the simulated disk or LMDB in a real scratch directory; driven with raw puts/removes/batches/scans spanning both sides); without it 1 seed in 3 (not with lmdb) gets one");
  add_hybrid_primary_flags(app, &flags->hybrid_primary, &flags->hybrid_btree);
}

}  // namespace

int main(int argc, char** argv) {
  // `tierkv-sim report ...` belongs to the reports library (HTML, compare, merge).
  if (argc >= 2 && std::string_view(argv[1]) == "report") {
    return tierkv::reports::run_report_command(std::vector<std::string>(argv + 2, argv + argc),
                                               std::cout, std::cerr);
  }
  const SimDriver driver{[](uint64_t seed, const GenerateOptions& options) {
                           Scenario scenario = generate_scenario(seed, options);
                           if (scenario.build_id.empty()) scenario.build_id = build_id();
                           return scenario;
                         },
                         [](const Scenario& scenario) { return run_scenario(scenario); }};
  CLI::App app{"tierkv-sim: deterministic simulation of the tierkv engine under faults"};
  app.require_subcommand(1);

  RunCommand run;
  CLI::App* run_app = app.add_subcommand("run", "run one seed (or one scenario file)");
  run_app->add_option("--seed", run.seed, "the seed");
  run_app->add_option("--scenario", run.scenario_file, "run this scenario file");
  run_app->add_option("--backend", run.backend, "memory | leveldb | sqlite | lmdb");
  run_app->add_option("--ops", run.ops, "operations");
  run_app->add_option("--faults", run.faults, "fault kinds (see sweep --help); default swarm");
  run_app->add_flag("--over-budget", run.over_budget, "also inject corruption (bit rot)");
  run_app->add_flag("--hybrid", run.hybrid, "give every seed a HybridStore world (LevelDB LSM side on the simulated disk + a B-tree side the seed picks: SQLite on the simulated disk or LMDB in a real scratch directory; driven with raw puts/removes/batches/scans spanning both sides); without it 1 seed in 3 (not with lmdb) gets one");
  add_hybrid_primary_flags(run_app, &run.hybrid_primary, &run.hybrid_btree);
  run_app->add_flag("--check-determinism", run.check_determinism, "run twice, compare traces");
  run_app->add_option("--out", run.out_dir, "where a failing scenario is written");

  SweepCommand sweep;
  CLI::App* sweep_app = app.add_subcommand("sweep", "run many seeds in parallel");
  sweep_app->add_option("--seeds", sweep.seeds, "seed range A..B (inclusive)");
  sweep_app->add_option("--shard", sweep.shard, "K/N: this machine's share, K in 0..N-1");
  sweep_app->add_option("--jobs", sweep.jobs, "worker processes");
  sweep_app->add_option("--time-budget", sweep.time_budget_seconds,
                        "wall-clock seconds after which no new seed starts");
  sweep_app->add_flag("--stop-on-violation", sweep.stop_on_violation,
                      "stop starting seeds after the first violation");
  sweep_app->add_option("--report", sweep.report_dir, "write report.json and summary.md here");
  sweep_app->add_option("--out", sweep.failures_dir, "where failing scenarios are written");
  add_generate_flags(sweep_app, &sweep.flags);

  std::string replay_file;
  CLI::App* replay_app = app.add_subcommand("replay", "replay a scenario file");
  replay_app->add_option("file", replay_file, "scenario file")->required();

  std::string replay_dir;
  CLI::App* replay_all_app =
      app.add_subcommand("replay-all", "replay every scenario in a directory (must be clean)");
  replay_all_app->add_option("dir", replay_dir, "directory of scenario files")->required();

  ShrinkCommand shrink;
  CLI::App* shrink_app = app.add_subcommand("shrink", "minimise a failing scenario");
  shrink_app->add_option("file", shrink.file, "failing scenario file")->required();
  shrink_app->add_option("-o,--out", shrink.out_file, "where to write the shrunk scenario")
      ->required();
  shrink_app->add_option("--max-runs", shrink.max_runs, "bound on candidate runs");
  shrink_app->add_flag("--verbose", shrink.verbose, "print a progress line after each shrink pass");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the error naming the flag
    return code == 0 ? kExitOk : kExitBadInput;
  }
  if (*run_app) return run_command(run, driver, std::cout, std::cerr);
  if (*sweep_app) return sweep_command(sweep, driver, std::cout, std::cerr);
  if (*replay_app) return replay_command(replay_file, driver, std::cout, std::cerr);
  if (*replay_all_app) return replay_all_command(replay_dir, driver, std::cout, std::cerr);
  return shrink_command(shrink, driver, std::cout, std::cerr);
}
