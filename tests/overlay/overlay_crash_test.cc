// OverlayStore across power cuts: a scripted workload (puts with shared blocks, finalize onto a
// new and onto an existing tree, expiry + maintenance, drops) on LevelDB and SQLite over SimEnv
// with synced writes; the disk dies after k mutating operations, for k sweeping the whole run.
// After each crash and reopen:
//   - the consistency checker finds nothing (every batch kept the store consistent);
//   - every acknowledged put is readable, every acknowledged drop/finalize/expiry stuck, except
//     for the trees the interrupted operation touched (it may or may not have happened);
//   - maintenance finishes any interrupted drop, and dropping everything leaves a zero quota.
// Every crash point; one seed each by default, TIERKV_LONG=1: eight (torn tails on odd seeds).
// The bulk-put sweep below: two seeds per point by default (one torn), eight with TIERKV_LONG=1.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "engine/backends/backend_factory.h"
#include "engine/overlay/overlay_store.h"
#include "sim/runtime/sim_env.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

constexpr size_t kBlock = 2048;

enum class StepKind { kCreate, kCreateTemp, kPut, kFinalize, kExpireNow, kMaintenance, kDrop };
struct Step {
  StepKind kind;
  std::string tree;
  std::string other;  // finalize destination
  uint32_t index = 0;
  uint64_t tag = 0;
};

std::vector<Step> script() {
  std::vector<Step> s;
  s.push_back({StepKind::kCreate, "keep", "", 0, 0});
  for (uint32_t i = 0; i < 3; ++i) s.push_back({StepKind::kPut, "keep", "", i, i});
  s.push_back({StepKind::kCreateTemp, "tmp1", "", 0, 0});
  for (uint32_t i = 0; i < 4; ++i) s.push_back({StepKind::kPut, "tmp1", "", i, i + 2});
  s.push_back({StepKind::kFinalize, "tmp1", "tree"});
  s.push_back({StepKind::kCreateTemp, "tmp2", "", 0, 0});
  for (uint32_t i = 0; i < 2; ++i) s.push_back({StepKind::kPut, "tmp2", "", i, i + 5});
  s.push_back({StepKind::kFinalize, "tmp2", "tree"});  // destination exists: tmp2 is dropped
  s.push_back({StepKind::kCreate, "gone", "", 0, 0});
  for (uint32_t i = 0; i < 3; ++i) s.push_back({StepKind::kPut, "gone", "", i, i + 1});
  s.push_back({StepKind::kExpireNow, "gone", "", 0, 0});
  s.push_back({StepKind::kMaintenance, "", "", 0, 0});
  s.push_back({StepKind::kDrop, "keep", "", 0, 0});
  s.push_back({StepKind::kPut, "tree", "", 9, 0});
  return s;
}

// tree -> index -> tag, for the overlays that exist after the acknowledged steps.
using Model = std::map<std::string, std::map<uint32_t, uint64_t>>;

Task<Status> run_step(OverlayStore* store, Step step) {
  switch (step.kind) {
    case StepKind::kCreate:
      co_return co_await store->create_overlay(step.tree, kNoExpiry, false);
    case StepKind::kCreateTemp:
      co_return co_await store->create_overlay(step.tree, kNoExpiry, true);
    case StepKind::kPut:
      co_return co_await store->put_block(step.tree, step.index, block_bytes(step.tag, kBlock));
    case StepKind::kFinalize:
      co_return co_await store->finalize(step.tree, step.other);
    case StepKind::kExpireNow:
      co_return co_await store->set_expiry(step.tree, 0);
    case StepKind::kMaintenance:
      co_return (co_await store->maintenance()).status();
    case StepKind::kDrop:
      co_return co_await store->drop(step.tree);
  }
  co_return Status::invalid_argument("unknown step");
}

void apply(const Step& step, Model* model, std::set<std::string>* expired) {
  switch (step.kind) {
    case StepKind::kCreate:
    case StepKind::kCreateTemp:
      (*model)[step.tree];
      break;
    case StepKind::kPut:
      (*model)[step.tree][step.index] = step.tag;
      break;
    case StepKind::kFinalize:
      if (!model->contains(step.other)) (*model)[step.other] = (*model)[step.tree];
      model->erase(step.tree);
      break;
    case StepKind::kExpireNow:
      expired->insert(step.tree);
      break;
    case StepKind::kMaintenance:
      for (const std::string& t : *expired) model->erase(t);
      expired->clear();
      break;
    case StepKind::kDrop:
      model->erase(step.tree);
      break;
  }
}

