#include "engine/backends/leveldb_env_bridge.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "engine/exec/clock.h"
#include "engine/io/env_util.h"

namespace tierkv {
namespace {

constexpr size_t kWriteBufferBytes = 64 * 1024;

class SequentialFileBridge final : public leveldb::SequentialFile {
 public:
  SequentialFileBridge(std::unique_ptr<File> file, std::string path, LevelDbEnvBridge* owner)
      : file_(std::move(file)), path_(std::move(path)), owner_(owner) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    Result<size_t> read = file_->read_at(offset_, n, scratch);
    if (!read.ok()) {
      owner_->note_sequential_read_failure(path_, read.status());
      return to_leveldb_status(read.status());
    }
    offset_ += *read;
    *result = leveldb::Slice(scratch, *read);
    return leveldb::Status::OK();
  }
  leveldb::Status Skip(uint64_t n) override {
    offset_ += n;
    return leveldb::Status::OK();
  }

 private:
  std::unique_ptr<File> file_;
  std::string path_;
  LevelDbEnvBridge* owner_;
  uint64_t offset_ = 0;
};

class RandomAccessFileBridge final : public leveldb::RandomAccessFile {
 public:
  explicit RandomAccessFileBridge(std::unique_ptr<File> file) : file_(std::move(file)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    std::lock_guard<std::mutex> guard(mutex_);  // tierkv File objects are not thread-safe
    Result<size_t> read = file_->read_at(offset, n, scratch);
    if (!read.ok()) return to_leveldb_status(read.status());
    *result = leveldb::Slice(scratch, *read);
    return leveldb::Status::OK();
  }

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<File> file_;
};

// A table file read through a read-only mapping: no system call, lock or copy per read (what
// LevelDB's own POSIX Env does for up to 1000 table files). Reads past the end are short, like
// File::read_at. Returns its slot to the bridge's mapping budget when destroyed.
class MappedFileBridge final : public leveldb::RandomAccessFile {
 public:
  MappedFileBridge(std::unique_ptr<ReadOnlyMapping> mapping, std::atomic<int>* mappings_left)
      : mapping_(std::move(mapping)), mappings_left_(mappings_left) {}
  ~MappedFileBridge() override { mappings_left_->fetch_add(1, std::memory_order_relaxed); }
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char*) const override {
    const std::string_view bytes = mapping_->bytes();
    const uint64_t from = std::min<uint64_t>(offset, bytes.size());
    const size_t available = static_cast<size_t>(bytes.size() - from);
    *result = leveldb::Slice(bytes.data() + from, std::min(n, available));
    return leveldb::Status::OK();
  }

 private:
  std::unique_ptr<ReadOnlyMapping> mapping_;
  std::atomic<int>* mappings_left_;
};

class WritableFileBridge final : public leveldb::WritableFile {
 public:
  WritableFileBridge(tierkv::Env* env, std::unique_ptr<File> file) : env_(env), file_(std::move(file)) {
    const std::string& path = file_->path();
    const size_t slash = path.rfind('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    is_manifest_ = base.rfind("MANIFEST", 0) == 0;
  }
  ~WritableFileBridge() override { (void)Close(); }

  leveldb::Status Append(const leveldb::Slice& data) override {
    if (!failed_.ok()) return failed_;
    buffer_.append(data.data(), data.size());
    if (buffer_.size() >= kWriteBufferBytes) return Flush();
    return leveldb::Status::OK();
  }
  leveldb::Status Flush() override {
    if (!failed_.ok()) return failed_;
    if (buffer_.empty()) return leveldb::Status::OK();
    if (file_ == nullptr) return leveldb::Status::IOError("flush after close");
    Status status = file_->append(buffer_);
    buffer_.clear();
    // Sticky: LevelDB's log writer has already counted the lost bytes into its block layout, so
    // any later record would be misaligned. Failing every later call keeps acknowledged writes
    // recoverable (the DB must be reopened).
    failed_ = to_leveldb_status(status);
    return failed_;
  }
  leveldb::Status Sync() override {
    leveldb::Status flushed = Flush();
    if (!flushed.ok()) return flushed;
    if (is_manifest_) {
      // A new MANIFEST is only reachable after CURRENT names it, but its entry must survive.
      leveldb::Status dir = to_leveldb_status(env_->sync_dir(parent_dir(file_->path())));
      if (!dir.ok()) return dir;
    }
    failed_ = to_leveldb_status(file_->sync());
    if (failed_.ok() && !entry_synced_) {
      // A new log file is written and synced (and writes acknowledged) before any MANIFEST
      // sync makes its directory entry durable; without this a power cut could drop the file
      // with acknowledged writes in it. Once per file.
      failed_ = to_leveldb_status(env_->sync_dir(parent_dir(file_->path())));
      entry_synced_ = failed_.ok();
    }
    return failed_;
  }
  leveldb::Status Close() override {
    if (file_ == nullptr) return leveldb::Status::OK();
    leveldb::Status flushed = Flush();
    Status closed = file_->close();
    file_.reset();
    if (!flushed.ok()) return flushed;
    return to_leveldb_status(closed);
  }

 private:
  tierkv::Env* env_;
  std::unique_ptr<File> file_;
  std::string buffer_;
  bool is_manifest_ = false;
  bool entry_synced_ = false;  // its directory entry was sync_dir'ed after a Sync
  leveldb::Status failed_;
};

class LockBridge final : public leveldb::FileLock {
 public:
  explicit LockBridge(std::unique_ptr<tierkv::FileLock> lock) : lock_(std::move(lock)) {}

