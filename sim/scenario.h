// Scenario: everything a simulation run needs, so that a replay does not depend on re-deriving
// anything from the seed: the seed (which still drives latencies and tie-breaks), the build id,
// the derived configuration, the workload (every client's operations) and the fault schedule.
// Stored as JSON in scenarios/; parse errors name the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace tierkv::sim {

// How the engine under test is assembled (sim/world builds it).
struct WorldConfig {
  std::string backend = "memory";   // memory | leveldb | sqlite | lmdb (working copy/primary)
  bool versioned_primary = true;    // primary = BackendKvStore over VersionedStore(backend)
  bool hybrid = false;              // a HybridStore at /hybrid (world.h), driven with raw keys
  // The HybridStore's B-tree side: "sqlite" (on SimEnv) or "lmdb" (a real directory gated by
  // SimEnv, as an lmdb tier). Optional in scenario files: absent means "sqlite", the B-tree
  // side of every file written before the field existed.
  std::string hybrid_btree = "sqlite";
  // TierStore's primary is a HybridKvStore (world.h) over a LevelDB side and a B-tree side
  // (hybrid_btree) instead of the backend's store. Optional in scenario files: absent = false.
  bool hybrid_primary = false;
  bool ephemeral_tier = true;
  bool backup_tier = true;
  bool async_backup = false;
  uint32_t async_backup_queue_capacity = 16;
  // The async mirror's TierStoreOptions::async_batch_max_keys (>= 1) and async_batch_delay_us.
  // Optional in scenario files: absent means TierStore's defaults (64 keys, 1000 us).
  uint32_t async_batch_max_keys = 64;
  uint64_t async_batch_delay_us = 1000;
  bool overlay_store = false;
  // The overlay store's OverlayStoreOptions::journal_puts_max (0: format 3, every put writes its
  // metadata; N: journaled puts, format 4). Optional in scenario files: absent means 0.
  uint32_t overlay_journal_puts = 0;
  uint64_t snapshot_interval_versions = 16;  // 0 = only explicit snapshot ops
  uint32_t keep_snapshots = 2;
  uint64_t wal_segment_size_bytes = 64 * 1024;
  uint32_t sector_size_bytes = 512;
  uint32_t latency_us_max = 50;     // SimExecutor yield/run_blocking latency bound
  // Benchmark worlds only (never generated, not written to scenario files): memory tiers sit
  // straight on the memory backend, with no VersionedStore or WAL under them. Nothing survives
  // a crash then, so REQUIRES a run without crash faults (tests/bench/sim_bench.cc).
  bool volatile_memory = false;
  friend bool operator==(const WorldConfig&, const WorldConfig&) = default;
};

enum class OpKind : uint8_t {
  kRead,
  kWrite,
  kRemove,
  kList,
  kListWalk,        // walks every page of list_page
  kCas,             // compare_and_swap against the version last read
  kAtomicBatch,     // write_atomic of several keys
  kSnapshot,        // VersionedStore snapshot
  kRollback,        // VersionedStore rollback to an earlier acknowledged version
  kOverlayPut,      // put a block into an overlay
  kOverlayFinalize,
  kOverlayDrop,
  kAdvanceClock,    // jump simulated time (expiries, backup retries)
  kMaintenance,     // overlay maintenance pass
  kCommitAsync,     // pipelined VersionedStore::commit_async calls, one per op.keys entry
  kOverlayReserve,  // reserve value_bytes of quota, put a block, release the reservation
  kOverlayPutBlocks,  // a bulk upload: one put_blocks call of value_bytes blocks from index amount
};
inline constexpr int kOpKindCount = 17;
// The most blocks one kOverlayPutBlocks op may put (a scenario file asking for more, or for
// none, is an error naming the field); the workload draws 2..4.
inline constexpr uint32_t kOverlayPutBlocksMax = 64;

// One client operation. Which fields matter depends on kind; unused ones stay default.
struct Op {
  OpKind kind = OpKind::kRead;
  uint32_t client = 0;          // which concurrent client coroutine issues it
  std::string primary_namespace;
  std::string secondary_namespace;
  std::string key;
  std::vector<std::string> keys;  // kAtomicBatch
  uint32_t value_bytes = 0;     // value = deterministic bytes from (op index, value_bytes)
  uint64_t amount = 0;          // kAdvanceClock: microseconds; kRollback: versions back
  friend bool operator==(const Op&, const Op&) = default;
};

enum class FaultKind : uint8_t {
  kCrash,            // power cut after `at` more Env operations (process dies, restarts)
  kTornWrites,       // crashes keep sector-granular torn tails (whole run)
  kIoError,          // EIO on matching Env ops with probability rate_ppm
  kNoSpace,          // ENOSPC on matching write ops with probability rate_ppm
  kBackupOutage,     // backup tier fails every call during [at, at + duration) simulated us
  kSlowBackup,       // backup tier calls take extra latency during the window
  kEphemeralLoss,    // ephemeral tier wiped at the next restart
  kLostDirEntry,     // unsynced directory changes dropped at crash (no lucky persistence)
  kBitRot,           // flip a bit in a WAL segment or snapshot file at `at` Env ops
  kBuggify,          // enables the engine's BUGGIFY points for the run
};

struct Fault {
  FaultKind kind = FaultKind::kCrash;
  uint64_t at = 0;             // Env op count, or simulated us for windows (see kind)
  uint64_t duration = 0;       // window length (simulated us) where it applies
  uint32_t rate_ppm = 0;       // probability per matching op, parts per million
  std::string target;          // path substring the fault applies to ("" = any)
  bool over_budget = false;    // beyond what a correct engine must survive
  friend bool operator==(const Fault&, const Fault&) = default;
};

// How rate faults (io_error, no_space) and restart-time faults (torn_writes, lost_dir_entry,
// ephemeral_loss) decide whether they strike.
enum class FaultDecisions : uint8_t {
  // One shared fault stream, drawn at every matching op: removing any op moves every later
  // decision. Scenario files of format_version 1 (written before kSite) replay this way.
  kStream,
  // A hash of (seed, fault kind, site) per decision (faults/fault_site.h): an Env op's site is
  // its kind, path and how many such ops that path saw before; a restart's is its ordinal. An
  // unrelated op removed by shrink leaves the other sites' decisions where they were.
  kSite,
};

struct Scenario {
  uint64_t seed = 0;
  std::string build_id;
  uint32_t clients = 4;
  bool hot_keys = false;
  bool over_budget = false;
  WorldConfig world;
  std::vector<Op> ops;
  std::vector<Fault> faults;
  FaultDecisions fault_decisions = FaultDecisions::kSite;  // format_version 2 (1 = kStream)
  // Set on files written for a failure: the invariant that failed (shrink keeps it failing).
  std::string expected_violation;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

std::string_view op_kind_name(OpKind kind);
std::string_view fault_kind_name(FaultKind kind);
// InvalidArgument for an unknown name.
Result<OpKind> parse_op_kind(std::string_view name);
Result<FaultKind> parse_fault_kind(std::string_view name);

// JSON round trip. Parsing is strict: an unknown or missing field, a wrong type or an
// out-of-range value is InvalidArgument naming the field (e.g. "ops[3].kind: unknown op kind
// 'wrte'"); never a crash.
std::string scenario_to_json(const Scenario& scenario);
Result<Scenario> scenario_from_json(std::string_view json);

}  // namespace tierkv::sim
