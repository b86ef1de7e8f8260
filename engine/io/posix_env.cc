#include "engine/io/posix_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

namespace tierkv {
namespace {

// Runs a system call until it stops failing with EINTR.
template <typename Call>
auto retry_eintr(Call call) {
  for (;;) {
    auto result = call();
    if (result != -1 || errno != EINTR) return result;
  }
}

int open_flags(OpenMode mode) {
  switch (mode) {
    case OpenMode::kReadOnly: return O_RDONLY;
    case OpenMode::kReadWrite: return O_RDWR;
    case OpenMode::kCreate: return O_RDWR | O_CREAT;
    case OpenMode::kCreateTruncate: return O_RDWR | O_CREAT | O_TRUNC;
    case OpenMode::kCreateExclusive: return O_RDWR | O_CREAT | O_EXCL;
  }
  assert(false && "unknown OpenMode");
  return O_RDONLY;
}

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirMode = 0755;

class PosixFile final : public File {
 public:
  PosixFile(std::string path, int fd, bool read_only, uint64_t end_offset)
      : path_(std::move(path)), fd_(fd), read_only_(read_only), end_offset_(end_offset) {
    assert(fd_ >= 0);
  }
  ~PosixFile() override { (void)close(); }

  Status append(std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(write_at(end_offset_, data));
    return Status();
  }

  Status write_at(uint64_t offset, std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(check_writable("write"));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = retry_eintr([&] {
        return ::pwrite(fd_, data.data() + done, data.size() - done,
                        static_cast<off_t>(offset + done));
      });
      if (n < 0) return posix_error("write", path_, errno);
      done += static_cast<size_t>(n);
    }
    end_offset_ = std::max(end_offset_, offset + data.size());
    return Status();
  }

  Result<size_t> read_at(uint64_t offset, size_t n, char* scratch) override {
    TIERKV_RETURN_IF_ERROR(check_open("read"));
    size_t done = 0;
    while (done < n) {
      ssize_t got = retry_eintr(
          [&] { return ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done)); });
      if (got < 0) return posix_error("read", path_, errno);
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    return done;
  }

  Status sync() override {
    TIERKV_RETURN_IF_ERROR(check_open("sync"));
    // fdatasync flushes the data and the metadata needed to read it back, which includes the
    // size after an append or a truncate (POSIX synchronized I/O data integrity; Linux does
    // so on every file system). It skips timestamps, which nothing here reads. LevelDB's and
    // SQLite's own POSIX layers sync the same way.
    if (retry_eintr([&] { return ::fdatasync(fd_); }) != 0) {
      return posix_error("fdatasync", path_, errno);
    }
    return Status();
  }

  Status truncate(uint64_t size_bytes) override {
    TIERKV_RETURN_IF_ERROR(check_writable("truncate"));
    if (retry_eintr([&] { return ::ftruncate(fd_, static_cast<off_t>(size_bytes)); }) != 0) {
      return posix_error("truncate", path_, errno);
    }
    end_offset_ = size_bytes;
    return Status();
  }

  Result<uint64_t> size() override {
    TIERKV_RETURN_IF_ERROR(check_open("size of"));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return posix_error("fstat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status close() override {
    if (fd_ < 0) return Status();
    int fd = std::exchange(fd_, -1);
    // No EINTR retry: on Linux the descriptor is gone even when close reports EINTR.
    if (::close(fd) != 0 && errno != EINTR) return posix_error("close", path_, errno);
    return Status();
  }

  const std::string& path() const override { return path_; }

 private:
  Status check_open(const char* operation) const {
    if (fd_ < 0) return Status::io_error(std::string(operation) + " " + path_ + ": file is closed");
    return Status();
  }
  Status check_writable(const char* operation) const {
    TIERKV_RETURN_IF_ERROR(check_open(operation));
    if (read_only_) {
      return Status::io_error(std::string(operation) + " " + path_ + ": file is open read-only");
    }
    return Status();
  }

  std::string path_;
  int fd_;
  bool read_only_;
  uint64_t end_offset_;  // where append() writes next
};

// A whole file mapped PROT_READ/MAP_SHARED; an empty file needs (and gets) no mapping.
class PosixReadOnlyMapping final : public ReadOnlyMapping {
 public:
  PosixReadOnlyMapping(void* base, size_t size_bytes) : base_(base), size_bytes_(size_bytes) {
    assert(base_ != nullptr || size_bytes_ == 0);
  }
  ~PosixReadOnlyMapping() override {
    if (size_bytes_ != 0) ::munmap(base_, size_bytes_);
  }
  std::string_view bytes() const override {
    return std::string_view(static_cast<const char*>(base_), size_bytes_);
  }

 private:
  void* base_;
  size_t size_bytes_;
};

// Files this process holds a lock_file() lock on, by identity (device, inode), so that two
// spellings of one path are the same lock. Guarded by its mutex: PosixEnv is thread-safe.
struct LockedFiles {
  std::mutex mutex;
  std::set<std::pair<dev_t, ino_t>> held;
};

LockedFiles& locked_files() {
  static LockedFiles* files = new LockedFiles();  // never destroyed: locks may outlive statics
  return *files;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd, std::pair<dev_t, ino_t> identity)
      : path_(std::move(path)), fd_(fd), identity_(identity) {}
  ~PosixFileLock() override {
    {
      LockedFiles& files = locked_files();
      std::lock_guard<std::mutex> hold(files.mutex);
      size_t erased = files.held.erase(identity_);
      assert(erased == 1);
      (void)erased;
    }
    ::close(fd_);  // releases the flock
  }

 private:
  std::string path_;
  int fd_;
  std::pair<dev_t, ino_t> identity_;
};

