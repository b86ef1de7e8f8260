// Env: the engine's one seam to the file system. Every file the engine touches (the WAL,
// snapshots, the LevelDB and SQLite bridges) goes through an Env. PosixEnv is the real one;
// the simulator's SimEnv keeps files in memory with a durable and a volatile state.
//
// Paths are '/'-separated strings. A path's parent directory must exist before a file or
// directory is created in it. All calls are synchronous; callers that must not block an event
// loop go through Executor::run_blocking.
//
// Durability contract (what a power cut keeps), which SimEnv enforces and PosixEnv inherits
// from the OS:
//   - File data written by append/write_at is durable only after File::sync() returns OK,
//     together with the file size needed to read it back (fdatasync(2) semantics: timestamps
//     and other metadata not needed to read the data back are not promised).
//   - A creation, rename, link or removal of a directory entry is durable only after
//     sync_dir() of the directory holding the entry returns OK.
//   - rename() atomically replaces the destination: after a crash the name refers to the old
//     or the new file, never to a mix.
// Thread-safety: an Env may be used from several threads; one File object must not be.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace tierkv {

enum class OpenMode : uint8_t {
  kReadOnly,         // REQUIRES: the file exists. Writes fail.
  kReadWrite,        // REQUIRES: the file exists.
  kCreate,           // Opens for read+write, creating an empty file if missing.
  kCreateTruncate,   // Opens for read+write, creating it or truncating it to zero.
  kCreateExclusive,  // Creates a new file; fails if the path exists.
};

// An open file. Not thread-safe.
class File {
 public:
  virtual ~File() = default;

  // Appends data at the current end of the file.
  virtual Status append(std::string_view data) = 0;

  // Writes data at offset, extending the file (zero-filled) if offset is past the end.
  virtual Status write_at(uint64_t offset, std::string_view data) = 0;

  // Reads up to n bytes at offset into scratch (which holds at least n bytes) and returns how
  // many were read: fewer than n only at end of file, 0 at or past it.
  virtual Result<size_t> read_at(uint64_t offset, size_t n, char* scratch) = 0;

  // Makes every byte written so far, and the file's size (also after truncate), durable:
  // after a power cut a reader sees at least this size and these bytes. Not timestamps, and
  // not the directory entry of a new or renamed file: see sync_dir.
  virtual Status sync() = 0;

  // Sets the file's size; data past it is gone. Durable after sync().
  virtual Status truncate(uint64_t size_bytes) = 0;

  virtual Result<uint64_t> size() = 0;

  // Closes the file. Does not sync. Later calls fail. The destructor closes too.
  virtual Status close() = 0;

  // The path this file was opened with (for error messages).
  virtual const std::string& path() const = 0;
};

// A read-only view of a whole file's bytes, from Env::map_read_only. Valid until destroyed.
// Thread-safety: bytes() may be read from several threads at once.
class ReadOnlyMapping {
 public:
  virtual ~ReadOnlyMapping() = default;
  virtual std::string_view bytes() const = 0;
};

// A held advisory lock; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) = 0;

  // Atomically renames from -> to, replacing `to` if it exists (files only).
  virtual Status rename(const std::string& from, const std::string& to) = 0;

  // Creates a hard link `to` for the existing file `from`. Fails if `to` exists.
  virtual Status link(const std::string& from, const std::string& to) = 0;

  // Removes a file. NotFound if it does not exist.
  virtual Status remove_file(const std::string& path) = 0;

  // Creates a directory. OK if it already exists as a directory.
  virtual Status create_dir(const std::string& path) = 0;

  // Removes an empty directory. NotFound if missing; IOError if not empty.
  virtual Status remove_dir(const std::string& path) = 0;

  // Names (not paths) of the entries of a directory, sorted bytewise, without "." and "..".
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;

  // Makes creations, renames, links and removals of entries in this directory durable.
  virtual Status sync_dir(const std::string& path) = 0;

  // Takes an exclusive advisory lock on path (creating the file if needed). Busy if another
  // holder (another process, or another open in this process) has it.
  virtual Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) = 0;

  virtual bool file_exists(const std::string& path) = 0;
  virtual bool dir_exists(const std::string& path) = 0;

  virtual Result<uint64_t> file_size(const std::string& path) = 0;

  // Maps an existing file read-only into memory, for random reads of an immutable file (e.g.
  // LevelDB's table files) with neither a system call nor a copy per read. The view has the
  // file's size at the time of the call.
  // REQUIRES: nobody writes to or truncates the file while the mapping lives (touching a page
  // cut off by a truncation kills the process with SIGBUS). Removing or renaming it is fine.
  // Returns NotSupported where the Env does not map files: the default, and SimEnv, whose
  // reads must go through File::read_at so that fault hooks and the trace see them. Callers
  // fall back to open_file + read_at then.
  virtual Result<std::unique_ptr<ReadOnlyMapping>> map_read_only(const std::string& path) {
    return Status::not_supported("map " + path + ": this Env does not map files");
  }
};

}  // namespace tierkv
