// SqliteBackend under a failed COMMIT (found by the simulator in a hybrid-primary world, memory
// seed 1209: a write whose COMMIT got EIO was reported failed, a later remove of the key read
// "absent" and acknowledged without writing, and after a restart SQLite's WAL recovery brought
// the failed write back over the acknowledged remove). SQLite may have written the batch's WAL
// frames before the sync failed, so the batch's outcome is unknown until the store is
// reopened: a failed COMMIT poisons the backend until then.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/backends/sqlite_backend.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"

namespace tierkv::testing {
namespace {

struct SimRig {
  sim::Prng prng{11};
  sim::TraceHash trace;
  sim::SimEnv env{prng, trace};
  sim::SimClock clock;
  BackendOptions options{&env, &clock, "/db", /*sync=*/true, /*seed=*/1};
};

TEST(SqliteFailures, AFailedCommitPoisonsTheBackendUntilReopened) {
  SimRig rig;
  auto backend = SqliteBackend::open(rig.options);
  ASSERT_TRUE(backend.ok()) << backend.status().to_string();
  ASSERT_TRUE((*backend)->put("a", "1").ok());
  rig.env.set_fault_hook([](const sim::SimOp& op) -> Status {
    if (op.kind == sim::SimOpKind::kSync) return Status::io_error("injected EIO on sync");
    return Status();
  });
  Status failed = (*backend)->put("b", "2");  // frames written, sync failed: outcome unknown
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.to_string().find("COMMIT"), std::string::npos) << failed.to_string();
  rig.env.set_fault_hook({});
  auto read = (*backend)->get("b");
  ASSERT_FALSE(read.ok()) << "a poisoned backend must not answer 'absent' for b";
  EXPECT_FALSE(read.status().is_not_found()) << read.status().to_string();
  EXPECT_NE(read.status().to_string().find("reopen"), std::string::npos)
      << read.status().to_string();
  EXPECT_FALSE((*backend)->get("a").ok());
  EXPECT_FALSE((*backend)->remove("b").ok()) << "a remove must not be acknowledged either";
  EXPECT_FALSE((*backend)->scan(KeyRange{"", ""}, 0).ok());
  backend->reset();
  auto reopened = SqliteBackend::open(rig.options);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  auto a = (*reopened)->get("a");
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(*a, "1");
  auto b = (*reopened)->get("b");  // either outcome is legal; the store answers again
  EXPECT_TRUE(b.ok() || b.status().is_not_found()) << b.status().to_string();
  EXPECT_TRUE((*reopened)->remove("b").ok());
  EXPECT_TRUE((*reopened)->get("b").status().is_not_found());
}

}  // namespace
}  // namespace tierkv::testing
