// Swarm fault selection: each seed draws which fault kinds are on and how hard they hit, so a
// sweep explores many different fault mixes instead of one average one (swarm testing).
//
// Contract:
//   - Deterministic: the plan and the schedule depend only on the Prng state passed in and
//     the options, never on the clock or on iteration over unordered containers.
//   - Budget: without over_budget, no over-budget kind (fault_catalog.h) is ever drawn or
//     scheduled; with it, every over-budget kind is on in swarm mode (that is the point of the
//     flag) and each scheduled Fault carries over_budget = true.
//   - An explicit kind list turns exactly those kinds on (rates still drawn); it must pass
//     check_fault_kinds first (an over-budget kind needs over_budget).
//   - Bounded: at most kCrashesMax crashes, kWindowsMax windows per window kind, kBitRotsMax
//     bit flips per run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "faults/fault_catalog.h"
#include "sim/runtime/prng.h"
#include "sim/scenario.h"

namespace tierkv::faults {

inline constexpr uint32_t kCrashesMax = 3;
inline constexpr uint32_t kWindowsMax = 2;
inline constexpr uint32_t kBitRotsMax = 2;
inline constexpr uint32_t kRatePpmMax = 1'000'000;

struct SwarmOptions {
  std::vector<FaultKind> kinds;  // empty = swarm: the seed picks among the allowed kinds
  bool no_faults = false;
  bool over_budget = false;
  // Where point faults and windows may land: the run's expected Env operations and length.
  uint64_t env_ops_horizon = 4000;
  uint64_t simulated_us_horizon = 1'000'000;
};

struct KindPlan {
  FaultKind kind;
  uint32_t rate_ppm = 0;  // for kRate / kWholeRun kinds
  uint32_t count = 1;     // for kPoint / kWindow kinds: how many to schedule
  friend bool operator==(const KindPlan&, const KindPlan&) = default;
};

// Which kinds are on for one seed, in FaultKind order.
struct FaultPlan {
  std::vector<KindPlan> enabled;
  bool is_enabled(FaultKind kind) const;
  // "crash x2, io_error 1234ppm, backup_outage x1" or "none".
  std::string describe() const;
  friend bool operator==(const FaultPlan&, const FaultPlan&) = default;
};

// Parses a comma-separated list of fault kind names ("crash,io_error"); "none" or "" = no
// kinds; "all" = every kind. InvalidArgument naming the bad entry.
Result<std::vector<FaultKind>> parse_fault_list(std::string_view list);

// InvalidArgument if `kinds` holds an over-budget kind and over_budget is false.
Status check_fault_kinds(const std::vector<FaultKind>& kinds, bool over_budget);

// REQUIRES: check_fault_kinds(options.kinds, options.over_budget).ok().
FaultPlan draw_fault_plan(sim::Prng& prng, const SwarmOptions& options);

// Places the plan's faults in the run (crash points, windows, rates), sorted by kind then at.
std::vector<sim::Fault> schedule_faults(const FaultPlan& plan, sim::Prng& prng,
                                        const SwarmOptions& options);

// draw_fault_plan then schedule_faults from one Prng: what generate_scenario calls.
std::vector<sim::Fault> draw_faults(sim::Prng& prng, const SwarmOptions& options);

}  // namespace tierkv::faults
