// VersionedStore: WAL catch-up and rollback.
#include <algorithm>
#include <cassert>

#include "engine/io/env_util.h"
#include "engine/versioned/commit_record.h"
#include "engine/versioned/versioned_store.h"

namespace tierkv {

using versioned::BaseRecord;
using versioned::RollbackIntent;

namespace {
std::string wal_where(const std::string& wal_dir, uint64_t version) {
  return wal_dir + " version " + std::to_string(version);
}
}  // namespace

// Checks that the WAL holds every version in (from_version, to_version]. With dry_scan it also
// reads them all (checksums, contiguity, decodable payloads) so that a caller can refuse an
// unreachable target before changing anything on disk.
Status VersionedStore::check_wal_covers(uint64_t from_version, uint64_t to_version,
                                        bool dry_scan, StatusCode missing_code) {
  if (to_version <= from_version) return Status();
  const std::string wal_dir = path(versioned::kWalDirName);
  const uint64_t first = wal_->first_version();
  const uint64_t last = wal_->last_version();
  if (first == 0 || first > from_version + 1 || last < to_version) {
    std::string msg = "WAL " + wal_dir + " holds versions " +
                      (first == 0 ? std::string("none")
                                  : "[" + std::to_string(first) + ", " + std::to_string(last) + "]") +
                      "; versions (" + std::to_string(from_version) + ", " +
                      std::to_string(to_version) + "] are needed";
    return missing_code == StatusCode::kCorruption ? Status::corruption(msg)
                                                   : Status::not_found(msg);
  }
  if (!dry_scan) return Status();
  uint64_t expected = from_version + 1;
  TIERKV_RETURN_IF_ERROR(wal_->scan(expected, to_version, [&](const WalRecord& record) {
    const std::string where = wal_where(wal_dir, record.version);
    if (record.version != expected) {
      return Status::corruption("gap in " + where + ": expected version " +
                                std::to_string(expected));
    }
    if (record.type != versioned::kCommitRecordType) {
      return Status::corruption(where + ": unknown record type");
    }
    ++expected;
    return versioned::decode_commit_record(record.payload, where).status();
  }));
  if (expected != to_version + 1) {
    return Status::corruption("WAL " + wal_dir + " stops at version " +
                              std::to_string(expected - 1) + ", before " +
                              std::to_string(to_version));
  }
  return Status();
}

// The LtHash checksum logged with `version`; empty if the record is missing or unreadable.
std::string VersionedStore::logged_checksum(uint64_t version) {
  std::string checksum;
  Status s = wal_->scan(version, version, [&](const WalRecord& record) {
    auto decoded = versioned::decode_commit_record(
        record.payload, wal_where(path(versioned::kWalDirName), record.version));
    if (decoded.ok() && record.version == version) checksum = decoded->lt_hash_checksum;
    return Status();
  });
  return s.ok() ? checksum : std::string();
}

// Replays WAL records (applied_version_, target] into the working copy, checking that versions
// are contiguous and that each resulting LtHash equals the logged one.
Status VersionedStore::catch_up(uint64_t target) {
  assert(applied_version_ <= target);
  if (applied_version_ == target) return Status();
  const std::string wal_dir = path(versioned::kWalDirName);
  Status s = wal_->scan(applied_version_ + 1, target, [&](const WalRecord& record) -> Status {
    const std::string where = wal_where(wal_dir, record.version);
    if (record.version != applied_version_ + 1) {
      return Status::corruption("gap in " + where + ": expected version " +
                                std::to_string(applied_version_ + 1));
    }
    if (record.type != versioned::kCommitRecordType) {
      return Status::corruption(where + ": unknown record type");
    }
    TIERKV_ASSIGN_OR_RETURN(auto commit, versioned::decode_commit_record(record.payload, where));
    PendingMap batch_state;
    TIERKV_ASSIGN_OR_RETURN(LtHash hash, hash_after(commit.batch, applied_lt_hash_, &batch_state));
    if (hash.checksum() != commit.lt_hash_checksum) {
      return Status::corruption(where + ": replay gives LtHash " + hash.checksum_hex() +
                                ", which is not the one logged");
    }
    return apply_to_working(commit.batch, record.version, hash);
  });
  TIERKV_RETURN_IF_ERROR(s.with_context("catch-up of " + options_.dir));
  if (applied_version_ != target) {
    return Status::corruption("WAL " + wal_dir + " ends at version " +
                              std::to_string(applied_version_) + "; version " +
                              std::to_string(target) + " is missing");
  }
  return Status();
}

Status VersionedStore::rollback(uint64_t version) {
  if (closed_) return Status::io_error("versioned store " + options_.dir + " is closed");
  if (!failed_.ok()) return check_writable();
  if (!in_flight_.empty()) return Status::busy("rollback while commit_async is in flight");
  const uint64_t latest = latest_version();
  const std::string what = "rollback of " + options_.dir + " to version " + std::to_string(version);
  if (version > latest) {
    return Status::not_found(what + ": beyond the latest version " + std::to_string(latest));
  }
  if (!read_only_ && version == applied_version_) return Status();
  uint64_t base_version = 0;
  auto base_it = std::find_if(snapshots_.rbegin(), snapshots_.rend(),
                              [&](uint64_t v) { return v <= version; });
  if (base_it == snapshots_.rend()) {
    return Status::not_found(what + ": no snapshot at or below it (oldest kept: " +
                             std::to_string(snapshots_.front()) + ")");
  }
  base_version = *base_it;
  TIERKV_ASSIGN_OR_RETURN(BaseRecord base, base_record_of(base_version));
  TIERKV_RETURN_IF_ERROR(
      check_wal_covers(base_version, version, /*dry_scan=*/true, StatusCode::kNotFound)
          .with_context(what));
  const RollbackIntent intent{version, base.snapshot, base.version};
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env_, path(versioned::kRollbackIntentName),
                                               versioned::encode_rollback_intent(intent)));
  Status s = complete_rollback(intent);
  if (!s.ok()) return poison(s.with_context(what));
  return Status();
}

