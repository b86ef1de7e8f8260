// TierStore internals shared by its parts (routing, listing, the async mirror, reconcile) and
// kept alive by the async mirror through a shared_ptr. Not a public contract.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/kv_store.h"
#include "engine/exec/executor.h"
#include "engine/exec/key_lock_table.h"
#include "engine/tier/call_order.h"
#include "engine/tier/tier_store.h"

namespace tierkv::tier_detail {

struct MirrorItem {
  StoreKey key;
  uint64_t enqueued_us = 0;
};

struct Shared {
  Shared(Executor& executor_in, TierStoreTiers tiers_in, TierStoreOptions options_in)
      : executor(executor_in), tiers(tiers_in), options(std::move(options_in)) {}

  Executor& executor;
  TierStoreTiers tiers;
  TierStoreOptions options;
  KeyLockTable locks;
  CallOrder call_order;
  TierStoreMetrics metrics;  // queue_depth / oldest_pending_age_us filled in on demand
  std::deque<MirrorItem> queue;
  bool mirror_running = false;
  bool backup_batches_unsupported = false;  // backup answered write_atomic with NotSupported
  bool reconcile_pending = false;     // true until a reconcile that started after the request
  uint64_t reconcile_requests = 0;    // succeeds

  bool closed = false;  // the TierStore is gone: the mirror stops at its next resume
  std::vector<UniqueFunction> flush_waiters;

  bool async_backup() const {
    return tiers.backup != nullptr && options.backup_mode == BackupMode::kAsync;
  }
  // A rule matches the key (whether or not an ephemeral tier exists).
  bool rule_matches(std::string_view primary, std::string_view secondary,
                    std::string_view key) const;
  // The key lives in the ephemeral tier: one is configured and a rule matches.
  bool is_ephemeral(std::string_view primary, std::string_view secondary,
                    std::string_view key) const {
    return tiers.ephemeral != nullptr && rule_matches(primary, secondary, key);
  }
  bool is_ephemeral(const StoreKey& key) const {
    return is_ephemeral(key.primary_namespace, key.secondary_namespace, key.key);
  }
  // Listing this namespace pair must consult the ephemeral tier.
  bool consults_ephemeral(std::string_view primary, std::string_view secondary) const;
};

// A write (value set) or remove (nullopt) on one tier. Not a coroutine: the tier takes its
// call sequence now.
Task<Status> apply_to(KvStore* store, const StoreKey& key, std::optional<std::string> value,
                      bool lazy);

// Async mode: queues key for the mirror (counting an overflow and scheduling a reconcile when
// the queue is full) and starts the mirror if it is not running.
void enqueue_mirror(const std::shared_ptr<Shared>& shared, StoreKey key);

// Starts the background mirror (queue, then any pending reconcile) unless it runs already.
void start_mirror(const std::shared_ptr<Shared>& shared);

// Asks for a full reconcile (run by the mirror, which it starts).
void request_reconcile(const std::shared_ptr<Shared>& shared);

// Resumes every flush_backup() waiter if the mirror has nothing left to do.
void wake_flush_waiters(Shared& shared);

// Makes backup equal to primary for every durable key, one key at a time under its lock.
Task<Status> reconcile_all(std::shared_ptr<Shared> shared);

// Makes primary equal to backup, then compares every key.
Task<Status> restore_all(std::shared_ptr<Shared> shared);

}  // namespace tierkv::tier_detail
