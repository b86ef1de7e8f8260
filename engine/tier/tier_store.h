// TierStore: one KvStore over up to three tiers (DESIGN.md "TierStore", issue 5).
//
//   primary   (required)  durable and authoritative: reads and lists of durable keys.
//   ephemeral (optional)  rebuildable data (network graph, scorer): keys matching an
//                         EphemeralRule live only here, never in primary or backup.
//   backup    (optional)  a second durable copy of every durable key; never read or listed
//                         in normal operation (only by reconcile and restore_from_backup).
//
// Promises:
//   - Keys and namespaces are validated before any tier is touched (InvalidArgument).
//   - Routing: a key matching options.ephemeral_rules goes only to the ephemeral tier when one
//     is configured (without one it is an ordinary durable key). Every other key goes to
//     primary and backup.
//   - Call order: write()/remove() take the key's call sequence synchronously when called
//     (they are not coroutines themselves); the returned coroutine takes the key's lock and
//     skips (returns OK without touching any tier) an operation older than one that already
//     completed on that key. A failed operation never completes, so it makes nothing stale.
//   - Per-key lock: one primary+backup pair per key at a time (sync mode), so the
//     interleaving [w1 primary][w2 primary][w2 backup][w1 backup] cannot happen and backup
//     never ends older than primary. reconcile and restore copy each key under its lock. The
//     async mirror reads primary under the key's lock and calls backup before releasing it
//     (backup takes its call sequence then), so a slow backup never blocks writers; a change
//     made meanwhile queues the key again and the next copy reads the newer value.
//     Lock-table and call-order entries exist only while calls are in flight (lock_table_size()
//     and pending_call_keys() return to 0 when idle).
//   - Sync backup mode: primary and backup are written concurrently; OK only when both are.
//     Otherwise the Status names the failed side(s) ("primary: ...", "backup: ..."). When only
//     one side failed the tiers disagree on that key: counted in metrics().backup_diverged and
//     repaired by a reconcile the background mirror runs (retrying with backoff).
//   - Async backup mode: OK once primary applied; the key then waits in a bounded FIFO
//     (options.async_queue_capacity) for a background mirror that copies primary's current
//     value of the key to backup under the key's lock, retrying failures with exponential
//     backoff on the Clock. The mirror group-commits: it takes the first distinct queued keys
//     (at most options.async_batch_max_keys), locks them in ascending lock-key order, reads
//     each from primary and writes them all to backup in ONE write_atomic call (one synced
//     backup write); a lone key is a plain write. A batch that is not full first waits
//     options.async_batch_delay_us on the Clock (1 ms by default: the most it adds to the
//     backup's lag) unless a flush_backup() caller waits. A failed batch leaves every key
//     queued (its retry reads primary again); a backup whose write_atomic is NotSupported gets
//     one key per call from then on. A full queue counts an overflow and schedules a full
//     reconcile (run by the mirror once its queue drains), so nothing is dropped for ever.
//   - Listing: list() is ascending by key; list_page() returns primary's pages first (newest
//     created first), then the ephemeral tier's keys after primary's last page (ascending,
//     more pages if needed). Primary copies of ephemeral keys (stale) are hidden. Only
//     namespace pairs an EphemeralRule can match consult the ephemeral tier, so an ephemeral
//     outage never breaks listing elsewhere. A page walk returns each key once when nothing
//     changes; concatenated pages equal list() as a set. Tokens are opaque, namespace-scoped
//     and checksummed; a bad one is InvalidArgument.
//   - read_versioned / compare_and_swap / write_atomic go to the tier owning the keys (CAS on a
//     durable key mirrors the new value to backup); a store that lacks them answers
//     NotSupported naming the tier; a batch mixing ephemeral and durable keys is NotSupported.
//   - Start-up: with a backup and options.reconcile_at_start, the constructor starts the
//     background mirror on a full reconcile (so a crash between the two sides is repaired).
//   - reconcile(): makes backup equal to primary for every durable key (and drops any
//     ephemeral-rule key from backup), keeping going past a failing key and returning the
//     first failure. restore_from_backup(): makes primary equal to backup (keys only in primary
//     are removed), then verifies key by key (Corruption naming the first differing key).
//     Both walk the tiers with list_namespaces()/list(), so tiers must implement them.
// Durability: an OK durable write is as durable as primary (and, in sync mode, backup).
// Thread-safety: coroutines of one Executor.
// Lifetime: tiers and executor must outlive the TierStore. Destroy the TierStore when idle()
//   (or after the executor abandoned its coroutines): the async mirror checks on every resume
//   whether its store is gone and stops, but a mirror suspended inside a tier call needs that
//   tier alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/kv_store.h"
#include "engine/exec/executor.h"

namespace tierkv {

// Keys that belong to the ephemeral tier: primary_namespace equal, secondary_namespace equal
// (or any when nullopt), key equal.
struct EphemeralRule {
  std::string primary_namespace;
  std::optional<std::string> secondary_namespace;  // nullopt: any secondary namespace
  std::string key;

