#include "engine/backends/lmdb_backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cassert>
#include <filesystem>
#include <mutex>
#include <set>

#include <lmdb.h>

#include "engine/backends/backend_util.h"

namespace tierkv {
namespace {

std::mutex& registry_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::set<std::string>& open_paths() {
  static std::set<std::string> paths;  // guarded by registry_mutex()
  return paths;
}

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

Status fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return Status::io_error("open " + path + " for fsync failed");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::io_error("fsync " + path + " failed");
  return Status();
}

// Aborts a transaction unless it was committed (or handed back to LMDB).
struct TxnGuard {
  MDB_txn* txn = nullptr;
  ~TxnGuard() {
    if (txn != nullptr) mdb_txn_abort(txn);
  }
  int commit() {
    const int rc = mdb_txn_commit(txn);
    txn = nullptr;
    return rc;
  }
};

}  // namespace

LmdbBackend::LmdbBackend(BackendOptions options, LmdbTuning tuning, std::string registered_path)
    : options_(std::move(options)), tuning_(tuning), registered_path_(std::move(registered_path)) {}

LmdbBackend::~LmdbBackend() { (void)close(); }

Result<std::unique_ptr<LmdbBackend>> LmdbBackend::open(const BackendOptions& options,
                                                       const LmdbTuning& tuning) {
  if (options.dir.empty()) return Status::invalid_argument("lmdb backend needs a directory");
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::io_error("lmdb: create directory " + options.dir + ": " + ec.message());
  const std::string canonical = std::filesystem::canonical(options.dir, ec).string();
  if (ec) return Status::io_error("lmdb: resolve " + options.dir + ": " + ec.message());
  {
    std::lock_guard<std::mutex> guard(registry_mutex());
    if (!open_paths().insert(canonical).second) {
      return Status::busy("lmdb environment " + canonical + " is already open in this process");
    }
  }
  std::unique_ptr<LmdbBackend> backend(new LmdbBackend(options, tuning, canonical));
  int rc = mdb_env_create(&backend->env_);
  if (rc != MDB_SUCCESS) return backend->error("mdb_env_create", rc);
  rc = mdb_env_set_mapsize(backend->env_, tuning.map_size_bytes);
  if (rc != MDB_SUCCESS) return backend->error("mdb_env_set_mapsize", rc);
  const unsigned int flags = options.sync ? 0u : (MDB_NOSYNC | MDB_NOMETASYNC);
  rc = mdb_env_open(backend->env_, canonical.c_str(), flags, 0644);
  if (rc != MDB_SUCCESS) return backend->error("mdb_env_open", rc);
  TxnGuard txn;
  rc = mdb_txn_begin(backend->env_, nullptr, 0, &txn.txn);
  if (rc == MDB_SUCCESS) rc = mdb_dbi_open(txn.txn, nullptr, 0, &backend->dbi_);
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) return backend->error("open main database", rc);
  return backend;
}

Status LmdbBackend::check_open() const {
  if (env_ == nullptr) return Status::io_error("lmdb " + options_.dir + " is closed");
  return Status();
}

Status LmdbBackend::check_key(std::string_view key) const {
  if (key.empty() || key.size() > kLmdbKeyBytesMax) {
    return Status::invalid_argument("lmdb " + options_.dir + ": key '" + printable_key(key) +
                                    "' has " + std::to_string(key.size()) +
                                    " bytes; LMDB keys are 1.." + std::to_string(kLmdbKeyBytesMax));
  }
  return Status();
}

Status LmdbBackend::error(const std::string& what, int rc) const {
  std::string msg = "lmdb " + options_.dir + ": " + what + ": " + mdb_strerror(rc);
  if (rc == MDB_NOTFOUND) return Status::not_found(std::move(msg));
  if (rc == MDB_MAP_FULL || rc == ENOSPC) return Status::no_space(std::move(msg));
  if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
    return Status::corruption(std::move(msg));
  }
  if (rc == MDB_BAD_VALSIZE || rc == EINVAL) return Status::invalid_argument(std::move(msg));
  return Status::io_error(std::move(msg));
}

