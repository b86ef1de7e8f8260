// SqliteVfs: an sqlite3_vfs over tierkv's Env, so SQLite runs on PosixEnv in production and on
// SimEnv in the simulator and loses exactly what the Env's crash model loses.
//
// Promises:
//   - Registered under a unique name ("tierkv-<address>") for the VFS object's lifetime;
//     unregistered by the destructor. REQUIRES: every connection using it is closed first.
//   - Files: xOpen/xDelete/xAccess/xFullPathname and the io methods (version 1: read, write,
//     truncate, sync, size, lock, unlock, reserved-lock check, file control, sector size, device
//     characteristics) go through the Env only. Short reads zero-fill and report
//     SQLITE_IOERR_SHORT_READ. ENOSPC maps to SQLITE_FULL.
//   - Directory durability: the first xSync of a file created by this VFS also sync_dir()s its
//     directory, and xDelete with the dir-sync flag sync_dir()s after the removal.
//   - No shared memory: the connection must use PRAGMA locking_mode=EXCLUSIVE before the first
//     access (then WAL mode keeps its index in heap memory). Locks are tracked per file only;
//     exclusion between processes is the owner's job (SqliteBackend holds an Env lock file).
//   - xDeviceCharacteristics advertises nothing (no atomic or safe-append guarantee that SimEnv's
//     crash model does not honour); xSectorSize is 4096. Cost against SQLite's own unix VFS,
//     which advertises POWERSAFE_OVERWRITE on Linux: each synced WAL commit is padded to the
//     4096-byte sector with repeated frames (about 6.6 pwrites per one-row commit instead of
//     3.4; the same one fdatasync). SimEnv does keep POWERSAFE_OVERWRITE (a crash changes only
//     bytes written since the last sync), so advertising it would be honest, but it changes
//     SQLite's file operations and so every recorded SQLite simulator trace.
//   - xRandomness is a splitmix64 stream from the seed (deterministic); xSleep returns at once;
//     xCurrentTime* are the tierkv Clock's microseconds past the Unix epoch (a monotonic clock in
//     production: SQL date functions see an arbitrary date). xDl* go to the default VFS.
// Thread-safety: one connection at a time (SqliteBackend's rule); the randomness state is not
// shared across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <sqlite3.h>

#include "engine/core/status.h"

namespace tierkv {

class Env;
class Clock;

class SqliteVfs {
 public:
  // temp_dir holds the files SQLite opens without a name (deleted on close).
  static Result<std::unique_ptr<SqliteVfs>> create(Env* env, Clock* clock, uint64_t seed,
                                                   std::string temp_dir);
  ~SqliteVfs();
  SqliteVfs(const SqliteVfs&) = delete;
  SqliteVfs& operator=(const SqliteVfs&) = delete;

  // The name to pass to sqlite3_open_v2.
  const char* name() const { return name_.c_str(); }

  // Implementation details the C callbacks reach through pAppData.
  Env* env() const { return env_; }
  Clock* clock() const { return clock_; }
  uint64_t next_random() ;
  std::string next_temp_path();

 private:
  SqliteVfs(Env* env, Clock* clock, uint64_t seed, std::string temp_dir);

  Env* env_;
  Clock* clock_;
  uint64_t random_state_;
  std::string temp_dir_;
  uint64_t temp_files_ = 0;
  std::string name_;
  sqlite3_vfs vfs_{};
};

}  // namespace tierkv
