#include "sim/world.h"

#include <algorithm>
#include <cassert>

#include "engine/backends/backend_factory.h"
#include "engine/io/env_util.h"

namespace tierkv::sim {

World::World(const WorldConfig& config, SimEnv& env, SimExecutor& executor)
    : config_(config), env_(env), executor_(executor) {}

World::~World() {
  // Top down: the TierStore uses the tiers, a KvStore uses its backend.
  top_.reset();
  wrapped_primary_.reset();
  ephemeral_kv_.reset();
  backup_faulty_.reset();
  backup_.kv.reset();
  primary_.kv.reset();
  backup_.backend.reset();
  primary_.backend.reset();
}

Result<DurableTier> World::open_durable(const WorldConfig& config, SimEnv& env,
                                        SimExecutor& executor, const std::string& dir,
                                        bool versioned, uint64_t seed) {
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, dir));
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

Result<std::unique_ptr<World>> World::open(const WorldConfig& config, SimEnv& env,
                                           SimExecutor& executor, Backend* ephemeral_backend,
                                           FaultWindows* backup_faults, uint64_t seed,
                                           PrimaryWrapper wrap_primary) {
  // A memory backend is durable only under a VersionedStore's WAL.
  const bool primary_versioned = config.versioned_primary || config.backend == "memory";
  std::unique_ptr<World> world(new World(config, env, executor));
  world->wrap_primary_ = std::move(wrap_primary);
  TIERKV_ASSIGN_OR_RETURN(world->primary_,
                          open_durable(config, env, executor, kPrimaryDir, primary_versioned,
                                       seed));
  if (config.backup_tier) {
    assert(backup_faults != nullptr && "a backup tier needs the runner's fault windows");
    TIERKV_ASSIGN_OR_RETURN(
        world->backup_, open_durable(config, env, executor, kBackupDir,
                                     config.backend == "memory", seed + 1));
    world->backup_fault_windows_ = backup_faults;
  }
  if (config.ephemeral_tier) {
    assert(ephemeral_backend != nullptr && "an ephemeral tier needs the runner's backend");
    world->ephemeral_backend_ = ephemeral_backend;
  }
  world->build_stores();
  return world;
}

void World::build_stores() {
  top_.reset();
  wrapped_primary_.reset();
  ephemeral_kv_.reset();
  backup_faulty_.reset();
  primary_.kv = std::make_unique<BackendKvStore>(*primary_.backend, executor_);
  TierStoreTiers tiers;
  tiers.primary = primary_.kv.get();
  if (wrap_primary_) {
    wrapped_primary_ = wrap_primary_(*primary_.kv);
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
  return top_idle && idle(primary_.kv.get()) && idle(backup_.kv.get()) &&
         idle(ephemeral_kv_.get());
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
