// VersionedStore::open on damaged or leftover layouts: crash leftovers (-tmp / -removing
// directories, unpublished snapshots, *.tmp files) are swept; a missing or damaged `current`
// falls back to the newest valid snapshot; a WAL range missing between the snapshot and the
// latest version is an error, never skipped.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/versioned/versioned_layout.h"
#include "tests/versioned/versioned_test_util.h"

namespace tierkv::test {
namespace {

class VersionedOpenTest : public ::testing::Test {
 protected:
  std::unique_ptr<VersionedStore> open(VersionedStoreOptions options) {
    auto store = VersionedStore::open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void commit_n(VersionedStore& store, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      WriteBatch batch;
      const uint64_t v = model_.version() + 1;
      batch.put("k" + std::to_string(v % 5), "v" + std::to_string(v));
      if (v % 3 == 0) batch.remove("k" + std::to_string((v + 1) % 5));
      ASSERT_TRUE(store.commit(batch).ok());
      model_.commit(batch);
    }
  }

  void expect_latest(VersionedStore& store) {
    EXPECT_EQ(store.version(), model_.version());
    EXPECT_EQ(store_state(store), model_.history.back());
    EXPECT_EQ(store.lt_hash(), model_hash(model_.history.back()));
  }

  // A store at version 5 with a snapshot at 3, closed.
  VersionedStoreOptions make_store() {
    VersionedStoreOptions options = world_.options();
    auto store = open(options);
    commit_n(*store, 3);
    EXPECT_TRUE(store->snapshot().ok());
    commit_n(*store, 2);
    store.reset();
    return options;
  }

  void make_file(const std::string& path) {
    EXPECT_TRUE(write_file_atomically(world_.env, path, "leftover").ok());
  }

  World world_{21};
  Model model_;
};

TEST_F(VersionedOpenTest, CrashLeftoversAreSweptAndNeverTakenForSnapshots) {
  VersionedStoreOptions options = make_store();
  const std::string tmp = "/store/" + versioned::snapshot_name(9) + "-tmp";
  const std::string removing = "/store/" + versioned::snapshot_name(1) + "-removing";
  const std::string unpublished = "/store/" + versioned::snapshot_name(7);  // no SNAPSHOT_BASE
  for (const std::string& dir : {tmp, removing, unpublished}) {
    ASSERT_TRUE(create_dirs_durably(world_.env, dir + "/data").ok());
    make_file(dir + "/data/image");
  }
  make_file("/store/current.tmp");
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  expect_latest(*store);
  for (const std::string& dir : {tmp, removing, unpublished}) {
    EXPECT_FALSE(world_.env.dir_exists(dir)) << dir << " survived the sweep";
  }
  EXPECT_FALSE(world_.env.file_exists("/store/current.tmp"));
  const auto& snapshots = store->snapshot_versions();
  EXPECT_EQ(std::count(snapshots.begin(), snapshots.end(), 7u), 0);
  EXPECT_EQ(snapshots.back(), 3u);
}

TEST_F(VersionedOpenTest, AMissingCurrentFallsBackToTheNewestSnapshot) {
  VersionedStoreOptions options = make_store();
  ASSERT_TRUE(world_.env.remove_file("/store/current").ok());
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  expect_latest(*store);
  EXPECT_EQ(store->snapshot_versions().back(), 3u);
}

TEST_F(VersionedOpenTest, ADamagedCurrentFallsBackToTheNewestValidSnapshot) {
  VersionedStoreOptions options = make_store();
  ASSERT_TRUE(world_.env.flip_bit("/store/current", 10, 3).ok());
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  expect_latest(*store);
  // The store keeps working: commit and reopen.
  commit_n(*store, 1);
  store.reset();
  store = open(options);
  ASSERT_NE(store, nullptr);
  expect_latest(*store);
}

TEST_F(VersionedOpenTest, AWalRangeMissingAfterTheSnapshotIsAnErrorNeverSkipped) {
  VersionedStoreOptions options = world_.options();
  options.wal_segment_size_bytes = 32;  // one record a segment
  auto store = open(options);
  commit_n(*store, 3);
  ASSERT_TRUE(store->snapshot().ok());
  commit_n(*store, 5);
  store.reset();
  // Remove the oldest segments up to and including version 5's: the log now starts at 6, a
  // suffix the WAL itself accepts, but versions 4 and 5 after snapshot 3 are gone.
  auto names = world_.env.list_dir("/store/wal");
  ASSERT_TRUE(names.ok());
  ASSERT_GE(names->size(), 8u);
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(world_.env.remove_file("/store/wal/" + (*names)[i]).ok());
  }
  auto reopened = VersionedStore::open(options);
  ASSERT_FALSE(reopened.ok()) << "opened at version " << (*reopened)->version()
                              << " across a missing WAL range";
  EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
  // Asking for a historical version inside the gap is refused too.
  options.target_version = 5;
  auto historical = VersionedStore::open(options);
  EXPECT_FALSE(historical.ok());
}

}  // namespace
}  // namespace tierkv::test