Status stat_path(const std::string& path, struct stat* st) {
  if (retry_eintr([&] { return ::stat(path.c_str(), st); }) != 0) {
    return posix_error("stat", path, errno);
  }
  return Status();
}

}  // namespace

Status posix_error(const std::string& operation, const std::string& path, int error_number) {
  std::string msg = operation + " " + path + ": " +
                    std::error_code(error_number, std::generic_category()).message();
  switch (error_number) {
    case ENOSPC:
    case EDQUOT: return Status::no_space(std::move(msg));
    case ENOENT: return Status::not_found(std::move(msg));
    default: return Status::io_error(std::move(msg));
  }
}

Result<std::unique_ptr<File>> PosixEnv::open_file(const std::string& path, OpenMode mode) {
  int fd = retry_eintr([&] { return ::open(path.c_str(), open_flags(mode) | O_CLOEXEC, kFileMode); });
  if (fd < 0) return posix_error("open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int error_number = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    return posix_error("open", path, error_number);
  }
  return std::unique_ptr<File>(std::make_unique<PosixFile>(
      path, fd, mode == OpenMode::kReadOnly, static_cast<uint64_t>(st.st_size)));
}

Status PosixEnv::rename(const std::string& from, const std::string& to) {
  if (retry_eintr([&] { return ::rename(from.c_str(), to.c_str()); }) != 0) {
    return posix_error("rename", from + " -> " + to, errno);
  }
  return Status();
}

Status PosixEnv::link(const std::string& from, const std::string& to) {
  if (retry_eintr([&] { return ::link(from.c_str(), to.c_str()); }) != 0) {
    return posix_error("link", from + " -> " + to, errno);
  }
  return Status();
}

Status PosixEnv::remove_file(const std::string& path) {
  if (retry_eintr([&] { return ::unlink(path.c_str()); }) != 0) {
    return posix_error("remove", path, errno);
  }
  return Status();
}

Status PosixEnv::create_dir(const std::string& path) {
  if (retry_eintr([&] { return ::mkdir(path.c_str(), kDirMode); }) == 0) return Status();
  int error_number = errno;
  if (error_number == EEXIST && dir_exists(path)) return Status();
  if (error_number == EEXIST) {
    return Status::io_error("create directory " + path + ": exists and is not a directory");
  }
  return posix_error("create directory", path, error_number);
}

Status PosixEnv::remove_dir(const std::string& path) {
  if (retry_eintr([&] { return ::rmdir(path.c_str()); }) != 0) {
    return posix_error("remove directory", path, errno);
  }
  return Status();
}

Result<std::vector<std::string>> PosixEnv::list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return posix_error("list directory", path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name(entry->d_name);
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int error_number = errno;
  ::closedir(dir);
  if (error_number != 0) return posix_error("list directory", path, error_number);
  std::sort(names.begin(), names.end());
  return names;
}

Status PosixEnv::sync_dir(const std::string& path) {
  int fd = retry_eintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
  if (fd < 0) return posix_error("open directory", path, errno);
  Status status;
  if (retry_eintr([&] { return ::fsync(fd); }) != 0) status = posix_error("fsync directory", path, errno);
  ::close(fd);
  return status;
}

Result<std::unique_ptr<FileLock>> PosixEnv::lock_file(const std::string& path) {
  int fd = retry_eintr([&] { return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode); });
  if (fd < 0) return posix_error("open lock file", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = posix_error("fstat lock file", path, errno);
    ::close(fd);
    return status;
  }
  const std::pair<dev_t, ino_t> identity(st.st_dev, st.st_ino);
  LockedFiles& files = locked_files();
  std::lock_guard<std::mutex> hold(files.mutex);
  if (files.held.count(identity) != 0) {
    ::close(fd);
    return Status::busy("lock " + path + ": already locked by this process");
  }
  if (retry_eintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
    int error_number = errno;
    ::close(fd);
    if (error_number == EWOULDBLOCK) {
      return Status::busy("lock " + path + ": held by another process");
    }
    return posix_error("lock", path, error_number);
  }
  files.held.insert(identity);
  return std::unique_ptr<FileLock>(std::make_unique<PosixFileLock>(path, fd, identity));
}

bool PosixEnv::file_exists(const std::string& path) {
  struct stat st {};
  return stat_path(path, &st).ok() && !S_ISDIR(st.st_mode);
}

bool PosixEnv::dir_exists(const std::string& path) {
  struct stat st {};
  return stat_path(path, &st).ok() && S_ISDIR(st.st_mode);
}

Result<uint64_t> PosixEnv::file_size(const std::string& path) {
  struct stat st {};
  TIERKV_RETURN_IF_ERROR(stat_path(path, &st));
  if (S_ISDIR(st.st_mode)) return Status::io_error("file size " + path + ": is a directory");
  return static_cast<uint64_t>(st.st_size);
}

Result<std::unique_ptr<ReadOnlyMapping>> PosixEnv::map_read_only(const std::string& path) {
  int fd = retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return posix_error("open for mapping", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    int error_number = S_ISDIR(st.st_mode) ? EISDIR : errno;
    ::close(fd);
    return posix_error("open for mapping", path, error_number);
  }
  const size_t size_bytes = static_cast<size_t>(st.st_size);
  void* base = nullptr;
  if (size_bytes != 0) {
    base = ::mmap(nullptr, size_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
      int error_number = errno;
      ::close(fd);
      return posix_error("mmap", path, error_number);
    }
  }
  ::close(fd);  // the mapping keeps the file's pages reachable
  return std::unique_ptr<ReadOnlyMapping>(
      std::make_unique<PosixReadOnlyMapping>(base, size_bytes));
}

}  // namespace tierkv