  bool matches(const StoreKey& k) const;
  bool matches(std::string_view primary, std::string_view secondary, std::string_view k) const;
  // Whether a key of this namespace pair can match.
  bool covers(std::string_view primary, std::string_view secondary) const;
};

// The default rule set: ("", *, "network_graph") and ("", *, "scorer").
std::vector<EphemeralRule> default_ephemeral_rules();

enum class BackupMode : uint8_t { kSync, kAsync };

struct TierStoreOptions {
  std::vector<EphemeralRule> ephemeral_rules = default_ephemeral_rules();
  BackupMode backup_mode = BackupMode::kSync;
  size_t async_queue_capacity = 1024;  // REQUIRES >= 1
  // Async mode: the most distinct keys the mirror copies to backup in one write_atomic call.
  size_t async_batch_max_keys = 64;  // REQUIRES >= 1
  // Async mode: how long the mirror waits on the Clock before copying when fewer than
  // async_batch_max_keys keys are queued (and nobody waits in flush_backup()), so that a lone
  // writer's keys share a backup write. Adds at most this much to the backup's lag. 0: copy at
  // once (keys still batch when they queue while the previous batch is being written).
  uint64_t async_batch_delay_us = 1000;
  uint64_t retry_backoff_us_initial = 1000;
  uint64_t retry_backoff_us_max = 1000 * 1000;
  // Start the mirror with a full reconcile (both modes, when there is a backup).
  bool reconcile_at_start = true;
};

// The tiers; primary is required, the others may be null. Not owned.
struct TierStoreTiers {
  KvStore* primary = nullptr;
  KvStore* ephemeral = nullptr;
  KvStore* backup = nullptr;
};

struct TierStoreMetrics {
  uint64_t primary_writes = 0;   // durable writes/removes/CAS/batches applied to primary
  uint64_t ephemeral_writes = 0;
  uint64_t backup_writes = 0;    // sync-mode backup calls applied; keys the mirror or a
                                 // reconcile copied
  uint64_t backup_batches = 0;   // successful backup calls of the mirror (one per batch)
  uint64_t primary_failures = 0;
  uint64_t backup_failures = 0;  // failed backup calls (each retry counts)
  uint64_t stale_skipped = 0;    // calls skipped because a newer one had completed
  uint64_t backup_diverged = 0;  // sync-mode calls where exactly one side failed
  // Async mode.
  size_t queue_depth = 0;
  uint64_t oldest_pending_age_us = 0;  // 0 when the queue is empty
  uint64_t queue_overflows = 0;
  uint64_t retries = 0;
  uint64_t reconciles = 0;         // completed reconcile() passes
  uint64_t reconcile_repairs = 0;  // backup keys written or removed by reconcile
  bool reconcile_pending = false;  // an overflow or a failed mirror awaits a reconcile
  // Background reconciles given up because a tier lacks list_namespaces()/list() (NotSupported).
  uint64_t reconcile_unsupported = 0;
};

namespace tier_detail {
struct Shared;
}

class TierStore final : public KvStore {
 public:
  // REQUIRES: tiers.primary != nullptr; tiers distinct.
  TierStore(Executor& executor, TierStoreTiers tiers, TierStoreOptions options = {});
  ~TierStore() override;
  TierStore(const TierStore&) = delete;
  TierStore& operator=(const TierStore&) = delete;

  Task<Result<std::string>> read(StoreKey key) override;
  // Not coroutines: they take the call sequence now and return the work.
  Task<Status> write(StoreKey key, std::string value) override;
  Task<Status> remove(StoreKey key, bool lazy) override;
  Task<Result<std::vector<std::string>>> list(std::string primary_namespace,
                                              std::string secondary_namespace) override;
  Task<Result<ListPage>> list_page(std::string primary_namespace, std::string secondary_namespace,
                                   std::optional<std::string> page_token) override;
  Task<Result<VersionedValue>> read_versioned(StoreKey key) override;
  Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected_version,
                                          std::string value) override;
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override;
  // Namespace pairs of primary and ephemeral, merged (ascending, each once).
  Task<Result<std::vector<NamespacePair>>> list_namespaces() override;

  // Makes backup equal to primary for every durable key (OK with no backup). Run it at
  // start-up in async mode, and whenever metrics().reconcile_pending. Concurrent calls are
  // safe (each key is copied under its lock).
  Task<Status> reconcile();
  // Disaster recovery: makes primary equal to backup, then verifies every key.
  // REQUIRES: a backup tier (else NotSupported); no concurrent writers.
  Task<Status> restore_from_backup();
  // Waits until the mirror has nothing left to do (queue empty, no reconcile pending); returns
  // at once without a backup. Does not return while the backup keeps failing.
  Task<void> flush_backup();

  bool is_ephemeral(const StoreKey& key) const;
  TierStoreMetrics metrics() const;
  // For tests: in-flight state; all 0 / true when idle.
  size_t lock_table_size() const;
  size_t pending_call_keys() const;
  bool idle() const;

 private:
  // Shared with the async mirror, which may outlive the store by a few resumes.
  std::shared_ptr<tier_detail::Shared> shared_;
};

}  // namespace tierkv