// Completes a rollback whose intent is durable. Crash-safety argument:
//   - Until the intent is durable nothing has changed, so a crash yields the old state.
//   - Once it is durable, every later open runs this function again before anything else, and
//     each run can always finish: the steps below never remove what a rerun needs. The base
//     snapshot is <= target, and only snapshots > target are removed; the WAL keeps every
//     record <= target (truncate_after is old-or-exactly-target across a crash, and no
//     truncate_before runs before the intent is gone).
//   - Every step is idempotent: the working copy is always cloned afresh (a working copy that
//     is ahead of the target is never reused: the seed's bug), catch-up replays to exactly the
//     target, truncate_after / the current switch / the removals redo to the same result.
//   - current is switched to the base before snapshots above the target are removed, so it
//     never names a removed snapshot; the intent is removed last, after all of the above is
//     durable. So after a crash, open yields exactly the target.
Status VersionedStore::complete_rollback(const RollbackIntent& intent) {
  assert(in_flight_.empty());
  pending_writes_.clear();
  pending_write_versions_.clear();
  TIERKV_RETURN_IF_ERROR(load_snapshot_list());
  TIERKV_ASSIGN_OR_RETURN(BaseRecord base, base_record_of(intent.base_version));
  TIERKV_RETURN_IF_ERROR(prepare_working(base, intent.target_version, /*force_clone=*/true));
  TIERKV_RETURN_IF_ERROR(catch_up(intent.target_version));
  TIERKV_RETURN_IF_ERROR(wal_->truncate_after(intent.target_version));
  TIERKV_RETURN_IF_ERROR(write_current(options_.dir, base));
  while (!snapshots_.empty() && snapshots_.back() > intent.target_version) {
    TIERKV_RETURN_IF_ERROR(remove_snapshot(snapshots_.back()));
    snapshots_.pop_back();
  }
  TIERKV_RETURN_IF_ERROR(env_.remove_file(path(versioned::kRollbackIntentName)));
  TIERKV_RETURN_IF_ERROR(env_.sync_dir(options_.dir));
  read_only_ = false;
  next_version_ = applied_version_ + 1;
  pending_lt_hash_ = applied_lt_hash_;
  return Status();
}

}  // namespace tierkv
