// The on-disk layout of a VersionedStore and the small checksummed files that describe it.
//
//   <dir>/LOCK                      held while the store is open (Env::lock_file)
//   <dir>/current                   BaseRecord naming the current (= newest) snapshot
//   <dir>/ROLLBACK                  RollbackIntent, present only while a rollback is under way
//   <dir>/wal/                      the write-ahead log (engine/wal/wal.h), one record a commit
//   <dir>/snapshot-<20 digits>/     an immutable snapshot of version <20 digits>:
//        data/                        a backend checkpoint (Backend::checkpoint)
//        SNAPSHOT_BASE                BaseRecord {own name, version, LtHash}: the commit point
//   <dir>/working/                  the mutable working copy, never a snapshot:
//        data/                        a file-by-file clone of a snapshot's data/, then written
//        SNAPSHOT_BASE                BaseRecord naming the snapshot it was cloned from
//
// Publishing a directory. Env::rename is only promised for files, so a directory is never
// renamed into place; instead a directory counts only once its SNAPSHOT_BASE file exists, and
// that file is written last (temp + sync + rename + sync_dir, after every data file and
// directory entry is durable). A snapshot or working directory without SNAPSHOT_BASE is a
// leftover of a crash and is swept at open, as are "*-tmp" / "*-removing" directories and
// "*.tmp" files. Removing a snapshot removes its SNAPSHOT_BASE first (durably), so a crash
// mid-removal leaves an unpublished directory, never a half-deleted published one.
//
// Every file here is "<8-byte magic> <fields> <fixed32 masked crc32c of what precedes>"; a
// bad magic, length or checksum is Corruption naming the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/io/env.h"
#include "engine/versioned/lt_hash.h"

namespace tierkv::versioned {

inline constexpr char kLockName[] = "LOCK";
inline constexpr char kCurrentName[] = "current";
inline constexpr char kRollbackIntentName[] = "ROLLBACK";
inline constexpr char kWalDirName[] = "wal";
inline constexpr char kWorkingDirName[] = "working";
inline constexpr char kDataDirName[] = "data";
inline constexpr char kBaseFileName[] = "SNAPSHOT_BASE";
inline constexpr char kSnapshotPrefix[] = "snapshot-";

// "snapshot-" + version as 20 decimal digits (sorts in version order).
std::string snapshot_name(uint64_t version);
// The version of a well-formed snapshot directory name; nullopt for anything else
// (including "snapshot-<v>-tmp", which is not a snapshot).
std::optional<uint64_t> parse_snapshot_name(std::string_view name);

// What SNAPSHOT_BASE and current hold: a snapshot's name, its version and its LtHash.
struct BaseRecord {
  std::string snapshot;
  uint64_t version = 0;
  LtHash lt_hash;
  friend bool operator==(const BaseRecord&, const BaseRecord&) = default;
};

std::string encode_base_record(const BaseRecord& record);
Result<BaseRecord> decode_base_record(std::string_view bytes, std::string_view path);
// Reads and decodes path (NotFound if missing, Corruption naming path if damaged).
Result<BaseRecord> read_base_record(Env& env, const std::string& path);

// A rollback in progress: once this is durable, the rollback to target_version from the
// snapshot base_snapshot will be completed, now or by the next open.
struct RollbackIntent {
  uint64_t target_version = 0;
  std::string base_snapshot;
  uint64_t base_version = 0;
  friend bool operator==(const RollbackIntent&, const RollbackIntent&) = default;
};

std::string encode_rollback_intent(const RollbackIntent& intent);
Result<RollbackIntent> decode_rollback_intent(std::string_view bytes, std::string_view path);

// Copies the directory tree from -> to (to must not exist) file by file through the Env;
// every file is synced, every directory synced after its entries, the parent of `to` too.
Status copy_dir_durably(Env& env, const std::string& from, const std::string& to);

// Unpublishes and removes a published directory (snapshot or working copy): removes its
// SNAPSHOT_BASE durably first, then everything else, then syncs the parent.
Status remove_published_dir(Env& env, const std::string& path);

// Removes crash leftovers in the store's root: "*.tmp" files, "*-tmp" / "*-removing"
// directories, and snapshot directories without a SNAPSHOT_BASE. Returns what it removed.
Result<std::vector<std::string>> sweep_stale(Env& env, const std::string& root);

}  // namespace tierkv::versioned
