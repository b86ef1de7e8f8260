// The simulator's async-backup worlds: the mirror's batching is drawn per seed
// (WorldConfig::async_batch_max_keys / async_batch_delay_us, optional scenario fields), the
// backup is judged equal to primary once flush_backup() drained the mirror and before any
// reconcile could repair it, and the backup's fault decorator orders an atomic batch like a
// write (call-order ticket taken when called).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/core/forwarding_kv_store.h"
#include "sim/checkers.h"
#include "sim/cli_outcome.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/world_faults.h"
#include "tests/sim/sim_test_util.h"
#include "tests/tier/tier_harness.h"

namespace tierkv::sim {
namespace {

TEST(AsyncMirrorWorld, AsyncWorldsDrawTheMirrorsBatchingOthersKeepTheDefaults) {
  std::set<uint32_t> max_keys;
  std::set<uint64_t> delays;
  size_t async_worlds = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const Scenario s = generate_scenario(seed, options_with(20));
    if (!s.world.async_backup) {
      EXPECT_EQ(s.world.async_batch_max_keys, 64u) << "seed " << seed;
      EXPECT_EQ(s.world.async_batch_delay_us, 1000u) << "seed " << seed;
      EXPECT_EQ(describe_scenario(s).find("(batch "), std::string::npos) << "seed " << seed;
      continue;
    }
    ++async_worlds;
    max_keys.insert(s.world.async_batch_max_keys);
    delays.insert(s.world.async_batch_delay_us);
    const std::string batching = "backup=async(batch " +
                                 std::to_string(s.world.async_batch_max_keys) + " keys, delay " +
                                 std::to_string(s.world.async_batch_delay_us) + "us)";
    EXPECT_NE(describe_scenario(s).find(batching), std::string::npos) << describe_scenario(s);
  }
  EXPECT_GT(async_worlds, 20u);
  EXPECT_EQ(max_keys, (std::set<uint32_t>{1, 4, 64}));
  EXPECT_EQ(delays, (std::set<uint64_t>{0, 1000, 5000}));
}

TEST(AsyncMirrorWorld, AsyncWorldsRunCleanUnderBackupFaultsAndReplayBitForBit) {
  const size_t wanted = long_mode() ? 40 : 6;  // TIERKV_LONG=1: the long loop
  size_t ran = 0;
  uint64_t outages = 0;
  std::set<std::pair<uint32_t, uint64_t>> batchings;
  for (uint64_t seed = 1; ran < wanted && seed <= 2000; ++seed) {
    const Scenario s =
        generate_scenario(seed, options_with(200, {FaultKind::kBackupOutage, FaultKind::kSlowBackup,
                                                   FaultKind::kCrash, FaultKind::kIoError}));
    if (!s.world.async_backup) continue;
    ++ran;
    batchings.emplace(s.world.async_batch_max_keys, s.world.async_batch_delay_us);
    const RunResult first = run_scenario(s);
    ASSERT_TRUE(first.ok()) << "seed " << seed << describe(first);
    auto fired = first.stats.faults_fired.find("backup_outage");
    if (fired != first.stats.faults_fired.end()) outages += fired->second;
    Result<Scenario> parsed = scenario_from_json(scenario_to_json(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->world, s.world);
    EXPECT_EQ(run_scenario(*parsed).trace_hex, first.trace_hex) << "seed " << seed;
  }
  EXPECT_EQ(ran, wanted);
  EXPECT_GT(outages, 0u);
  EXPECT_GT(batchings.size(), 1u);
}

// A primary whose first read of each key says it is absent. In a run of writes only, those
// first reads are the async mirror's copies, so the mirror removes the keys from backup (a
// mirror that loses keys); every later read (a reconcile's, the checks') is the truth, so a
// reconcile repairs the backup.
class FirstReadMissesPrimary final : public ForwardingKvStore {
 public:
  using ForwardingKvStore::ForwardingKvStore;
  Task<Result<std::string>> read(StoreKey key) override {
    if (read_once_.insert(key).second) {
      co_return Status::not_found(key.to_string() + ": not found (first read)");
    }
    co_return co_await inner().read(std::move(key));
  }

 private:
  std::set<StoreKey> read_once_;
};

Scenario writes_only_async_world(uint32_t batch_max_keys, uint64_t batch_delay_us) {
  Scenario s = generate_scenario(1, options_with(1));
  s.world = WorldConfig{};
  s.world.backend = "memory";
  s.world.ephemeral_tier = false;
  s.world.backup_tier = true;
  s.world.async_backup = true;
  s.world.async_batch_max_keys = batch_max_keys;
  s.world.async_batch_delay_us = batch_delay_us;
  s.clients = 1;
  s.hot_keys = false;
  s.faults.clear();
  s.ops.clear();
  for (const char* key : {"k0", "k1", "k2"}) {
    Op write;
    write.kind = OpKind::kWrite;
    write.primary_namespace = "app";
    write.key = key;
    write.value_bytes = 32;
    s.ops.push_back(write);
  }
  return s;
}

TEST(AsyncMirrorWorld, AMirrorThatLosesKeysIsCaughtAfterTheFlushBeforeAnyReconcile) {
  const PrimaryWrapper first_read_misses = [](KvStore& primary) -> std::unique_ptr<KvStore> {
    return std::make_unique<FirstReadMissesPrimary>(primary);
  };
  for (uint32_t max_keys : {1u, 64u}) {
    const Scenario s = writes_only_async_world(max_keys, 1000);
    // The correct engine passes this world.
    const RunResult clean = run_scenario(s);
    EXPECT_TRUE(clean.ok()) << describe(clean);
    const RunResult lossy = run_scenario(s, first_read_misses);
    ASSERT_FALSE(lossy.violations.empty()) << "batch of " << max_keys;
    for (const Violation& v : lossy.violations) {
      // Only the drained-mirror check sees it: the reconcile after it repairs the backup, so
      // the check after the reconcile passes.
      EXPECT_EQ(v.invariant, kCheckBackupPrimary) << v.message;
      EXPECT_NE(v.message.find("after flush_backup() drained the async mirror"), std::string::npos)
          << v.message;
      EXPECT_NE(v.message.find("backup holds <absent>"), std::string::npos) << v.message;
    }
  }
}

// FaultyKvStore outside a fault window: an atomic batch takes its call-order tickets when
// called, as a write does. A batch called before a write of the same key and run first is
// older than the write, so the write still lands (had the batch taken its tickets when it
// started running, it would count as newer and the write would be skipped as stale).
TEST(FaultyKvStore, AnAtomicBatchTakesItsCallOrderWhenCalledLikeAWrite) {
  testing::SimRig rig(5);
  testing::MemoryStore backup(rig.executor);
  FaultWindows windows;
  FaultyKvStore faulty(*backup.store, rig.executor, "backup", &windows);
  const StoreKey key = testing::skey("app", "", "k");
  Task<AtomicResult> older = faulty.write_atomic({AtomicOp{key, std::string("older"), {}}});
  Task<Status> newer = faulty.write(key, "newer");
  EXPECT_TRUE(rig.sync(std::move(older)).status.ok());
  ASSERT_TRUE(rig.sync(std::move(newer)).ok());
  EXPECT_EQ(rig.sync(backup.store->read(key)).value(), "newer");

  // Inside an outage window the batch fails naming the store and writes nothing.
  windows.windows.push_back(FaultWindow{0, rig.clock.now_us() + 1'000'000, true, 0});
  AtomicResult refused = rig.sync(faulty.write_atomic({AtomicOp{key, std::string("x"), {}}}));
  EXPECT_TRUE(refused.status.is_unavailable()) << refused.status.to_string();
  EXPECT_NE(refused.status.message().find("backup write_atomic: simulated outage"),
            std::string::npos)
      << refused.status.to_string();
  EXPECT_EQ(rig.sync(backup.store->read(key)).value(), "newer");
  EXPECT_EQ(windows.outages_injected, 1u);
}

}  // namespace
}  // namespace tierkv::sim
