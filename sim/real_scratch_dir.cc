#include "sim/real_scratch_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace tierkv::sim {

RealScratchDir::RealScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/tierkv-sim-lmdb-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    status_ = Status::io_error("cannot create a scratch directory like " + pattern +
                               " for the lmdb backend");
    return;
  }
  path_ = pattern;
}

RealScratchDir::~RealScratchDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace tierkv::sim
