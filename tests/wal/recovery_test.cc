// Recovery (Wal::open): a torn or corrupt tail of the last segment is cut durably and never
// replayed; damage anywhere else is Corruption, never silently skipped.
#include <gtest/gtest.h>

#include "engine/core/coding.h"
#include "engine/wal/record_codec.h"
#include "tests/wal/wal_test_util.h"

namespace tierkv::test {
namespace {

// Appends raw bytes to a file and syncs them (simulating what a crash left on disk).
void append_raw(Env& env, const std::string& path, std::string_view bytes) {
  auto file = env.open_file(path, OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->append(bytes).ok());
  ASSERT_TRUE((*file)->sync().ok());
}

std::unique_ptr<Wal> log_with(SimWorld& world, uint64_t count, uint64_t segment_size_bytes) {
  auto wal = open_or_die(world.options(segment_size_bytes));
  for (uint64_t v = 1; v <= count; ++v) EXPECT_TRUE(wal->append_now(make_record(v)).ok());
  return wal;
}

TEST(WalRecovery, MissingAndEmptyDirectoriesOpenAsAnEmptyLog) {
  SimWorld world(1);
  ASSERT_FALSE(world.env.dir_exists(kWalDir));
  auto wal = open_or_die(world.options());
  EXPECT_TRUE(world.env.dir_exists(kWalDir));
  EXPECT_EQ(wal->first_version(), 0u);
  EXPECT_EQ(wal->last_version(), 0u);
  wal.reset();
  world.env.crash();  // the directory was created durably
  EXPECT_TRUE(world.env.dir_exists(kWalDir));
  wal = open_or_die(world.options());
  EXPECT_EQ(wal->recovery_report().segments, 0u);
  EXPECT_EQ(wal->recovery_report().records, 0u);
}

TEST(WalRecovery, TornTailIsCutAndNeverReplayed) {
  const std::string next = encode_wal_record(make_record(11));
  for (size_t cut = 1; cut < next.size(); ++cut) {
    SimWorld world(cut);
    auto wal = log_with(world, 10, 1 << 20);
    wal.reset();
    const std::string path = segment_paths(world.env).back();
    const uint64_t valid_size = *world.env.file_size(path);
    append_raw(world.env, path, next.substr(0, cut));
    wal = open_or_die(world.options(1 << 20));
    const WalRecoveryReport& report = wal->recovery_report();
    EXPECT_EQ(report.records, 10u);
    EXPECT_EQ(report.truncated_bytes, cut);
    EXPECT_EQ(report.truncated_segment, path);
    EXPECT_NE(report.truncated_reason.find("torn"), std::string::npos) << report.truncated_reason;
    EXPECT_EQ(wal->last_version(), 10u);
    // The cut is durable: a power cut now cannot bring the torn bytes back.
    EXPECT_EQ(world.env.durable_file_content(path)->size(), valid_size);
    // New appends go where the torn record was and read back after a reopen.
    ASSERT_TRUE(wal->append_now(make_record(11)).ok());
    wal.reset();
    wal = open_or_die(world.options(1 << 20));
    EXPECT_EQ(wal->recovery_report().truncated_bytes, 0u);
    ASSERT_EQ(read_all(*wal).size(), 11u);
    EXPECT_EQ(read_all(*wal).back(), make_record(11));
  }
}

TEST(WalRecovery, NothingAfterACorruptRecordOfTheLastSegmentIsReplayed) {
  SimWorld world(2);
  auto wal = log_with(world, 10, 1 << 20);
  wal.reset();
  const std::string path = segment_paths(world.env).back();
  const uint64_t size_after_10 = *world.env.file_size(path);
  // Two more valid records behind a damaged one: none of them may come back.
  std::string tail = encode_wal_record(make_record(11));
  tail[kWalHeaderBytes + 3] ^= 0x10;
  tail += encode_wal_record(make_record(12)) + encode_wal_record(make_record(13));
  append_raw(world.env, path, tail);
  wal = open_or_die(world.options(1 << 20));
  EXPECT_EQ(wal->last_version(), 10u);
  EXPECT_EQ(wal->recovery_report().truncated_bytes, tail.size());
  EXPECT_NE(wal->recovery_report().truncated_reason.find("checksum"), std::string::npos);
  EXPECT_EQ(*world.env.file_size(path), size_after_10);
}

// Every write ends with a group end record, so a torn last write and bit rot in a synced one
// look different: a flipped bit anywhere in an acknowledged record of the last segment is
// Corruption (nothing truncated, nothing replayed past it), while a flipped bit in the last
// write's group end record keeps every record.
TEST(WalRecovery, BitRotInAnAcknowledgedRecordOfTheLastSegmentIsCorruptionNotATornTail) {
  const uint64_t one_write = encode_wal_record(make_record(1)).size() + kWalGroupEndBytes;
  for (uint64_t offset = 7 * one_write; offset < 10 * one_write; ++offset) {
    SimWorld world(offset);
    auto wal = log_with(world, 10, 1 << 20);
    wal.reset();
    const std::string path = segment_paths(world.env).back();
    ASSERT_EQ(*world.env.file_size(path), 10 * one_write);
    const std::string before = *world.env.durable_file_content(path);
    ASSERT_TRUE(world.env.flip_bit(path, offset, static_cast<int>(offset % 8)).ok());
    auto reopened = Wal::open(world.options(1 << 20));
    const uint64_t in_write = offset % one_write;
    if (offset >= 9 * one_write && in_write >= one_write - kWalGroupEndBytes) {
      // The last write's group end record: its record is intact and kept.
      ASSERT_TRUE(reopened.ok()) << offset << ": " << reopened.status().to_string();
      EXPECT_EQ((*reopened)->last_version(), 10u) << offset;
      EXPECT_EQ(read_all(**reopened).size(), 10u) << offset;
      continue;
    }
    ASSERT_FALSE(reopened.ok()) << "bit rot at offset " << offset << " went unnoticed";
    EXPECT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
    EXPECT_NE(reopened.status().message().find("bit rot in synced records"), std::string::npos)
        << reopened.status().message();
    EXPECT_NE(reopened.status().message().find(path), std::string::npos);
    std::string after = *world.env.durable_file_content(path);
    after[offset] = before[offset];
    EXPECT_EQ(after, before) << "the log was changed by a refused open";
  }
}

TEST(WalRecovery, TornLastWriteIsCutAtItsFirstIncompleteRecord) {
  const std::string record = encode_wal_record(make_record(11));
  for (size_t cut = 1; cut < record.size() + kWalGroupEndBytes; ++cut) {
    SimWorld world(cut);
    auto wal = log_with(world, 10, 1 << 20);
    wal.reset();
    const std::string path = segment_paths(world.env).back();
    const uint64_t start = *world.env.file_size(path);
    const std::string write = record + encode_wal_group_end(start, 11);
    append_raw(world.env, path, write.substr(0, cut));
    wal = open_or_die(world.options(1 << 20));
    const uint64_t kept = cut >= record.size() ? 11u : 10u;
    EXPECT_EQ(wal->last_version(), kept) << "cut " << cut;
    EXPECT_EQ(wal->recovery_report().truncated_bytes, cut - (kept == 11 ? record.size() : 0))
        << "cut " << cut;
    EXPECT_EQ(read_all(*wal).size(), kept);
  }
}

TEST(WalRecovery, GarbageAfterAValidPrefixIsCut) {
  SimWorld world(3);
  auto wal = log_with(world, 5, 1 << 20);
  wal.reset();
  const std::string path = segment_paths(world.env).back();
  std::string garbage;
  sim::Prng rng(99);
  for (int i = 0; i < 700; ++i) garbage.push_back(static_cast<char>(rng.next_u64()));
  append_raw(world.env, path, garbage);
  wal = open_or_die(world.options(1 << 20));
  EXPECT_EQ(wal->last_version(), 5u);
  EXPECT_EQ(wal->recovery_report().truncated_bytes, garbage.size());
  ASSERT_EQ(read_all(*wal).size(), 5u);
}

TEST(WalRecovery, CorruptionInAMiddleSegmentIsReportedNotSkipped) {
  SimWorld world(4);
  auto wal = log_with(world, 60, 256);
  wal.reset();
  const auto paths = segment_paths(world.env);
  ASSERT_GE(paths.size(), 4u);
  const std::string& middle = paths[paths.size() / 2];
  ASSERT_TRUE(world.env.flip_bit(middle, kWalHeaderBytes + 40, 2).ok());
  auto reopened = Wal::open(world.options(256));
  ASSERT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
  EXPECT_NE(reopened.status().message().find(middle), std::string::npos)
      << "the error must name the damaged segment: " << reopened.status().message();
  // Nothing was cut: the damaged segment and the ones after it are untouched.
  EXPECT_EQ(segment_paths(world.env), paths);
}

TEST(WalRecovery, AVersionGapIsCorruption) {
  SimWorld world(5);
  auto wal = log_with(world, 3, 1 << 20);
  wal.reset();
  const std::string path = segment_paths(world.env).back();
  append_raw(world.env, path, encode_wal_record(make_record(5)));  // 4 is missing
  auto reopened = Wal::open(world.options());
  ASSERT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
  EXPECT_NE(reopened.status().message().find("version 5"), std::string::npos);
}

TEST(WalRecovery, AMissingSegmentIsAHoleNotATail) {
  SimWorld world(6);
  auto wal = log_with(world, 60, 256);
  wal.reset();
  const auto paths = segment_paths(world.env);
  ASSERT_GE(paths.size(), 3u);
  ASSERT_TRUE(world.env.remove_file(paths[1]).ok());
  auto reopened = Wal::open(world.options(256));
  ASSERT_TRUE(reopened.status().is_corruption()) << reopened.status().to_string();
  EXPECT_NE(reopened.status().message().find("hole"), std::string::npos);
}

TEST(WalRecovery, AMalformedSegmentNameIsRejected) {
  SimWorld world(7);
  auto wal = log_with(world, 3, 1 << 20);
  wal.reset();
  // A stray file with the .wal suffix but not a 20-digit start offset: refusing it names the
  // file instead of guessing where it belongs in the log.
  auto file = world.env.open_file("/db/wal/12.wal", OpenMode::kCreate);
  ASSERT_TRUE(file.ok());
  auto reopened = Wal::open(world.options());
  ASSERT_TRUE(reopened.status().is_corruption());
  EXPECT_NE(reopened.status().message().find("12.wal"), std::string::npos);
}

}  // namespace
}  // namespace tierkv::test
