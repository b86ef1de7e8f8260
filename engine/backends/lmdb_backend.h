// LmdbBackend: LMDB 0.9 behind the Backend interface, on a REAL directory.
//
// LMDB maps its files into memory and does its own I/O (pwrite/writev, fdatasync, an O_DSYNC
// meta page), so it cannot run on tierkv's Env and so NOT on SimEnv. Its honest fault lanes:
//   - process crash: the process dies (tests fork a child and SIGKILL it) or the environment is
//     abandoned; reopening gives every committed transaction;
//   - injected errors at the adapter boundary: wrap it in FaultInjectingBackend.
// Power-cut faults are not simulated for LMDB (README says so).
//
// Layout: <dir>/data.mdb and <dir>/lock.mdb (MDB_NOSUBDIR off).
// Promises:
//   - With options.sync, an OK put/remove/write is a committed, fsync'ed transaction (LMDB's
//     default sync commits). Without it, MDB_NOSYNC | MDB_NOMETASYNC (durable after close).
//   - write(batch) is one write transaction: all-or-nothing; a failing op aborts it.
//   - Keys must be 1..511 bytes (LMDB's key limit): others are InvalidArgument naming the key.
//   - One environment per path per process: a process-wide registry refuses a second open of
//     the same directory with Busy (LMDB's fcntl locks break if one process opens it twice).
//   - checkpoint(dir): mdb_env_copy2 (MDB_CP_COMPACT) into dir/data.mdb, fsync'ed, dir and its
//     parent fsync'ed. Opening an LmdbBackend on dir gives that state.
// Thread-safety: one thread at a time (Backend's rule).
#pragma once

#include <memory>
#include <string>

#include "engine/backends/backend.h"

struct MDB_env;

namespace tierkv {

inline constexpr size_t kLmdbKeyBytesMax = 511;

struct LmdbTuning {
  size_t map_size_bytes = size_t{1} << 30;  // 1 GiB: the largest the store may grow to
  bool compact_checkpoints = true;          // MDB_CP_COMPACT for checkpoint()
};

class LmdbBackend final : public Backend {
 public:
  // options.env and options.clock are ignored; options.dir is a real path.
  static Result<std::unique_ptr<LmdbBackend>> open(const BackendOptions& options,
                                                   const LmdbTuning& tuning = {});
  ~LmdbBackend() override;

  std::string_view name() const override { return "lmdb"; }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override;

 private:
  LmdbBackend(BackendOptions options, LmdbTuning tuning, std::string registered_path);
  Status check_open() const;
  Status check_key(std::string_view key) const;
  Status error(const std::string& what, int rc) const;

  BackendOptions options_;
  LmdbTuning tuning_;
  std::string registered_path_;  // key in the process-wide registry of open environments
  MDB_env* env_ = nullptr;
  unsigned int dbi_ = 0;
};

}  // namespace tierkv
