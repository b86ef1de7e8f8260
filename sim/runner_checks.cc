// Run: the run's outline, barriers (rollback) and the checks at quiescent points.
#include <cassert>
#include <set>

#include "engine/versioned/lt_hash.h"
#include "sim/runner_phases.h"
#include "sim/workload.h"
#include "sim/workload_hybrid.h"

namespace tierkv::sim {
namespace {

// The whole user state of a VersionedStore (its reserved meta keys are never scanned).
Result<std::map<std::string, std::string>> raw_state(VersionedStore& store) {
  TIERKV_ASSIGN_OR_RETURN(std::vector<KeyValue> all, store.scan(KeyRange{}, 0));
  std::map<std::string, std::string> out;
  for (KeyValue& kv : all) out.emplace(std::move(kv.key), std::move(kv.value));
  return out;
}

// Reads key: value, nullopt if absent, or the error.
Task<Result<std::optional<std::string>>> read_optional(KvStore* store, StoreKey key) {
  Result<std::string> r = co_await store->read(std::move(key));
  if (r.ok()) co_return std::optional<std::string>(std::move(r).value());
  if (r.status().is_not_found()) co_return std::optional<std::string>();
  co_return r.status();
}

}  // namespace

RunResult Run::execute() {
  if (!reopen(0, false)) {
    if (result_.violations.empty() && !detected_corruption_) {
      result_.setup_error = Status::invalid_argument("cannot open the world for seed " +
                                                     std::to_string(scenario_.seed));
    }
  }
  uint64_t begin = 0;
  const uint64_t n = scenario_.ops.size();
  while (!aborted_ && begin <= n) {
    uint64_t end = begin;
    while (end < n && scenario_.ops[end].kind != OpKind::kRollback) ++end;
    for (ClientQueue& q : queues_) {
      q.phase_end = static_cast<size_t>(
          std::lower_bound(q.op_indices.begin(), q.op_indices.end(), end) - q.op_indices.begin());
    }
    if (!run_phase()) break;
    drive(check_keys(false, false));
    if (end < n) do_rollback(end);
    begin = end + 1;
  }
  if (!aborted_) finish_liveness();
  result_.stats.simulated_time_us = clock_.now_us();
  result_.stats.trace_events = trace_.events();
  result_.trace_hex = trace_.hex();
  if (backup_faults_.outages_injected > 0) {
    result_.stats.faults_fired["backup_outage"] += backup_faults_.outages_injected;
  }
  if (backup_faults_.slow_calls_injected > 0) {
    result_.stats.faults_fired["slow_backup"] += backup_faults_.slow_calls_injected;
  }
  return std::move(result_);
}

bool Run::key_is_durable(const StoreKey& key) const {
  return !(scenario_.world.ephemeral_tier && is_ephemeral_key(key));
}

void Run::check_after_recovery(uint64_t version_before, bool wiped) {
  if (VersionedStore* vs = world_->versioned()) {
    checkers_.version_monotonic(version_before, vs->version(), "the primary VersionedStore");
    WalRecoverySummary wal;
    wal.recovered_version = vs->version();
    wal.last_wal_version = vs->wal_last_version();
    wal.records = wal.last_wal_version == 0 ? 0 : 1;
    checkers_.wal_recovery(wal, std::string(kPrimaryDir) + "/wal");
    check_lt_hash();
  }
  drive(check_keys(true, wiped));
}

void Run::check_lt_hash() {
  VersionedStore* vs = world_->versioned();
  if (vs == nullptr) return;
  Result<std::map<std::string, std::string>> state = raw_state(*vs);
  if (!state.ok()) return;
  LtHash recomputed;
  for (const auto& [key, value] : *state) recomputed.apply_change(key, std::nullopt, value);
  checkers_.lt_hash_matches(vs->lt_hash().checksum_hex(), recomputed.checksum_hex(),
                            vs->version());
}

Result<std::optional<std::string>> Run::read_raw(const StoreKey& key) {
  assert(is_raw_key(key));
  if (is_hybrid_key(key)) {
    HybridStore* hybrid = world_->hybrid();
    if (hybrid == nullptr) {
      return Status::not_supported("raw key " + key.to_string() + ": the world has no HybridStore");
    }
    Result<std::string> value = hybrid->get(hybrid_raw_key(key));
    if (value.ok()) return std::optional<std::string>(std::move(value).value());
    if (value.status().is_not_found()) return std::optional<std::string>();
    return value.status();
  }
  VersionedStore* vs = world_->versioned();
  if (key.primary_namespace != kVersionedRawNamespace || vs == nullptr) {
    return Status::not_supported("raw key " + key.to_string() + " has no store in this world");
  }
  Result<std::string> value = vs->get(kVersionedRawPrefix + key.key);
  if (value.ok()) return std::optional<std::string>(std::move(value).value());
  if (value.status().is_not_found()) return std::optional<std::string>();
  return value.status();
}

bool Run::drive(Task<void> task) {
  bool done = false;
  executor_.spawn([](Task<void> t, bool* flag) -> Task<void> {
    co_await std::move(t);
    *flag = true;
  }(std::move(task), &done));
  const bool finished =
      executor_.run_until([&done] { return done; }, clock_.now_us() + kLivenessBoundUs);
  if (!finished) checkers_.liveness(false, kLivenessBoundUs, {"a quiescent-point check"});
  return finished;
}

Task<void> Run::check_keys(bool after_crash, bool wiped) {
  assert(!model_.has_pending());
  const bool tiered = world_->has_tiers();
  if (!after_crash && tiered) co_await check_mirror_drained();
  // Backup == primary is promised once a reconcile succeeded (it cannot during an outage).
  bool backup_level = false;
  if (!after_crash && tiered) {
    Status reconciled = co_await world_->reconcile();
    backup_level = reconciled.ok();
    if (!reconciled.ok()) checkers_.note(clock_.now_us(), "reconcile: " + reconciled.to_string());
  }
  KvStore* backup = world_->backup();
  KvStore* ephemeral = world_->ephemeral();
  if (!after_crash) check_lt_hash();  // after a crash, check_after_recovery did
  // Durable keys' values, settled once the atomic batches are judged as units.
  std::map<StoreKey, std::optional<std::string>> observed_durable;
  for (const StoreKey& key : model_.keys()) {
    if (is_raw_key(key)) {
      check_raw_key(key, after_crash, &observed_durable);
      continue;
    }
    auto observed = co_await read_optional(&world_->store(), key);
    if (!observed.ok()) {
      checkers_.note(clock_.now_us(), "check read of " + key.to_string() + ": " +
                                          observed.status().to_string());
      continue;
    }
    const bool durable = key_is_durable(key);
    if (after_crash) {
      checkers_.recovered_value(key, *observed, wiped && !durable);
    } else {
      const uint64_t tick = model_.tick();
      checkers_.read_value(key, *observed, tick, tick, kNoOp);
    }
    if (tiered) {
      // Plain statements, no co_await inside ?: (g++ 12 mis-destroys such temporaries).
      auto in_primary = co_await read_optional(&world_->primary(), key);
      Result<std::optional<std::string>> in_backup{std::optional<std::string>()};
      if (backup != nullptr) in_backup = co_await read_optional(backup, key);
      Result<std::optional<std::string>> in_ephemeral{std::optional<std::string>()};
      if (ephemeral != nullptr) in_ephemeral = co_await read_optional(ephemeral, key);
      if (in_primary.ok() && in_backup.ok() && in_ephemeral.ok()) {
        checkers_.routing(key, !durable, in_primary->has_value(), in_backup->has_value(),
                          in_ephemeral->has_value());
        if (backup != nullptr && durable) {
          if (after_crash && !scenario_.world.async_backup) {
            checkers_.backup_not_older(key, *in_backup);
          } else if (backup_level) {
            checkers_.backup_equals_primary(key, *in_primary, *in_backup);
          }
        }
      }
    }
    if (durable) {
      observed_durable.emplace(key, std::move(*observed));
    } else {
      model_.settle(key, std::move(*observed));
    }
  }
  // Every atomic batch (TierStore write_atomic, HybridStore write) as a unit, all or none of
  // it, before its keys' histories are dropped. Ephemeral keys are not judged (their tier may
  // be wiped at a restart).
  for (const auto& [op_index, ids] : model_.batches()) {
    checkers_.batch_atomic(ids, observed_durable);
  }
  for (auto& [key, value] : observed_durable) model_.settle(key, std::move(value));
  co_await check_pagination();
  co_await check_hybrid_primary_sides();
  co_await check_overlays(after_crash);
}

Task<void> Run::check_mirror_drained() {
  TierStore* tier = world_->tier_store();
  if (!scenario_.world.async_backup || world_->backup() == nullptr || tier == nullptr) co_return;
  // flush_backup() does not return while the backup keeps failing.
  const uint64_t now = clock_.now_us();
  for (const FaultWindow& w : backup_faults_.windows) {
    if (!backup_faults_.healed && w.outage && w.start_us <= now && now < w.end_us &&
        w.end_us - now > kLivenessBoundUs / 2) {
      co_return;
    }
  }
  const TierStoreMetrics before = tier->metrics();
  co_await tier->flush_backup();
  const TierStoreMetrics after = tier->metrics();
  // A reconcile owns the keys queued at a crash or a rollback (the start-up reconcile) and
  // those of an overflow: the mirror alone need not have copied them.
  if (before.reconcile_pending || after.reconciles != before.reconciles) co_return;
  KvStore* backup = world_->backup();
  for (const StoreKey& key : model_.keys()) {
    if (is_raw_key(key) || !key_is_durable(key)) continue;
    auto in_primary = co_await read_optional(&world_->primary(), key);
    auto in_backup = co_await read_optional(backup, key);
    if (!in_primary.ok() || !in_backup.ok()) continue;
    checkers_.backup_equals_primary(key, *in_primary, *in_backup,
                                    "after flush_backup() drained the async mirror (no reconcile "
                                    "pending or run since)");
  }
}

Task<void> Run::check_hybrid_primary_sides() {
  HybridKvStore* hybrid = world_->hybrid_primary();
  if (hybrid == nullptr) co_return;
  std::set<NamespacePair> on_sides;
  bool sides_listed = true;
  for (HybridSide side : {HybridSide::kLsm, HybridSide::kBtree}) {
    const std::string_view side_name = hybrid_side_name(side);
    auto pairs = co_await hybrid->side(side).list_namespaces();
    if (!pairs.ok()) {
      checkers_.note(clock_.now_us(), "list_namespaces of the hybrid primary's " +
                                          std::string(side_name) + " side: " +
                                          pairs.status().to_string());
      sides_listed = false;
      continue;
    }
    on_sides.insert(pairs->begin(), pairs->end());
    for (const NamespacePair& pair : *pairs) {
      // Named, then moved: g++ 12 destroys a braced temporary coroutine argument twice.
      std::string primary_ns = pair.primary_namespace;
      std::string secondary_ns = pair.secondary_namespace;
      auto keys = co_await hybrid->side(side).list(std::move(primary_ns), std::move(secondary_ns));
      StoreKey first{pair.primary_namespace, pair.secondary_namespace,
                     keys.ok() && !keys->empty() ? keys->front() : std::string()};
      checkers_.hybrid_side(first, hybrid_side_name(hybrid->route(pair.primary_namespace)),
                            side_name);
    }
  }
  // The router lists every pair of both sides, ascending, each once (what a backup reconcile
  // or a restore walks).
  auto listed = co_await hybrid->list_namespaces();
  if (!listed.ok()) {
    checkers_.note(clock_.now_us(),
                   "list_namespaces of the hybrid primary: " + listed.status().to_string());
  } else if (sides_listed) {
    checkers_.hybrid_namespaces(*listed,
                                std::vector<NamespacePair>(on_sides.begin(), on_sides.end()));
  }
  for (const StoreKey& key : model_.keys()) {
    if (is_raw_key(key) || !key_is_durable(key)) continue;
    const HybridSide routed = hybrid->route(key.primary_namespace);
    const HybridSide other = routed == HybridSide::kLsm ? HybridSide::kBtree : HybridSide::kLsm;
    auto elsewhere = co_await read_optional(&hybrid->side(other), key);
    if (!elsewhere.ok()) continue;
    checkers_.hybrid_side(key, hybrid_side_name(routed),
                          hybrid_side_name(elsewhere->has_value() ? other : routed));
  }
}

Task<void> Run::check_overlays(bool after_crash) {
  OverlayStore* overlays = world_->overlays();
  if (overlays == nullptr) co_return;
  if (after_crash) {
    const uint64_t stale = overlays->quota().reserved_bytes;
    if (stale != 0) {
      Status released = co_await overlays->release(stale);
      if (!released.ok()) {
        checkers_.note(clock_.now_us(), "release of stale reservations: " + released.to_string());
      }
    }
    overlay_reserved_bytes_ = overlays->quota().reserved_bytes;
  }
  Result<std::vector<std::string>> problems = co_await overlays->check_consistency();
  if (!problems.ok()) {
    checkers_.note(clock_.now_us(), "overlay consistency scan: " + problems.status().to_string());
    co_return;
  }
  const uint64_t reserved = overlays->quota().reserved_bytes;
  if (!after_crash && reserved != overlay_reserved_bytes_) {
    problems->push_back("quota reserved_bytes is " + std::to_string(reserved) + " but clients hold " +
                        std::to_string(overlay_reserved_bytes_) + " reserved bytes");
  }
  checkers_.overlays(*problems, overlays->underflow_count());
}

void Run::check_raw_key(const StoreKey& key, bool after_crash,
                        std::map<StoreKey, std::optional<std::string>>* observed_out) {
  Result<std::optional<std::string>> observed = read_raw(key);
  if (!observed.ok()) {
    checkers_.note(clock_.now_us(), "check read of " + key.to_string() + ": " +
                                        observed.status().to_string());
    return;
  }
  if (after_crash) {
    checkers_.recovered_value(key, *observed, false);
  } else {
    const uint64_t tick = model_.tick();
    checkers_.read_value(key, *observed, tick, tick, kNoOp);
  }
  observed_out->emplace(key, std::move(observed).value());
}

void Run::check_hybrid_scans() {
  HybridStore* hybrid = world_->hybrid();
  if (hybrid == nullptr) return;
  bool complete = false;
  bool full_complete = false;
  auto pages = hybrid_scan_pages(*hybrid, "", kHybridPageKeys, &complete);
  auto full = hybrid_scan_pages(*hybrid, "", 0, &full_complete);
  auto lsm = hybrid->side(HybridSide::kLsm).scan(KeyRange{}, 0);
  auto btree = hybrid->side(HybridSide::kBtree).scan(KeyRange{}, 0);
  if (!pages.ok() || !full.ok() || !lsm.ok() || !btree.ok()) {
    checkers_.note(clock_.now_us(), "HybridStore check scan failed");
    return;
  }
  const auto keys_of = [](const std::vector<KeyValue>& kvs) {
    std::vector<std::string> keys;
    for (const KeyValue& kv : kvs) keys.push_back(kv.key);
    return keys;
  };
  std::vector<std::vector<std::string>> paged;
  for (const auto& page : *pages) paged.push_back(keys_of(page));
  const std::vector<std::string> listed = keys_of(full->front());
  // Pages of the merged scan == one merged scan == the two sides together, each key once.
  checkers_.pagination(kHybridRawNamespace, "", paged, complete, listed);
  checkers_.pagination(kHybridRawNamespace, "(sides)", {keys_of(*lsm), keys_of(*btree)}, true,
                       listed);
  const uint64_t tick = model_.tick();
  check_hybrid_scan(checkers_, model_, "", full->front(), tick, tick, kNoOp);
}

Task<void> Run::check_pagination() {
  check_hybrid_scans();
  for (const auto& [primary_ns, secondary_ns] : workload_namespaces()) {
    bool complete = false;
    auto pages = co_await walk_pages(&world_->store(), primary_ns, secondary_ns, &complete);
    auto listed = co_await world_->store().list(primary_ns, secondary_ns);
    if (!pages.ok() || !listed.ok()) continue;
    checkers_.pagination(primary_ns, secondary_ns, *pages, complete, *listed);
  }
}

void Run::record_rollback_point() {
  VersionedStore* vs = world_->versioned();
  if (vs == nullptr) return;
  Result<std::map<std::string, std::string>> raw = raw_state(*vs);
  if (!raw.ok()) return;
  RollbackPoint point;
  point.version = vs->version();
  point.raw = std::move(raw).value();
  for (const auto& [key, value] : model_.settled_state()) {
    if (key_is_durable(key)) point.durable.emplace(key, value);
  }
  if (rollback_points_.size() == kRollbackPointsMax) rollback_points_.erase(rollback_points_.begin());
  rollback_points_.push_back(std::move(point));
}

void Run::do_rollback(uint64_t op_index) {
  const Op& op = scenario_.ops[op_index];
  ++result_.stats.ops_issued;
  record_rollback_point();
  if (rollback_points_.empty() || world_->versioned() == nullptr) return;
  const size_t back = std::min<size_t>(op.amount, rollback_points_.size() - 1);
  const RollbackPoint& point = rollback_points_[rollback_points_.size() - 1 - back];
  abandon_coroutines();  // the async mirror may be mid-copy; the new TierStore reconciles
  const Status status = world_->rollback(point.version);
  trace_.mix("rollback", point.version, static_cast<uint64_t>(status.code()));
  checkers_.note(clock_.now_us(), "op#" + std::to_string(op_index) + " rollback to version " +
                                      std::to_string(point.version) + ": " + status.to_string());
  if (!status.ok()) {
    ++result_.stats.ops_failed;
    // Unreachable (snapshot or WAL range gone) changes nothing; anything else needs a restart.
    if (!status.is_not_found() && !status.is_invalid_argument()) restart(false);
    return;
  }
  ++result_.stats.ops_acknowledged;
  Result<std::map<std::string, std::string>> raw = raw_state(*world_->versioned());
  if (raw.ok()) checkers_.rollback_state(point.version, point.raw, *raw);
  for (const StoreKey& key : model_.keys()) {
    // The HybridStore is not under the VersionedStore: a rollback leaves it as it is.
    if (!key_is_durable(key) || is_hybrid_key(key)) continue;
    auto it = point.durable.find(key);
    model_.settle(key, it == point.durable.end() ? std::nullopt
                                                 : std::optional<std::string>(it->second));
  }
  rollback_points_.erase(rollback_points_.end() - static_cast<std::ptrdiff_t>(back),
                         rollback_points_.end());
}

void Run::finish_liveness() {
  backup_faults_.heal();
  bool reconciled = false;
  executor_.spawn([](World* world, bool* done) -> Task<void> {
    (void)co_await world->reconcile();
    *done = true;
  }(world_.get(), &reconciled));
  const bool finished = executor_.run_until([&] { return reconciled && all_idle(); },
                                            clock_.now_us() + kLivenessBoundUs);
  std::vector<std::string> pending = pending_ops();
  if (!reconciled) pending.push_back("the backup reconcile");
  if (!checkers_.liveness(finished, kLivenessBoundUs, pending)) return;
  drive(check_keys(false, false));
}

}  // namespace tierkv::sim
