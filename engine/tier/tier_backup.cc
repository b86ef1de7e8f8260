// TierStore's backup side: the async mirror (bounded FIFO of keys, copied from primary under
// each key's lock, retried with backoff on the Clock), reconcile and restore_from_backup.
//
// The mirror copies primary's *current* value of a queued key rather than the value that was
// written: a queued item can then never put an older value over a newer one, duplicates are
// harmless, and reconcile is the same per-key copy applied to every key.
#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <utility>

#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_join.h"
#include "engine/tier/tier_shared.h"

namespace tierkv::tier_detail {
namespace {

// What backup should hold for key: primary's value, or nullopt (absent). Ephemeral keys never
// belong in backup.
Task<Result<std::optional<std::string>>> wanted_in_backup(std::shared_ptr<Shared> s,
                                                          StoreKey key) {
  if (s->is_ephemeral(key)) co_return std::optional<std::string>();
  Result<std::string> current = co_await s->tiers.primary->read(key);
  if (current.ok()) co_return std::optional<std::string>(std::move(*current));
  if (current.status().is_not_found()) co_return std::optional<std::string>();
  co_return current.status().with_context("primary read of " + key.to_string() +
                                          " for the backup");
}

// Makes `to` hold `wanted` for key; compare_first skips the write when it already does.
// Returns whether anything was written. If early_release holds the key's lock it is released
// once the write was called (so `to` has taken its call sequence for it) and before it is
// awaited: a slow tier then does not block writers of the key.
Task<Result<bool>> converge(KvStore* to, StoreKey key, std::optional<std::string> wanted,
                            bool compare_first, KeyLockGuard early_release) {
  if (compare_first) {
    Result<std::string> held = co_await to->read(key);
    if (!held.ok() && !held.status().is_not_found()) co_return held.status();
    const bool same = wanted ? held.ok() && *held == *wanted : !held.ok();
    if (same) co_return false;
  }
  Task<Status> write = apply_to(to, key, std::move(wanted), false);
  early_release.unlock();
  Status st = co_await std::move(write);
  if (!st.ok()) co_return st;
  co_return true;
}

// Copies key from primary to backup. REQUIRES: key's lock held (by the caller or by
// early_release, see converge).
Task<Result<bool>> sync_key_locked(std::shared_ptr<Shared> s, StoreKey key, bool compare_first,
                                   KeyLockGuard early_release) {
  Result<std::optional<std::string>> wanted = co_await wanted_in_backup(s, key);
  if (!wanted.ok()) co_return wanted.status();
  Result<bool> written = co_await converge(s->tiers.backup, key, std::move(*wanted),
                                           compare_first, std::move(early_release));
  if (!written.ok()) {
    ++s->metrics.backup_failures;
    co_return written.status().with_context("backup copy of " + key.to_string());
  }
  if (*written) ++s->metrics.backup_writes;
  co_return written;
}

Task<Result<std::vector<NamespacePair>>> all_pairs(std::shared_ptr<Shared> s) {
  std::set<NamespacePair> pairs;
  for (KvStore* tier : {s->tiers.primary, s->tiers.backup}) {
    Result<std::vector<NamespacePair>> some = co_await tier->list_namespaces();
    if (!some.ok()) {
      co_return some.status().with_context(tier == s->tiers.primary ? "primary" : "backup");
    }
    pairs.insert(some->begin(), some->end());
  }
  co_return std::vector<NamespacePair>(pairs.begin(), pairs.end());
}

// Keys of pair in primary or backup, ascending.
Task<Result<std::vector<std::string>>> all_keys(std::shared_ptr<Shared> s, NamespacePair pair) {
  std::set<std::string> keys;
  for (KvStore* tier : {s->tiers.primary, s->tiers.backup}) {
    Result<std::vector<std::string>> some =
        co_await tier->list(pair.primary_namespace, pair.secondary_namespace);
    if (!some.ok()) {
      co_return some.status().with_context(tier == s->tiers.primary ? "primary" : "backup");
    }
    keys.insert(some->begin(), some->end());
  }
  co_return std::vector<std::string>(keys.begin(), keys.end());
}

// Applies per_key (under the key's lock) to every key of primary and backup. Keeps going past
// a failing key and returns the first failure.
template <typename PerKey>
Task<Status> for_every_key(std::shared_ptr<Shared> s, PerKey per_key) {
  Result<std::vector<NamespacePair>> pairs = co_await all_pairs(s);
  if (!pairs.ok()) co_return pairs.status();
  Status first_failure;
  for (const NamespacePair& pair : *pairs) {
    Result<std::vector<std::string>> keys = co_await all_keys(s, pair);
    if (!keys.ok()) co_return keys.status();
    for (const std::string& name : *keys) {
      if (s->closed) co_return Status::aborted("the TierStore was closed");
      StoreKey key{pair.primary_namespace, pair.secondary_namespace, name};
      KeyLockGuard guard = co_await s->locks.lock(lock_key(key));
      Status st = co_await per_key(s, key);
      if (!st.ok() && first_failure.ok()) first_failure = st;
    }
  }
  co_return first_failure;
}

// The next batch of the mirror: the first distinct keys of the queue (at most max_keys), by
// lock key ascending (the order every multi-key lock is taken in: no deadlock), and how many
// queue items they cover (duplicates of a batch key inside that prefix are done with it).
struct MirrorBatch {
  std::map<std::string, StoreKey> keys;  // lock key -> key
  size_t items = 0;
};

MirrorBatch next_batch(const Shared& s, size_t max_keys) {
  MirrorBatch batch;
  for (const MirrorItem& item : s.queue) {
    std::string lock = lock_key(item.key);
    if (!batch.keys.contains(lock)) {
      if (batch.keys.size() == max_keys) break;
      batch.keys.emplace(std::move(lock), item.key);
    }
    ++batch.items;
  }
  return batch;
}

// Copies the batch's keys from primary to backup in one backup call: takes their locks in
// ascending order, reads each from primary, calls backup (which takes its call sequences then)
// and releases the locks before awaiting it, as a single key's copy does. One key: a plain
// write or remove.
Task<Status> copy_batch(std::shared_ptr<Shared> s, MirrorBatch batch) {
  std::vector<KeyLockGuard> guards;
  guards.reserve(batch.keys.size());
  for (const auto& [lock, key] : batch.keys) guards.push_back(co_await s->locks.lock(lock));
  if (s->closed) co_return Status::aborted("the TierStore was closed");
  if (batch.keys.size() == 1) {
    Result<bool> copied =
        co_await sync_key_locked(s, batch.keys.begin()->second, false, std::move(guards.front()));
    if (copied.ok() && *copied) ++s->metrics.backup_batches;
    co_return copied.status();
  }
  // Every key's read is in flight at once: they queue for primary together instead of one
  // behind each write a client makes meanwhile.
  std::vector<Task<Result<std::optional<std::string>>>> reads;
  reads.reserve(batch.keys.size());
  for (const auto& [lock, key] : batch.keys) reads.push_back(wanted_in_backup(s, key));
  std::vector<Result<std::optional<std::string>>> wanted =
      co_await run_all(s->executor, std::move(reads));
  std::vector<AtomicOp> ops;
  ops.reserve(batch.keys.size());
  size_t at = 0;
  for (auto& [lock, key] : batch.keys) {
    Result<std::optional<std::string>>& value = wanted[at++];
    if (!value.ok()) co_return value.status();
    ops.push_back(AtomicOp{std::move(key), std::move(*value), std::nullopt});
  }
  const std::string what = "backup copy of " + std::to_string(ops.size()) + " keys, first " +
                           ops.front().key.to_string();
  Task<AtomicResult> write = s->tiers.backup->write_atomic(std::move(ops));
  guards.clear();
  AtomicResult written = co_await std::move(write);
  if (written.status.is_not_supported()) {
    s->backup_batches_unsupported = true;  // nothing was written: copy one key per call
    co_return Status::ok_status();
  }
  if (!written.status.ok()) {
    ++s->metrics.backup_failures;
    co_return written.status.with_context(what);
  }
  s->metrics.backup_writes += batch.keys.size();
  ++s->metrics.backup_batches;
  co_return Status::ok_status();
}

Task<void> run_mirror(std::shared_ptr<Shared> s) {
  const uint64_t backoff_us_initial = std::max<uint64_t>(1, s->options.retry_backoff_us_initial);
  uint64_t backoff_us = backoff_us_initial;
  while (!s->closed) {
    Status st;
    if (!s->queue.empty()) {
      const size_t max_keys =
          s->backup_batches_unsupported ? 1 : std::max<size_t>(1, s->options.async_batch_max_keys);
      if (s->options.async_batch_delay_us != 0 && s->queue.size() < max_keys &&
          s->flush_waiters.empty()) {
        co_await s->executor.sleep_us(s->options.async_batch_delay_us);
        if (s->closed) break;
      }
      // The mirror is the only writer of backup in async mode and copies one batch at a time,
      // so it may let writers of the keys in while backup answers; a change made meanwhile
      // queues the key again and the next copy reads it.
      MirrorBatch batch = next_batch(*s, max_keys);
      const size_t items = batch.items;
      const bool unsupported_before = s->backup_batches_unsupported;
      st = co_await copy_batch(s, std::move(batch));
      if (s->closed) break;
      if (st.ok() && s->backup_batches_unsupported == unsupported_before) {
        s->queue.erase(s->queue.begin(), s->queue.begin() + static_cast<ptrdiff_t>(items));
      }
    } else if (s->reconcile_pending) {
      st = co_await reconcile_all(s);
      if (s->closed) break;
      if (st.is_not_supported()) {  // a tier cannot enumerate its keys: retrying cannot help
        ++s->metrics.reconcile_unsupported;
        s->reconcile_pending = false;
        st = Status::ok_status();
      }
    } else {
      break;
    }
    if (st.ok()) {
      backoff_us = backoff_us_initial;
      continue;
    }
    ++s->metrics.retries;
    co_await s->executor.sleep_us(backoff_us);
    backoff_us = std::min(backoff_us * 2, std::max(backoff_us_initial,
                                                   s->options.retry_backoff_us_max));
  }
  s->mirror_running = false;
  wake_flush_waiters(*s);
}

}  // namespace

void start_mirror(const std::shared_ptr<Shared>& shared) {
  if (shared->mirror_running || shared->tiers.backup == nullptr) return;
  shared->mirror_running = true;
  shared->executor.spawn(run_mirror(shared));
}

void enqueue_mirror(const std::shared_ptr<Shared>& shared, StoreKey key) {
  assert(shared->tiers.backup != nullptr);
  if (shared->queue.size() >= shared->options.async_queue_capacity) {
    ++shared->metrics.queue_overflows;  // repaired by the reconcile the mirror runs next
    request_reconcile(shared);
  } else {
    shared->queue.push_back(MirrorItem{std::move(key), shared->executor.clock().now_us()});
  }
  start_mirror(shared);
}

void request_reconcile(const std::shared_ptr<Shared>& shared) {
  shared->reconcile_pending = true;
  ++shared->reconcile_requests;
  start_mirror(shared);
}

void wake_flush_waiters(Shared& shared) {
  if (!shared.closed && (shared.mirror_running || !shared.queue.empty())) return;
  std::vector<UniqueFunction> waiters = std::move(shared.flush_waiters);
  shared.flush_waiters.clear();
  for (UniqueFunction& resume : waiters) resume();
}

Task<Status> reconcile_all(std::shared_ptr<Shared> s) {
  if (s->tiers.backup == nullptr) co_return Status::ok_status();
  const uint64_t requests_seen = s->reconcile_requests;
  Status st = co_await for_every_key(s, [](std::shared_ptr<Shared> sh, StoreKey key) -> Task<Status> {
    KeyLockGuard keep_locked;  // reconcile holds the key's lock for the whole copy
    Result<bool> written = co_await sync_key_locked(sh, key, true, std::move(keep_locked));
    if (written.ok() && *written) ++sh->metrics.reconcile_repairs;
    co_return written.status();
  });
  if (!st.ok()) {
    s->reconcile_pending = true;
    co_return st.with_context("reconcile of backup with primary");
  }
  // A request made while this pass ran may concern a key it had already passed.
  if (s->reconcile_requests == requests_seen) s->reconcile_pending = false;
  ++s->metrics.reconciles;
  co_return st;
}

Task<Status> restore_all(std::shared_ptr<Shared> s) {
  if (s->tiers.backup == nullptr) {
    co_return Status::not_supported("restore_from_backup: this TierStore has no backup tier");
  }
  Status copied = co_await for_every_key(s, [](std::shared_ptr<Shared> sh, StoreKey key) -> Task<Status> {
    Result<std::string> held = co_await sh->tiers.backup->read(key);
    if (!held.ok() && !held.status().is_not_found()) co_return held.status().with_context("backup");
    std::optional<std::string> wanted;
    if (held.ok()) wanted = std::move(*held);
    KeyLockGuard keep_locked;
    Result<bool> written =
        co_await converge(sh->tiers.primary, key, std::move(wanted), true, std::move(keep_locked));
    co_return written.status().with_context("primary");
  });
  if (!copied.ok()) co_return copied.with_context("restore_from_backup");
  // Verify: every key of either tier now reads the same from both.
  Status verified = co_await for_every_key(s, [](std::shared_ptr<Shared> sh, StoreKey key) -> Task<Status> {
    Result<std::string> in_backup = co_await sh->tiers.backup->read(key);
    Result<std::string> in_primary = co_await sh->tiers.primary->read(key);
    const bool same = in_backup.ok() ? in_primary.ok() && *in_primary == *in_backup
                                     : in_backup.status().is_not_found() &&
                                           in_primary.status().is_not_found();
    if (same) co_return Status::ok_status();
    co_return Status::corruption("restore_from_backup: " + key.to_string() +
                                 " differs between primary and backup after the copy");
  });
  co_return verified;
}

}  // namespace tierkv::tier_detail

namespace tierkv {

using tier_detail::Shared;

Task<void> TierStore::flush_backup() {
  std::shared_ptr<tier_detail::Shared> s = shared_;  // `this` may go while we wait
  while (!s->closed && s->tiers.backup != nullptr &&
         (s->mirror_running || !s->queue.empty() || s->reconcile_pending)) {
    tier_detail::start_mirror(s);
    // A raw pointer (s keeps it alive): g++ 12 may destroy a non-trivial temporary coroutine
    // argument twice, so the callback must be trivially destructible.
    Shared* shared = s.get();
    co_await suspend_until_resumed(
        [shared](UniqueFunction resume) { shared->flush_waiters.push_back(std::move(resume)); });
  }
}

}  // namespace tierkv
