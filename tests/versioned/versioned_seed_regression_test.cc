// Regression tests, one per bug the reviewers of the FlatKV seed
// (../shared/seeds/002_8ddf0b398533b016.txt) found. Each must be impossible in VersionedStore.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/versioned/versioned_test_util.h"

namespace tierkv::test {
namespace {

WriteBatch put_batch(std::string key, std::string value) {
  WriteBatch batch;
  batch.put(std::move(key), std::move(value));
  return batch;
}

// Seed bug: Rollback reopened without invalidating working/SNAPSHOT_BASE, so a durable working
// copy already past the target was reused; catch-up skipped everything and the rollback failed
// after the WAL had been truncated. Here the working copy is durable and ahead (version 6) when
// rolling back to 4.
TEST(VersionedSeedRegression, RollbackNeverReusesAWorkingCopyThatIsAhead) {
  World world(7);
  Model model;
  auto options = world.options(/*durable_working=*/true);
  auto store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok());
  for (uint64_t v = 1; v <= 6; ++v) {
    WriteBatch batch = put_batch("k" + std::to_string(v % 3), "v" + std::to_string(v));
    ASSERT_TRUE((*store)->commit(batch).ok());
    model.commit(batch);
    if (v == 2) {
      ASSERT_TRUE((*store)->snapshot().ok());
    }
  }
  // Restart: the durable working copy (cloned from snapshot 2, now at 6) is reused.
  store->reset();
  store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ((*store)->version(), 6u);
  ASSERT_TRUE((*store)->rollback(4).ok());
  model.rollback(4);
  EXPECT_EQ((*store)->version(), 4u);
  EXPECT_EQ(store_state(**store), model.history[4]);
  EXPECT_EQ((*store)->lt_hash(), model_hash(model.history[4]));
  store->reset();
  store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->version(), 4u);
  EXPECT_EQ(store_state(**store), model.history[4]);
}

// Seed bug: the LtHash old value of a key was read from the database, missing earlier batches
// not yet committed to it, so deltas were wrong when several change sets preceded one commit.
// Here: one batch writing a key several times, and many commit_async batches in flight at once
// over the same keys (each computed against the pending state).
TEST(VersionedSeedRegression, LtHashDeltasUseThePendingStateNotTheDatabase) {
  World world(11);
  Model model;
  auto options = world.options();
  auto store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok());
  WriteBatch same_key;
  same_key.put("a", "1");
  same_key.put("a", "2");
  same_key.remove("a");
  same_key.put("a", "3");
  same_key.put("b", "x");
  ASSERT_TRUE((*store)->commit(same_key).ok());
  model.commit(same_key);
  EXPECT_EQ((*store)->lt_hash(), model_hash(model.history.back()));

  constexpr int kInFlight = 12;
  int done = 0;
  for (int i = 0; i < kInFlight; ++i) {
    WriteBatch batch;
    batch.put("a", "v" + std::to_string(i));
    if (i % 2 == 1) batch.remove("b");
    if (i % 3 == 2) batch.put("b", "w" + std::to_string(i));
    model.commit(batch);
    world.executor.spawn([](VersionedStore* s, WriteBatch b, int* count) -> Task<void> {
      auto version = co_await s->commit_async(std::move(b));
      EXPECT_TRUE(version.ok()) << version.status().to_string();
      ++*count;
    }(store->get(), std::move(batch), &done));
  }
  ASSERT_TRUE(world.executor.run_until([&] { return done == kInFlight; }));
  EXPECT_EQ((*store)->version(), model.version());
  EXPECT_EQ(store_state(**store), model.history.back());
  EXPECT_EQ((*store)->lt_hash(), model_hash(model.history.back()));
  // Catch-up re-derives every hash and checks it against the logged one.
  store->reset();
  store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ((*store)->lt_hash(), model_hash(model.history.back()));
}

