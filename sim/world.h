// World: the engine under test, assembled from a scenario's WorldConfig on the simulator's
// SimEnv + SimExecutor (DESIGN.md "World").
//
// The stack:
//   primary   = BackendKvStore over VersionedStore(<backend> working copies) at /primary, or
//               over the plain backend when versioned_primary is false; with
//               config.hybrid_primary (whatever the backend) a HybridKvStore over two
//               BackendKvStores instead: LevelDB on SimEnv at /primary/lsm and, as
//               config.hybrid_btree says, SQLite on SimEnv at /primary/btree or LMDB in the real
//               scratch directory (gated like an LMDB tier), routed by primary namespace
//               (hybrid_primary_routes()); no VersionedStore then (snapshot, rollback and
//               pipelined commits are NotSupported);
//   backup    = (optional) BackendKvStore over its own durable store at /backup, reached
//               through a FaultyKvStore (outage / slow windows);
//   ephemeral = (optional) BackendKvStore over a memory backend the runner owns: it outlives a
//               restart (a local rebuildable cache) unless the ephemeral-loss fault wipes it;
//   store()   = TierStore over those tiers: what clients call;
//   overlays  = (optional) OverlayStore over its own durable backend at /overlay (VersionedStore
//               over memory, the plain backend otherwise; not with lmdb);
//   hybrid    = (optional, config.hybrid) a HybridStore at /hybrid: LevelDB (LSM side) on
//               SimEnv and, as config.hybrid_btree says, SQLite on SimEnv or LMDB in the real
//               scratch directory (gated like an LMDB tier: process crashes and adapter errors
//               only) as the B-tree side, routed by tag (hybrid_config()). It is driven with
//               raw keys (workload.h kHybridRawNamespace), not through the TierStore: a
//               BackendKvStore batch carries its own bookkeeping keys and could never stay on
//               one side (hybrid_primary puts a BackendKvStore on each side instead).
// A memory backend keeps nothing across a crash by itself, so with backend "memory" every
// durable tier sits on a VersionedStore (its WAL gives durability).
//
// open() is also recovery: after a crash the runner destroys the old World (after
// SimExecutor::shutdown), calls SimEnv::crash() and opens a new one on the same env.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/backends/backend.h"
#include "engine/backends/fault_injecting_backend.h"
#include "engine/core/kv_store.h"
#include "engine/hybrid/hybrid_kv_store.h"
#include "engine/hybrid/hybrid_store.h"
#include "engine/overlay/overlay_store.h"
#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_store.h"
#include "engine/versioned/versioned_store.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/world_faults.h"

namespace tierkv::sim {

inline constexpr char kPrimaryDir[] = "/primary";
inline constexpr char kBackupDir[] = "/backup";
inline constexpr char kOverlayDir[] = "/overlay";
inline constexpr char kHybridDir[] = "/hybrid";
// Small enough that generated workloads hit it (NoSpace is a legal answer).
inline constexpr uint64_t kOverlayQuotaBytes = 1500;

// One durable tier: a backend (maybe a VersionedStore) and the KvStore over it.
struct DurableTier {
  std::unique_ptr<Backend> backend;
  VersionedStore* versioned = nullptr;  // backend, if it is a VersionedStore
  std::unique_ptr<BackendKvStore> kv;
};

class World {
 public:
  // ephemeral_backend: the runner's memory backend for the ephemeral tier (null when the
  // config has none); backup_faults: the backup tier's fault windows. Both must outlive the
  // World. real_root: a real directory for LMDB (world_needs_real_dir): backend "lmdb" puts
  // its tiers there as plain LMDB, hybrid_btree "lmdb" the HybridStore's B-tree side.
  static Result<std::unique_ptr<World>> open(const WorldConfig& config, SimEnv& env,
                                             SimExecutor& executor, Backend* ephemeral_backend,
                                             FaultWindows* backup_faults, uint64_t seed,
                                             PrimaryWrapper wrap_primary = {},
                                             const std::string& real_root = "");
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // What clients call (the TierStore).
  KvStore& store();
  // The tiers themselves, bypassing the TierStore and the backup's fault decorator.
  KvStore& primary() {
    return hybrid_primary_ ? static_cast<KvStore&>(*hybrid_primary_) : *primary_.kv;
  }
  // The primary's HybridKvStore (config.hybrid_primary), or null.
  HybridKvStore* hybrid_primary() { return hybrid_primary_.get(); }
  KvStore* backup() { return backup_.kv.get(); }
  KvStore* ephemeral() { return ephemeral_kv_.get(); }
  VersionedStore* versioned() { return primary_.versioned; }
  // The OverlayStore (config.overlay_store) on its own durable backend at /overlay, or null.
  OverlayStore* overlays() { return overlays_.get(); }
  FaultyKvStore* backup_faults() { return backup_faulty_.get(); }
  // The HybridStore (config.hybrid) at /hybrid, or null.
  HybridStore* hybrid() { return hybrid_.get(); }
  const WorldConfig& config() const { return config_; }
  // Whether store() is a TierStore over the tiers (always, once open() succeeded).
  bool has_tiers() const { return top_ != nullptr; }
  TierStore* tier_store() { return top_.get(); }

