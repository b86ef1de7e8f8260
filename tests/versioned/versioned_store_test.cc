// VersionedStore behaviour a user relies on (engine/versioned/versioned_store.h): commits,
// reads, snapshots, reopen with catch-up, retention, the lock, rollback, historical opens and
// the handling of damaged files.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/backends/memory_backend.h"
#include "engine/io/env_util.h"
#include "tests/versioned/versioned_test_util.h"

namespace tierkv::test {
namespace {

WriteBatch batch_for(uint64_t i) {
  WriteBatch batch;
  batch.put("k" + std::to_string(i % 5), "v" + std::to_string(i));
  if (i % 3 == 0) batch.remove("k" + std::to_string((i + 1) % 5));
  if (i % 4 == 0) batch.put("e" + std::to_string(i % 2), "");
  return batch;
}

class VersionedStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<VersionedStore> open(VersionedStoreOptions options) {
    auto store = VersionedStore::open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<VersionedStore> open() { return open(world_.options()); }
  // A store at version 2 with a snapshot of it and no working copy marker, so the next open
  // reclones the working copy from that snapshot; returns the snapshot's memory image.
  std::string snapshot_to_be_recloned() {
    auto store = open();
    commit_n(*store, 2);
    EXPECT_TRUE(store->snapshot().ok());
    store.reset();
    EXPECT_TRUE(world_.env.remove_file("/store/working/SNAPSHOT_BASE").ok());
    return "/store/snapshot-00000000000000000002/data/memory.image";
  }

  void commit_n(VersionedStore& store, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      WriteBatch batch = batch_for(model_.version() + 1);
      auto version = store.commit(batch);
      ASSERT_TRUE(version.ok()) << version.status().to_string();
      model_.commit(batch);
      ASSERT_EQ(*version, model_.version());
    }
  }

  void expect_at(VersionedStore& store, uint64_t version) {
    ASSERT_LE(version, model_.version());
    EXPECT_EQ(store.version(), version);
    EXPECT_EQ(store_state(store), model_.history[version]);
    EXPECT_EQ(store.lt_hash(), model_hash(model_.history[version]));
  }

  World world_{1};
  Model model_;
};

TEST_F(VersionedStoreTest, CommitReadScanAndRemove) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->version(), 0u);
  EXPECT_TRUE(store->lt_hash().is_identity());
  ASSERT_TRUE(store->put("b", "2").ok());
  ASSERT_TRUE(store->put("a", "1").ok());
  ASSERT_TRUE(store->put("c", "3").ok());
  EXPECT_EQ(store->version(), 3u);
  EXPECT_EQ(*store->get("a"), "1");
  EXPECT_TRUE(store->get("zz").status().is_not_found());
  auto page = store->scan(KeyRange{"b", ""}, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0], (KeyValue{"b", "2"}));
  ASSERT_TRUE(store->remove("b").ok());
  EXPECT_EQ(store_state(*store), (State{{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(store->lt_hash(), model_hash({{"a", "1"}, {"c", "3"}}));
}

// Found by the simulator (scenarios/open/poisoned_versioned_store_acks_remove_*): a commit
// failed after its WAL record was logged; a later remove of that key read the working copy,
// found nothing, was acknowledged without a commit, and the reopen replayed the failed write.
// A store that needs a reopen must refuse reads as well, and the reopen keeps the logged write.
TEST_F(VersionedStoreTest, AfterACommitFailedPastTheWalReadsFailUntilReopen) {
  auto store = open(world_.options(/*durable_working=*/true));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put("a", "1").ok());
  world_.env.set_fault_hook([](const sim::SimOp& op) {
    const bool working = op.path.find("/working/") != std::string_view::npos;
    return working && op.mutating ? Status::io_error("injected: working copy write")
                                  : Status::ok_status();
  });
  EXPECT_FALSE(store->put("b", "2").ok());  // logged in the WAL, not applied to the working copy
  world_.env.set_fault_hook(nullptr);
  auto read = store->get("b");
  EXPECT_TRUE(read.status().is_io_error()) << read.status().to_string();
  EXPECT_NE(read.status().to_string().find("needs a reopen"), std::string::npos);
  EXPECT_FALSE(store->scan(KeyRange{}, 0).ok());
  EXPECT_FALSE(store->remove("b").ok());
  store.reset();
  store = open(world_.options(/*durable_working=*/true));
  ASSERT_NE(store, nullptr);
  auto b = store->get("b");  // whatever the reopen gives, reads work again and agree with scans
  ASSERT_TRUE(b.ok() || b.status().is_not_found()) << b.status().to_string();
  EXPECT_EQ(*store->get("a"), "1");
}

TEST_F(VersionedStoreTest, ReservedAndEmptyKeysAreRejectedWithoutANewVersion) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  WriteBatch bad;
  bad.put("ok", "1");
  bad.put(std::string(kMetaKeyPrefix) + "version", "x");
  EXPECT_TRUE(store->write(bad).is_invalid_argument());
  EXPECT_TRUE(store->put("", "v").is_invalid_argument());
  EXPECT_TRUE(store->get(std::string(kMetaKeyPrefix) + "version").status().is_invalid_argument());
  EXPECT_EQ(store->version(), 0u);
  EXPECT_TRUE(store->get("ok").status().is_not_found());
  commit_n(*store, 3);
  EXPECT_EQ(store_state(*store), model_.history[3]);  // no meta key leaks into scans
}

TEST_F(VersionedStoreTest, SecondOpenOfTheSameDirectoryIsBusyNamingTheLock) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto second = VersionedStore::open(world_.options());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.status().is_busy());
  EXPECT_NE(second.status().message().find("/store/LOCK"), std::string::npos);
  ASSERT_TRUE(store->close().ok());
  store.reset();
  EXPECT_NE(open(), nullptr);
}

