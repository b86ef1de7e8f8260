// RealScratchDir: a fresh real directory for one simulation run (mkdtemp under $TMPDIR or
// /tmp), removed with everything in it when the run ends. LMDB maps real files and does its
// own I/O, so it cannot run on SimEnv (engine/backends/lmdb_backend.h): the simulator puts its
// LMDB tiers here and reaches them through a FaultInjectingBackend whose hook asks
// SimEnv::begin_op before each call (World::open_lmdb), so the run's crash points, EIO/ENOSPC
// hook and trace apply at the adapter boundary. The directory's name never enters the trace.
// Real file-system access: production-style code the simulator uses only for LMDB.
// Thread-safety: the simulator's one thread.
#pragma once

#include <string>

#include "engine/core/status.h"

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

}  // namespace tierkv::sim
