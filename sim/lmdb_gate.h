// LMDB in the simulator. LMDB maps real files and does its own I/O, so it cannot run on
// SimEnv (engine/backends/lmdb_backend.h). The simulator runs it honestly within its limits:
//   - RealScratchDir: a fresh real directory per run (mkdtemp under $TMPDIR or /tmp), removed
//     with everything in it when the run ends. Its name never enters the trace.
//   - EnvGatedBackend: a Backend decorator that passes every call through SimEnv::begin_op
//     first (a read or a mutating op on the tier's logical path), so the run's crash points,
//     EIO/ENOSPC hook and trace apply at the adapter boundary: an op that hits a crash point or
//     an injected error fails before LMDB sees it (a process that died before its commit), and
//     every commit LMDB acknowledged survives the restart (sync commits on a real file system).
//     Power-cut faults (torn tails, lost directory entries) do not apply to LMDB's files.
// Thread-safety: the simulator's one thread.
#pragma once

#include <memory>
#include <string>

#include "engine/backends/backend.h"
#include "sim/runtime/sim_env.h"

namespace tierkv::sim {

class RealScratchDir {
 public:
  // Creates the directory; path() is empty (and status() says why) if that failed.
  RealScratchDir();
  ~RealScratchDir();
  RealScratchDir(const RealScratchDir&) = delete;
  RealScratchDir& operator=(const RealScratchDir&) = delete;
  const std::string& path() const { return path_; }
  const Status& status() const { return status_; }

 private:
  std::string path_;
  Status status_;
};

class EnvGatedBackend final : public Backend {
 public:
  // env must outlive the decorator; logical_path names the tier in the trace and in faults.
  EnvGatedBackend(std::unique_ptr<Backend> inner, SimEnv& env, std::string logical_path);

  std::string_view name() const override { return inner_->name(); }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override { return inner_->close(); }

 private:
  Status gate(SimOpKind kind, uint64_t size_bytes);

  std::unique_ptr<Backend> inner_;
  SimEnv& env_;
  std::string logical_path_;
};

}  // namespace tierkv::sim