  // No lock held or awaited and no call pending in any store of the world: nothing parked in
  // a store references it, so it can be destroyed. The runner abandons coroutines
  // (SimExecutor::shutdown) until this holds before it destroys the world or rebuilds stores.
  bool locks_quiescent() const;

  // Snapshot of the versioned primary (NotSupported when not versioned).
  Status snapshot();
  // Rolls the versioned primary back to version, then rebuilds every KvStore above the
  // backends (their in-memory counters describe the newer state); the new TierStore starts
  // with a reconcile, so the backup follows the primary back. REQUIRES: locks_quiescent().
  Status rollback(uint64_t version);
  // Brings the backup level with the primary (the TierStore's reconcile); OK with no backup.
  Task<Status> reconcile();

 private:
  World(const WorldConfig& config, SimEnv& env, SimExecutor& executor);
  static Result<DurableTier> open_durable(const WorldConfig& config, SimEnv& env,
                                          SimExecutor& executor, const std::string& dir,
                                          bool versioned, uint64_t seed,
                                          const std::string& real_root);
  // A plain LMDB tier in real_root + dir, gated by env (lmdb_gate). sync: LMDB syncs each
  // commit to the real disk (off: MDB_NOSYNC; the page cache outlives the simulator's LMDB
  // crashes, which are process crashes, so either way every acknowledged commit survives).
  static FaultInjectingBackend::Hook lmdb_gate(SimEnv& env, std::string logical_path);
  static Result<DurableTier> open_lmdb(SimEnv& env, const std::string& dir,
                                       const std::string& real_root, bool sync = true);
  // A hybrid store's two sides under dir: LevelDB at dir/lsm on env and, as config.hybrid_btree
  // says, SQLite at dir/btree on env or LMDB in real_root + dir/btree (open_lmdb, unsynced).
  // Errors name `what` and the side.
  static Result<std::pair<std::unique_ptr<Backend>, std::unique_ptr<Backend>>> open_hybrid_sides(
      const WorldConfig& config, SimEnv& env, SimExecutor& executor, const std::string& dir,
      uint64_t seed, const std::string& real_root, const std::string& what);
  // The HybridStore at kHybridDir (config.hybrid_btree picks the B-tree side).
  static Result<std::unique_ptr<HybridStore>> open_hybrid(const WorldConfig& config, SimEnv& env,
                                                          SimExecutor& executor, uint64_t seed,
                                                          const std::string& real_root);
  // The hybrid primary's two sides under kPrimaryDir (config.hybrid_btree picks the B-tree).
  static Result<std::pair<DurableTier, DurableTier>> open_hybrid_primary(
      const WorldConfig& config, SimEnv& env, SimExecutor& executor, uint64_t seed,
      const std::string& real_root);
  // (Re)creates every KvStore over the backends and the TierStore over them.
  void build_stores();

  WorldConfig config_;
  SimEnv& env_;
  SimExecutor& executor_;
  DurableTier primary_;
  // config.hybrid_primary: the primary's sides and the router over them (primary_ unused).
  DurableTier primary_lsm_;
  DurableTier primary_btree_;
  std::unique_ptr<HybridKvStore> hybrid_primary_;
  PrimaryWrapper wrap_primary_;
  std::unique_ptr<KvStore> wrapped_primary_;  // wrap_primary_(*primary_.kv), if any
  DurableTier backup_;
  FaultWindows* backup_fault_windows_ = nullptr;
  std::unique_ptr<FaultyKvStore> backup_faulty_;
  Backend* ephemeral_backend_ = nullptr;
  std::unique_ptr<BackendKvStore> ephemeral_kv_;
  std::unique_ptr<TierStore> top_;
  DurableTier overlay_tier_;
  std::unique_ptr<OverlayStore> overlays_;
  std::unique_ptr<HybridStore> hybrid_;
};

// The hybrid world's routing: tag "votes" -> LSM (LevelDB), "index" -> B-tree (btree_backend:
// "sqlite" or "lmdb"), any other tag (e.g. "meta") -> the B-tree side by default.
HybridConfig hybrid_config(std::string_view btree_backend = "sqlite");

// The hybrid primary's routing: primary namespace "app" -> LSM (LevelDB), every other one
// ("", "mon", ...) -> the B-tree side.
HybridKvConfig hybrid_primary_routes();

// Whether a run of config needs a real scratch directory (some part of it is LMDB).
bool world_needs_real_dir(const WorldConfig& config);

}  // namespace tierkv::sim
