#include "faults/fault_catalog.h"

#include <array>
#include <cassert>
#include <string>

namespace tierkv::faults {
namespace {

constexpr uint32_t kPpm = 1'000'000;

constexpr std::array<FaultKindInfo, 10> kCatalog = {{
    {FaultKind::kCrash, "crash", FaultShape::kPoint, false, 0, 0,
     "power cut after `at` Env operations; the process restarts and recovers"},
    {FaultKind::kTornWrites, "torn_writes", FaultShape::kWholeRun, false, 250'000, kPpm,
     "a crash keeps a sector-granular prefix of unsynced appends, last sector maybe garbled"},
    {FaultKind::kIoError, "io_error", FaultShape::kRate, false, 100, 20'000,
     "EIO on matching Env operations (read, write, sync)"},
    {FaultKind::kNoSpace, "no_space", FaultShape::kRate, false, 100, 10'000,
     "ENOSPC on matching write operations"},
    {FaultKind::kBackupOutage, "backup_outage", FaultShape::kWindow, false, 0, 0,
     "the backup tier fails every call during a window of simulated time"},
    {FaultKind::kSlowBackup, "slow_backup", FaultShape::kWindow, false, 0, 0,
     "backup tier calls take extra latency during a window of simulated time"},
    {FaultKind::kEphemeralLoss, "ephemeral_loss", FaultShape::kWholeRun, false, 100'000, kPpm,
     "the ephemeral tier (rebuildable) is wiped at a restart"},
    {FaultKind::kLostDirEntry, "lost_dir_entry", FaultShape::kWholeRun, false, 250'000, kPpm,
     "directory changes not followed by sync_dir are dropped at a crash"},
    {FaultKind::kBitRot, "bit_rot", FaultShape::kPoint, true, 0, 0,
     "a bit flips in a synced WAL segment or snapshot file: must be detected, never returned"},
    {FaultKind::kBuggify, "buggify", FaultShape::kWholeRun, false, 10'000, 250'000,
     "the engine's BUGGIFY points are switched on per seed and fire at rate_ppm"},
}};

}  // namespace

std::span<const FaultKindInfo> fault_catalog() { return kCatalog; }

const FaultKindInfo& fault_info(FaultKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < kCatalog.size());
  assert(kCatalog[index].kind == kind);
  return kCatalog[index];
}

Result<FaultKind> fault_kind_from_name(std::string_view name) {
  std::string valid;
  for (const FaultKindInfo& info : kCatalog) {
    if (info.name == name) return info.kind;
    if (!valid.empty()) valid += ", ";
    valid += info.name;
  }
  return Status::invalid_argument("unknown fault kind '" + std::string(name) + "' (expected one of " +
                                  valid + ")");
}

}  // namespace tierkv::faults