TEST_F(VersionedStoreTest, ReopenReplaysTheWalOnTopOfTheSnapshot) {
  auto store = open();
  commit_n(*store, 5);
  ASSERT_TRUE(store->snapshot().ok());
  commit_n(*store, 4);
  ASSERT_TRUE(store->close().ok());
  store.reset();
  store = open();
  ASSERT_NE(store, nullptr);
  expect_at(*store, 9);
  EXPECT_EQ(store->snapshot_versions(), (std::vector<uint64_t>{0, 5}));
  commit_n(*store, 1);
  expect_at(*store, 10);
}

TEST_F(VersionedStoreTest, CrashLosesNothingAcknowledged) {
  auto store = open();
  commit_n(*store, 3);
  ASSERT_TRUE(store->snapshot().ok());
  commit_n(*store, 3);
  world_.crash(&store);
  store = open();
  ASSERT_NE(store, nullptr);
  expect_at(*store, 6);
}

TEST_F(VersionedStoreTest, RetentionKeepsNewestSnapshotsAndTruncatesTheWalBehindThem) {
  VersionedStoreOptions options = world_.options();
  options.keep_snapshots = 2;
  options.wal_segment_size_bytes = 256;
  auto store = open(options);
  for (int i = 0; i < 4; ++i) {
    commit_n(*store, 4);
    ASSERT_TRUE(store->snapshot().ok());
  }
  EXPECT_EQ(store->snapshot_versions(), (std::vector<uint64_t>{12, 16}));
  EXPECT_GT(store->wal_first_version(), 1u);
  EXPECT_LE(store->wal_first_version(), 13u);
  auto names = world_.env.list_dir("/store");
  ASSERT_TRUE(names.ok());
  size_t snapshot_dirs = 0;
  for (const std::string& name : *names) snapshot_dirs += name.rfind("snapshot-", 0) == 0;
  EXPECT_EQ(snapshot_dirs, 2u);
  commit_n(*store, 2);
  ASSERT_TRUE(store->close().ok());
  store.reset();
  store = open(options);
  expect_at(*store, 18);
}

TEST_F(VersionedStoreTest, AutomaticSnapshotEveryKVersions) {
  VersionedStoreOptions options = world_.options();
  options.snapshot_interval_versions = 3;
  options.keep_snapshots = 10;
  auto store = open(options);
  commit_n(*store, 7);
  EXPECT_TRUE(store->auto_snapshot_status().ok());
  EXPECT_EQ(store->snapshot_versions(), (std::vector<uint64_t>{0, 3, 6}));
}

TEST_F(VersionedStoreTest, RollbackToEachEarlierVersionEqualsTheModelAndSurvivesReopen) {
  const uint64_t latest = 9;
  for (uint64_t target = 0; target <= latest; ++target) {
    World world(100 + target);
    Model model;
    auto options = world.options();
    options.keep_snapshots = 5;
    auto store = VersionedStore::open(options);
    ASSERT_TRUE(store.ok());
    for (uint64_t v = 1; v <= latest; ++v) {
      WriteBatch batch = batch_for(v);
      ASSERT_TRUE((*store)->commit(batch).ok());
      model.commit(batch);
      if (v == 4 || v == 7) {
        ASSERT_TRUE((*store)->snapshot().ok());
      }
    }
    ASSERT_TRUE((*store)->rollback(target).ok()) << "target " << target;
    model.rollback(target);
    EXPECT_EQ((*store)->version(), target);
    EXPECT_EQ(store_state(**store), model.history[target]);
    EXPECT_EQ((*store)->lt_hash(), model_hash(model.history[target]));
    for (uint64_t s : (*store)->snapshot_versions()) EXPECT_LE(s, target);
    EXPECT_EQ((*store)->wal_last_version() <= target, true);
    WriteBatch next = batch_for(50);
    ASSERT_TRUE((*store)->commit(next).ok());
    model.commit(next);
    store->reset();
    store = VersionedStore::open(options);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    EXPECT_EQ((*store)->version(), target + 1);
    EXPECT_EQ(store_state(**store), model.history[target + 1]);
  }
}

// Every file and its bytes, to prove an operation changed nothing on disk.
std::map<std::string, std::string> disk_image(sim::SimEnv& env) {
  std::map<std::string, std::string> image;
  for (const std::string& path : env.list_all_files()) {
    image[path] = env.volatile_file_content(path).value();
  }
  return image;
}

