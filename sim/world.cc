#include "sim/world.h"

#include <algorithm>
#include <cassert>
#include <filesystem>

#include "engine/backends/backend_factory.h"
#include "engine/io/env_util.h"
#include "engine/backends/fault_injecting_backend.h"
#include "sim/real_scratch_dir.h"

namespace tierkv::sim {

World::World(const WorldConfig& config, SimEnv& env, SimExecutor& executor)
    : config_(config), env_(env), executor_(executor) {}

World::~World() {
  // Top down: the TierStore uses the tiers, a KvStore uses its backend.
  hybrid_.reset();
  overlays_.reset();
  overlay_tier_.backend.reset();
  top_.reset();
  wrapped_primary_.reset();
  ephemeral_kv_.reset();
  backup_faulty_.reset();
  backup_.kv.reset();
  hybrid_primary_.reset();
  primary_lsm_.kv.reset();
  primary_btree_.kv.reset();
  primary_.kv.reset();
  backup_.backend.reset();
  primary_lsm_.backend.reset();
  primary_btree_.backend.reset();
  primary_.backend.reset();
}

Result<DurableTier> World::open_durable(const WorldConfig& config, SimEnv& env,
                                        SimExecutor& executor, const std::string& dir,
                                        bool versioned, uint64_t seed,
                                        const std::string& real_root) {
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, dir));
  if (config.backend == "lmdb") return open_lmdb(env, dir, real_root);
  BackendOptions backend_options;
  backend_options.env = &env;
  backend_options.clock = &executor.clock();
  backend_options.sync = true;
  backend_options.seed = seed;
  DurableTier tier;
  if (!versioned) {
    backend_options.dir = join_path(dir, "data");
    TIERKV_ASSIGN_OR_RETURN(tier.backend, open_backend(config.backend, backend_options));
  } else {
    VersionedStoreOptions options;
    options.env = &env;
    options.executor = &executor;
    options.dir = dir;
    const std::string backend_name = config.backend;
    options.open_backend = [backend_options, backend_name](const std::string& data_dir) {
      BackendOptions o = backend_options;
      o.dir = data_dir;
      return open_backend(backend_name, o);
    };
    options.snapshot_interval_versions = config.snapshot_interval_versions;
    options.keep_snapshots = config.keep_snapshots;
    options.wal_segment_size_bytes = config.wal_segment_size_bytes;
    TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<VersionedStore> store,
                            VersionedStore::open(std::move(options)));
    tier.versioned = store.get();
    tier.backend = std::move(store);
  }
  return tier;  // build_stores() puts the KvStores on top
}

// The hook of an LMDB tier's FaultInjectingBackend: every call first passes SimEnv::begin_op
// on the tier's logical path (get/scan as reads, the rest as mutating writes), so crash points
// and injected errors fail it before LMDB sees it (a process that died before its commit);
// every commit LMDB acknowledged survives the restart (sync commits on a real file system).
// SimEnv checkpoints do not exist for LMDB's real files.
FaultInjectingBackend::Hook World::lmdb_gate(SimEnv& env, std::string logical_path) {
  return [&env, path = std::move(logical_path)](std::string_view op, std::string_view key) {
    if (op == "checkpoint") {
      return Status::not_supported("checkpoint of " + path + " into " + std::string(key) +
                                   ": lmdb in the simulator has no SimEnv checkpoints");
    }
    const bool read = op == "get" || op == "scan";
    return env.begin_op(
        SimOp{read ? SimOpKind::kRead : SimOpKind::kWriteAt, path, {}, 0, key.size(), !read});
  };
}

Result<DurableTier> World::open_lmdb(SimEnv& env, const std::string& dir,
                                     const std::string& real_root, bool sync) {
  if (real_root.empty()) {
    return Status::invalid_argument("backend lmdb for " + dir +
                                    ": needs a real scratch directory (LMDB maps real files)");
  }
  const std::string real_dir = real_root + dir + "/data";
  std::error_code error;
  std::filesystem::create_directories(real_dir, error);
  if (error) return Status::io_error(real_dir + ": cannot create: " + error.message());
  BackendOptions options;
  options.dir = real_dir;
  options.sync = sync;
  TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<Backend> lmdb, open_backend("lmdb", options));
  DurableTier tier;
  tier.backend =
      std::make_unique<FaultInjectingBackend>(std::move(lmdb), lmdb_gate(env, dir + "/data"));
  return tier;
}

