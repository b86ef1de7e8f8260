#include "engine/backends/sqlite_backend.h"

#include <cassert>

#include <sqlite3.h>

#include "engine/backends/backend_util.h"
#include "engine/backends/sqlite_vfs.h"
#include "engine/io/env.h"
#include "engine/io/env_util.h"

namespace tierkv {
namespace {

// Binds bytes as a BLOB; an empty string stays a zero-length BLOB, never NULL.
int bind_bytes(sqlite3_stmt* stmt, int index, std::string_view bytes) {
  if (bytes.empty()) return sqlite3_bind_zeroblob(stmt, index, 0);
  return sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_STATIC);
}

std::string column_bytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size == 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

// Resets a statement on scope exit so it holds no read transaction or bound pointers.
struct StmtReset {
  sqlite3_stmt* stmt;
  ~StmtReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

}  // namespace

SqliteBackend::SqliteBackend(BackendOptions options) : options_(std::move(options)) {}

SqliteBackend::~SqliteBackend() { (void)close(); }

Result<std::unique_ptr<SqliteBackend>> SqliteBackend::open(const BackendOptions& options,
                                                           const SqliteTuning& tuning) {
  if (options.env == nullptr) return Status::invalid_argument("sqlite backend needs an Env");
  if (options.dir.empty()) return Status::invalid_argument("sqlite backend needs a directory");
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(*options.env, options.dir));
  std::unique_ptr<SqliteBackend> backend(new SqliteBackend(options));
  Result<std::unique_ptr<FileLock>> lock = options.env->lock_file(join_path(options.dir, "LOCK"));
  if (!lock.ok()) return lock.status().with_context("sqlite open " + options.dir);
  backend->lock_ = std::move(*lock);
  TIERKV_ASSIGN_OR_RETURN(backend->vfs_,
                          SqliteVfs::create(options.env, options.clock, options.seed, options.dir));
  TIERKV_RETURN_IF_ERROR(backend->init(tuning));
  return backend;
}

Status SqliteBackend::init(const SqliteTuning& tuning) {
  const std::string path = join_path(options_.dir, kSqliteDbName);
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           vfs_->name());
  if (rc != SQLITE_OK) return error("open " + path, rc);
  TIERKV_RETURN_IF_ERROR(exec("PRAGMA locking_mode=EXCLUSIVE"));
  TIERKV_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));
  TIERKV_RETURN_IF_ERROR(exec(options_.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  TIERKV_RETURN_IF_ERROR(exec("PRAGMA temp_store=MEMORY"));
  const std::string autocheckpoint =
      "PRAGMA wal_autocheckpoint=" + std::to_string(tuning.wal_autocheckpoint_pages);
  TIERKV_RETURN_IF_ERROR(exec(autocheckpoint.c_str()));
  TIERKV_RETURN_IF_ERROR(init_schema());
  // journal_mode=WAL answers with the mode it got; check that it is really WAL.
  sqlite3_stmt* mode = nullptr;
  rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &mode, nullptr);
  if (rc != SQLITE_OK) return error("prepare journal_mode", rc);
  const bool is_wal = sqlite3_step(mode) == SQLITE_ROW &&
                      std::string(reinterpret_cast<const char*>(sqlite3_column_text(mode, 0))) == "wal";
  sqlite3_finalize(mode);
  if (!is_wal) return Status::io_error("sqlite " + path + ": journal_mode=WAL was refused");
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } statements[] = {
      // A large value is read from big (kv.value is NULL then), a small one from kv.
      {&get_stmt_,
       "SELECT ifnull(big.value, kv.value) FROM kv LEFT JOIN big ON big.id = kv.big "
       "WHERE kv.key = ?1"},
      // ?2 the value (NULL when large), ?3 its big row (NULL when small). A replaced or
      // removed large value's big row goes with it (triggers in kSqliteSchemaSql).
      {&put_stmt_,
       "INSERT INTO kv(key, value, big) VALUES(?1, ?2, ?3) ON CONFLICT(key) DO UPDATE SET "
       "value = excluded.value, big = excluded.big"},
      {&put_big_stmt_, "INSERT INTO big(value) VALUES(?1)"},
      {&delete_stmt_, "DELETE FROM kv WHERE key = ?1"},
      {&scan_stmt_,
       "SELECT kv.key, ifnull(big.value, kv.value) FROM kv LEFT JOIN big ON big.id = kv.big "
       "WHERE kv.key >= ?1 AND kv.key < ?2 ORDER BY kv.key LIMIT ?3"},
      {&scan_open_end_stmt_,
       "SELECT kv.key, ifnull(big.value, kv.value) FROM kv LEFT JOIN big ON big.id = kv.big "
       "WHERE kv.key >= ?1 ORDER BY kv.key LIMIT ?3"},
  };
  for (auto& [stmt, sql] : statements) {
    rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr);
    if (rc != SQLITE_OK) return error(std::string("prepare ") + sql, rc);
  }
  return Status();
}