 private:
  std::unique_ptr<tierkv::FileLock> lock_;
};

class NullLogger final : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override {}
};

}  // namespace

leveldb::Status to_leveldb_status(const Status& status) {
  if (status.ok()) return leveldb::Status::OK();
  if (status.is_not_found()) return leveldb::Status::NotFound(status.message());
  return leveldb::Status::IOError(std::string(status_code_name(status.code())),
                                  status.message());
}

// The wrapped target is null on purpose: every method is overridden, so nothing can silently
// fall through to LevelDB's POSIX Env.
LevelDbEnvBridge::LevelDbEnvBridge(tierkv::Env* env, Clock* clock)
    : leveldb::EnvWrapper(nullptr), env_(env), clock_(clock) {
  assert(env_ != nullptr);
}

LevelDbEnvBridge::~LevelDbEnvBridge() { assert(queue_.empty()); }

size_t LevelDbEnvBridge::drain_background_work() {
  size_t ran = 0;
  for (;;) {
    std::pair<void (*)(void*), void*> work;
    {
      std::lock_guard<std::mutex> guard(queue_mutex_);
      if (queue_.empty()) return ran;
      work = queue_.front();
      queue_.pop_front();
    }
    work.first(work.second);
    ++ran;
  }
}

bool LevelDbEnvBridge::has_background_work() const {
  std::lock_guard<std::mutex> guard(queue_mutex_);
  return !queue_.empty();
}

leveldb::Status LevelDbEnvBridge::NewSequentialFile(const std::string& fname,
                                                    leveldb::SequentialFile** result) {
  *result = nullptr;
  Result<std::unique_ptr<File>> file = env_->open_file(fname, OpenMode::kReadOnly);
  if (!file.ok()) return to_leveldb_status(file.status());
  *result = new SequentialFileBridge(std::move(*file), fname, this);
  return leveldb::Status::OK();
}

leveldb::Status LevelDbEnvBridge::NewRandomAccessFile(const std::string& fname,
                                                      leveldb::RandomAccessFile** result) {
  *result = nullptr;
  if (mapping_supported_.load(std::memory_order_relaxed)) {
    if (mappings_left_.fetch_sub(1, std::memory_order_relaxed) > 0) {
      Result<std::unique_ptr<ReadOnlyMapping>> mapping = env_->map_read_only(fname);
      if (mapping.ok()) {
        *result = new MappedFileBridge(std::move(*mapping), &mappings_left_);
        return leveldb::Status::OK();
      }
      mappings_left_.fetch_add(1, std::memory_order_relaxed);
      if (!mapping.status().is_not_supported()) return to_leveldb_status(mapping.status());
      mapping_supported_.store(false, std::memory_order_relaxed);  // e.g. SimEnv
    } else {
      mappings_left_.fetch_add(1, std::memory_order_relaxed);  // budget spent: read_at
    }
  }
  Result<std::unique_ptr<File>> file = env_->open_file(fname, OpenMode::kReadOnly);
  if (!file.ok()) return to_leveldb_status(file.status());
  *result = new RandomAccessFileBridge(std::move(*file));
  return leveldb::Status::OK();
}

void LevelDbEnvBridge::note_sequential_read_failure(const std::string& path,
                                                    const Status& status) {
  std::lock_guard<std::mutex> guard(read_error_mutex_);
  if (!sequential_read_error_.ok()) return;  // the first failure is the one to report
  sequential_read_error_ = Status::io_error("reading " + path + " during recovery failed (" +
                                            status.to_string() +
                                            "); files are no longer created, renamed or "
                                            "removed until the store is reopened");
}

