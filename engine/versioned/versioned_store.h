// VersionedStore: a Backend whose every commit gets a version, a WAL record and an LtHash, with
// immutable snapshots, WAL catch-up and crash-safe rollback (after the FlatKV seed). The
// directory layout and publishing rules are in versioned_layout.h.
//
// Commit (write(batch) / commit / commit_async): version = last + 1. The WAL record (batch +
// LtHash checksum of the resulting state) is synced first; then the batch is applied to the
// working backend together with two reserved meta keys (version, LtHash) in one atomic batch,
// so the backend's recorded version always describes exactly the data beside it. A commit is
// acknowledged only after its WAL record is durable. The LtHash delta of a batch is computed
// against the state as of the previous op: inside a batch against the batch's own earlier
// ops, across commit_async calls in flight against the pending (logged, not yet applied)
// state, never against the database alone.
//
// Open: sweep crash leftovers; complete a pending rollback (see rollback); pick the base
// snapshot (current, or the newest valid one if current is missing or damaged, or an empty
// version-0 snapshot created on first open); reuse the working copy only if its SNAPSHOT_BASE
// names that base and its recorded version is in [base, target], else clone it afresh; replay
// the WAL up to the target. Every replayed version is checked: contiguous versions (a gap or a
// missing range is Corruption, never skipped) and the LtHash equal to the one logged. Opening
// at a target below the latest version gives a read-only view (commits fail; rollback(v)
// makes it the writable state).
//
// snapshot(): checkpoints the working copy into snapshot-<v>/data, publishes it by writing its
// SNAPSHOT_BASE, switches current, keeps the newest keep_snapshots snapshots and truncates
// the WAL behind the oldest kept one.
//
// rollback(v): checks reachability first (a snapshot <= v and WAL records for every version in
// (snapshot, v], all readable); an unreachable v returns an error with nothing changed. Then it
// writes a durable ROLLBACK intent and completes it (see complete_rollback in
// versioned_rollback.cc for the crash-safety argument): after a crash at any point, open
// yields the old state (intent not yet durable) or exactly v.
//
// Reserved keys: keys starting with kMetaKeyPrefix (a NUL byte) are the store's own; user
// batches may not touch them (InvalidArgument) and scans never return them. Empty keys are
// rejected too (not every backend can store them).
//
// Errors: IOError/NoSpace from the Env pass through with context. After a WAL or backend
// failure during a commit the store cannot know what reached the disk: it refuses further
// commits and reads (IOError "needs a reopen"); reopening recovers a prefix of
// the commits that contains every acknowledged one.
// Thread-safety: one thread (the executor's event loop) at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/backend.h"
#include "engine/exec/executor.h"
#include "engine/io/env.h"
#include "engine/versioned/lt_hash.h"
#include "engine/versioned/versioned_layout.h"
#include "engine/wal/wal.h"

namespace tierkv {

// Opens (creating if needed) a backend on a directory: the working copy and, to create the
// empty version-0 snapshot, a scratch one. E.g. [&](const std::string& dir) {
// return open_backend("memory", BackendOptions{.env = env, .dir = dir}); }.
using BackendOpener = std::function<Result<std::unique_ptr<Backend>>(const std::string& dir)>;

// Prefix of the store's reserved meta keys inside the working backend.
inline constexpr std::string_view kMetaKeyPrefix{"\0tierkv-meta/", 13};

struct VersionedStoreOptions {
  Env* env = nullptr;            // REQUIRED
  Executor* executor = nullptr;  // REQUIRED for commit_async (WAL group commit)
  std::string dir;               // REQUIRED; created if missing
  BackendOpener open_backend;    // REQUIRED
  uint64_t snapshot_interval_versions = 0;  // snapshot every K versions; 0 = only snapshot()
  size_t keep_snapshots = 2;                // >= 1: snapshots kept by retention
  uint64_t target_version = 0;              // version to open at; 0 = latest
  uint64_t wal_segment_size_bytes = 64ull << 20;
  // Recompute the LtHash of a freshly cloned working copy from its data and compare it with
  // the snapshot's manifest (catches damaged snapshot data on backends without checksums).
  bool verify_cloned_lt_hash = true;
};

class VersionedStore final : public Backend {
 public:
  // Busy (naming the LOCK file) if the directory is open elsewhere; Corruption naming the file
  // for damaged manifests, WAL records or snapshot data; NotFound if target_version is beyond
  // the latest version or below every kept snapshot.
  static Result<std::unique_ptr<VersionedStore>> open(VersionedStoreOptions options);
  ~VersionedStore() override;

