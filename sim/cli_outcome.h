// What tierkv-sim reports about one run, shared by run, replay, sweep and shrink: the outcome
// of a run (serialisable as one JSON line so sweep workers can send it over a pipe), running a
// scenario in a forked child so an engine assert cannot take the command down with it, and
// scenario files on the real file system.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace tierkv::sim {

using RunFn = std::function<RunResult(const Scenario&)>;
using GenerateFn = std::function<Scenario(uint64_t seed, const GenerateOptions&)>;

// The simulator as the command sees it: tests pass fakes, main passes the real runner.
struct SimDriver {
  GenerateFn generate;
  RunFn run;
};

// Invariant name reported when the run's process died (an assert or a signal).
inline constexpr std::string_view kProcessAbortInvariant = "process_abort";

struct RunOutcome {
  uint64_t seed = 0;
  std::string trace_hex;
  std::vector<Violation> violations;
  RunStats stats;
  std::string setup_error;    // non-empty: the scenario could not run (bad input, not a bug)
  std::string scenario_file;  // where a failing scenario was written, if it was
  bool ok() const { return setup_error.empty() && violations.empty(); }
  bool violated() const { return !violations.empty(); }
  // The first violation's invariant, "" if none.
  std::string first_invariant() const;
};

RunOutcome outcome_from_result(uint64_t seed, const RunResult& result);

// One JSON line (no '\n' inside) and back; InvalidArgument on a malformed line.
std::string outcome_to_line(const RunOutcome& outcome);
Result<RunOutcome> outcome_from_line(std::string_view line);

// Runs `run(scenario)` in a forked child and returns its outcome. A child that dies (abort,
// signal, exit without a result) gives a violation kProcessAbortInvariant naming how it died.
// REQUIRES: the calling process is single-threaded.
RunOutcome run_isolated(const Scenario& scenario, const RunFn& run);

// Writes all of data to fd (retrying EINTR and short writes); false if the pipe broke.
bool write_all(int fd, std::string_view data);

// Reads and parses a scenario file; errors name the file and the field.
Result<Scenario> load_scenario_file(const std::string& path);

// Writes scenario as JSON to path (via path + ".tmp" and a rename, so a reader never sees half
// a file). Creates missing parent directories. Errors name the path.
Status save_scenario_file(const std::string& path, const Scenario& scenario);

// Writes a failing scenario to dir/seed-<seed>-<invariant>.json with expected_violation set.
Result<std::string> save_failure(const std::string& dir, Scenario scenario,
                                 const std::string& invariant);

// One line: the options derived from the seed (world, clients, workload size, fault mix).
std::string describe_scenario(const Scenario& scenario);

// One line: "result: ok ..." or "result: VIOLATION <invariant>: <message> ..."
std::string result_line(const RunOutcome& outcome);

// Prints every violation with its history.
void print_violations(const RunOutcome& outcome, std::ostream& out);

}  // namespace tierkv::sim
