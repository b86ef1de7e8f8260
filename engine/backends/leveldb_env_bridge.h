// LevelDbEnvBridge: a leveldb::Env that forwards every file operation to tierkv's Env, so one
// LevelDB runs on PosixEnv in production and on SimEnv in the simulator.
//
// Promises:
//   - Files, directories, locks, renames and sizes go through the tierkv Env only. Writable
//     files buffer appends (64 KiB) and write them on Flush/Sync/Close, like LevelDB's POSIX Env.
//   - Random-access (table) files are read through Env::map_read_only, up to 1000 at once like
//     LevelDB's POSIX Env; past that, or on an Env that answers NotSupported (SimEnv: every read
//     stays visible to its fault hook and trace), through File::read_at.
//   - Syncing a MANIFEST-* file also sync_dir()s its directory first (LevelDB has no
//     directory-sync call; its POSIX Env does the same), so a new MANIFEST's entry is durable.
//     Beyond POSIX LevelDB: the first Sync of any file also sync_dir()s its directory, because
//     LevelDB acknowledges sync writes in a fresh log file before any MANIFEST sync covers
//     that file's entry (found by the SimEnv crash tests: a power cut lost acknowledged writes).
//   - Schedule() never runs work: LevelDB calls it with its DB mutex held. The work is queued
//     and run by drain_background_work() on the caller's thread, between DB calls. Hence
//     background compactions happen exactly where the owner says: deterministic in simulation.
//   - StartThread() is not supported (LevelDB 1.23 never calls it): it aborts with a message.
//   - NowMicros() comes from the tierkv Clock (0 without one); SleepForMicroseconds() returns at
//     once and only counts the request. The info log is dropped (NewLogger gives a null logger).
// Thread-safety: the queue is mutex-protected; file objects follow LevelDB's rules (random-access
// reads are serialised internally because tierkv File objects are not thread-safe).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include <leveldb/env.h>

#include "engine/io/env.h"

namespace tierkv {

class Clock;

class LevelDbEnvBridge final : public leveldb::EnvWrapper {
 public:
  // REQUIRES: env outlives the bridge. clock may be null (NowMicros() is then 0).
  LevelDbEnvBridge(tierkv::Env* env, Clock* clock);
  ~LevelDbEnvBridge() override;

  // Runs queued background work (compactions, memtable flushes) until the queue is empty,
  // including work the runs themselves schedule. Returns how many items ran.
  // REQUIRES: not called from inside a LevelDB call (the DB mutex must not be held).
  size_t drain_background_work();
  bool has_background_work() const;
  uint64_t sleep_requests() const { return sleep_requests_; }

  // Fail-stop on a failed recovery read. LevelDB reads its logs (and MANIFEST, CURRENT) through
  // sequential files only while opening. When a log read fails, LevelDB (paranoid_checks off)
  // treats it like a torn tail: it drops the rest of that log, writes what it read into a new
  // table and deletes the log, so an I/O error would silently lose acknowledged writes. After
  // the first failed sequential read the bridge therefore refuses to create, rename or remove
  // files: DB::Open fails before it can persist a recovery that skipped records, the log stays,
  // and a later open (a new bridge) replays it whole. ok() while no such read failed.
  Status sequential_read_error() const;
  void note_sequential_read_failure(const std::string& path, const Status& status);

  leveldb::Status NewSequentialFile(const std::string& fname,
                                    leveldb::SequentialFile** result) override;
  leveldb::Status NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) override;
  leveldb::Status NewWritableFile(const std::string& fname,
                                  leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname,
                                    leveldb::WritableFile** result) override;
  bool FileExists(const std::string& fname) override;
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* result) override;
  leveldb::Status RemoveFile(const std::string& fname) override;
  leveldb::Status DeleteFile(const std::string& fname) override { return RemoveFile(fname); }
  leveldb::Status CreateDir(const std::string& dirname) override;
  leveldb::Status RemoveDir(const std::string& dirname) override;
  leveldb::Status DeleteDir(const std::string& dirname) override { return RemoveDir(dirname); }
  leveldb::Status GetFileSize(const std::string& fname, uint64_t* file_size) override;
  leveldb::Status RenameFile(const std::string& src, const std::string& target) override;
  leveldb::Status LockFile(const std::string& fname, leveldb::FileLock** lock) override;
  leveldb::Status UnlockFile(leveldb::FileLock* lock) override;
  void Schedule(void (*function)(void* arg), void* arg) override;
  void StartThread(void (*function)(void* arg), void* arg) override;
  leveldb::Status GetTestDirectory(std::string* path) override;
  leveldb::Status NewLogger(const std::string& fname, leveldb::Logger** result) override;
  uint64_t NowMicros() override;
  void SleepForMicroseconds(int micros) override;

 private:
  leveldb::Status open_writable(const std::string& fname, OpenMode mode,
                                leveldb::WritableFile** result);

  tierkv::Env* env_;
  Clock* clock_;
  // Table files read through Env::map_read_only, at most kMappedFilesMax at once (LevelDB's
  // own limit); the rest, and every file on an Env that cannot map, use File::read_at.
  static constexpr int kMappedFilesMax = 1000;
  std::atomic<int> mappings_left_{kMappedFilesMax};
  std::atomic<bool> mapping_supported_{true};
  mutable std::mutex queue_mutex_;
  std::deque<std::pair<void (*)(void*), void*>> queue_;  // guarded by queue_mutex_
  uint64_t sleep_requests_ = 0;
  mutable std::mutex read_error_mutex_;
  Status sequential_read_error_;  // guarded by read_error_mutex_
};

// tierkv Status -> leveldb::Status (NotFound stays NotFound; everything else is an IOError
// carrying the code name and message).
leveldb::Status to_leveldb_status(const Status& status);

}  // namespace tierkv
