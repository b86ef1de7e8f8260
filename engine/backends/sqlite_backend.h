// SqliteBackend: SQLite 3 behind the Backend interface, on tierkv's Env through SqliteVfs
// (PosixEnv in production, SimEnv in the simulator).
//
// Layout: <dir>/kv.db (+ kv.db-wal while open) holding one table
//   kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID
// and <dir>/LOCK, an Env lock held while open (a second open of the same dir is Busy).
// Connection: PRAGMA locking_mode=EXCLUSIVE (first, so WAL needs no shared memory),
// journal_mode=WAL, synchronous=FULL when options.sync (else OFF), temp_store=MEMORY.
//
// Promises:
//   - With options.sync, an OK put/remove/write is committed and fsync'ed in the WAL: it
//     survives a power cut. Each write(batch) is one transaction: all-or-nothing, also across a
//     crash; a failed batch is rolled back.
//   - Scans are ordered bytewise (BLOB comparison), `key >= start AND key < end`.
//   - checkpoint(dir): the online backup API copies the database into <dir>/kv.db through the
//     same VFS; the copy is synced and dir and its parent sync_dir'd. Later writes do not reach it.
// Errors name the directory, SQLite's message and, where there is one, the key.
// Thread-safety: one thread at a time (Backend's rule).
#pragma once

#include <memory>
#include <string>

#include "engine/backends/backend.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tierkv {

class SqliteVfs;
class FileLock;

inline constexpr char kSqliteDbName[] = "kv.db";

struct SqliteTuning {
  // Pages in the WAL before SQLite checkpoints it into kv.db (small values: frequent
  // checkpoints, which crash tests want to hit).
  int wal_autocheckpoint_pages = 1000;
};

class SqliteBackend final : public Backend {
 public:
  static Result<std::unique_ptr<SqliteBackend>> open(const BackendOptions& options,
                                                     const SqliteTuning& tuning = {});
  ~SqliteBackend() override;

  std::string_view name() const override { return "sqlite"; }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override;

 private:
  explicit SqliteBackend(BackendOptions options);
  Status init(const SqliteTuning& tuning);
  Status check_open() const;
  Status error(const std::string& what, int rc) const;
  Status exec(const char* sql);
  Status apply(const BatchOp& op);
  Status apply_batch(const WriteBatch& batch);

  BackendOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<SqliteVfs> vfs_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_stmt_ = nullptr;
  sqlite3_stmt* put_stmt_ = nullptr;
  sqlite3_stmt* delete_stmt_ = nullptr;
  sqlite3_stmt* scan_stmt_ = nullptr;          // bounded above
  sqlite3_stmt* scan_open_end_stmt_ = nullptr;  // unbounded above
};

}  // namespace tierkv
