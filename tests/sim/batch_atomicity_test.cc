// Batch atomicity end to end: an engine whose TierStore batches reach the primary one key at a
// time is caught by the `atomicity` checker after a power cut lands between two of its keys,
// while the per-key checks see nothing wrong (each key alone may hold either value), and the
// correct engine passes the very same scenario.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/core/forwarding_kv_store.h"
#include "sim/checkers.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/sim/sim_test_util.h"

namespace tierkv::sim {
namespace {

// An engine bug: write_atomic applies an unconditional batch as one write or remove per key,
// each its own durable call on the primary, instead of one atomic backend batch.
class PiecemealPrimary final : public ForwardingKvStore {
 public:
  using ForwardingKvStore::ForwardingKvStore;
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override {
    for (const AtomicOp& op : ops) {
      if (op.expected_version) co_return co_await inner().write_atomic(std::move(ops));
    }
    for (AtomicOp& op : ops) {
      Status status;
      if (op.value) {
        status = co_await inner().write(op.key, std::move(*op.value));
      } else {
        status = co_await inner().remove(op.key, false);
      }
      if (!status.ok()) co_return AtomicResult{status, {}};
    }
    co_return AtomicResult{};
  }
};

TEST(BatchAtomicity, ATierStoreBatchHalfAppliedAtAPowerCutIsCaughtAsAUnit) {
  const PrimaryWrapper piecemeal = [](KvStore& primary) -> std::unique_ptr<KvStore> {
    return std::make_unique<PiecemealPrimary>(primary);
  };
  const uint64_t seeds = long_mode() ? 200 : 40;
  uint64_t caught = 0;
  for (uint64_t seed = 1; seed <= seeds && caught < 2; ++seed) {
    const Scenario scenario = generate_scenario(seed, options_with(200, {FaultKind::kCrash}));
    const RunResult result = run_scenario(scenario, piecemeal);
    const Violation* half = nullptr;
    for (const Violation& v : result.violations) {
      EXPECT_NE(v.invariant, kCheckRecovery) << "seed " << seed << ": " << v.message;
      if (v.invariant == kCheckAtomicity && half == nullptr) half = &v;
    }
    if (half == nullptr) continue;
    ++caught;
    EXPECT_NE(half->message.find("is half-applied"), std::string::npos) << half->message;
    EXPECT_NE(half->message.find("atomic batch op#"), std::string::npos) << half->message;
    EXPECT_TRUE(run_scenario(scenario).ok()) << "seed " << seed << describe(run_scenario(scenario));
  }
  EXPECT_GE(caught, 1u) << "no half-applied TierStore batch caught in " << seeds << " seeds";
}

}  // namespace
}  // namespace tierkv::sim
