// TierStore's conditional writes: compare_and_swap and write_atomic go to the tier owning their
// keys; on durable keys the applied result is then mirrored to backup (sync: at once, async:
// queued), under the same per-key locks as plain writes.
#include <algorithm>
#include <cassert>
#include <span>
#include <utility>

#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_shared.h"

namespace tierkv {
namespace {

using tier_detail::Shared;

void count_primary_failure(Shared& s, const Status& st) {
  if (!st.is_conflict() && !st.is_not_supported()) ++s.metrics.primary_failures;
}

// The one tail of every applied conditional write (CAS or batch), after the tier owning keys
// applied it: completes the keys' call-order tickets (older pending writes of them are now
// stale), counts the write, and for durable keys in async mode queues them for the mirror.
// Returns true when the caller must now write the result to backup itself (sync mode with a
// backup) and pass that write's status to backup_written().
bool settle_applied(const std::shared_ptr<Shared>& s, std::span<const CallOrder::Ticket> tickets,
                    std::span<const StoreKey> keys, bool ephemeral) {
  for (const CallOrder::Ticket& ticket : tickets) s->call_order.complete(ticket);
  if (ephemeral) {
    ++s->metrics.ephemeral_writes;
    return false;
  }
  ++s->metrics.primary_writes;
  if (s->tiers.backup == nullptr) return false;
  if (s->async_backup()) {
    for (const StoreKey& key : keys) tier_detail::enqueue_mirror(s, key);
    return false;
  }
  return true;
}

// Counts the sync backup write of an applied conditional write. A failure means the tiers now
// disagree: counted as diverged, repaired by a reconcile (requested here), and named.
Status backup_written(const std::shared_ptr<Shared>& s, const Status& backed) {
  if (backed.ok()) {
    ++s->metrics.backup_writes;
    return backed;
  }
  ++s->metrics.backup_failures;
  ++s->metrics.backup_diverged;
  tier_detail::request_reconcile(s);
  return backed.with_context("backup (primary already applied it)");
}

// Whether an applied conditional write on these keys is then written to backup by the caller
// (sync mode with a backup; see settle_applied), so the caller still needs its values.
bool sync_backup_follows(const Shared& s, bool ephemeral) {
  return !ephemeral && s.tiers.backup != nullptr && !s.async_backup();
}

Task<Result<uint64_t>> cas_locked(std::shared_ptr<Shared> s, StoreKey key, uint64_t expected,
                                  std::string value, CallOrder::Ticket ticket) {
  // The ticket's key is the key's "p/s/k" text (lock_key).
  auto what = [&ticket] { return "compare_and_swap of " + ticket.key(); };
  KeyLockGuard guard = co_await s->locks.lock(ticket.key());
  const bool ephemeral = s->is_ephemeral(key);
  KvStore* tier = ephemeral ? s->tiers.ephemeral : s->tiers.primary;
  // Named, moved in: g++ 12 destroys a temporary coroutine argument twice (task.h).
  std::string to_tier = sync_backup_follows(*s, ephemeral) ? value : std::move(value);
  Result<uint64_t> r = co_await tier->compare_and_swap(key, expected, std::move(to_tier));
  if (!r.ok()) {
    if (!ephemeral) count_primary_failure(*s, r.status());
    co_return r.status().with_context(ephemeral ? "ephemeral tier" : "primary tier")
        .with_context(what());
  }
  if (!settle_applied(s, std::span(&ticket, 1), std::span(&key, 1), ephemeral)) co_return r;
  Status backed = backup_written(s, co_await s->tiers.backup->write(key, std::move(value)));
  if (!backed.ok()) co_return backed.with_context(what());
  co_return r;
}

// Mirrors an applied batch to backup: atomically if backup can, else key by key.
Task<Status> mirror_batch(std::shared_ptr<Shared> s, std::vector<AtomicOp> ops) {
  for (AtomicOp& op : ops) op.expected_version.reset();  // backup follows primary blindly
  AtomicResult atomic = co_await s->tiers.backup->write_atomic(ops);
  if (!atomic.status.is_not_supported()) co_return atomic.status;
  for (AtomicOp& op : ops) {
    Status st = co_await tier_detail::apply_to(s->tiers.backup, op.key, std::move(op.value), false);
    if (!st.ok()) co_return st;
  }
  co_return Status::ok_status();
}

Task<AtomicResult> atomic_locked(std::shared_ptr<Shared> s, std::vector<AtomicOp> ops,
                                 bool ephemeral, std::vector<CallOrder::Ticket> tickets) {
  // Each key's lock once (a key listed twice is the tier's to refuse), in ascending lock-key
  // order: no deadlock. A ticket's key is its op's lock key.
  auto by_key = [](const CallOrder::Ticket& a, const CallOrder::Ticket& b) {
    return a.key() < b.key();
  };
  std::sort(tickets.begin(), tickets.end(), by_key);
  std::vector<KeyLockGuard> guards;
  for (size_t i = 0; i < tickets.size(); ++i) {
    if (i > 0 && tickets[i].key() == tickets[i - 1].key()) continue;
    guards.push_back(co_await s->locks.lock(tickets[i].key()));
  }
  std::vector<StoreKey> keys;
  keys.reserve(ops.size());
  for (const AtomicOp& op : ops) keys.push_back(op.key);
  // Named, moved in: g++ 12 destroys a temporary coroutine argument twice (task.h).
  std::vector<AtomicOp> to_tier = sync_backup_follows(*s, ephemeral) ? ops : std::move(ops);
  KvStore* tier = ephemeral ? s->tiers.ephemeral : s->tiers.primary;
  AtomicResult r = co_await tier->write_atomic(std::move(to_tier));
  if (!r.status.ok()) {
    if (!ephemeral) count_primary_failure(*s, r.status);
    r.status = r.status.with_context(ephemeral ? "write_atomic on the ephemeral tier"
                                               : "write_atomic on the primary tier");
    co_return r;
  }
  if (!settle_applied(s, tickets, keys, ephemeral)) co_return r;
  Status backed = backup_written(s, co_await mirror_batch(s, std::move(ops)));
  if (!backed.ok()) co_return AtomicResult{backed.with_context("write_atomic"), {}};
  co_return r;
}

Task<Result<uint64_t>> cas_refused(Status status) { co_return status; }
Task<AtomicResult> atomic_refused(Status status) { co_return AtomicResult{status, {}}; }

}  // namespace

Task<Result<uint64_t>> TierStore::compare_and_swap(StoreKey key, uint64_t expected_version,
                                                   std::string value) {
  Status valid = validate_store_key(key);
  if (!valid.ok()) return cas_refused(valid.with_context("compare_and_swap"));
  CallOrder::Ticket ticket = shared_->call_order.begin(lock_key(key));
  return cas_locked(shared_, std::move(key), expected_version, std::move(value),
                    std::move(ticket));
}

Task<AtomicResult> TierStore::write_atomic(std::vector<AtomicOp> ops) {
  size_t ephemeral_ops = 0;
  for (const AtomicOp& op : ops) {
    Status valid = validate_store_key(op.key);
    if (!valid.ok()) return atomic_refused(valid.with_context("write_atomic"));
    if (shared_->is_ephemeral(op.key)) ++ephemeral_ops;
  }
  if (ephemeral_ops != 0 && ephemeral_ops != ops.size()) {
    return atomic_refused(Status::not_supported(
        "write_atomic: a batch cannot mix ephemeral keys (" + std::to_string(ephemeral_ops) +
        ") with durable keys (" + std::to_string(ops.size() - ephemeral_ops) +
        "): they live in different tiers"));
  }
  std::vector<CallOrder::Ticket> tickets;  // taken now, in call order
  tickets.reserve(ops.size());
  for (const AtomicOp& op : ops) tickets.push_back(shared_->call_order.begin(lock_key(op.key)));
  const bool ephemeral = ephemeral_ops != 0;
  return atomic_locked(shared_, std::move(ops), ephemeral, std::move(tickets));
}

}  // namespace tierkv
