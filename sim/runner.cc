// The runner: generate_scenario, run_scenario and build_id (sim/runner.h).
//
// A run: open the World on a fresh SimEnv/SimClock/SimExecutor, then play the workload in
// phases separated by barrier ops (rollbacks). In a phase every client coroutine issues its
// ops concurrently, with the scenario's faults armed (crash points, EIO/ENOSPC hook, backup
// windows, BUGGIFY). When the env hits a crash point the phase stops, the world restarts
// (abandon coroutines, power cut, reopen = recovery) and the recovery checkers run; then the
// phase resumes with each client's remaining ops. At the end of each phase (quiescent) the
// backup is reconciled and every key, the backup, routing and pagination are checked. At the
// end of the run faults heal and the liveness checker bounds how long pending work takes.
// Everything that happens is mixed into one TraceHash shared by SimEnv, SimExecutor and the
// runner, so the same scenario gives the same trace hash.
#include "sim/runner.h"

#include <algorithm>
#include <cassert>

#include "faults/buggify_source.h"
#include "faults/swarm.h"
#include "sim/runner_phases.h"
#include "sim/workload.h"

namespace tierkv::sim {

Scenario generate_scenario(uint64_t seed, const GenerateOptions& options) {
  Scenario scenario;
  scenario.seed = seed;
  scenario.build_id = build_id();
  scenario.over_budget = options.over_budget;
  Prng root(seed);
  Prng workload_prng = root.fork();
  Prng fault_prng = root.fork();
  generate_workload(workload_prng, options, &scenario);
  faults::SwarmOptions swarm;
  swarm.kinds = options.fault_kinds;
  swarm.no_faults = options.no_faults;
  swarm.over_budget = options.over_budget;
  // LMDB tiers reach the env only at the adapter boundary (World::lmdb_gate): fewer ops.
  const uint64_t env_ops_per_op =
      options.backend == "lmdb" ? kLmdbEnvOpsPerOpEstimate : kEnvOpsPerOpEstimate;
  swarm.env_ops_horizon = std::max<uint64_t>(options.ops * env_ops_per_op, 1);
  swarm.simulated_us_horizon = std::max<uint64_t>(options.ops * kSimulatedUsPerOpEstimate, 1);
  assert(faults::check_fault_kinds(swarm.kinds, swarm.over_budget).ok() &&
         "generate_scenario REQUIRES fault kinds allowed by the budget");
  scenario.faults = faults::draw_faults(fault_prng, swarm);
  // Its own fork, drawn last: a seed that does not turn hybrid keeps its scenario unchanged.
  Prng hybrid_prng = root.fork();
  add_hybrid_ops(hybrid_prng, options, &scenario);
  return scenario;
}

RunResult run_scenario(const Scenario& scenario) { return run_scenario(scenario, {}); }

RunResult run_scenario(const Scenario& scenario, const PrimaryWrapper& wrap_primary) {
  for (const Fault& fault : scenario.faults) {
    if (fault.kind != FaultKind::kBuggify) continue;
    faults::SeededBuggifySource source(scenario.seed, fault.rate_ppm);
    ScopedBuggifySource scope(&source);
    RunResult result = Run(scenario, wrap_primary).execute();
    result.stats.faults_fired["buggify"] += source.fired_total();
    // Which points fired, each under "buggify:<point>" (run output, sweep summaries, reports).
    for (const auto& [point, counts] : source.stats()) {
      if (counts.fired > 0) result.stats.faults_fired["buggify:" + point] += counts.fired;
    }
    return result;
  }
  return Run(scenario, wrap_primary).execute();
}

std::string build_id() {
  std::string id;
#if defined(__clang__)
  id = "clang-" + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__);
#elif defined(__GNUC__)
  id = "gcc-" + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__);
#else
  id = "unknown-compiler";
#endif
#if defined(__OPTIMIZE__)
  id += " optimized";
#else
  id += " unoptimized";
#endif
#if defined(TIERKV_SOURCE_REVISION)
  id += " rev " TIERKV_SOURCE_REVISION;
#endif
  return id;
}

}  // namespace tierkv::sim
