// LevelDbEnvBridge's table reads: on PosixEnv through read-only mappings (LevelDB's own POSIX
// Env does the same; no system call per block read), on SimEnv through File::read_at after one
// refused mapping (every simulated read stays visible to the fault hook and the trace). Either
// way every key reads back what was written, also after a reopen that reads only tables.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/backends/leveldb_backend.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"
#include "tests/backends/backend_contract.h"
#include "tests/backends/backend_harness.h"
#include "tests/backends/failing_env.h"

namespace tierkv::testing {
namespace {

constexpr uint64_t kKeys = 3000;

// Writes kKeys keys (enough for several table files at the minimum memtable size), reopens,
// reads every key back, and returns how many map_read_only calls the bridge made.
uint64_t write_reopen_and_read_all(Env* base_env, const std::string& dir) {
  FailingEnv env(base_env);  // forwards everything; counts map_read_only calls
  sim::SimClock clock;
  BackendOptions options{&env, &clock, dir, /*sync=*/false, /*seed=*/1};
  LevelDbTuning tuning;
  tuning.write_buffer_size_bytes = 64 * 1024;  // LevelDB's minimum: many table files
  {
    auto backend = LevelDbBackend::open(options, tuning);
    EXPECT_TRUE(backend.ok()) << backend.status().to_string();
    if (!backend.ok()) return 0;
    for (uint64_t i = 0; i < kKeys; ++i) {
      EXPECT_TRUE((*backend)->put(test_key(i), test_value(i, 200)).ok());
    }
  }
  auto backend = LevelDbBackend::open(options, tuning);
  EXPECT_TRUE(backend.ok()) << backend.status().to_string();
  if (!backend.ok()) return 0;
  for (uint64_t i = 0; i < kKeys; ++i) {
    auto value = (*backend)->get(test_key(i));
    EXPECT_TRUE(value.ok()) << test_key(i) << ": " << value.status().to_string();
    if (value.ok()) {
      EXPECT_EQ(*value, test_value(i, 200)) << test_key(i);
    }
  }
  auto all = (*backend)->scan(KeyRange{}, 0);
  EXPECT_TRUE(all.ok());
  if (all.ok()) {
    EXPECT_EQ(all->size(), kKeys);
  }
  return env.map_calls();
}

TEST(LevelDbEnvBridge, OnPosixEnvTablesAreReadThroughMappings) {
  TempDir temp;
  ASSERT_FALSE(temp.path().empty());
  PosixEnv env;
  const uint64_t map_calls = write_reopen_and_read_all(&env, temp.path() + "/db");
  EXPECT_GT(map_calls, 1u) << "table files were not mapped";
}

TEST(LevelDbEnvBridge, OnSimEnvOneRefusedMappingThenReadAtOnly) {
  sim::Prng prng(5);
  sim::TraceHash trace;
  sim::SimEnv env(prng, trace);
  const uint64_t map_calls = write_reopen_and_read_all(&env, "/db");
  EXPECT_EQ(map_calls, 2u) << "one refused map_read_only per bridge (one per open)";
}

}  // namespace
}  // namespace tierkv::testing
