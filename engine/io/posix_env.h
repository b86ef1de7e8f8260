// PosixEnv: the production Env over POSIX system calls (production only; the simulator uses
// SimEnv).
//
// What it promises beyond env.h:
//   - File::sync() is fdatasync(2): the data and the size needed to read it back (also after
//     truncate) are durable, timestamps are not (env.h's contract; LevelDB's and SQLite's own
//     POSIX layers sync the same way).
//   - sync_dir() opens the directory O_RDONLY|O_DIRECTORY and fsyncs it, which is what makes
//     entry creations, renames, links and removals durable on Linux.
//   - append() writes at the end of the file as tracked by this File object (the file's size
//     when opened plus what this object appended or truncated); write_at() is pwrite.
//   - lock_file() takes an exclusive non-blocking flock(2) lock and also records the file's
//     (device, inode) in a process-wide set, so a second lock_file() of the same file in this
//     process is Busy whatever the spelling of its path, as is one from another process.
//     The lock is released (and the path forgotten) when the FileLock is destroyed.
//   - map_read_only() is mmap(2) PROT_READ, MAP_SHARED of the whole file (an empty file maps
//     to an empty view); the descriptor is closed at once, so a mapping holds no descriptor.
//   - EINTR is retried. Failures are IOError (ENOSPC/EDQUOT: NoSpace; ENOENT: NotFound) with a
//     message naming the operation, the path and strerror(errno).
//
// Thread-safety: a PosixEnv may be used from several threads at once; a File may not.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/io/env.h"

namespace tierkv {

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status link(const std::string& from, const std::string& to) override;
  Status remove_file(const std::string& path) override;
  Status create_dir(const std::string& path) override;
  Status remove_dir(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) override;
  Status sync_dir(const std::string& path) override;
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override;
  bool file_exists(const std::string& path) override;
  bool dir_exists(const std::string& path) override;
  Result<uint64_t> file_size(const std::string& path) override;
  Result<std::unique_ptr<ReadOnlyMapping>> map_read_only(const std::string& path) override;
};

// The Status for a failed system call: NoSpace for ENOSPC/EDQUOT, NotFound for ENOENT,
// IOError otherwise; the message is "<operation> <path>: <strerror(error_number)>".
Status posix_error(const std::string& operation, const std::string& path, int error_number);

}  // namespace tierkv