  // Backend: reads see the applied (acknowledged) state; put/remove/write are commits.
  // After a failed commit (the store needs a reopen) reads fail too: the WAL may hold a
  // record the applied state lacks, so no answer would be one a reopen keeps.
  std::string_view name() const override { return "versioned"; }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  // Writes a self-contained VersionedStore directory (one snapshot of the current version,
  // current, an empty WAL) into dir: opening a VersionedStore there yields this state.
  Status checkpoint(const std::string& dir) override;
  Status close() override;

  // Commits batch synchronously (WAL append_now). Returns the new version. Busy while a
  // commit_async is in flight.
  Result<uint64_t> commit(const WriteBatch& batch);
  // Commits through the WAL's group commit; completes after the record is durable and the
  // batch applied. Versions follow call order.
  Task<Result<uint64_t>> commit_async(WriteBatch batch);

  Status snapshot();
  Status rollback(uint64_t version);

  uint64_t version() const { return applied_version_; }
  const LtHash& lt_hash() const { return applied_lt_hash_; }
  bool read_only() const { return read_only_; }
  // Versions of the published snapshots, ascending.
  const std::vector<uint64_t>& snapshot_versions() const { return snapshots_; }
  uint64_t wal_first_version() const;
  uint64_t wal_last_version() const;
  // The status of the last automatic snapshot (snapshot_interval_versions); OK if none failed.
  const Status& auto_snapshot_status() const { return auto_snapshot_status_; }

 private:
  using PendingMap = std::map<std::string, std::optional<std::string>, std::less<>>;
  struct InFlight {
    uint64_t version = 0;
    WriteBatch batch;
    LtHash lt_hash_after;
    bool logged = false;
  };

  VersionedStore(VersionedStoreOptions options, std::unique_ptr<FileLock> lock);

  std::string path(std::string_view name) const;
  Status recover();
  Status check_writable() const;
  Status check_readable() const;
  Status validate_batch(const WriteBatch& batch) const;
  Result<std::optional<std::string>> value_before(std::string_view key,
                                                  const PendingMap& pending);
  Result<LtHash> hash_after(const WriteBatch& batch, LtHash hash, PendingMap* pending);
  Status apply_to_working(const WriteBatch& batch, uint64_t version, const LtHash& hash);
  Status apply_logged_in_order();
  Status poison(Status status);
  void maybe_auto_snapshot();

  // Snapshots and working copy (versioned_snapshot.cc).
  Status load_snapshot_list();
  Result<versioned::BaseRecord> base_record_of(uint64_t snapshot_version);
  Status create_initial_snapshot();
  Status publish_snapshot(const std::string& root, Backend& source, uint64_t version,
                          const LtHash& hash);
  Status write_current(const std::string& root, const versioned::BaseRecord& base);
  Result<uint64_t> choose_base(uint64_t target);
  Status prepare_working(const versioned::BaseRecord& base, uint64_t target, bool force_clone);
  Status clone_working(const versioned::BaseRecord& base);
  Status read_working_meta();
  Status verify_working_hash(const versioned::BaseRecord& base);
  Status apply_retention();
  Status remove_snapshot(uint64_t snapshot_version);

  // WAL catch-up and rollback (versioned_rollback.cc).
  Status check_wal_covers(uint64_t from_version, uint64_t to_version, bool dry_scan,
                          StatusCode missing_code);
  std::string logged_checksum(uint64_t version);
  Status catch_up(uint64_t target);
  Status complete_rollback(const versioned::RollbackIntent& intent);
  uint64_t latest_version() const;

  VersionedStoreOptions options_;
  Env& env_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Backend> working_;
  std::vector<uint64_t> snapshots_;

  uint64_t applied_version_ = 0;  // version of the working backend's state
  LtHash applied_lt_hash_;
  // commit_async state: versions assigned but not yet applied, in version order.
  uint64_t next_version_ = 1;
  LtHash pending_lt_hash_;
  PendingMap pending_writes_;
  std::map<std::string, uint64_t, std::less<>> pending_write_versions_;
  std::deque<InFlight> in_flight_;

  bool read_only_ = false;
  bool closed_ = false;
  Status failed_;  // non-OK once a commit failed half-way: the store needs a reopen
  Status auto_snapshot_status_;
};

}  // namespace tierkv
