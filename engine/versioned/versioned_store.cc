// VersionedStore: open, the Backend face, and the commit paths. Snapshots and the working copy
// are in versioned_snapshot.cc, catch-up and rollback in versioned_rollback.cc.
#include "engine/versioned/versioned_store.h"

#include <cassert>

#include "engine/core/buggify.h"
#include "engine/core/coding.h"
#include "engine/io/env_util.h"
#include "engine/versioned/commit_record.h"

namespace tierkv {

using versioned::BaseRecord;

namespace {
const std::string kMetaVersionKey = std::string(kMetaKeyPrefix) + "version";
const std::string kMetaLtHashKey = std::string(kMetaKeyPrefix) + "lt_hash";
constexpr size_t kMetaKeyCount = 2;

bool is_meta_key(std::string_view key) {
  return key.substr(0, kMetaKeyPrefix.size()) == kMetaKeyPrefix;
}
}  // namespace

Result<std::unique_ptr<VersionedStore>> VersionedStore::open(VersionedStoreOptions options) {
  if (options.env == nullptr || options.dir.empty() || !options.open_backend) {
    return Status::invalid_argument("versioned store options need env, dir and open_backend");
  }
  if (options.keep_snapshots == 0) {
    return Status::invalid_argument("versioned store " + options.dir +
                                    ": keep_snapshots must be at least 1");
  }
  Env& env = *options.env;
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, options.dir));
  const std::string lock_path = join_path(options.dir, versioned::kLockName);
  auto lock = env.lock_file(lock_path);
  if (!lock.ok()) {
    if (lock.status().is_busy()) {
      return Status::busy("versioned store " + options.dir + " is already open (" + lock_path +
                          " is held)");
    }
    return lock.status().with_context("lock " + lock_path);
  }
  std::unique_ptr<VersionedStore> store(
      new VersionedStore(std::move(options), std::move(lock).value()));
  TIERKV_RETURN_IF_ERROR(store->recover());
  return store;
}

VersionedStore::VersionedStore(VersionedStoreOptions options, std::unique_ptr<FileLock> lock)
    : options_(std::move(options)), env_(*options_.env), lock_(std::move(lock)) {}

VersionedStore::~VersionedStore() { (void)close(); }

std::string VersionedStore::path(std::string_view name) const {
  return join_path(options_.dir, name);
}

uint64_t VersionedStore::wal_first_version() const { return wal_ ? wal_->first_version() : 0; }
uint64_t VersionedStore::wal_last_version() const { return wal_ ? wal_->last_version() : 0; }

uint64_t VersionedStore::latest_version() const {
  const uint64_t newest_snapshot = snapshots_.empty() ? 0 : snapshots_.back();
  return std::max(wal_->last_version(), newest_snapshot);
}