TEST_F(VersionedStoreTest, UnreachableRollbackChangesNothing) {
  VersionedStoreOptions options = world_.options();
  options.keep_snapshots = 1;
  options.wal_segment_size_bytes = 128;
  auto store = open(options);
  commit_n(*store, 6);
  ASSERT_TRUE(store->snapshot().ok());
  commit_n(*store, 3);
  const auto before = disk_image(world_.env);
  Status below = store->rollback(2);  // snapshot 0 is gone and so are WAL records 1..6
  EXPECT_TRUE(below.is_not_found()) << below.to_string();
  EXPECT_NE(below.message().find("version 2"), std::string::npos);
  Status beyond = store->rollback(10);
  EXPECT_TRUE(beyond.is_not_found());
  EXPECT_EQ(disk_image(world_.env), before);
  expect_at(*store, 9);
  commit_n(*store, 1);
  expect_at(*store, 10);
}

TEST_F(VersionedStoreTest, HistoricalOpenIsReadOnlyUntilRolledBack) {
  auto store = open();
  commit_n(*store, 3);
  ASSERT_TRUE(store->snapshot().ok());
  commit_n(*store, 4);
  store.reset();
  VersionedStoreOptions options = world_.options();
  options.target_version = 5;
  store = open(options);
  ASSERT_NE(store, nullptr);
  expect_at(*store, 5);
  EXPECT_TRUE(store->read_only());
  EXPECT_TRUE(store->put("x", "1").is_invalid_argument());
  options.target_version = 8;
  store.reset();
  auto beyond = VersionedStore::open(options);
  EXPECT_TRUE(beyond.status().is_not_found());
  options.target_version = 5;
  store = open(options);
  ASSERT_TRUE(store->rollback(5).ok());
  model_.rollback(5);
  EXPECT_FALSE(store->read_only());
  commit_n(*store, 1);
  store.reset();
  store = open();
  expect_at(*store, 6);
}

TEST_F(VersionedStoreTest, DamagedManifestIsCorruptionNamingTheFile) {
  auto store = open();
  commit_n(*store, 2);
  ASSERT_TRUE(store->snapshot().ok());
  store.reset();
  const std::string manifest = "/store/snapshot-00000000000000000002/SNAPSHOT_BASE";
  ASSERT_TRUE(world_.env.flip_bit(manifest, 20, 3).ok());
  auto reopened = VersionedStore::open(world_.options());
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption());
  EXPECT_NE(reopened.status().message().find(manifest), std::string::npos);
}

TEST_F(VersionedStoreTest, DamagedSnapshotDataIsCorruptionNotData) {
  const std::string image = snapshot_to_be_recloned();
  ASSERT_TRUE(world_.env.flip_bit(image, 12, 0).ok());
  auto reopened = VersionedStore::open(world_.options());
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption());
  EXPECT_NE(reopened.status().message().find("snapshot-00000000000000000002"), std::string::npos);
}

// Data a snapshot's backend accepts (a well-formed image) that does not hash to the snapshot's
// LtHash: the clone is refused by the LtHash check, and not left behind as a working copy, so
// every later open refuses too (one used to reuse the refused clone and serve its data).
TEST_F(VersionedStoreTest, ASnapshotFailingItsLtHashIsRefusedByEveryOpen) {
  const std::string image = snapshot_to_be_recloned();
  auto bytes = world_.env.durable_file_content(image);
  ASSERT_TRUE(bytes.ok());
  auto map = decode_memory_image(*bytes, image);
  ASSERT_TRUE(map.ok()) << map.status().to_string();
  (*map)["zz-not-in-the-snapshot"] = "x";
  ASSERT_TRUE(write_file_atomically(world_.env, image, encode_memory_image(*map)).ok());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto reopened = VersionedStore::open(world_.options());
    ASSERT_FALSE(reopened.ok()) << "open " << attempt << " accepted a snapshot failing its LtHash";
    EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
    EXPECT_NE(reopened.status().message().find("LtHash"), std::string::npos)
        << reopened.status().to_string();
  }
}

TEST_F(VersionedStoreTest, DamagedWalRecordBeforeTheTailIsCorruption) {
  VersionedStoreOptions options = world_.options();
  options.wal_segment_size_bytes = 64;
  auto store = open(options);
  commit_n(*store, 6);
  store.reset();
  auto segments = world_.env.list_dir("/store/wal");
  ASSERT_TRUE(segments.ok());
  ASSERT_GE(segments->size(), 2u);
  const std::string first = "/store/wal/" + (*segments)[0];
  ASSERT_TRUE(world_.env.flip_bit(first, 30, 1).ok());
  auto reopened = VersionedStore::open(options);
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
}

TEST_F(VersionedStoreTest, CheckpointIsAStoreDirectoryHoldingThisState) {
  auto store = open();
  commit_n(*store, 4);
  ASSERT_TRUE(store->checkpoint("/copy").ok());
  VersionedStoreOptions options = world_.options();
  options.dir = "/copy";
  auto copy = open(options);
  ASSERT_NE(copy, nullptr);
  expect_at(*copy, 4);
}

}  // namespace
}  // namespace tierkv::test
