// SimFile and SimFileLock: the handles SimEnv hands out. Internal to SimEnv.
//
// A handle is live while the Epoch it was opened in is alive; crash() and ~SimEnv end the
// epoch, after which every call fails with IOError and destruction is a no-op.
#pragma once

#include <memory>
#include <string>

#include "sim/runtime/sim_env.h"

namespace tierkv::sim {

std::unique_ptr<File> make_sim_file(SimEnv* env, std::shared_ptr<SimEnv::Epoch> epoch,
                                    std::shared_ptr<SimInode> inode, std::string path,
                                    bool read_only);

// REQUIRES: canonical_path is in epoch->locked_paths; the lock removes it when destroyed.
std::unique_ptr<FileLock> make_sim_file_lock(std::shared_ptr<SimEnv::Epoch> epoch,
                                             std::string canonical_path);

}  // namespace tierkv::sim
