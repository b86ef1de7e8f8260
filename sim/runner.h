// The simulation runner: generate a scenario from a seed, run it deterministically, report.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/kv_store.h"
#include "sim/scenario.h"

namespace tierkv::sim {

// One broken invariant, with the operation history around it.
struct Violation {
  std::string invariant;  // checker name, e.g. "recovery", "backup_primary", "pagination"
  std::string message;    // what was expected and what was found
  std::string history;    // the operations (and faults) around the violation, one per line
};

struct RunStats {
  uint64_t ops_issued = 0;
  uint64_t ops_acknowledged = 0;
  uint64_t ops_failed = 0;
  uint64_t crashes = 0;
  uint64_t simulated_time_us = 0;
  uint64_t trace_events = 0;
  std::map<std::string, uint64_t> faults_fired;       // by fault kind name
  std::map<std::string, uint64_t> invariants_checked;  // by checker name
};

struct RunResult {
  std::string trace_hex;  // the run's trace hash: same scenario => same value
  std::vector<Violation> violations;
  RunStats stats;
  // A clear error for a scenario that cannot run (e.g. an unknown backend); not a violation.
  Status setup_error;
  bool ok() const { return setup_error.ok() && violations.empty(); }
};

struct GenerateOptions {
  uint64_t ops = 400;
  std::string backend = "memory";
  // Fault kinds to draw from; empty = swarm (the seed picks which kinds are on and their rates).
  std::vector<FaultKind> fault_kinds;
  bool no_faults = false;
  bool over_budget = false;
  // Every seed's world gets the HybridStore and hybrid ops (otherwise 1 seed in 3 of the
  // backends other than lmdb; workload.h add_hybrid_ops).
  bool hybrid = false;
  // Every seed's world is hybrid and its TierStore primary a HybridKvStore (world.h; otherwise
  // 1 hybrid world in 2).
  bool hybrid_primary = false;
  // The hybrid worlds' B-tree side: "sqlite" or "lmdb"; "" = the seed picks (1 in 2).
  std::string hybrid_btree;
};

// Derives a complete scenario (world config, workload, fault schedule) from seed.
Scenario generate_scenario(uint64_t seed, const GenerateOptions& options);

// Runs scenario deterministically on SimEnv/SimClock/SimExecutor with every checker on.
RunResult run_scenario(const Scenario& scenario);

// Test-only: wraps the primary tier's KvStore every time the world's stores are built (e.g. a
// decorator that injects an engine bug, to show a checker catches it). The wrapper must
// forward to the store it was given, which outlives it.
using PrimaryWrapper = std::function<std::unique_ptr<KvStore>(KvStore& primary)>;
RunResult run_scenario(const Scenario& scenario, const PrimaryWrapper& wrap_primary);

// The build id written into scenario files (compiler, build type, source revision if known).
std::string build_id();

}  // namespace tierkv::sim