Status VersionedStore::recover() {
  TIERKV_RETURN_IF_ERROR(versioned::sweep_stale(env_, options_.dir).status());
  WalOptions wal_options{.env = &env_,
                         .executor = options_.executor,
                         .dir = path(versioned::kWalDirName),
                         .segment_size_bytes = options_.wal_segment_size_bytes};
  TIERKV_ASSIGN_OR_RETURN(wal_, Wal::open(std::move(wal_options)));
  const std::string intent_path = path(versioned::kRollbackIntentName);
  if (env_.file_exists(intent_path)) {
    TIERKV_ASSIGN_OR_RETURN(std::string bytes, read_file_to_string(env_, intent_path));
    TIERKV_ASSIGN_OR_RETURN(auto intent, versioned::decode_rollback_intent(bytes, intent_path));
    TIERKV_RETURN_IF_ERROR(complete_rollback(intent).with_context("resuming " + intent_path));
  }
  TIERKV_RETURN_IF_ERROR(load_snapshot_list());
  if (snapshots_.empty()) {
    if (wal_->first_version() > 1) {
      return Status::corruption("versioned store " + options_.dir +
                                ": no snapshot, and the WAL starts at version " +
                                std::to_string(wal_->first_version()));
    }
    TIERKV_RETURN_IF_ERROR(create_initial_snapshot());
  }
  if (wal_->last_version() != 0 && wal_->last_version() < snapshots_.back()) {
    return Status::corruption("WAL " + path(versioned::kWalDirName) + " ends at version " +
                              std::to_string(wal_->last_version()) + " but " +
                              versioned::snapshot_name(snapshots_.back()) + " exists");
  }
  const uint64_t latest = latest_version();
  const uint64_t target = options_.target_version == 0 ? latest : options_.target_version;
  if (target > latest) {
    return Status::not_found("versioned store " + options_.dir + ": target version " +
                             std::to_string(target) + " is beyond the latest version " +
                             std::to_string(latest));
  }
  TIERKV_ASSIGN_OR_RETURN(uint64_t base_version, choose_base(target));
  TIERKV_ASSIGN_OR_RETURN(BaseRecord base, base_record_of(base_version));
  const StatusCode missing = target == latest ? StatusCode::kCorruption : StatusCode::kNotFound;
  TIERKV_RETURN_IF_ERROR(check_wal_covers(base.version, target, /*dry_scan=*/false, missing));
  TIERKV_RETURN_IF_ERROR(prepare_working(base, target, /*force_clone=*/false));
  TIERKV_RETURN_IF_ERROR(catch_up(target));
  read_only_ = target < latest;
  next_version_ = applied_version_ + 1;
  pending_lt_hash_ = applied_lt_hash_;
  if (read_only_) return Status();
  // current names the newest snapshot, except after a crash between publishing a snapshot and
  // switching current: repair that now.
  auto current = versioned::read_base_record(env_, path(versioned::kCurrentName));
  if (!current.ok() || current->version != snapshots_.back()) {
    TIERKV_ASSIGN_OR_RETURN(BaseRecord newest, base_record_of(snapshots_.back()));
    TIERKV_RETURN_IF_ERROR(write_current(options_.dir, newest));
  }
  return Status();
}

Status VersionedStore::check_writable() const {
  if (closed_) return Status::io_error("versioned store " + options_.dir + " is closed");
  if (!failed_.ok()) {
    return Status::io_error("versioned store " + options_.dir +
                            " needs a reopen after a failed commit: " + failed_.to_string());
  }
  if (read_only_) {
    return Status::invalid_argument("versioned store " + options_.dir +
                                    " is open read-only at historical version " +
                                    std::to_string(applied_version_) + "; rollback(" +
                                    std::to_string(applied_version_) + ") makes it writable");
  }
  return Status();
}

Status VersionedStore::validate_batch(const WriteBatch& batch) const {
  size_t payload_bytes = 1 + LtHash::kChecksumBytes + 4;
  for (size_t i = 0; i < batch.ops().size(); ++i) {
    const BatchOp& op = batch.ops()[i];
    if (op.key.empty()) {
      return Status::invalid_argument("batch op " + std::to_string(i) + ": empty key");
    }
    if (is_meta_key(op.key)) {
      return Status::invalid_argument("batch op " + std::to_string(i) +
                                      ": key uses the reserved meta prefix");
    }
    payload_bytes += 9 + op.key.size() + op.value.size();
  }
  if (payload_bytes > kWalPayloadBytesMax) {
    return Status::invalid_argument("batch of " + std::to_string(payload_bytes) +
                                    " bytes exceeds the WAL record limit");
  }
  return Status();
}

Status VersionedStore::poison(Status status) {
  assert(!status.ok());
  if (failed_.ok()) failed_ = status;
  return status;
}

Result<std::optional<std::string>> VersionedStore::value_before(std::string_view key,
                                                                const PendingMap& pending) {
  auto it = pending.find(key);
  if (it != pending.end()) return it->second;
  auto value = working_->get(key);
  if (value.ok()) return std::optional<std::string>(std::move(value).value());
  if (value.status().is_not_found()) return std::optional<std::string>();
  return value.status();
}