Result<std::string> LmdbBackend::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(check_open());
  TIERKV_RETURN_IF_ERROR(check_key(key));
  TxnGuard txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.txn);
  if (rc != MDB_SUCCESS) return error("begin read", rc);
  MDB_val k = to_val(key);
  MDB_val v{};
  rc = mdb_get(txn.txn, dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) {
    return Status::not_found("key '" + printable_key(key) + "' not found in lmdb " + options_.dir);
  }
  if (rc != MDB_SUCCESS) return error("get '" + printable_key(key) + "'", rc);
  return std::string(view(v));
}

Status LmdbBackend::put(std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.put(std::string(key), std::string(value));
  return write(batch);
}

Status LmdbBackend::remove(std::string_view key) {
  WriteBatch batch;
  batch.remove(std::string(key));
  return write(batch);
}

Status LmdbBackend::write(const WriteBatch& batch) {
  TIERKV_RETURN_IF_ERROR(check_open());
  if (batch.empty()) return Status();
  TxnGuard txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn.txn);
  if (rc != MDB_SUCCESS) return error("begin write", rc);
  for (const BatchOp& op : batch.ops()) {
    TIERKV_RETURN_IF_ERROR(check_key(op.key));  // the guard aborts the whole transaction
    MDB_val k = to_val(op.key);
    if (op.kind == BatchOp::Kind::kPut) {
      MDB_val v = to_val(op.value);
      rc = mdb_put(txn.txn, dbi_, &k, &v, 0);
    } else {
      rc = mdb_del(txn.txn, dbi_, &k, nullptr);
      if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;  // deleting a missing key succeeds
    }
    if (rc != MDB_SUCCESS) return error("write '" + printable_key(op.key) + "'", rc);
  }
  rc = txn.commit();
  if (rc != MDB_SUCCESS) return error("commit", rc);
  return Status();
}

Result<std::vector<KeyValue>> LmdbBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_open());
  TxnGuard txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.txn);
  if (rc != MDB_SUCCESS) return error("begin read", rc);
  MDB_cursor* cursor = nullptr;
  rc = mdb_cursor_open(txn.txn, dbi_, &cursor);
  if (rc != MDB_SUCCESS) return error("open cursor", rc);
  std::vector<KeyValue> out;
  MDB_val k = to_val(range.start);
  MDB_val v{};
  // LMDB keys are never empty, so an empty start means "from the first key".
  rc = range.start.empty() ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
                           : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    if (!range.end.empty() && view(k) >= range.end) break;
    if (limit != 0 && out.size() >= limit) break;
    out.push_back({std::string(view(k)), std::string(view(v))});
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return error("scan", rc);
  return out;
}

Status LmdbBackend::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(check_open());
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return Status::invalid_argument("lmdb checkpoint target " + dir + " already exists");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::io_error("lmdb checkpoint: create " + dir + ": " + ec.message());
  const unsigned int flags = tuning_.compact_checkpoints ? MDB_CP_COMPACT : 0u;
  const int rc = mdb_env_copy2(env_, dir.c_str(), flags);
  if (rc != MDB_SUCCESS) return error("mdb_env_copy2 into " + dir, rc);
  TIERKV_RETURN_IF_ERROR(fsync_path(dir + "/data.mdb", /*directory=*/false));
  TIERKV_RETURN_IF_ERROR(fsync_path(dir, /*directory=*/true));
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  return fsync_path(parent.empty() ? "." : parent.string(), /*directory=*/true);
}

Status LmdbBackend::close() {
  if (env_ != nullptr) {
    mdb_env_close(env_);
    env_ = nullptr;
  }
  if (!registered_path_.empty()) {
    std::lock_guard<std::mutex> guard(registry_mutex());
    open_paths().erase(registered_path_);
    registered_path_.clear();
  }
  return Status();
}

}  // namespace tierkv
