// Crash loops and a stateful property test of VersionedStore on SimEnv.
//
// Crash loop: per seed, a random workload (sync commits, groups of concurrent commit_async,
// snapshots, rollbacks) runs with a crash point armed at a random operation (so crashes land
// mid-commit, mid-group-commit, mid-snapshot, mid-rollback), torn writes on for some seeds;
// then a power cut and a reopen. The recovered state must be the model after a prefix of the
// commits that contains every acknowledged one (an interrupted rollback: the old state or
// exactly its target), with the model's LtHash.
//
// TIERKV_LONG=1 runs 3000 seeds; the default run 40. A failure names its seed; rerun one seed
// with TIERKV_SEED=<n>.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <sstream>

#include "tests/versioned/versioned_test_util.h"

namespace tierkv::test {
namespace {

using History = std::vector<State>;

WriteBatch random_batch(sim::Prng& rng) {
  WriteBatch batch;
  const uint64_t ops = rng.range(1, 4);
  for (uint64_t i = 0; i < ops; ++i) {
    std::string key = "k" + std::to_string(rng.uniform(8));
    if (rng.chance(1, 4)) {
      batch.remove(std::move(key));
    } else {
      batch.put(std::move(key), rng.chance(1, 10) ? "" : "v" + std::to_string(rng.uniform(1000)));
    }
  }
  return batch;
}

// Every history a crash during the current operation may leave: the acknowledged history
// first, then the ones an unacknowledged operation may have produced.
struct Outcomes {
  std::vector<History> candidates;
};

class CrashLoop {
 public:
  explicit CrashLoop(uint64_t seed)
      : seed_(seed),
        rng_(seed ^ 0x9e3779b97f4a7c15ull),
        world_(seed, sim::SimEnvOptions{.torn_writes = (seed % 2) == 0}) {
    options_ = world_.options(/*durable_working=*/rng_.chance(1, 2));
    options_.keep_snapshots = rng_.range(1, 3);
    options_.wal_segment_size_bytes = rng_.range(128, 4096);
    options_.snapshot_interval_versions = rng_.chance(1, 3) ? rng_.range(2, 6) : 0;
  }

  // Returns "" on success, else what went wrong.
  std::string run(int rounds) {
    if (!reopen()) return failure_;
    for (int round = 0; round < rounds; ++round) {
      world_.env.set_crash_after_ops(rng_.range(0, 400));
      Outcomes outcomes{{history_}};
      for (int op = 0; op < 25 && outcomes.candidates.size() == 1; ++op) {
        outcomes = step();
        if (!failure_.empty()) return failure_;
      }
      world_.env.clear_crash_point();
      world_.crash(&store_);
      if (!reopen() || !matches(outcomes)) return failure_;
    }
    return "";
  }

 private:
  bool fail(const std::string& what) {
    std::ostringstream out;
    out << "seed " << seed_ << " (TIERKV_SEED=" << seed_ << "): " << what;
    failure_ = out.str();
    return false;
  }

  bool reopen() {
    auto store = VersionedStore::open(options_);
    if (!store.ok()) return fail("reopen failed: " + store.status().to_string());
    store_ = std::move(store).value();
    return true;
  }

  // One operation. Returns the single acknowledged history, or several candidates if the
  // operation failed (which must only happen because the simulated process died).
  Outcomes step() {
    const uint64_t kind = rng_.uniform(100);
    Status status;
    History before = history_;
    std::vector<History> candidates;
    if (kind < 50) {
      WriteBatch batch = random_batch(rng_);
      status = store_->commit(batch).status();
      History after = before;
      after.push_back(apply_batch(after.back(), batch));
      if (status.ok()) return {{history_ = after}};
      candidates = {before, after};
    } else if (kind < 70) {
      return commit_group();
    } else if (kind < 85) {
      status = store_->snapshot();
      if (status.ok()) return {{history_}};
      candidates = {before};
    } else {
      const auto& snapshots = store_->snapshot_versions();
      const uint64_t target = rng_.range(snapshots.front(), store_->version());
      status = store_->rollback(target);
      History after(before.begin(), before.begin() + target + 1);
      if (status.ok()) return {{history_ = after}};
      candidates = {before, after};
    }
    if (!world_.env.crashed()) fail("operation failed without a crash: " + status.to_string());
    return {candidates};
  }

  Outcomes commit_group() {
    const uint64_t count = rng_.range(1, 5);
    std::vector<WriteBatch> batches;
    std::vector<std::optional<Result<uint64_t>>> results(count);
    for (uint64_t i = 0; i < count; ++i) batches.push_back(random_batch(rng_));
    for (uint64_t i = 0; i < count; ++i) {
      world_.executor.spawn(
          [](VersionedStore* store, WriteBatch batch, std::optional<Result<uint64_t>>* out)
              -> Task<void> { out->emplace(co_await store->commit_async(std::move(batch))); }(
              store_.get(), batches[i], &results[i]));
    }
    world_.executor.run_until([&] {
      for (const auto& r : results) {
        if (!r.has_value()) return false;
      }
      return true;
    });
    History history = history_;
    std::vector<History> candidates;
    bool all_ok = true;
    for (uint64_t i = 0; i < count; ++i) {
      if (!results[i].has_value() || !results[i]->ok()) all_ok = false;
      if (all_ok) {
        history.push_back(apply_batch(history.back(), batches[i]));
        history_ = history;  // acknowledged
      } else {
        if (candidates.empty()) candidates.push_back(history);
        history.push_back(apply_batch(history.back(), batches[i]));
        candidates.push_back(history);
      }
    }
    if (all_ok) return {{history_}};
    if (!world_.env.crashed()) fail("commit_async failed without a crash");
    return {candidates};
  }