// The LtHash after batch, from `hash` = the hash of the state `pending` overlays. Each op's old
// value comes from the pending state as left by the ops and batches before it (the seed's bug
// was reading it from the database, which misses earlier uncommitted batches).
Result<LtHash> VersionedStore::hash_after(const WriteBatch& batch, LtHash hash,
                                          PendingMap* pending) {
  for (const BatchOp& op : batch.ops()) {
    TIERKV_ASSIGN_OR_RETURN(std::optional<std::string> old_value, value_before(op.key, *pending));
    std::optional<std::string> new_value;
    if (op.kind == BatchOp::Kind::kPut) new_value = op.value;
    hash.apply_change(op.key, old_value, new_value);
    (*pending)[op.key] = std::move(new_value);
  }
  return hash;
}

Status VersionedStore::apply_to_working(const WriteBatch& batch, uint64_t version,
                                        const LtHash& hash) {
  assert(version == applied_version_ + 1);
  WriteBatch full = batch;
  std::string encoded_version;
  put_fixed64(&encoded_version, version);
  full.put(kMetaVersionKey, std::move(encoded_version));
  full.put(kMetaLtHashKey, hash.serialize());
  TIERKV_RETURN_IF_ERROR(working_->write(full).with_context(
      "applying version " + std::to_string(version) + " to " + path(versioned::kWorkingDirName)));
  applied_version_ = version;
  applied_lt_hash_ = hash;
  return Status();
}

Status VersionedStore::read_working_meta() {
  auto version = working_->get(kMetaVersionKey);
  auto hash = working_->get(kMetaLtHashKey);
  const std::string where = path(versioned::kWorkingDirName);
  if (version.status().is_not_found() && hash.status().is_not_found()) {
    applied_version_ = 0;
    applied_lt_hash_ = LtHash();
    return Status();
  }
  TIERKV_RETURN_IF_ERROR(version.status().with_context("version meta key in " + where));
  TIERKV_RETURN_IF_ERROR(hash.status().with_context("LtHash meta key in " + where));
  if (version->size() != 8) return Status::corruption(where + ": malformed version meta key");
  applied_version_ = decode_fixed64(version->data());
  TIERKV_ASSIGN_OR_RETURN(applied_lt_hash_, LtHash::deserialize(*hash, where));
  return Status();
}

Result<uint64_t> VersionedStore::commit(const WriteBatch& batch) {
  TIERKV_RETURN_IF_ERROR(check_writable());
  if (!in_flight_.empty()) return Status::busy("commit while commit_async is in flight");
  TIERKV_RETURN_IF_ERROR(validate_batch(batch));
  PendingMap batch_state;
  TIERKV_ASSIGN_OR_RETURN(LtHash hash, hash_after(batch, applied_lt_hash_, &batch_state));
  const uint64_t version = applied_version_ + 1;
  WalRecord record{versioned::kCommitRecordType, version,
                   versioned::encode_commit_record({hash.checksum(), batch})};
  Status s = wal_->append_now(record);
  if (!s.ok()) return poison(s.with_context("WAL append of version " + std::to_string(version)));
  s = apply_to_working(batch, version, hash);
  if (!s.ok()) return poison(s);
  next_version_ = version + 1;
  pending_lt_hash_ = hash;
  maybe_auto_snapshot();
  return version;
}