Status SqliteBackend::init_schema() {
  const std::string path = join_path(options_.dir, kSqliteDbName);
  TIERKV_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Status status = [&]() -> Status {
    int64_t version = 0;
    int64_t tables = 0;
    TIERKV_RETURN_IF_ERROR(query_int("PRAGMA user_version", &version));
    TIERKV_RETURN_IF_ERROR(
        query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'kv'", &tables));
    const bool has_kv = tables > 0;
    if (version == kSqliteFormatVersion) {
      if (!has_kv) return Status::corruption("sqlite " + path + ": table kv is missing");
      return Status();
    }
    if (version == 0 && has_kv) {
      return Status::not_supported(
          "sqlite " + path +
          ": written by an older tierkv SQLite layout (format 1: values of every size inside "
          "the key b-tree); this build reads format " + std::to_string(kSqliteFormatVersion) +
          " and does not migrate");
    }
    if (version != 0) {
      return Status::not_supported("sqlite " + path + ": tierkv SQLite format " +
                                   std::to_string(version) + " is not the format this build reads (" +
                                   std::to_string(kSqliteFormatVersion) + ")");
    }
    // A new database: the table and its format in one transaction.
    TIERKV_RETURN_IF_ERROR(exec(kSqliteSchemaSql));
    const std::string set_version = "PRAGMA user_version=" + std::to_string(kSqliteFormatVersion);
    return exec(set_version.c_str());
  }();
  if (status.ok()) return exec("COMMIT");
  if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
  return status;
}

Status SqliteBackend::query_int(const char* sql, int64_t* out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(std::string("prepare ") + sql, rc);
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) *out = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  return rc == SQLITE_ROW ? Status() : error(sql, rc);
}

Status SqliteBackend::check_open() const {
  if (db_ == nullptr) return Status::io_error("sqlite " + options_.dir + " is closed");
  return commit_failure_;
}

Status SqliteBackend::error(const std::string& what, int rc) const {
  std::string msg = "sqlite " + options_.dir + ": " + what + ": " + sqlite3_errstr(rc);
  if (db_ != nullptr) msg += std::string(" (") + sqlite3_errmsg(db_) + ")";
  const int primary = rc & 0xff;
  if (primary == SQLITE_FULL) return Status::no_space(std::move(msg));
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::corruption(std::move(msg));
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::busy(std::move(msg));
  if (primary == SQLITE_TOOBIG) return Status::invalid_argument(std::move(msg));
  return Status::io_error(std::move(msg));
}

Status SqliteBackend::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : error(sql, rc);
}

Result<std::string> SqliteBackend::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(check_open());
  StmtReset reset{get_stmt_};
  bind_bytes(get_stmt_, 1, key);
  const int rc = sqlite3_step(get_stmt_);
  if (rc == SQLITE_ROW) return column_bytes(get_stmt_, 0);
  if (rc == SQLITE_DONE) {
    return Status::not_found("key '" + printable_key(key) + "' not found in sqlite " +
                             options_.dir);
  }
  return error("get '" + printable_key(key) + "'", rc);
}

Status SqliteBackend::apply(const BatchOp& op) {
  const bool is_put = op.kind == BatchOp::Kind::kPut;
  const bool is_big = is_put && op.value.size() > kSqliteInlineValueMax;
  sqlite3_int64 big_id = 0;
  if (is_big) {
    StmtReset reset{put_big_stmt_};
    bind_bytes(put_big_stmt_, 1, op.value);
    const int rc = sqlite3_step(put_big_stmt_);
    if (rc != SQLITE_DONE) return error("put '" + printable_key(op.key) + "' (value)", rc);
    big_id = sqlite3_last_insert_rowid(db_);
  }
  sqlite3_stmt* stmt = is_put ? put_stmt_ : delete_stmt_;
  StmtReset reset{stmt};
  bind_bytes(stmt, 1, op.key);
  if (is_big) {
    sqlite3_bind_null(stmt, 2);
    sqlite3_bind_int64(stmt, 3, big_id);
  } else if (is_put) {
    bind_bytes(stmt, 2, op.value);
    sqlite3_bind_null(stmt, 3);
  }
  const int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) {
    return error(std::string(is_put ? "put '" : "delete '") + printable_key(op.key) + "'", rc);
  }
  return Status();
}

