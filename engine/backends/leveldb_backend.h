// LevelDbBackend: LevelDB 1.23 behind the Backend interface, on tierkv's Env through
// LevelDbEnvBridge (PosixEnv in production, SimEnv in the simulator).
//
// Promises:
//   - Every file goes through options.env; time through options.clock.
//   - Writes use WriteOptions.sync = options.sync: with sync, an OK put/remove/write is in the
//     synced log (File::sync: fdatasync on PosixEnv) and survives a power cut; a batch is one
//     log record, so all-or-nothing.
//   - Background compactions run only inside this object's calls, after the foreground work,
//     on the caller's thread (drained until none is left), and before the DB is deleted. So
//     under the simulator the same seed gives the same file operations.
//   - checkpoint(dir): with compactions drained, SST files (.ldb/.sst, immutable) are
//     hard-linked (Env::link) and MANIFEST, CURRENT and the logs are copied, each synced; then
//     dir and its parent are sync_dir'd. Opening a LevelDbBackend on dir gives that state.
//   - A DB directory is locked (LevelDB's LOCK through Env::lock_file): a second open is Busy
//     or IOError naming the lock.
//   - A failed write poisons the backend: every later call fails with that error until the
//     store is reopened. (LevelDB may have logged the batch before its sync failed, so the
//     batch can reappear on reopen; LevelDB still answers reads from its memtable without it.
//     A caller that read "absent" and skipped a remove would then be overtaken by the failed
//     batch on recovery. Reopening is the only way to learn the batch's outcome.)
//   - A failed read of a log during open fails the open (see LevelDbEnvBridge).
//   - A torn MANIFEST tail is cut: LevelDB appends each version edit to its MANIFEST and then
//     syncs it, and refuses to open ("Corruption: checksum mismatch") when a power cut left
//     garbage in the unsynced tail of that append. When open fails with Corruption and every
//     byte after the MANIFEST's last complete record is damaged (no valid record starts
//     there), open cuts those bytes durably and tries once more: the edit was never synced, so
//     LevelDB never acted on it. Damage followed by a valid record is left alone (Corruption).
// Errors name the directory and, where there is one, the key.
// Thread-safety: one thread at a time (Backend's rule).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/backends/backend.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace tierkv {

class LevelDbEnvBridge;

// For a file in LevelDB's log format (a MANIFEST): the length of its prefix that ends with its
// last complete record, when every byte after that is damaged (a torn tail: no valid record
// starts after the first bad byte); nullopt when every record checks out, when a valid
// record follows the damage, or when no record before the damage is complete.
std::optional<uint64_t> leveldb_log_torn_tail(std::string_view log);

struct LevelDbTuning {
  // Memtable size before a flush to level 0. Small values make compactions frequent (tests).
  size_t write_buffer_size_bytes = 4 * 1024 * 1024;
  size_t max_file_size_bytes = 2 * 1024 * 1024;
};

class LevelDbBackend final : public Backend {
 public:
  static Result<std::unique_ptr<LevelDbBackend>> open(const BackendOptions& options,
                                                      const LevelDbTuning& tuning = {});
  ~LevelDbBackend() override;

  std::string_view name() const override { return "leveldb"; }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override;

  // How many background work items (compactions, flushes) have run so far.
  uint64_t background_runs() const { return background_runs_; }

 private:
  explicit LevelDbBackend(BackendOptions options);
  Status check_open() const;
  // The batch put/remove/write fill, emptied (one per backend, reused).
  leveldb::WriteBatch& empty_native_batch();
  // Writes native (ops operations, the first on first_key: named in the error) with
  // WriteOptions.sync = options_.sync; a failure poisons the backend (write_failure_).
  Status write_native(leveldb::WriteBatch& native, size_t ops, std::string_view first_key);
  void drain();

  BackendOptions options_;
  std::unique_ptr<LevelDbEnvBridge> bridge_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<leveldb::WriteBatch> native_;  // see empty_native_batch()
  Status write_failure_;  // the first failed write; every call fails with it until reopen
  uint64_t background_runs_ = 0;
};

}  // namespace tierkv
