// LevelDbBackend under I/O errors the simulator found costly (both lost acknowledged writes
// before they were fixed; their scenarios are in scenarios/regressions/leveldb_*.json):
//   - a failed read of a log while opening must fail the open (LevelDB would otherwise drop the
//     rest of the log as if it were a torn tail and delete it), and a later open gets it all;
//   - a failed write poisons the backend until reopened (LevelDB may have logged the batch
//     before its sync failed, yet still answers reads without it).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/backends/leveldb_backend.h"
#include "engine/io/env_util.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"
#include "tests/backends/backend_contract.h"

namespace tierkv::testing {
namespace {

constexpr uint64_t kKeys = 50;

struct SimRig {
  sim::Prng prng{11};
  sim::TraceHash trace;
  sim::SimEnv env{prng, trace};
  sim::SimClock clock;
  BackendOptions options{&env, &clock, "/db", /*sync=*/true, /*seed=*/1};
};

TEST(LevelDbFailures, ALogReadErrorDuringOpenFailsTheOpenAndALaterOpenRecoversEverything) {
  SimRig rig;
  {
    auto backend = LevelDbBackend::open(rig.options);
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    for (uint64_t i = 0; i < kKeys; ++i) {
      ASSERT_TRUE((*backend)->put(test_key(i), test_value(i, 100)).ok());
    }
  }  // the writes are only in the log (no memtable flush at this size)
  uint64_t log_reads = 0;
  rig.env.set_fault_hook([&](const sim::SimOp& op) -> Status {
    const std::string path(op.path);
    if (op.kind == sim::SimOpKind::kRead && path.ends_with(".log") && ++log_reads == 1) {
      return Status::io_error("injected EIO reading " + path);
    }
    return Status();
  });
  auto failed = LevelDbBackend::open(rig.options);
  ASSERT_FALSE(failed.ok()) << "an open that could not read its log must not succeed";
  EXPECT_NE(failed.status().to_string().find(".log"), std::string::npos)
      << failed.status().to_string();
  EXPECT_EQ(log_reads, 1u);
  rig.env.set_fault_hook({});
  auto reopened = LevelDbBackend::open(rig.options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  for (uint64_t i = 0; i < kKeys; ++i) {
    auto value = (*reopened)->get(test_key(i));
    ASSERT_TRUE(value.ok()) << test_key(i) << ": " << value.status().to_string();
    EXPECT_EQ(*value, test_value(i, 100));
  }
}

TEST(LevelDbFailures, AFailedWritePoisonsTheBackendUntilReopened) {
  SimRig rig;
  auto backend = LevelDbBackend::open(rig.options);
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  ASSERT_TRUE((*backend)->put("a", "1").ok());
  rig.env.set_fault_hook([](const sim::SimOp& op) -> Status {
    if (op.kind == sim::SimOpKind::kSync) return Status::io_error("injected EIO on sync");
    return Status();
  });
  EXPECT_FALSE((*backend)->put("b", "2").ok());  // logged, sync failed: outcome unknown
  rig.env.set_fault_hook({});
  auto read = (*backend)->get("b");
  ASSERT_FALSE(read.ok()) << "a poisoned backend must not answer 'absent' for b";
  EXPECT_FALSE(read.status().is_not_found()) << read.status().to_string();
  EXPECT_NE(read.status().to_string().find("reopen"), std::string::npos)
      << read.status().to_string();
  EXPECT_FALSE((*backend)->get("a").ok());
  EXPECT_FALSE((*backend)->put("c", "3").ok());
  backend->reset();
  auto reopened = LevelDbBackend::open(rig.options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  auto a = (*reopened)->get("a");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(*a, "1");
  auto b = (*reopened)->get("b");  // either outcome is legal; the store answers again
  EXPECT_TRUE(b.ok() || b.status().is_not_found()) << b.status().to_string();
  EXPECT_TRUE((*reopened)->put("c", "3").ok());
}

// A damaged store is Corruption (a detection callers and the simulator tell apart from an I/O
// error), and the open changes nothing.
TEST(LevelDbFailures, ADamagedStoreFailsTheOpenWithCorruption) {
  SimRig rig;
  {
    auto backend = LevelDbBackend::open(rig.options);
    ASSERT_TRUE(backend.ok()) << backend.status().to_string();
    ASSERT_TRUE((*backend)->put(test_key(1), test_value(1, 100)).ok());
  }
  ASSERT_TRUE(write_file_atomically(rig.env, "/db/CURRENT", "no newline").ok());
  auto failed = LevelDbBackend::open(rig.options);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().is_corruption()) << failed.status().to_string();
  EXPECT_NE(failed.status().message().find("/db"), std::string::npos)
      << failed.status().to_string();
  EXPECT_EQ(*rig.env.durable_file_content("/db/CURRENT"), "no newline");
}

}  // namespace
}  // namespace tierkv::testing
