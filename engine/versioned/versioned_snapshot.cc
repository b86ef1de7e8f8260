// VersionedStore: snapshots, retention and the working copy.
#include <algorithm>
#include <cassert>

#include "engine/core/buggify.h"
#include "engine/io/env_util.h"
#include "engine/versioned/versioned_store.h"

namespace tierkv {

using versioned::BaseRecord;

Status VersionedStore::load_snapshot_list() {
  snapshots_.clear();
  TIERKV_ASSIGN_OR_RETURN(auto names, env_.list_dir(options_.dir));
  for (const std::string& name : names) {
    auto version = versioned::parse_snapshot_name(name);
    if (!version.has_value() || !env_.dir_exists(path(name))) continue;
    // A damaged manifest is reported, never skipped: the snapshot may hold the only copy of
    // versions the WAL no longer has.
    TIERKV_ASSIGN_OR_RETURN(BaseRecord base, base_record_of(*version));
    (void)base;
    snapshots_.push_back(*version);
  }
  assert(std::is_sorted(snapshots_.begin(), snapshots_.end()));
  return Status();
}

Result<BaseRecord> VersionedStore::base_record_of(uint64_t snapshot_version) {
  const std::string name = versioned::snapshot_name(snapshot_version);
  const std::string manifest = join_path(path(name), versioned::kBaseFileName);
  TIERKV_ASSIGN_OR_RETURN(BaseRecord base, versioned::read_base_record(env_, manifest));
  if (base.snapshot != name) {
    return Status::corruption(manifest + ": names '" + base.snapshot + "', expected '" + name +
                              "'");
  }
  return base;
}

// The empty version-0 state as a real snapshot, so every base is a published snapshot. A
// crash before it is published leaves "initial-tmp" and an unpublished snapshot: both swept.
Status VersionedStore::create_initial_snapshot() {
  const std::string scratch_dir = path("initial-tmp");
  TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env_, scratch_dir));
  {
    TIERKV_ASSIGN_OR_RETURN(auto scratch, options_.open_backend(scratch_dir));
    TIERKV_RETURN_IF_ERROR(publish_snapshot(options_.dir, *scratch, 0, LtHash()));
    TIERKV_RETURN_IF_ERROR(scratch->close());
  }
  TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env_, scratch_dir));
  TIERKV_RETURN_IF_ERROR(env_.sync_dir(options_.dir));
  TIERKV_ASSIGN_OR_RETURN(BaseRecord base, base_record_of(0));
  TIERKV_RETURN_IF_ERROR(write_current(options_.dir, base));
  snapshots_ = {0};
  return Status();
}

// Checkpoints source into <root>/snapshot-<v>/data, then publishes it by writing its
// SNAPSHOT_BASE last: the checkpoint is durable (Backend::checkpoint's contract) before the
// manifest that vouches for it exists.
Status VersionedStore::publish_snapshot(const std::string& root, Backend& source,
                                        uint64_t version, const LtHash& hash) {
  const std::string name = versioned::snapshot_name(version);
  const std::string dir = join_path(root, name);
  if (env_.dir_exists(dir)) {
    assert(!env_.file_exists(join_path(dir, versioned::kBaseFileName)));
    TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env_, dir));
  }
  TIERKV_RETURN_IF_ERROR(env_.create_dir(dir));
  TIERKV_RETURN_IF_ERROR(env_.sync_dir(root));
  TIERKV_RETURN_IF_ERROR(source.checkpoint(join_path(dir, versioned::kDataDirName))
                             .with_context("checkpoint into " + dir));
  return write_file_atomically(env_, join_path(dir, versioned::kBaseFileName),
                               versioned::encode_base_record({name, version, hash}));
}

Status VersionedStore::write_current(const std::string& root, const BaseRecord& base) {
  return write_file_atomically(env_, join_path(root, versioned::kCurrentName),
                               versioned::encode_base_record(base));
}

Status VersionedStore::snapshot() {
  TIERKV_RETURN_IF_ERROR(check_writable());
  if (!in_flight_.empty()) return Status::busy("snapshot while commit_async is in flight");
  const uint64_t version = applied_version_;
  if (std::find(snapshots_.begin(), snapshots_.end(), version) != snapshots_.end()) {
    return Status();
  }
  assert(snapshots_.empty() || snapshots_.back() < version);
  TIERKV_RETURN_IF_ERROR(publish_snapshot(options_.dir, *working_, version, applied_lt_hash_));
  snapshots_.push_back(version);
  TIERKV_RETURN_IF_ERROR(
      write_current(options_.dir, {versioned::snapshot_name(version), version, applied_lt_hash_}));
  return apply_retention();
}

// Keeps the newest keep_snapshots snapshots, then drops WAL segments wholly behind the oldest
// kept one (it is the oldest base a rollback or open can use).
Status VersionedStore::apply_retention() {
  while (snapshots_.size() > options_.keep_snapshots) {
    TIERKV_RETURN_IF_ERROR(remove_snapshot(snapshots_.front()));
    snapshots_.erase(snapshots_.begin());
  }
  return wal_->truncate_before(snapshots_.front() + 1);
}

Status VersionedStore::remove_snapshot(uint64_t snapshot_version) {
  return versioned::remove_published_dir(env_, path(versioned::snapshot_name(snapshot_version)));
}

