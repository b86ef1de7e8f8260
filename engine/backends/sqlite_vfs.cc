#include "engine/backends/sqlite_vfs.h"

#include <cassert>
#include <cstdio>
#include <cstring>
#include <new>

#include "engine/exec/clock.h"
#include "engine/io/env.h"
#include "engine/io/env_util.h"

namespace tierkv {
namespace {

constexpr int kSectorSizeBytes = 4096;
constexpr int kPathnameBytesMax = 1024;
// Julian day number of 1970-01-01 in milliseconds (SQLite's xCurrentTimeInt64 unit).
constexpr sqlite3_int64 kUnixEpochJulianMs = 210866760000000LL;

struct VfsFile {
  sqlite3_file base;  // first member: SQLite sees a sqlite3_file*
  SqliteVfs* vfs;
  std::unique_ptr<File> file;
  std::string path;
  bool delete_on_close;
  bool needs_dir_sync;  // created by this open: its directory entry is not durable yet
  int lock_level;
};

VfsFile* as_file(sqlite3_file* f) { return reinterpret_cast<VfsFile*>(f); }
SqliteVfs* as_vfs(sqlite3_vfs* v) { return static_cast<SqliteVfs*>(v->pAppData); }

int io_error_code(const Status& status, int fallback) {
  if (status.is_no_space()) return SQLITE_FULL;
  return fallback;
}

int x_close(sqlite3_file* f) {
  VfsFile* file = as_file(f);
  Status closed = file->file->close();
  if (file->delete_on_close) (void)file->vfs->env()->remove_file(file->path);
  file->~VfsFile();
  return closed.ok() ? SQLITE_OK : SQLITE_IOERR_CLOSE;
}

int x_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  VfsFile* file = as_file(f);
  char* out = static_cast<char*>(buffer);
  Result<size_t> read = file->file->read_at(static_cast<uint64_t>(offset),
                                            static_cast<size_t>(amount), out);
  if (!read.ok()) return SQLITE_IOERR_READ;
  if (*read < static_cast<size_t>(amount)) {
    std::memset(out + *read, 0, static_cast<size_t>(amount) - *read);
    return SQLITE_IOERR_SHORT_READ;
  }
  return SQLITE_OK;
}

int x_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  Status status = as_file(f)->file->write_at(
      static_cast<uint64_t>(offset),
      std::string_view(static_cast<const char*>(buffer), static_cast<size_t>(amount)));
  return status.ok() ? SQLITE_OK : io_error_code(status, SQLITE_IOERR_WRITE);
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  Status status = as_file(f)->file->truncate(static_cast<uint64_t>(size));
  return status.ok() ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
}

int x_sync(sqlite3_file* f, int) {
  VfsFile* file = as_file(f);
  if (!file->file->sync().ok()) return SQLITE_IOERR_FSYNC;
  if (file->needs_dir_sync) {
    if (!file->vfs->env()->sync_dir(parent_dir(file->path)).ok()) return SQLITE_IOERR_DIR_FSYNC;
    file->needs_dir_sync = false;
  }
  return SQLITE_OK;
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  Result<uint64_t> bytes = as_file(f)->file->size();
  if (!bytes.ok()) return SQLITE_IOERR_FSTAT;
  *size = static_cast<sqlite3_int64>(*bytes);
  return SQLITE_OK;
}

int x_lock(sqlite3_file* f, int level) {
  VfsFile* file = as_file(f);
  if (level > file->lock_level) file->lock_level = level;
  return SQLITE_OK;
}

int x_unlock(sqlite3_file* f, int level) {
  VfsFile* file = as_file(f);
  if (level < file->lock_level) file->lock_level = level;
  return SQLITE_OK;
}

int x_check_reserved_lock(sqlite3_file* f, int* out) {
  *out = as_file(f)->lock_level >= SQLITE_LOCK_RESERVED ? 1 : 0;
  return SQLITE_OK;
}

int x_file_control(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }
int x_sector_size(sqlite3_file*) { return kSectorSizeBytes; }
int x_device_characteristics(sqlite3_file*) { return 0; }

