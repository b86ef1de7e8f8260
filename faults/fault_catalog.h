// The fault catalog: every fault kind the simulator can inject, its stable name (used in
// scenario files, --faults lists and run statistics), its shape, and its budget.
//
// The fault model (after TigerBeetle's storage fault model): a fault is *in budget* when a
// correct engine must survive it with no lost acknowledged write and no wrong answer (process
// crashes, torn tails of unsynced appends, EIO/ENOSPC, backup outages, lost unsynced directory
// entries, ephemeral loss, BUGGIFY). A fault is *over budget* when it destroys data a correct
// engine already made durable (bit rot in a synced WAL segment or snapshot); there the only
// allowed outcome is a clear detection (a Corruption error naming the file), never wrong data.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/core/status.h"
#include "sim/scenario.h"

namespace tierkv::faults {

using sim::FaultKind;

// How a fault of this kind is placed in a run (which Fault fields mean something).
enum class FaultShape : uint8_t {
  kPoint,    // fires once at `at` Env operations (crash, bit rot)
  kRate,     // each matching operation fails with probability rate_ppm (EIO, ENOSPC)
  kWindow,   // applies during [at, at + duration) simulated microseconds (backup outage/slow)
  kWholeRun, // a run-wide switch with probability rate_ppm per occasion (torn tails, ...)
};

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;
  FaultShape shape;
  bool over_budget;          // only injected with --over-budget
  uint32_t rate_ppm_min;     // swarm draws a rate in [min, max] (log-uniform); 0 = no rate
  uint32_t rate_ppm_max;
  std::string_view description;
};

// Every kind, in FaultKind order.
std::span<const FaultKindInfo> fault_catalog();
const FaultKindInfo& fault_info(FaultKind kind);

// InvalidArgument naming the unknown name and listing the valid ones.
Result<FaultKind> fault_kind_from_name(std::string_view name);

}  // namespace tierkv::faults