Status SqliteBackend::put(std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.put(std::string(key), std::string(value));
  return write(batch);
}

Status SqliteBackend::remove(std::string_view key) {
  WriteBatch batch;
  batch.remove(std::string(key));
  return write(batch);
}

Status SqliteBackend::apply_batch(const WriteBatch& batch) {
  for (const BatchOp& op : batch.ops()) TIERKV_RETURN_IF_ERROR(apply(op));
  return Status();
}

Status SqliteBackend::write(const WriteBatch& batch) {
  TIERKV_RETURN_IF_ERROR(check_open());
  if (batch.empty()) return Status();
  TIERKV_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Status status = apply_batch(batch);
  if (!status.ok()) {
    // No commit frame of the batch reached the WAL: rolling back decides its outcome.
    if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
    return status;
  }
  status = exec("COMMIT");
  if (status.ok()) return status;
  // A failed COMMIT may leave the transaction open (e.g. an I/O error): roll it back so the
  // batch is all-or-nothing in this connection too. Its frames may already be in the WAL, so
  // the batch can reappear on reopen although this connection no longer shows it.
  if (sqlite3_get_autocommit(db_) == 0) (void)exec("ROLLBACK");
  commit_failure_ = refused_until_reopened("sqlite " + options_.dir, "COMMIT", status);
  return status;
}

Result<std::vector<KeyValue>> SqliteBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_open());
  sqlite3_stmt* stmt = range.end.empty() ? scan_open_end_stmt_ : scan_stmt_;
  StmtReset reset{stmt};
  bind_bytes(stmt, 1, range.start);
  if (!range.end.empty()) bind_bytes(stmt, 2, range.end);
  sqlite3_bind_int64(stmt, 3, limit == 0 ? -1 : static_cast<sqlite3_int64>(limit));
  std::vector<KeyValue> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    out.push_back({column_bytes(stmt, 0), column_bytes(stmt, 1)});
  }
  if (rc != SQLITE_DONE) return error("scan from '" + printable_key(range.start) + "'", rc);
  return out;
}

Status SqliteBackend::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(check_open());
  Env& env = *options_.env;
  if (env.dir_exists(dir) || env.file_exists(dir)) {
    return Status::invalid_argument("sqlite checkpoint target " + dir + " already exists");
  }
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, dir));
  const std::string path = join_path(dir, kSqliteDbName);
  sqlite3* dest = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                           vfs_->name());
  if (rc == SQLITE_OK) rc = sqlite3_exec(dest, "PRAGMA locking_mode=EXCLUSIVE", nullptr, nullptr, nullptr);
  sqlite3_backup* backup = rc == SQLITE_OK ? sqlite3_backup_init(dest, "main", db_, "main") : nullptr;
  if (backup != nullptr) {
    rc = sqlite3_backup_step(backup, -1);
    const int finish_rc = sqlite3_backup_finish(backup);
    if (rc == SQLITE_DONE) rc = finish_rc;
  } else if (rc == SQLITE_OK) {
    rc = sqlite3_errcode(dest);
  }
  const std::string dest_error = dest != nullptr ? sqlite3_errmsg(dest) : "";
  const int close_rc = sqlite3_close(dest);
  if (rc != SQLITE_OK) return error("checkpoint into " + path + " (" + dest_error + ")", rc);
  if (close_rc != SQLITE_OK) return error("close checkpoint " + path, close_rc);
  TIERKV_ASSIGN_OR_RETURN(auto file, env.open_file(path, OpenMode::kReadWrite));
  TIERKV_RETURN_IF_ERROR(file->sync());
  TIERKV_RETURN_IF_ERROR(file->close());
  TIERKV_RETURN_IF_ERROR(env.sync_dir(dir));
  return env.sync_dir(parent_dir(dir));
}

Status SqliteBackend::close() {
  if (db_ == nullptr) return Status();
  for (sqlite3_stmt* stmt :
       {get_stmt_, put_stmt_, put_big_stmt_, delete_stmt_, scan_stmt_, scan_open_end_stmt_}) {
    sqlite3_finalize(stmt);
  }
  get_stmt_ = put_stmt_ = put_big_stmt_ = delete_stmt_ = scan_stmt_ = scan_open_end_stmt_ =
      nullptr;
  const int rc = sqlite3_close(db_);
  db_ = nullptr;
  vfs_.reset();
  lock_.reset();
  if (rc != SQLITE_OK) return Status::io_error("sqlite close " + options_.dir + ": " + sqlite3_errstr(rc));
  return Status();
}

}  // namespace tierkv
