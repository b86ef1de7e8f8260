#include "tests/crash/crash_stack.h"

#include <utility>

#include "engine/backends/backend_factory.h"

namespace tierkv::crash {
namespace {

Result<std::unique_ptr<VersionedStore>> open_versioned(Env& env, Executor& executor,
                                                       const std::string& dir,
                                                       const std::string& backend,
                                                       uint64_t snapshot_interval_versions) {
  VersionedStoreOptions options;
  options.env = &env;
  options.executor = &executor;
  options.dir = dir;
  // Snapshots happen mid-run, so kills land inside them; small WAL segments so rotation and
  // truncation do too.
  options.snapshot_interval_versions = snapshot_interval_versions;
  options.wal_segment_size_bytes = 64 << 10;
  options.open_backend = [&env, backend](const std::string& backend_dir) {
    BackendOptions backend_options;
    backend_options.env = &env;
    backend_options.dir = backend_dir;
    return open_backend(backend, backend_options);
  };
  Result<std::unique_ptr<VersionedStore>> store = VersionedStore::open(std::move(options));
  if (!store.ok()) return store.status().with_context("opening " + dir);
  return store;
}

}  // namespace

Result<std::unique_ptr<CrashStack>> CrashStack::open(Env& env, const std::string& dir,
                                                     const std::string& backend) {
  std::unique_ptr<CrashStack> stack(new CrashStack());
  Executor& executor = stack->executor_;
  TIERKV_RETURN_IF_ERROR(env.dir_exists(dir) ? Status() : env.create_dir(dir));
  TIERKV_ASSIGN_OR_RETURN(stack->primary_,
                          open_versioned(env, executor, dir + "/primary", backend, 200));
  TIERKV_ASSIGN_OR_RETURN(stack->backup_,
                          open_versioned(env, executor, dir + "/backup", backend, 200));
  TIERKV_ASSIGN_OR_RETURN(stack->ledger_,
                          open_versioned(env, executor, dir + "/ledger", backend, 60));
  BackendOptions memory_options;
  memory_options.env = &env;
  TIERKV_ASSIGN_OR_RETURN(stack->ephemeral_, open_backend("memory", memory_options));
  BackendOptions overlay_options;
  overlay_options.env = &env;
  overlay_options.dir = dir + "/overlay";
  overlay_options.sync = true;
  TIERKV_ASSIGN_OR_RETURN(stack->overlay_backend_, open_backend(backend, overlay_options));
  stack->primary_kv_ = std::make_unique<BackendKvStore>(*stack->primary_, executor);
  stack->backup_kv_ = std::make_unique<BackendKvStore>(*stack->backup_, executor);
  stack->ephemeral_kv_ = std::make_unique<BackendKvStore>(*stack->ephemeral_, executor);
  OverlayStoreOptions overlay_store_options;
  overlay_store_options.quota_max_bytes = kOverlayQuotaBytes;
  overlay_store_options.drop_batch_leaves_max = 4;  // drops take several batches: kills hit them
  overlay_store_options.gc_batch_blocks_max = 4;
  overlay_store_options.on_underflow = UnderflowPolicy::kAbort;
  Result<std::unique_ptr<OverlayStore>> overlays = run_sync(
      executor, OverlayStore::open(stack->overlay_backend_.get(), &executor, overlay_store_options));
  if (!overlays.ok()) return overlays.status().with_context("opening " + dir + "/overlay");
  stack->overlays_ = std::move(*overlays);
  return stack;
}

CrashStack::~CrashStack() {
  tiers_.reset();
  overlays_.reset();
}

void CrashStack::start_tiers() {
  TierStoreTiers tiers;
  tiers.primary = primary_kv_.get();
  tiers.backup = backup_kv_.get();
  tiers.ephemeral = ephemeral_kv_.get();
  tiers_ = std::make_unique<TierStore>(executor_, tiers);
}

Status CrashStack::close() {
  if (tiers_) run_sync(executor_, tiers_->flush_backup());
  tiers_.reset();
  overlays_.reset();
  Status status;
  for (Backend* backend : {static_cast<Backend*>(primary_.get()),
                           static_cast<Backend*>(backup_.get()),
                           static_cast<Backend*>(ledger_.get()), overlay_backend_.get()}) {
    Status closed = backend->close();
    if (status.ok() && !closed.ok()) status = closed;
  }
  return status;
}

}  // namespace tierkv::crash