Status LevelDbEnvBridge::sequential_read_error() const {
  std::lock_guard<std::mutex> guard(read_error_mutex_);
  return sequential_read_error_;
}

leveldb::Status LevelDbEnvBridge::open_writable(const std::string& fname, OpenMode mode,
                                                leveldb::WritableFile** result) {
  *result = nullptr;
  if (Status failed = sequential_read_error(); !failed.ok()) return to_leveldb_status(failed);
  Result<std::unique_ptr<File>> file = env_->open_file(fname, mode);
  if (!file.ok()) return to_leveldb_status(file.status());
  *result = new WritableFileBridge(env_, std::move(*file));
  return leveldb::Status::OK();
}

leveldb::Status LevelDbEnvBridge::NewWritableFile(const std::string& fname,
                                                  leveldb::WritableFile** result) {
  return open_writable(fname, OpenMode::kCreateTruncate, result);
}

leveldb::Status LevelDbEnvBridge::NewAppendableFile(const std::string& fname,
                                                    leveldb::WritableFile** result) {
  return open_writable(fname, OpenMode::kCreate, result);
}

bool LevelDbEnvBridge::FileExists(const std::string& fname) {
  return env_->file_exists(fname) || env_->dir_exists(fname);
}

leveldb::Status LevelDbEnvBridge::GetChildren(const std::string& dir,
                                              std::vector<std::string>* result) {
  result->clear();
  Result<std::vector<std::string>> names = env_->list_dir(dir);
  if (!names.ok()) return to_leveldb_status(names.status());
  *result = std::move(*names);
  return leveldb::Status::OK();
}

leveldb::Status LevelDbEnvBridge::RemoveFile(const std::string& fname) {
  if (Status failed = sequential_read_error(); !failed.ok()) return to_leveldb_status(failed);
  return to_leveldb_status(env_->remove_file(fname));
}

leveldb::Status LevelDbEnvBridge::CreateDir(const std::string& dirname) {
  return to_leveldb_status(env_->create_dir(dirname));
}

leveldb::Status LevelDbEnvBridge::RemoveDir(const std::string& dirname) {
  return to_leveldb_status(env_->remove_dir(dirname));
}

leveldb::Status LevelDbEnvBridge::GetFileSize(const std::string& fname, uint64_t* file_size) {
  *file_size = 0;
  Result<uint64_t> size = env_->file_size(fname);
  if (!size.ok()) return to_leveldb_status(size.status());
  *file_size = *size;
  return leveldb::Status::OK();
}

leveldb::Status LevelDbEnvBridge::RenameFile(const std::string& src, const std::string& target) {
  if (Status failed = sequential_read_error(); !failed.ok()) return to_leveldb_status(failed);
  return to_leveldb_status(env_->rename(src, target));
}

leveldb::Status LevelDbEnvBridge::LockFile(const std::string& fname, leveldb::FileLock** lock) {
  *lock = nullptr;
  Result<std::unique_ptr<tierkv::FileLock>> held = env_->lock_file(fname);
  if (!held.ok()) return to_leveldb_status(held.status());
  *lock = new LockBridge(std::move(*held));
  return leveldb::Status::OK();
}

leveldb::Status LevelDbEnvBridge::UnlockFile(leveldb::FileLock* lock) {
  delete lock;
  return leveldb::Status::OK();
}

void LevelDbEnvBridge::Schedule(void (*function)(void* arg), void* arg) {
  std::lock_guard<std::mutex> guard(queue_mutex_);
  queue_.emplace_back(function, arg);
}

void LevelDbEnvBridge::StartThread(void (*)(void*), void*) {
  std::fprintf(stderr, "tierkv LevelDbEnvBridge: StartThread is not supported (no threads)\n");
  std::abort();
}

leveldb::Status LevelDbEnvBridge::GetTestDirectory(std::string*) {
  return leveldb::Status::NotSupported("tierkv LevelDbEnvBridge has no test directory");
}

leveldb::Status LevelDbEnvBridge::NewLogger(const std::string&, leveldb::Logger** result) {
  *result = new NullLogger();
  return leveldb::Status::OK();
}

uint64_t LevelDbEnvBridge::NowMicros() { return clock_ == nullptr ? 0 : clock_->now_us(); }

void LevelDbEnvBridge::SleepForMicroseconds(int) { ++sleep_requests_; }

}  // namespace tierkv