  bool matches(const Outcomes& outcomes) {
    const uint64_t version = store_->version();
    const State state = store_state(*store_);
    for (const History& candidate : outcomes.candidates) {
      if (candidate.size() != version + 1 || candidate.back() != state) continue;
      if (store_->lt_hash() != model_hash(state)) return fail("LtHash differs from the model's");
      history_ = candidate;
      return true;
    }
    std::ostringstream out;
    out << "recovered version " << version << " matches no allowed outcome (acknowledged version "
        << outcomes.candidates.front().size() - 1 << ", " << outcomes.candidates.size()
        << " candidates)";
    return fail(out.str());
  }

  uint64_t seed_;
  sim::Prng rng_;
  World world_;
  VersionedStoreOptions options_;
  std::unique_ptr<VersionedStore> store_;
  History history_{State{}};
  std::string failure_;
};

TEST(VersionedCrashLoop, RecoveredStateIsAnAllowedPrefixWithTheModelsLtHash) {
  uint64_t first = 1, count = long_run() ? 3000 : 40;
  if (const char* seed = std::getenv("TIERKV_SEED")) {
    first = std::stoull(seed);
    count = 1;
  }
  for (uint64_t seed = first; seed < first + count; ++seed) {
    CrashLoop loop(seed);
    const std::string failure = loop.run(/*rounds=*/4);
    ASSERT_EQ(failure, "");
  }
}

// ---- Stateful property: commit, snapshot, crash + reopen, rollback against a model. ----

constexpr size_t kKeep = 2;

struct RcModel {
  History history{State{}};
  std::vector<uint64_t> snapshots{0};
  uint64_t version() const { return history.size() - 1; }
};

struct RcSut {
  explicit RcSut(uint64_t seed) : world(seed, sim::SimEnvOptions{.torn_writes = true}) {
    options = world.options();
    options.keep_snapshots = kKeep;
    options.wal_segment_size_bytes = 512;
    store = std::move(VersionedStore::open(options)).value();
  }
  World world;
  VersionedStoreOptions options;
  std::unique_ptr<VersionedStore> store;
};

using RcCommand = rc::state::Command<RcModel, RcSut>;

void assert_state(const RcModel& model, RcSut& sut) {
  RC_ASSERT(sut.store->version() == model.version());
  RC_ASSERT(store_state(*sut.store) == model.history.back());
  RC_ASSERT(sut.store->lt_hash() == model_hash(model.history.back()));
}

struct CommitCommand : RcCommand {
  std::vector<std::tuple<bool, int, std::string>> ops =
      *rc::gen::container<std::vector<std::tuple<bool, int, std::string>>>(
          rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 6),
                         rc::gen::container<std::string>(rc::gen::inRange('a', 'e'))));
  WriteBatch batch() const {
    WriteBatch b;
    for (const auto& [is_put, key, value] : ops) {
      if (is_put) {
        b.put("k" + std::to_string(key), value);
      } else {
        b.remove("k" + std::to_string(key));
      }
    }
    return b;
  }
  void apply(RcModel& model) const override {
    model.history.push_back(apply_batch(model.history.back(), batch()));
  }
  void run(const RcModel& model, RcSut& sut) const override {
    auto version = sut.store->commit(batch());
    RC_ASSERT(version.ok());
    RC_ASSERT(*version == model.version() + 1);
    RcModel next = model;
    apply(next);
    assert_state(next, sut);
  }
  void show(std::ostream& os) const override { os << "Commit(" << ops.size() << " ops)"; }
};

struct SnapshotCommand : RcCommand {
  void apply(RcModel& model) const override {
    if (model.snapshots.back() != model.version()) model.snapshots.push_back(model.version());
    while (model.snapshots.size() > kKeep) model.snapshots.erase(model.snapshots.begin());
  }
  void run(const RcModel& model, RcSut& sut) const override {
    RC_ASSERT(sut.store->snapshot().ok());
    RcModel next = model;
    apply(next);
    RC_ASSERT(sut.store->snapshot_versions() == next.snapshots);
  }
  void show(std::ostream& os) const override { os << "Snapshot"; }
};

struct CrashReopenCommand : RcCommand {
  void run(const RcModel& model, RcSut& sut) const override {
    sut.world.crash(&sut.store);
    auto store = VersionedStore::open(sut.options);
    RC_ASSERT(store.ok());
    sut.store = std::move(store).value();
    assert_state(model, sut);
  }
  void show(std::ostream& os) const override { os << "CrashReopen"; }
};

struct RollbackCommand : RcCommand {
  explicit RollbackCommand(const RcModel& model)
      : target(*rc::gen::inRange<uint64_t>(0, model.version() + 1)) {}
  uint64_t target;
  bool reachable(const RcModel& model) const { return target >= model.snapshots.front(); }
  void apply(RcModel& model) const override {
    if (!reachable(model)) return;
    model.history.resize(target + 1);
    while (model.snapshots.back() > target) model.snapshots.pop_back();
  }
  void run(const RcModel& model, RcSut& sut) const override {
    Status status = sut.store->rollback(target);
    RC_ASSERT(status.ok() == reachable(model));
    if (!status.ok()) RC_ASSERT(status.is_not_found());
    RcModel next = model;
    apply(next);
    assert_state(next, sut);
    RC_ASSERT(sut.store->snapshot_versions() == next.snapshots);
  }
  void show(std::ostream& os) const override { os << "Rollback(" << target << ")"; }
};

RC_GTEST_PROP(VersionedStoreStateful, MatchesTheModel, ()) {
  RcModel model;
  RcSut sut(*rc::gen::arbitrary<uint64_t>());
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<CommitCommand, CommitCommand, SnapshotCommand,
                                                     CrashReopenCommand, RollbackCommand>());
}

}  // namespace
}  // namespace tierkv::test
