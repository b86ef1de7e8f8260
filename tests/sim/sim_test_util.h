// Helpers shared by the simulator's tests (tests/sim): the long-mode switch, a readable dump of
// a failed run, and generation options for a given op count and fault kinds.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "sim/runner.h"
#include "sim/scenario.h"

namespace tierkv::sim {

// TIERKV_LONG=1 runs the long seed loops; the default ctest run uses a fast subset.
inline bool long_mode() {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1";
}

// The setup error and every violation with its operation history.
inline std::string describe(const RunResult& result) {
  std::string out = result.setup_error.to_string();
  for (const Violation& v : result.violations) {
    out += "\n" + v.invariant + ": " + v.message + "\n" + v.history;
  }
  return out;
}

inline GenerateOptions options_with(uint64_t ops, std::vector<FaultKind> kinds = {}) {
  GenerateOptions options;
  options.ops = ops;
  options.fault_kinds = std::move(kinds);
  return options;
}

}  // namespace tierkv::sim