using Opener = std::function<Result<std::unique_ptr<Backend>>()>;

struct CrashWorld {
  explicit CrashWorld(uint64_t seed, bool torn)
      : prng(seed),
        env_prng(seed * 31 + 7),
        env(env_prng, trace, sim::SimEnvOptions{512, torn, true}),
        executor(clock, prng, trace) {}
  sim::SimClock clock;
  sim::Prng prng;
  sim::Prng env_prng;
  sim::TraceHash trace;
  sim::SimEnv env;
  sim::SimExecutor executor;

  Result<std::unique_ptr<Backend>> open_backend_named(const std::string& name) {
    return open_backend(name, BackendOptions{&env, &clock, "/overlay", /*sync=*/true, 1});
  }
};

// One run that crashes after crash_after mutating ops (none if nullopt). Returns the ops used.
// *interrupted_drops counts reopens that found a drop interrupted between its phases.
uint64_t crash_run(const std::string& backend_name, const OverlayStoreOptions& options,
                   uint64_t seed, std::optional<uint64_t> crash_after,
                   uint64_t* interrupted_drops) {
  CrashWorld w(seed, seed % 2 == 1);
  const std::vector<Step> steps = script();
  Model model;
  std::set<std::string> expired;
  std::set<std::string> uncertain;
  uint64_t ops_used = 0;
  {
    auto backend = w.open_backend_named(backend_name);
    EXPECT_TRUE(backend.ok()) << backend.status().to_string();
    if (!backend.ok()) return 0;
    auto store = run_sync(w.executor, OverlayStore::open(backend->get(), &w.executor, options));
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    if (!store.ok()) return 0;
    const uint64_t start = w.env.mutating_ops_count();
    if (crash_after) w.env.set_crash_after_ops(*crash_after);
    for (const Step& step : steps) {
      Status status = run_sync(w.executor, run_step(store->get(), step));
      if (!status.ok()) {
        EXPECT_TRUE(crash_after.has_value())
            << "step on " << step.tree << ": " << status.to_string();
        uncertain = {step.tree, step.other};
        if (step.kind == StepKind::kMaintenance) uncertain.insert(expired.begin(), expired.end());
        break;
      }
      apply(step, &model, &expired);
    }
    ops_used = w.env.mutating_ops_count() - start;
    w.executor.shutdown();
  }
  w.env.crash();
  w.executor.shutdown();
  const std::string where = backend_name + " seed " + std::to_string(seed) + " crash after " +
                            (crash_after ? std::to_string(*crash_after) : "none");
  auto backend = w.open_backend_named(backend_name);
  EXPECT_TRUE(backend.ok()) << where << ": " << backend.status().to_string();
  if (!backend.ok()) return ops_used;
  auto opened = run_sync(w.executor, OverlayStore::open(backend->get(), &w.executor, options));
  EXPECT_TRUE(opened.ok()) << where << ": " << opened.status().to_string();
  if (!opened.ok()) return ops_used;
  OverlayStore& s = **opened;
  auto check = [&](const std::string& when) {
    auto problems = run_sync(w.executor, s.check_consistency());
    EXPECT_TRUE(problems.ok() && problems->empty())
        << where << " " << when << ":"
        << (problems.ok() ? join_problems(*problems) : problems.status().to_string());
  };
  check("after reopen");
  for (const OverlayInfo& info : s.overlays()) {
    *interrupted_drops += info.status == OverlayStatus::kDeleting ? 1 : 0;
  }
  for (std::string tree : {"keep", "tmp1", "tmp2", "tree", "gone"}) {
    if (uncertain.contains(tree)) continue;
    auto it = model.find(tree);
    const bool deleting = s.overlay(tree) && s.overlay(tree)->status == OverlayStatus::kDeleting;
    EXPECT_EQ(s.overlay(tree).has_value() && !deleting, it != model.end())
        << where << ": tree " << tree;
    if (it == model.end()) continue;
    for (const auto& [index, tag] : it->second) {
      auto bytes = run_sync(w.executor, s.read_block(tree, index));
      EXPECT_TRUE(bytes.ok() && *bytes == block_bytes(tag, kBlock))
          << where << ": acknowledged block " << tree << "/" << index << " lost";
    }
  }
  for (int i = 0; i < 10; ++i) {
    auto report = run_sync(w.executor, s.maintenance());
    EXPECT_TRUE(report.ok()) << where << ": " << report.status().to_string();
    if (!report.ok() || !report->more_pending) break;
  }
  for (const OverlayInfo& info : s.overlays()) {
    EXPECT_NE(info.status, OverlayStatus::kDeleting)
        << where << ": " << info.tree << " still Deleting";
  }
  check("after maintenance");
  for (const OverlayInfo& info : s.overlays()) {
    EXPECT_TRUE(run_sync(w.executor, s.drop(info.tree)).ok()) << where;
  }
  EXPECT_EQ(s.quota().used_bytes, 0u) << where;
  EXPECT_EQ(s.quota().block_count, 0u) << where;
  check("after dropping everything");
  return ops_used;
}