Task<Result<uint64_t>> VersionedStore::commit_async(WriteBatch batch) {
  TIERKV_CO_RETURN_IF_ERROR(check_writable());
  TIERKV_CO_RETURN_IF_ERROR(validate_batch(batch));
  const uint64_t version = next_version_++;
  auto hash = hash_after(batch, pending_lt_hash_, &pending_writes_);
  // pending_writes_ may be half-updated: nothing pending can be trusted any more.
  if (!hash.ok()) co_return poison(hash.status());
  for (const BatchOp& op : batch.ops()) pending_write_versions_[op.key] = version;
  pending_lt_hash_ = *hash;
  WalRecord record{versioned::kCommitRecordType, version,
                   versioned::encode_commit_record({hash->checksum(), batch})};
  in_flight_.push_back({version, std::move(batch), *hash, false});
  Status s = co_await wal_->append(std::move(record));
  if (!s.ok()) co_return poison(s.with_context("WAL append of version " + std::to_string(version)));
  for (InFlight& entry : in_flight_) {
    if (entry.version == version) entry.logged = true;
  }
  s = apply_logged_in_order();
  if (!s.ok()) co_return poison(s);
  maybe_auto_snapshot();
  co_return version;
}

// Applies logged batches to the working copy strictly in version order.
Status VersionedStore::apply_logged_in_order() {
  while (!in_flight_.empty() && in_flight_.front().logged) {
    InFlight& entry = in_flight_.front();
    TIERKV_RETURN_IF_ERROR(apply_to_working(entry.batch, entry.version, entry.lt_hash_after));
    for (const BatchOp& op : entry.batch.ops()) {
      auto it = pending_write_versions_.find(op.key);
      if (it != pending_write_versions_.end() && it->second == entry.version) {
        pending_write_versions_.erase(it);
        pending_writes_.erase(op.key);
      }
    }
    in_flight_.pop_front();
  }
  return Status();
}

void VersionedStore::maybe_auto_snapshot() {
  if (options_.snapshot_interval_versions == 0 || !in_flight_.empty()) return;
  const uint64_t newest = snapshots_.empty() ? 0 : snapshots_.back();
  if (applied_version_ - newest < options_.snapshot_interval_versions &&
      !TIERKV_BUGGIFY("versioned.snapshot_early")) {
    return;
  }
  auto_snapshot_status_ = snapshot();
}

// Reads need a store whose applied state is what a reopen would give: after a failed commit
// the WAL may hold a record the working copy lacks (a reopen replays it), so a read then could
// answer from a state that will not survive, e.g. let a caller skip a remove of a key that the
// reopen brings back. Such a store refuses reads too until it is reopened.
Status VersionedStore::check_readable() const {
  if (closed_) return Status::io_error("versioned store " + options_.dir + " is closed");
  if (!failed_.ok()) {
    return Status::io_error("versioned store " + options_.dir +
                            " needs a reopen after a failed commit: " + failed_.to_string());
  }
  return Status();
}

Result<std::string> VersionedStore::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(check_readable());
  if (is_meta_key(key)) return Status::invalid_argument("key uses the reserved meta prefix");
  return working_->get(key);
}

Status VersionedStore::put(std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.put(std::string(key), std::string(value));
  return write(batch);
}

Status VersionedStore::remove(std::string_view key) {
  WriteBatch batch;
  batch.remove(std::string(key));
  return write(batch);
}

Status VersionedStore::write(const WriteBatch& batch) { return commit(batch).status(); }

Result<std::vector<KeyValue>> VersionedStore::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_readable());
  TIERKV_ASSIGN_OR_RETURN(auto all, working_->scan(range, limit == 0 ? 0 : limit + kMetaKeyCount));
  std::vector<KeyValue> out;
  for (KeyValue& kv : all) {
    if (is_meta_key(kv.key)) continue;
    if (limit != 0 && out.size() >= limit) break;
    out.push_back(std::move(kv));
  }
  return out;
}

Status VersionedStore::close() {
  if (closed_) return Status();
  closed_ = true;
  Status s;
  if (working_) s = working_->close();
  if (wal_) {
    Status w = wal_->close();
    if (s.ok()) s = w;
  }
  lock_.reset();
  return s;
}

}  // namespace tierkv
