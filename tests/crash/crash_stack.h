// CrashStack: the engine stack the SIGKILL baseline crash-tests, on real files (PosixEnv, or a
// KillPointEnv over it) and the production AsioExecutor (real blocking threads), shaped like the
// simulator's World (sim/world.h) so both test the same code:
//   primary   BackendKvStore over VersionedStore(<backend>) at <dir>/primary (auto snapshots)
//   backup    BackendKvStore over VersionedStore(<backend>) at <dir>/backup
//   ephemeral BackendKvStore over a memory backend (lost with the process, as a cache is)
//   tiers     TierStore over the three, sync backup mode, reconcile at start (start_tiers())
//   overlays  OverlayStore over a plain synced <backend> at <dir>/overlay (quota 48 KiB)
//   ledger    VersionedStore(<backend>) at <dir>/ledger, driven by pipelined commit_async and
//             rolled back (VersionedStore is single-threaded: it gets its own store)
// Thread-safety: the thread driving executor. Destroy only when no coroutine is in flight.
#pragma once

#include <memory>
#include <string>

#include "engine/backends/backend.h"
#include "engine/exec/asio_executor.h"
#include "engine/io/env.h"
#include "engine/overlay/overlay_store.h"
#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_store.h"
#include "engine/versioned/versioned_store.h"

namespace tierkv::crash {

inline constexpr uint64_t kOverlayQuotaBytes = 48 * 1024;

class CrashStack {
 public:
  // Opens (creating if needed) every store but the TierStore. env must outlive the stack.
  static Result<std::unique_ptr<CrashStack>> open(Env& env, const std::string& dir,
                                                  const std::string& backend);
  ~CrashStack();
  CrashStack(const CrashStack&) = delete;
  CrashStack& operator=(const CrashStack&) = delete;

  // Creates the TierStore (its mirror starts with a full reconcile). Before it, primary() and
  // backup() show the tiers exactly as recovery left them.
  void start_tiers();
  // Closes every store (TierStore first). REQUIRES: nothing in flight.
  Status close();

  AsioExecutor& executor() { return executor_; }
  KvStore& tiers() { return *tiers_; }
  BackendKvStore& primary() { return *primary_kv_; }
  BackendKvStore& backup() { return *backup_kv_; }
  VersionedStore& primary_versioned() { return *primary_; }
  VersionedStore& backup_versioned() { return *backup_; }
  VersionedStore& ledger() { return *ledger_; }
  OverlayStore& overlays() { return *overlays_; }
  TierStore& tier_store() { return *tiers_; }

 private:
  CrashStack() = default;

  AsioExecutor executor_;  // first: destroyed last
  std::unique_ptr<VersionedStore> primary_;
  std::unique_ptr<VersionedStore> backup_;
  std::unique_ptr<Backend> ephemeral_;
  std::unique_ptr<Backend> overlay_backend_;
  std::unique_ptr<VersionedStore> ledger_;
  std::unique_ptr<BackendKvStore> primary_kv_;
  std::unique_ptr<BackendKvStore> backup_kv_;
  std::unique_ptr<BackendKvStore> ephemeral_kv_;
  std::unique_ptr<OverlayStore> overlays_;
  std::unique_ptr<TierStore> tiers_;
};

}  // namespace tierkv::crash