void crash_sweep(const std::string& backend_name, const OverlayStoreOptions& options = {}) {
  uint64_t interrupted_drops = 0;
  const uint64_t total = crash_run(backend_name, options, 2, std::nullopt, &interrupted_drops);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_GT(total, 20u);
  const uint64_t seeds_per_point = overlay_seed_count(1, 8);
  for (uint64_t k = 0; k <= total; ++k) {
    for (uint64_t seed = k + 1; seed <= k + seeds_per_point; ++seed) {
      crash_run(backend_name, options, seed, k, &interrupted_drops);
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "reproduce: " << backend_name << " crash after " << k << " ops, seed "
                      << seed;
        return;
      }
    }
  }
  EXPECT_GT(interrupted_drops, 0u) << "no crash point fell inside a drop";
}

// One synced write per put. The block bytes travel in the same atomic batch as the leaf, the
// bitmap chunk, the reference, the refcount and the quota, not after a metadata batch: a crash
// then cannot separate metadata from bytes in either direction (a set bit without its bytes, or
// stored bytes no quota counts). This sweep cuts the power at every mutating op of a run of
// 64 KiB puts (LevelDB log records span two 32 KiB log blocks; SQLite WAL frames span many
// pages; torn tails on odd seeds) and checks each put is all or nothing: every acknowledged
// put reads back, the interrupted one reads back exactly or is absent without a trace (the
// checker finds no bit, leaf, reference or bytes without the rest, and quota == stored bytes),
// later ones are absent.
constexpr size_t kBulkBlock = 64 * 1024;
constexpr uint32_t kBulkPuts = 5;

// Block i of the bulk run; index 4 repeats index 0's content (the reference-only path).
std::string bulk_block(uint32_t index) { return block_bytes(index == 4 ? 0 : index, kBulkBlock); }

// How the run's blocks are uploaded: one put_block after another, or one put_blocks call
// (2 blocks in flight) whose stored prefix is what it acknowledged.
enum class Uploader { kPutBlock, kPutBlocks };

// Returns the mutating ops the puts used; crash_after = nullopt runs without a crash.
uint64_t bulk_put_crash_run(const std::string& backend_name, const OverlayStoreOptions& options,
                            Uploader uploader, uint64_t seed, std::optional<uint64_t> crash_after) {
  CrashWorld w(seed, seed % 2 == 1);
  uint32_t acked = 0;
  uint64_t ops_used = 0;
  {
    auto backend = w.open_backend_named(backend_name);
    EXPECT_TRUE(backend.ok()) << backend.status().to_string();
    if (!backend.ok()) return 0;
    auto store = run_sync(w.executor, OverlayStore::open(backend->get(), &w.executor, options));
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    if (!store.ok()) return 0;
    EXPECT_TRUE(run_sync(w.executor, (*store)->create_overlay("bulk", kNoExpiry, false)).ok());
    const uint64_t start = w.env.mutating_ops_count();
    if (crash_after) w.env.set_crash_after_ops(*crash_after);
    if (uploader == Uploader::kPutBlocks) {
      std::vector<std::string> blocks;
      for (uint32_t i = 0; i < kBulkPuts; ++i) blocks.push_back(bulk_block(i));
      acked = run_sync(w.executor, (*store)->put_blocks("bulk", 0, std::move(blocks))).stored;
    }
    while (uploader == Uploader::kPutBlock && acked < kBulkPuts &&
           run_sync(w.executor, (*store)->put_block("bulk", acked, bulk_block(acked))).ok()) {
      ++acked;
    }
    EXPECT_TRUE(crash_after.has_value() || acked == kBulkPuts);
    ops_used = w.env.mutating_ops_count() - start;
    w.executor.shutdown();
  }
  w.env.crash();
  w.executor.shutdown();
  const std::string where = backend_name + " seed " + std::to_string(seed) + " crash after " +
                            (crash_after ? std::to_string(*crash_after) : "none") + " ops";
  auto backend = w.open_backend_named(backend_name);
  EXPECT_TRUE(backend.ok()) << where << ": " << backend.status().to_string();
  if (!backend.ok()) return ops_used;
  auto opened = run_sync(w.executor, OverlayStore::open(backend->get(), &w.executor, options));
  EXPECT_TRUE(opened.ok()) << where << ": " << opened.status().to_string();
  if (!opened.ok()) return ops_used;
  auto problems = run_sync(w.executor, (*opened)->check_consistency());
  EXPECT_TRUE(problems.ok() && problems->empty())
      << where << ":" << (problems.ok() ? join_problems(*problems) : problems.status().to_string());
  for (uint32_t i = 0; i < kBulkPuts; ++i) {
    auto bytes = run_sync(w.executor, (*opened)->read_block("bulk", i));
    if (i < acked || (bytes.ok() && i == acked)) {
      EXPECT_TRUE(bytes.ok() && *bytes == bulk_block(i)) << where << ": put " << i;
    } else {
      EXPECT_TRUE(bytes.status().is_not_found()) << where << ": put " << i << " after the cut";
    }
  }
  return ops_used;
}