// Seed bug: pending write buffers were not cleared when the store was (re)opened at a version,
// so stale writes leaked into the next commit. Here: a commit whose WAL append fails leaves
// pending state behind; neither a rollback nor a reopen may let it reach a later commit.
TEST(VersionedSeedRegression, NoStalePendingWritesAfterReopenOrRollback) {
  World world(13);
  Model model;
  auto options = world.options();
  auto store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok());
  for (uint64_t v = 1; v <= 3; ++v) {
    WriteBatch batch = put_batch("k", "v" + std::to_string(v));
    ASSERT_TRUE((*store)->commit(batch).ok());
    model.commit(batch);
  }
  // The next WAL write fails: the commit is not acknowledged and the store refuses more.
  world.env.set_fault_hook([](const sim::SimOp& op) {
    if (op.kind == sim::SimOpKind::kAppend &&
        std::string_view(op.path).find("/wal/") != std::string_view::npos) {
      return Status::io_error("injected EIO");
    }
    return Status();
  });
  int done = 0;
  world.executor.spawn([](VersionedStore* s, int* count) -> Task<void> {
    WriteBatch b;
    b.put("stale", "x");
    auto version = co_await s->commit_async(std::move(b));
    EXPECT_FALSE(version.ok());
    ++*count;
  }(store->get(), &done));
  ASSERT_TRUE(world.executor.run_until([&] { return done == 1; }));
  world.env.set_fault_hook({});
  EXPECT_FALSE((*store)->put("other", "y").ok());
  store->reset();
  store = VersionedStore::open(options);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_EQ((*store)->version(), 3u);
  ASSERT_TRUE((*store)->rollback(2).ok());
  model.rollback(2);
  WriteBatch next = put_batch("n", "1");
  ASSERT_TRUE((*store)->commit(next).ok());
  model.commit(next);
  EXPECT_EQ(store_state(**store), model.history.back());
  EXPECT_EQ((*store)->lt_hash(), model_hash(model.history.back()));
}

// Seed bug: during catch-up, global metadata could become durable before the data it
// describes. Here every metadata file (the working copy's SNAPSHOT_BASE, snapshot manifests,
// current) is written only after its data is durable: a crash at every single operation of a
// reopen that re-clones and replays, and of a snapshot, must still recover exactly.
TEST(VersionedSeedRegression, MetadataIsNeverDurableBeforeItsData) {
  for (bool durable_working : {false, true}) {
    for (uint64_t crash_at = 0;; ++crash_at) {
      World world(17 + crash_at, sim::SimEnvOptions{.torn_writes = true});
      Model model;
      auto options = world.options(durable_working);
      auto store = VersionedStore::open(options);
      ASSERT_TRUE(store.ok());
      for (uint64_t v = 1; v <= 5; ++v) {
        WriteBatch batch = put_batch("k" + std::to_string(v % 2), "v" + std::to_string(v));
        ASSERT_TRUE((*store)->commit(batch).ok());
        model.commit(batch);
        if (v == 2) {
          ASSERT_TRUE((*store)->snapshot().ok());
        }
      }
      store->reset();
      // Force a re-clone + catch-up, then a snapshot, with a crash after crash_at operations.
      ASSERT_TRUE(world.env.remove_file("/store/working/SNAPSHOT_BASE").ok());
      ASSERT_TRUE(world.env.sync_dir("/store/working").ok());
      world.env.set_crash_after_ops(crash_at);
      store = VersionedStore::open(options);
      bool finished = false;
      if (store.ok()) finished = (*store)->snapshot().ok();
      world.env.clear_crash_point();
      std::unique_ptr<VersionedStore> live = store.ok() ? std::move(store).value() : nullptr;
      world.crash(&live);
      auto recovered = VersionedStore::open(options);
      ASSERT_TRUE(recovered.ok()) << "crash_at " << crash_at << ": "
                                  << recovered.status().to_string();
      EXPECT_EQ((*recovered)->version(), 5u) << "crash_at " << crash_at;
      EXPECT_EQ(store_state(**recovered), model.history[5]) << "crash_at " << crash_at;
      EXPECT_EQ((*recovered)->lt_hash(), model_hash(model.history[5]));
      if (finished) {
        // The loop really crashed at each of the many operations of the reopen + snapshot.
        EXPECT_GT(crash_at, 20u);
        break;
      }
      ASSERT_LT(crash_at, 2000u) << "open + snapshot never finished";
    }
  }
}

}  // namespace
}  // namespace tierkv::test
