// TierStore: routing, call order and the primary+backup pair of every mutation.
// Listing lives in tier_store_list.cc, the async mirror and reconcile in tier_backup.cc.
#include "engine/tier/tier_store.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_join.h"
#include "engine/tier/tier_shared.h"

namespace tierkv {
namespace {

using tier_detail::Shared;

// "primary: <status>; backup: <status>" for the sides that failed; OK when both are OK.
Status combine_sides(const Status& primary, const Status& backup) {
  if (primary.ok() && backup.ok()) return Status::ok_status();
  if (!primary.ok() && !backup.ok()) {
    return primary.with_context("primary").with_context(
        "backup failed too (" + backup.to_string() + "); primary");
  }
  return primary.ok() ? backup.with_context("backup") : primary.with_context("primary");
}

// Writes or removes a durable key on primary (and backup, per mode). REQUIRES: key's lock; the
// caller awaits the task at once (s and key are references into its frame).
Task<Status> mutate_durable_locked(const std::shared_ptr<Shared>& s, const StoreKey& key,
                                   std::optional<std::string> value, bool lazy) {
  KvStore* backup = s->tiers.backup;
  if (backup == nullptr || s->async_backup()) {
    Status primary =
        co_await tier_detail::apply_to(s->tiers.primary, key, std::move(value), lazy);
    if (!primary.ok()) {
      ++s->metrics.primary_failures;
      co_return primary.with_context("primary");
    }
    ++s->metrics.primary_writes;
    if (backup != nullptr) tier_detail::enqueue_mirror(s, key);
    co_return primary;
  }
  Task<Status> to_primary = tier_detail::apply_to(s->tiers.primary, key, value, lazy);
  Task<Status> to_backup = tier_detail::apply_to(backup, key, std::move(value), lazy);
  std::pair<Status, Status> sides =
      co_await run_both(s->executor, std::move(to_primary), std::move(to_backup));
  const Status& primary = sides.first;
  const Status& backed = sides.second;
  primary.ok() ? ++s->metrics.primary_writes : ++s->metrics.primary_failures;
  backed.ok() ? ++s->metrics.backup_writes : ++s->metrics.backup_failures;
  if (primary.ok() != backed.ok()) {
    ++s->metrics.backup_diverged;  // the mirror repairs it with a reconcile
    tier_detail::request_reconcile(s);
  }
  co_return combine_sides(primary, backed);
}

Task<Status> mutate(std::shared_ptr<Shared> s, StoreKey key, std::optional<std::string> value,
                    bool lazy, CallOrder::Ticket ticket) {
  const bool is_write = value.has_value();
  KeyLockGuard guard = co_await s->locks.lock(ticket.key());  // == lock_key(key)
  if (s->call_order.is_stale(ticket)) {
    ++s->metrics.stale_skipped;  // a newer call on this key already took effect
    co_return Status::ok_status();
  }
  Status status;
  if (s->is_ephemeral(key)) {
    status = co_await tier_detail::apply_to(s->tiers.ephemeral, key, std::move(value), lazy);
    if (status.ok()) ++s->metrics.ephemeral_writes;
    status = status.with_context("ephemeral");
  } else {
    status = co_await mutate_durable_locked(s, key, std::move(value), lazy);
  }
  if (!status.ok()) {
    co_return status.with_context((is_write ? "write of " : "remove of ") + key.to_string());
  }
  s->call_order.complete(ticket);
  co_return status;
}

// A task that answers status (an invalid call) without touching any tier.
template <typename T = Status>
Task<T> invalid(Status status) {
  co_return status;
}

}  // namespace

namespace tier_detail {

bool Shared::rule_matches(std::string_view primary, std::string_view secondary,
                          std::string_view key) const {
  return std::any_of(
      options.ephemeral_rules.begin(), options.ephemeral_rules.end(),
      [&](const EphemeralRule& rule) { return rule.matches(primary, secondary, key); });
}

bool Shared::consults_ephemeral(std::string_view primary, std::string_view secondary) const {
  if (tiers.ephemeral == nullptr) return false;
  return std::any_of(options.ephemeral_rules.begin(), options.ephemeral_rules.end(),
                     [&](const EphemeralRule& rule) { return rule.covers(primary, secondary); });
}

Task<Status> apply_to(KvStore* store, const StoreKey& key, std::optional<std::string> value,
                      bool lazy) {
  return value ? store->write(key, std::move(*value)) : store->remove(key, lazy);
}

}  // namespace tier_detail

bool EphemeralRule::matches(const StoreKey& k) const {
  return matches(k.primary_namespace, k.secondary_namespace, k.key);
}

bool EphemeralRule::matches(std::string_view primary, std::string_view secondary,
                            std::string_view k) const {
  return k == key && covers(primary, secondary);
}

bool EphemeralRule::covers(std::string_view primary, std::string_view secondary) const {
  return primary == primary_namespace &&
         (!secondary_namespace.has_value() || secondary == *secondary_namespace);
}

std::vector<EphemeralRule> default_ephemeral_rules() {
  return {EphemeralRule{"", std::nullopt, "network_graph"},
          EphemeralRule{"", std::nullopt, "scorer"}};
}

TierStore::TierStore(Executor& executor, TierStoreTiers tiers, TierStoreOptions options)
    : shared_(std::make_shared<Shared>(executor, tiers, std::move(options))) {
  assert(tiers.primary != nullptr && "a TierStore needs a primary tier");
  assert(tiers.primary != tiers.backup && tiers.primary != tiers.ephemeral);
  assert(tiers.backup == nullptr || tiers.backup != tiers.ephemeral);
  assert(shared_->options.async_queue_capacity >= 1);
  for (const EphemeralRule& rule : shared_->options.ephemeral_rules) {
    assert(validate_store_key(StoreKey{rule.primary_namespace,
                                       rule.secondary_namespace.value_or(""), rule.key})
               .ok() &&
           "ephemeral rules must name valid keys");
    (void)rule;
  }
  if (tiers.backup != nullptr && shared_->options.reconcile_at_start) {
    tier_detail::request_reconcile(shared_);
  }
}

TierStore::~TierStore() {
  shared_->closed = true;  // a running mirror stops at its next resume
  std::vector<UniqueFunction> waiters = std::move(shared_->flush_waiters);
  shared_->flush_waiters.clear();
  for (UniqueFunction& resume : waiters) resume();
}

bool TierStore::is_ephemeral(const StoreKey& key) const { return shared_->is_ephemeral(key); }

Task<Result<std::string>> TierStore::read(StoreKey key) {
  // Not a coroutine: the owning tier's read is the task (one frame less per read).
  Status valid = validate_store_key(key);
  if (!valid.ok()) return invalid<Result<std::string>>(valid.with_context("read"));
  KvStore* tier = shared_->is_ephemeral(key) ? shared_->tiers.ephemeral : shared_->tiers.primary;
  return tier->read(std::move(key));
}

Task<Status> TierStore::write(StoreKey key, std::string value) {
  Status valid = validate_store_key(key);
  if (!valid.ok()) return invalid(valid.with_context("write"));
  CallOrder::Ticket ticket = shared_->call_order.begin(lock_key(key));
  return mutate(shared_, std::move(key), std::move(value), false, std::move(ticket));
}

Task<Status> TierStore::remove(StoreKey key, bool lazy) {
  Status valid = validate_store_key(key);
  if (!valid.ok()) return invalid(valid.with_context("remove"));
  CallOrder::Ticket ticket = shared_->call_order.begin(lock_key(key));
  return mutate(shared_, std::move(key), std::nullopt, lazy, std::move(ticket));
}

Task<Result<VersionedValue>> TierStore::read_versioned(StoreKey key) {
  TIERKV_CO_RETURN_IF_ERROR(validate_store_key(key).with_context("read_versioned"));
  const bool ephemeral = shared_->is_ephemeral(key);
  KvStore* tier = ephemeral ? shared_->tiers.ephemeral : shared_->tiers.primary;
  Result<VersionedValue> r = co_await tier->read_versioned(std::move(key));
  if (!r.ok() && r.status().is_not_supported()) {
    co_return r.status().with_context(ephemeral ? "ephemeral tier" : "primary tier");
  }
  co_return r;
}

TierStoreMetrics TierStore::metrics() const {
  TierStoreMetrics m = shared_->metrics;
  m.queue_depth = shared_->queue.size();
  m.oldest_pending_age_us =
      shared_->queue.empty()
          ? 0
          : shared_->executor.clock().now_us() - shared_->queue.front().enqueued_us;
  m.reconcile_pending = shared_->reconcile_pending;
  return m;
}

size_t TierStore::lock_table_size() const { return shared_->locks.size(); }
size_t TierStore::pending_call_keys() const { return shared_->call_order.size(); }
bool TierStore::idle() const {
  return shared_->locks.size() == 0 && shared_->call_order.size() == 0 &&
         shared_->queue.empty() && !shared_->mirror_running;
}

Task<Status> TierStore::reconcile() { return tier_detail::reconcile_all(shared_); }
Task<Status> TierStore::restore_from_backup() { return tier_detail::restore_all(shared_); }

}  // namespace tierkv