Result<std::unique_ptr<World>> World::open(const WorldConfig& config, SimEnv& env,
                                           SimExecutor& executor, Backend* ephemeral_backend,
                                           FaultWindows* backup_faults, uint64_t seed,
                                           PrimaryWrapper wrap_primary,
                                           const std::string& real_root) {
  // A memory backend is durable only under a VersionedStore's WAL (unless the benchmark asked
  // for volatile memory tiers); LMDB cannot run under one in the simulator (its files are real,
  // the store's snapshot directories are SimEnv's).
  const bool memory_under_wal = config.backend == "memory" && !config.volatile_memory;
  const bool primary_versioned =
      (config.versioned_primary || memory_under_wal) && config.backend != "lmdb";
  std::unique_ptr<World> world(new World(config, env, executor));
  world->wrap_primary_ = std::move(wrap_primary);
  if (config.hybrid_primary) {
    TIERKV_ASSIGN_OR_RETURN(auto sides,
                            open_hybrid_primary(config, env, executor, seed, real_root));
    world->primary_lsm_ = std::move(sides.first);
    world->primary_btree_ = std::move(sides.second);
  } else {
    TIERKV_ASSIGN_OR_RETURN(world->primary_,
                            open_durable(config, env, executor, kPrimaryDir, primary_versioned,
                                         seed, real_root));
  }
  if (config.backup_tier) {
    assert(backup_faults != nullptr && "a backup tier needs the runner's fault windows");
    TIERKV_ASSIGN_OR_RETURN(
        world->backup_, open_durable(config, env, executor, kBackupDir,
                                     memory_under_wal, seed + 1, real_root));
    world->backup_fault_windows_ = backup_faults;
  }
  if (config.ephemeral_tier) {
    assert(ephemeral_backend != nullptr && "an ephemeral tier needs the runner's backend");
    world->ephemeral_backend_ = ephemeral_backend;
  }
  if (config.overlay_store && config.backend != "lmdb") {
    TIERKV_ASSIGN_OR_RETURN(world->overlay_tier_,
                            open_durable(config, env, executor, kOverlayDir,
                                         memory_under_wal, seed + 2, real_root));
    OverlayStoreOptions options;
    options.quota_max_bytes = kOverlayQuotaBytes;
    options.on_underflow = UnderflowPolicy::kClampAndLog;  // counted, reported by the checker
    options.block_filter_bits = 1 << 12;
    // One leaf / one block per batch: a drop takes many steps, so crashes land between them and
    // leave overlays Deleting for later puts and maintenance to meet.
    options.drop_batch_leaves_max = 1;
    options.gc_batch_blocks_max = 1;
    options.journal_puts_max = config.overlay_journal_puts;
    TIERKV_ASSIGN_OR_RETURN(
        world->overlays_,
        run_sync(executor, OverlayStore::open(world->overlay_tier_.backend.get(), &executor,
                                              std::move(options))));
  }
  if (config.hybrid) {
    TIERKV_ASSIGN_OR_RETURN(world->hybrid_,
                            open_hybrid(config, env, executor, seed + 3, real_root));
  }
  world->build_stores();
  return world;
}

Result<std::pair<std::unique_ptr<Backend>, std::unique_ptr<Backend>>> World::open_hybrid_sides(
    const WorldConfig& config, SimEnv& env, SimExecutor& executor, const std::string& dir,
    uint64_t seed, const std::string& real_root, const std::string& what) {
  BackendOptions options;
  options.env = &env;
  options.clock = &executor.clock();
  options.dir = join_path(dir, kHybridLsmDir);
  options.sync = true;
  options.seed = seed;
  Result<std::unique_ptr<Backend>> lsm = open_backend("leveldb", options);
  if (!lsm.ok()) return lsm.status().with_context(what + " lsm side");
  Result<std::unique_ptr<Backend>> btree = [&]() -> Result<std::unique_ptr<Backend>> {
    if (config.hybrid_btree != "lmdb") {
      options.dir = join_path(dir, kHybridBtreeDir);
      return open_backend(config.hybrid_btree, options);
    }
    // LMDB maps real files: its side is an LMDB tier's gated backend. Unsynced: a real sync
    // per commit doubled a --hybrid sweep's wall time and changes nothing the simulator can
    // observe (see open_lmdb).
    TIERKV_ASSIGN_OR_RETURN(DurableTier tier, open_lmdb(env, join_path(dir, kHybridBtreeDir),
                                                        real_root, /*sync=*/false));
    return std::move(tier.backend);
  }();
  if (!btree.ok()) return btree.status().with_context(what + " btree side");
  return std::make_pair(std::move(*lsm), std::move(*btree));
}

Result<std::unique_ptr<HybridStore>> World::open_hybrid(const WorldConfig& config, SimEnv& env,
                                                        SimExecutor& executor, uint64_t seed,
                                                        const std::string& real_root) {
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, kHybridDir));
  TIERKV_ASSIGN_OR_RETURN(auto sides, open_hybrid_sides(config, env, executor, kHybridDir, seed,
                                                        real_root, "hybrid"));
  return std::make_unique<HybridStore>(std::move(sides.first), std::move(sides.second),
                                       hybrid_config(config.hybrid_btree));
}

