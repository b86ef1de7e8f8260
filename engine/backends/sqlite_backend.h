// SqliteBackend: SQLite 3 behind the Backend interface, on tierkv's Env through SqliteVfs
// (PosixEnv in production, SimEnv in the simulator).
//
// Layout: <dir>/kv.db (+ kv.db-wal while open) holding the tables and triggers of
// kSqliteSchemaSql, PRAGMA user_version = kSqliteFormatVersion, and <dir>/LOCK, an Env lock
// held while open (a second open of the same dir is Busy). Format 2:
//   kv(key BLOB PRIMARY KEY, value BLOB, big INTEGER) WITHOUT ROWID  every key; a value of at
//       most kSqliteInlineValueMax bytes in value (big NULL), a larger one in big (value NULL)
//   big(id INTEGER PRIMARY KEY, value BLOB)  large values, appended by rowid; a replaced or
//       removed large value's row is deleted by a trigger in the same statement
// so the key b-tree holds small cells only: a lookup compares keys without reading any large
// value, and small values are read (and scanned, in key order) from the key b-tree itself.
// (Format 1, kv(key, value) WITHOUT ROWID, kept large values in the key b-tree: every
// comparison against such a row read the whole value from its overflow pages, e.g. 64 KiB per
// step of a descent for 64 KiB blocks.) A format-1 file, or another user_version, fails open
// with NotSupported naming the format and is left as it was; there is no migration.
// Connection: PRAGMA locking_mode=EXCLUSIVE (first, so WAL needs no shared memory),
// journal_mode=WAL, synchronous=FULL when options.sync (else OFF), temp_store=MEMORY.
//
// Promises:
//   - With options.sync, an OK put/remove/write is committed and fsync'ed in the WAL: it
//     survives a power cut. Each write(batch) is one transaction: all-or-nothing, also across a
//     crash; a failed batch is rolled back.
//   - A failed COMMIT poisons the backend: every later call fails with that error until the
//     store is reopened. (SQLite may have written the batch's WAL frames before its sync
//     failed, so the batch can reappear on reopen, while this connection rolled it back and
//     answers reads without it; reopening is the only way to learn the batch's outcome.)
//   - Scans are ordered bytewise (BLOB comparison), `key >= start AND key < end`.
//   - checkpoint(dir): the online backup API copies the database into <dir>/kv.db through the
//     same VFS; the copy is synced and dir and its parent sync_dir'd. Later writes do not reach it.
// Errors name the directory, SQLite's message and, where there is one, the key.
// Thread-safety: one thread at a time (Backend's rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/backends/backend.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tierkv {

class SqliteVfs;
class FileLock;

inline constexpr char kSqliteDbName[] = "kv.db";
// PRAGMA user_version of a tierkv SQLite database; see Layout above.
inline constexpr int64_t kSqliteFormatVersion = 2;
inline constexpr char kSqliteSchemaSql[] =
    "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB, big INTEGER) WITHOUT ROWID;"
    "CREATE TABLE big(id INTEGER PRIMARY KEY, value BLOB);"
    "CREATE TRIGGER kv_big_replaced AFTER UPDATE OF big ON kv WHEN old.big IS NOT NULL "
    "BEGIN DELETE FROM big WHERE id = old.big; END;"
    "CREATE TRIGGER kv_big_removed AFTER DELETE ON kv WHEN old.big IS NOT NULL "
    "BEGIN DELETE FROM big WHERE id = old.big; END;";
// Values longer than this live in table big (a kv cell stays well under SQLite's ~1000-byte
// in-page limit for 4 KiB pages with keys of a few hundred bytes).
inline constexpr size_t kSqliteInlineValueMax = 512;

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
  // Creates the table in a new database, or checks the format of an existing one.
  Status init_schema();
  // The first column of the first row of sql.
  Status query_int(const char* sql, int64_t* out);
  Status apply(const BatchOp& op);
  Status apply_batch(const WriteBatch& batch);

  BackendOptions options_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<SqliteVfs> vfs_;
  sqlite3* db_ = nullptr;
  Status commit_failure_;  // the first failed COMMIT; every call fails with it until reopen
  sqlite3_stmt* get_stmt_ = nullptr;
  sqlite3_stmt* put_stmt_ = nullptr;
  sqlite3_stmt* put_big_stmt_ = nullptr;  // appends a large value to table big
  sqlite3_stmt* delete_stmt_ = nullptr;
  sqlite3_stmt* scan_stmt_ = nullptr;          // bounded above
  sqlite3_stmt* scan_open_end_stmt_ = nullptr;  // unbounded above
};

}  // namespace tierkv
