// Fuzz target: the whole simulator. The input bytes choose the run: the seed (workload,
// latencies, tie-breaks), the number of operations, which in-budget fault kinds are on, where
// every crash point lands, and edits to the workload (same-key collisions, which client issues
// an op), so coverage guidance searches interleavings and fault schedules.
//
// Oracle: the invariant checkers. A generated scenario must set up and run with no violation;
// otherwise the target prints the violation, its history and the scenario as JSON (save it
// and run `tierkv-sim replay FILE`) and aborts.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <tuple>

#include "faults/swarm.h"
#include "fuzz/fuzz_check.h"
#include "sim/runner.h"
#include "sim/runner_phases.h"
#include "sim/scenario.h"

namespace tierkv::sim {
namespace {

constexpr uint64_t kOpsMin = 8;
constexpr uint64_t kOpsMax = 64;  // short runs: many executions per second

std::vector<FaultKind> fault_kinds_from(uint16_t mask) {
  std::vector<FaultKind> kinds;
  for (int bit = 0; bit <= static_cast<int>(FaultKind::kBuggify); ++bit) {
    const auto kind = static_cast<FaultKind>(bit);
    if ((mask >> bit & 1) && faults::check_fault_kinds({kind}, false).ok()) kinds.push_back(kind);
  }
  return kinds;
}

bool is_key_op(OpKind kind) {
  return kind == OpKind::kRead || kind == OpKind::kWrite || kind == OpKind::kRemove ||
         kind == OpKind::kCas;
}

// Byte-driven edits that keep the scenario well-formed: a key op may take another key op's key
// (a same-key race) or move to another client.
void edit_ops(FuzzedDataProvider& fdp, Scenario* scenario) {
  std::vector<Op>& ops = scenario->ops;
  for (size_t i = 0; i < ops.size() && fdp.remaining_bytes() > 0; ++i) {
    const uint8_t edit = fdp.ConsumeIntegral<uint8_t>();
    if (!is_key_op(ops[i].kind)) continue;
    const size_t other = (edit >> 2) % ops.size();
    if ((edit & 3) == 0 && is_key_op(ops[other].kind)) {
      ops[i].primary_namespace = ops[other].primary_namespace;
      ops[i].secondary_namespace = ops[other].secondary_namespace;
      ops[i].key = ops[other].key;
    } else if ((edit & 3) == 1) {
      ops[i].client = (edit >> 2) % scenario->clients;
    }
  }
}

Scenario scenario_from(FuzzedDataProvider& fdp) {
  const uint64_t seed = fdp.ConsumeIntegral<uint64_t>();
  GenerateOptions options;
  options.ops = fdp.ConsumeIntegralInRange<uint64_t>(kOpsMin, kOpsMax);
  options.fault_kinds = fault_kinds_from(fdp.ConsumeIntegral<uint16_t>());
  options.no_faults = options.fault_kinds.empty();
  Scenario scenario = generate_scenario(seed, options);
  const uint64_t env_ops_horizon = options.ops * kEnvOpsPerOpEstimate;
  for (Fault& fault : scenario.faults) {
    if (fault.kind == FaultKind::kCrash) {
      fault.at = fdp.ConsumeIntegralInRange<uint64_t>(0, env_ops_horizon);
    }
  }
  std::sort(scenario.faults.begin(), scenario.faults.end(), [](const Fault& a, const Fault& b) {
    return std::tie(a.kind, a.at) < std::tie(b.kind, b.at);
  });
  edit_ops(fdp, &scenario);
  return scenario;
}

}  // namespace
}  // namespace tierkv::sim

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv::sim;
  FuzzedDataProvider fdp(data, size);
  const Scenario scenario = scenario_from(fdp);
  const RunResult result = run_scenario(scenario);
  if (!result.ok()) {
    std::fprintf(stderr, "scenario (save as a file, then `tierkv-sim replay FILE`):\n%s\n",
                 scenario_to_json(scenario).c_str());
  }
  FUZZ_CHECK(result.setup_error.ok(), "a generated scenario did not set up: " +
                                          result.setup_error.to_string());
  // (The detail is only evaluated on failure, when front() exists.)
  FUZZ_CHECK(result.violations.empty(), result.violations.front().invariant + ": " +
                                            result.violations.front().message + "\nhistory:\n" +
                                            result.violations.front().history);
  return 0;
}