void bulk_put_crash_sweep(const std::string& backend_name, const OverlayStoreOptions& options = {},
                          Uploader uploader = Uploader::kPutBlock) {
  const uint64_t total = bulk_put_crash_run(backend_name, options, uploader, 2, std::nullopt);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_GE(total, uint64_t{kBulkPuts});  // at least one synced write per put
  const uint64_t seeds_per_point = overlay_seed_count(2, 8);
  for (uint64_t k = 0; k <= total; ++k) {
    for (uint64_t seed = k + 1; seed <= k + seeds_per_point; ++seed) {
      bulk_put_crash_run(backend_name, options, uploader, seed, k);
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "reproduce: " << backend_name << " bulk puts, crash after " << k
                      << " ops, seed " << seed;
        return;
      }
    }
  }
}

TEST(OverlayCrash, LevelDbBulkPutIsAllOrNothingAtEveryPowerCut) { bulk_put_crash_sweep("leveldb"); }

TEST(OverlayCrash, SqliteBulkPutIsAllOrNothingAtEveryPowerCut) { bulk_put_crash_sweep("sqlite"); }

TEST(OverlayCrash, LevelDbEveryStepOfPutFinalizeDropSurvivesAPowerCut) { crash_sweep("leveldb"); }

TEST(OverlayCrash, SqliteEveryStepOfPutFinalizeDropSurvivesAPowerCut) { crash_sweep("sqlite"); }

// Journaled puts (format 4) with a journal of 2: puts alternate between journal-only writes and
// checkpoints, so power cuts land while metadata exists only in memory, during checkpoints and
// during the redo at open; every promise above must still hold.
OverlayStoreOptions journaled_options() {
  OverlayStoreOptions options;
  options.journal_puts_max = 2;
  return options;
}

TEST(OverlayCrash, LevelDbJournaledBulkPutIsAllOrNothingAtEveryPowerCut) {
  bulk_put_crash_sweep("leveldb", journaled_options());
}

// put_blocks: the same blocks in one call with 2 in flight. A cut anywhere keeps a prefix of
// the call's blocks, each whole; every block of the prefix the call reported stored reads back.
TEST(OverlayCrash, LevelDbJournaledPutBlocksKeepsAStoredPrefixAtEveryPowerCut) {
  bulk_put_crash_sweep("leveldb", journaled_options(), Uploader::kPutBlocks);
}

// A journal of 8: the blocks go in runs of journal-only puts in one blocking call.
TEST(OverlayCrash, LevelDbJournaledPutBlocksInRunsKeepsAStoredPrefixAtEveryPowerCut) {
  OverlayStoreOptions options;
  options.journal_puts_max = 8;
  bulk_put_crash_sweep("leveldb", options, Uploader::kPutBlocks);
}

TEST(OverlayCrash, SqlitePutBlocksKeepsAStoredPrefixAtEveryPowerCut) {
  bulk_put_crash_sweep("sqlite", {}, Uploader::kPutBlocks);
}

TEST(OverlayCrash, LevelDbJournaledEveryStepOfPutFinalizeDropSurvivesAPowerCut) {
  crash_sweep("leveldb", journaled_options());
}

TEST(OverlayCrash, SqliteJournaledEveryStepOfPutFinalizeDropSurvivesAPowerCut) {
  crash_sweep("sqlite", journaled_options());
}

}  // namespace
}  // namespace tierkv::testing
