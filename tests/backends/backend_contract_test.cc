// The Backend contract suite (backend_contract.h) on every backend kind and Env it supports:
// memory, leveldb and sqlite on SimEnv and on PosixEnv, lmdb on a real directory.
#include <gtest/gtest.h>

#include "tests/backends/backend_contract.h"
#include "tests/backends/backend_harness.h"

namespace tierkv::testing {
namespace {

using Harnesses = ::testing::Types<MemoryHarness, LevelDbSimHarness, SqliteSimHarness,
#if TIERKV_HAVE_POSIX_ENV
                                   LevelDbPosixHarness, SqlitePosixHarness,
#endif
                                   LmdbHarness>;

class HarnessNames {
 public:
  template <typename T>
  static std::string GetName(int index) {
    static const char* const kNames[] = {"memory", "leveldb_sim", "sqlite_sim",
#if TIERKV_HAVE_POSIX_ENV
                                         "leveldb_posix", "sqlite_posix",
#endif
                                         "lmdb"};
    return kNames[index];
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(All, BackendContract, Harnesses, HarnessNames);

}  // namespace
}  // namespace tierkv::testing