Result<std::pair<DurableTier, DurableTier>> World::open_hybrid_primary(
    const WorldConfig& config, SimEnv& env, SimExecutor& executor, uint64_t seed,
    const std::string& real_root) {
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, kPrimaryDir));
  TIERKV_ASSIGN_OR_RETURN(auto sides, open_hybrid_sides(config, env, executor, kPrimaryDir, seed,
                                                        real_root, "hybrid primary"));
  std::pair<DurableTier, DurableTier> tiers;
  tiers.first.backend = std::move(sides.first);
  tiers.second.backend = std::move(sides.second);
  return tiers;
}

HybridKvConfig hybrid_primary_routes() {
  HybridKvConfig config;
  config.routes.emplace("app", HybridSide::kLsm);
  config.default_side = HybridSide::kBtree;
  return config;
}

bool world_needs_real_dir(const WorldConfig& config) {
  return config.backend == "lmdb" ||
         ((config.hybrid || config.hybrid_primary) && config.hybrid_btree == "lmdb");
}

HybridConfig hybrid_config(std::string_view btree_backend) {
  HybridConfig config;
  config.lsm_backend = "leveldb";
  config.btree_backend = std::string(btree_backend);
  config.routes.emplace("votes", HybridSide::kLsm);
  config.routes.emplace("index", HybridSide::kBtree);
  config.default_side = HybridSide::kBtree;
  return config;
}

void World::build_stores() {
  top_.reset();
  wrapped_primary_.reset();
  ephemeral_kv_.reset();
  backup_faulty_.reset();
  hybrid_primary_.reset();
  TierStoreTiers tiers;
  if (primary_lsm_.backend) {
    primary_lsm_.kv = std::make_unique<BackendKvStore>(*primary_lsm_.backend, executor_);
    primary_btree_.kv = std::make_unique<BackendKvStore>(*primary_btree_.backend, executor_);
    hybrid_primary_ = std::make_unique<HybridKvStore>(*primary_lsm_.kv, *primary_btree_.kv,
                                                      hybrid_primary_routes());
  } else {
    primary_.kv = std::make_unique<BackendKvStore>(*primary_.backend, executor_);
  }
  tiers.primary = &primary();
  if (wrap_primary_) {
    wrapped_primary_ = wrap_primary_(primary());
    tiers.primary = wrapped_primary_.get();
  }
  if (backup_.backend) {
    backup_.kv = std::make_unique<BackendKvStore>(*backup_.backend, executor_);
    backup_faulty_ =
        std::make_unique<FaultyKvStore>(*backup_.kv, executor_, "backup", backup_fault_windows_);
    tiers.backup = backup_faulty_.get();
  }
  if (ephemeral_backend_ != nullptr) {
    ephemeral_kv_ = std::make_unique<BackendKvStore>(*ephemeral_backend_, executor_);
    tiers.ephemeral = ephemeral_kv_.get();
  }
  TierStoreOptions options;
  options.backup_mode = config_.async_backup ? BackupMode::kAsync : BackupMode::kSync;
  options.async_queue_capacity = std::max<uint32_t>(config_.async_backup_queue_capacity, 1);
  options.async_batch_max_keys = std::max<uint32_t>(config_.async_batch_max_keys, 1);
  options.async_batch_delay_us = config_.async_batch_delay_us;
  top_ = std::make_unique<TierStore>(executor_, tiers, std::move(options));
}

KvStore& World::store() {
  assert(top_ != nullptr);
  return *top_;
}

bool World::locks_quiescent() const {
  const auto idle = [](const BackendKvStore* kv) {
    return kv == nullptr || (kv->lock_table_size() == 0 && kv->pending_call_keys() == 0);
  };
  const bool top_idle =
      top_ == nullptr || (top_->lock_table_size() == 0 && top_->pending_call_keys() == 0);
  return top_idle && idle(primary_.kv.get()) && idle(primary_lsm_.kv.get()) &&
         idle(primary_btree_.kv.get()) && idle(backup_.kv.get()) && idle(ephemeral_kv_.get());
}

Status World::snapshot() {
  if (primary_.versioned == nullptr) {
    return Status::not_supported("snapshot of " + std::string(kPrimaryDir) +
                                 ": the primary is not a VersionedStore");
  }
  return primary_.versioned->snapshot();
}

Status World::rollback(uint64_t version) {
  if (primary_.versioned == nullptr) {
    return Status::not_supported("rollback of " + std::string(kPrimaryDir) +
                                 ": the primary is not a VersionedStore");
  }
  assert(locks_quiescent() && "rollback REQUIRES no call in flight");
  top_.reset();
  Status status = primary_.versioned->rollback(version);
  build_stores();
  return status;
}

Task<Status> World::reconcile() {
  assert(top_ != nullptr);
  return top_->reconcile();
}

}  // namespace tierkv::sim