const sqlite3_io_methods kIoMethods = {
    1,          x_close,       x_read,  x_write,        x_truncate,   x_sync,
    x_file_size, x_lock,       x_unlock, x_check_reserved_lock, x_file_control, x_sector_size,
    x_device_characteristics, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

int x_open(sqlite3_vfs* v, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  SqliteVfs* vfs = as_vfs(v);
  f->pMethods = nullptr;
  const std::string path = name != nullptr ? std::string(name) : vfs->next_temp_path();
  const bool create = (flags & SQLITE_OPEN_CREATE) != 0;
  const bool read_only = (flags & SQLITE_OPEN_READONLY) != 0;
  const bool existed = vfs->env()->file_exists(path);
  if (!existed && !create) return SQLITE_CANTOPEN;
  OpenMode mode = read_only ? OpenMode::kReadOnly
                            : (create ? OpenMode::kCreate : OpenMode::kReadWrite);
  if ((flags & SQLITE_OPEN_EXCLUSIVE) != 0) mode = OpenMode::kCreateExclusive;
  Result<std::unique_ptr<File>> opened = vfs->env()->open_file(path, mode);
  if (!opened.ok()) return SQLITE_CANTOPEN;
  auto* file = new (f) VfsFile{};
  file->vfs = vfs;
  file->file = std::move(*opened);
  file->path = path;
  file->delete_on_close = name == nullptr || (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  file->needs_dir_sync = !existed;
  file->lock_level = SQLITE_LOCK_NONE;
  file->base.pMethods = &kIoMethods;
  if (out_flags != nullptr) *out_flags = flags;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs* v, const char* name, int sync_dir) {
  Env* env = as_vfs(v)->env();
  Status removed = env->remove_file(name);
  if (removed.is_not_found()) return SQLITE_IOERR_DELETE_NOENT;
  if (!removed.ok()) return SQLITE_IOERR_DELETE;
  if (sync_dir != 0 && !env->sync_dir(parent_dir(name)).ok()) return SQLITE_IOERR_DIR_FSYNC;
  return SQLITE_OK;
}

int x_access(sqlite3_vfs* v, const char* name, int, int* out) {
  *out = as_vfs(v)->env()->file_exists(name) ? 1 : 0;
  return SQLITE_OK;
}

int x_full_pathname(sqlite3_vfs*, const char* name, int out_bytes, char* out) {
  const int written = std::snprintf(out, static_cast<size_t>(out_bytes), "%s", name);
  return written < out_bytes ? SQLITE_OK : SQLITE_CANTOPEN;
}

sqlite3_vfs* default_vfs() { return sqlite3_vfs_find(nullptr); }
void* x_dl_open(sqlite3_vfs*, const char* name) {
  return default_vfs()->xDlOpen(default_vfs(), name);
}
void x_dl_error(sqlite3_vfs*, int bytes, char* out) {
  default_vfs()->xDlError(default_vfs(), bytes, out);
}
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return default_vfs()->xDlSym(default_vfs(), handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { default_vfs()->xDlClose(default_vfs(), handle); }

int x_randomness(sqlite3_vfs* v, int bytes, char* out) {
  SqliteVfs* vfs = as_vfs(v);
  for (int i = 0; i < bytes; i += 8) {
    const uint64_t word = vfs->next_random();
    std::memcpy(out + i, &word, static_cast<size_t>(std::min(8, bytes - i)));
  }
  return bytes;
}

int x_sleep(sqlite3_vfs*, int micros) { return micros; }  // never blocks (deterministic)

int x_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  Clock* clock = as_vfs(v)->clock();
  const uint64_t now_us = clock == nullptr ? 0 : clock->now_us();
  *out = kUnixEpochJulianMs + static_cast<sqlite3_int64>(now_us / kMicrosPerMilli);
  return SQLITE_OK;
}

int x_current_time(sqlite3_vfs* v, double* out) {
  sqlite3_int64 ms = 0;
  x_current_time_int64(v, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return SQLITE_OK;
}

int x_get_last_error(sqlite3_vfs*, int, char*) { return 0; }

}  // namespace

SqliteVfs::SqliteVfs(Env* env, Clock* clock, uint64_t seed, std::string temp_dir)
    : env_(env), clock_(clock), random_state_(seed), temp_dir_(std::move(temp_dir)) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "tierkv-%p", static_cast<void*>(this));
  name_ = buf;
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(VfsFile));
  vfs_.mxPathname = kPathnameBytesMax;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = x_open;
  vfs_.xDelete = x_delete;
  vfs_.xAccess = x_access;
  vfs_.xFullPathname = x_full_pathname;
  vfs_.xDlOpen = x_dl_open;
  vfs_.xDlError = x_dl_error;
  vfs_.xDlSym = x_dl_sym;
  vfs_.xDlClose = x_dl_close;
  vfs_.xRandomness = x_randomness;
  vfs_.xSleep = x_sleep;
  vfs_.xCurrentTime = x_current_time;
  vfs_.xGetLastError = x_get_last_error;
  vfs_.xCurrentTimeInt64 = x_current_time_int64;
}

Result<std::unique_ptr<SqliteVfs>> SqliteVfs::create(Env* env, Clock* clock, uint64_t seed,
                                                     std::string temp_dir) {
  if (env == nullptr) return Status::invalid_argument("sqlite vfs needs an Env");
  std::unique_ptr<SqliteVfs> vfs(new SqliteVfs(env, clock, seed, std::move(temp_dir)));
  const int rc = sqlite3_vfs_register(&vfs->vfs_, /*makeDflt=*/0);
  if (rc != SQLITE_OK) {
    return Status::io_error("sqlite3_vfs_register " + vfs->name_ + ": " + sqlite3_errstr(rc));
  }
  return vfs;
}

SqliteVfs::~SqliteVfs() { sqlite3_vfs_unregister(&vfs_); }

uint64_t SqliteVfs::next_random() {
  uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string SqliteVfs::next_temp_path() {
  return join_path(temp_dir_, "sqlite-temp-" + std::to_string(++temp_files_));
}

}  // namespace tierkv
