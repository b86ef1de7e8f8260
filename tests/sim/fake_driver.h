// A fake SimDriver for the command's tests: deterministic, instant, with planted failures, so
// the tests exercise tierkv-sim's own logic (exit codes, files, sweep, shrink) whatever the
// engine does. Not a test of the engine.
#pragma once

#include <cstdlib>
#include <string>

#include "sim/cli_outcome.h"

namespace tierkv::sim::testing {

// Seeds with seed % 7 == 3 plant a "bad" write: with a crash fault present, "recovery" fails.
// Seeds with seed % 11 == 5 abort the process inside run (an engine assert).
inline Scenario fake_generate(uint64_t seed, const GenerateOptions& options) {
  Scenario s;
  s.seed = seed;
  s.build_id = "fake";
  s.clients = 3;
  s.world.backend = options.backend;
  for (uint64_t i = 0; i < options.ops; ++i) {
    Op op;
    op.kind = OpKind::kWrite;
    op.client = static_cast<uint32_t>(i % 3);
    op.primary_namespace = "ns";
    op.key = (seed % 7 == 3 && i == options.ops / 2) ? "bad" : "k" + std::to_string(i);
    if (seed % 11 == 5 && i == 0) op.key = "abort";
    s.ops.push_back(op);
  }
  if (!options.no_faults) {
    s.faults.push_back(Fault{FaultKind::kIoError, 0, 0, 500, "", false});
    s.faults.push_back(Fault{FaultKind::kCrash, 10, 0, 0, "", false});
    s.faults.push_back(Fault{FaultKind::kBackupOutage, 5, 100, 0, "", false});
  }
  return s;
}

inline RunResult fake_run(const Scenario& s) {
  RunResult result;
  uint64_t hash = 1469598103934665603ull ^ s.seed;
  bool bad = false;
  for (const Op& op : s.ops) {
    if (op.key == "abort") std::abort();
    bad = bad || op.key == "bad";
    for (char c : op.key) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  bool crash = false;
  for (const Fault& fault : s.faults) {
    crash = crash || fault.kind == FaultKind::kCrash;
    hash = (hash ^ static_cast<uint64_t>(fault.kind)) * 1099511628211ull;
  }
  result.trace_hex = std::to_string(hash);
  result.stats.ops_issued = s.ops.size();
  result.stats.simulated_time_us = 1000;
  result.stats.faults_fired["crash"] = crash ? 1 : 0;
  result.stats.invariants_checked["recovery"] = 1;
  if (s.world.backend == "lmdb") result.setup_error = Status::not_supported("lmdb: fake says no");
  if (bad && crash) {
    result.violations.push_back({"recovery", "acknowledged write of 'bad' lost", "op 1: write bad"});
  }
  return result;
}

inline SimDriver fake_driver() { return SimDriver{fake_generate, fake_run}; }

}  // namespace tierkv::sim::testing