// The base for `target`: the snapshot current names if it is usable, else the newest published
// snapshot at or below target (current is only a pointer: every snapshot validates itself).
Result<uint64_t> VersionedStore::choose_base(uint64_t target) {
  auto current = versioned::read_base_record(env_, path(versioned::kCurrentName));
  if (current.ok() && current->version <= target &&
      std::find(snapshots_.begin(), snapshots_.end(), current->version) != snapshots_.end()) {
    return current->version;
  }
  for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
    if (*it <= target) return *it;
  }
  return Status::not_found("versioned store " + options_.dir + ": no snapshot at or below version " +
                           std::to_string(target) + " (oldest kept: " +
                           (snapshots_.empty() ? "none" : std::to_string(snapshots_.front())) +
                           ")");
}

// Reuses the working copy only if it was cloned from exactly `base` and its recorded version
// lies in [base, target] with the LtHash the WAL logged for it; anything else (a copy ahead of
// target, from another base, half-cloned, unreadable) is replaced by a fresh clone.
Status VersionedStore::prepare_working(const BaseRecord& base, uint64_t target,
                                       bool force_clone) {
  working_.reset();
  const std::string working_dir = path(versioned::kWorkingDirName);
  const std::string marker = join_path(working_dir, versioned::kBaseFileName);
  if (!force_clone && !TIERKV_BUGGIFY("versioned.reclone_working") && env_.file_exists(marker)) {
    auto recorded = versioned::read_base_record(env_, marker);
    if (recorded.ok() && *recorded == base) {
      auto opened = options_.open_backend(join_path(working_dir, versioned::kDataDirName));
      if (opened.ok()) {
        working_ = std::move(opened).value();
        bool usable = read_working_meta().ok() && applied_version_ >= base.version &&
                      applied_version_ <= target;
        if (usable && applied_version_ == base.version) {
          usable = applied_lt_hash_ == base.lt_hash;
        } else if (usable) {
          usable = check_wal_covers(base.version, target, false, StatusCode::kNotFound).ok() &&
                   logged_checksum(applied_version_) == applied_lt_hash_.checksum();
        }
        if (usable) return Status();
        (void)working_->close();
        working_.reset();
      }
    }
  }
  return clone_working(base);
}

// A fresh working copy: data first (every file and entry durable), opened and checked against
// `base` (version, LtHash), then the SNAPSHOT_BASE marker that makes it a working copy of
// `base`. A crash before the marker, or a copy that fails its check, leaves a copy without a
// marker, which is never reused: a damaged snapshot fails every open, not just the first.
Status VersionedStore::clone_working(const BaseRecord& base) {
  const std::string working_dir = path(versioned::kWorkingDirName);
  const std::string snapshot_data =
      join_path(path(base.snapshot), versioned::kDataDirName);
  TIERKV_RETURN_IF_ERROR(versioned::remove_published_dir(env_, working_dir));
  TIERKV_RETURN_IF_ERROR(env_.create_dir(working_dir));
  TIERKV_RETURN_IF_ERROR(env_.sync_dir(options_.dir));
  TIERKV_RETURN_IF_ERROR(versioned::copy_dir_durably(
      env_, snapshot_data, join_path(working_dir, versioned::kDataDirName)));
  auto opened = options_.open_backend(join_path(working_dir, versioned::kDataDirName));
  if (!opened.ok()) return opened.status().with_context("working copy cloned from " + snapshot_data);
  working_ = std::move(opened).value();
  TIERKV_RETURN_IF_ERROR(read_working_meta().with_context("cloned from " + snapshot_data));
  if (applied_version_ != base.version || applied_lt_hash_ != base.lt_hash) {
    return Status::corruption(snapshot_data + " records version " +
                              std::to_string(applied_version_) + " and LtHash " +
                              applied_lt_hash_.checksum_hex() + ", its manifest says version " +
                              std::to_string(base.version) + " and " + base.lt_hash.checksum_hex());
  }
  if (options_.verify_cloned_lt_hash) TIERKV_RETURN_IF_ERROR(verify_working_hash(base));
  return write_file_atomically(env_, join_path(working_dir, versioned::kBaseFileName),
                               versioned::encode_base_record(base));
}

Status VersionedStore::verify_working_hash(const BaseRecord& base) {
  TIERKV_ASSIGN_OR_RETURN(auto entries, scan(KeyRange{}, 0));
  LtHash recomputed;
  for (const KeyValue& kv : entries) {
    recomputed.apply_change(kv.key, std::nullopt, std::string_view(kv.value));
  }
  if (recomputed != base.lt_hash) {
    return Status::corruption(path(base.snapshot) + ": data hash to LtHash " +
                              recomputed.checksum_hex() + ", manifest says " +
                              base.lt_hash.checksum_hex());
  }
  return Status();
}

Status VersionedStore::checkpoint(const std::string& dir) {
  if (closed_) return Status::io_error("versioned store " + options_.dir + " is closed");
  if (!in_flight_.empty()) return Status::busy("checkpoint while commit_async is in flight");
  if (env_.dir_exists(dir)) return Status::invalid_argument("checkpoint dir exists: " + dir);
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env_, join_path(dir, versioned::kWalDirName)));
  TIERKV_RETURN_IF_ERROR(publish_snapshot(dir, *working_, applied_version_, applied_lt_hash_));
  return write_current(dir, {versioned::snapshot_name(applied_version_), applied_version_,
                             applied_lt_hash_});
}

}  // namespace tierkv
