// Segments: naming, rotation by size, and the binary-search lookups by global offset and by
// version that scan and truncation rely on.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/wal/record_codec.h"
#include "engine/wal/segment_manager.h"
#include "tests/wal/wal_test_util.h"

namespace tierkv::test {
namespace {

TEST(WalSegmentName, RoundTripsAndRejectsMalformedNames) {
  EXPECT_EQ(wal_segment_name(1234), "00000000000000001234.wal");
  EXPECT_EQ(parse_wal_segment_name(wal_segment_name(1234)), 1234u);
  EXPECT_EQ(parse_wal_segment_name(wal_segment_name(UINT64_MAX)), UINT64_MAX);
  EXPECT_FALSE(parse_wal_segment_name("1234.wal"));
  EXPECT_FALSE(parse_wal_segment_name("0000000000000000123x.wal"));
  EXPECT_FALSE(parse_wal_segment_name("00000000000000001234.log"));
  EXPECT_FALSE(parse_wal_segment_name("99999999999999999999.wal"));  // overflows u64
}

// Linear reference for the binary searches.
std::optional<size_t> linear_by_offset(const SegmentManager& m, uint64_t offset) {
  for (size_t i = 0; i < m.segments().size(); ++i) {
    const WalSegment& s = m.segments()[i];
    if (offset >= s.start_offset && offset < s.end_offset()) return i;
  }
  return std::nullopt;
}

RC_GTEST_PROP(WalSegmentManager, LookupsAgreeWithALinearSearch, ()) {
  SegmentManager m;
  const uint64_t base = *rc::gen::inRange<uint64_t>(0, 1000);
  const uint64_t first_version = *rc::gen::inRange<uint64_t>(1, 100);
  const auto segment_records = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange(1, 6));
  uint64_t version = first_version;
  m.add_segment(WalSegment{.start_offset = base, .first_version = 0, .record_offsets = {}});
  for (size_t i = 0; i < segment_records.size(); ++i) {
    if (i > 0) {
      m.add_segment(WalSegment{.start_offset = m.end_offset(), .first_version = version,
                               .record_offsets = {}});
    }
    for (size_t r = 0; r < segment_records[i]; ++r) {
      m.add_record(version++, *rc::gen::inRange<uint64_t>(kWalHeaderBytes, 60));
    }
  }
  const uint64_t last = version - 1;
  RC_ASSERT(m.first_version() == (segment_records.empty() ? 0 : first_version));
  RC_ASSERT(m.last_version() == (segment_records.empty() ? 0 : last));
  for (uint64_t offset = 0; offset < m.end_offset() + 5; ++offset) {
    RC_ASSERT(m.find_by_offset(offset) == linear_by_offset(m, offset));
  }
  for (uint64_t v = first_version; v <= last; ++v) {
    const auto index = m.find_by_version(v);
    RC_ASSERT(index.has_value());
    const WalSegment& s = m.segments()[*index];
    RC_ASSERT(s.first_version <= v && v <= s.last_version());
    RC_ASSERT(m.find_by_offset(m.offset_of_version(v)) == index);
  }
  RC_ASSERT(!m.find_by_version(first_version - 1 == 0 ? last + 1 : first_version - 1));
  RC_ASSERT(!m.find_by_version(last + 1));
}

TEST(WalRotation, SegmentsRotateBySizeAndEveryVersionReadsBack) {
  SimWorld world(1);
  auto wal = open_or_die(world.options(/*segment_size_bytes=*/256));
  const uint64_t count = 200;
  for (uint64_t v = 1; v <= count; ++v) ASSERT_TRUE(wal->append_now(make_record(v)).ok());
  const auto paths = segment_paths(world.env);
  // 37-byte records, 256-byte segments: a segment closes once it reaches 256 bytes.
  EXPECT_GT(paths.size(), count * 37 / 300);
  uint64_t expected_start = 0;
  for (const std::string& path : paths) {
    const auto start = parse_wal_segment_name(path.substr(path.rfind('/') + 1));
    ASSERT_TRUE(start.has_value());
    EXPECT_EQ(*start, expected_start) << path << ": segments must be contiguous";
    auto size = world.env.file_size(path);
    ASSERT_TRUE(size.ok());
    if (path != paths.back()) {
      EXPECT_GE(*size, 256u);
      EXPECT_LT(*size, 256u + 37u + kWalGroupEndBytes)
          << "a segment overshoots by at most one record and its group end record";
    }
    expected_start += *size;
  }
  EXPECT_EQ(wal->size_bytes(), expected_start);
  // Reading by version: every single version, and a range spanning many segments.
  for (uint64_t v = 1; v <= count; v += 13) {
    std::vector<WalRecord> got;
    ASSERT_TRUE(wal->scan(v, v, [&](const WalRecord& r) {
      got.push_back(r);
      return Status();
    }).ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], make_record(v));
  }
  std::vector<WalRecord> range;
  ASSERT_TRUE(wal->scan(17, 170, [&](const WalRecord& r) {
    range.push_back(r);
    return Status();
  }).ok());
  ASSERT_EQ(range.size(), 154u);
  for (uint64_t i = 0; i < range.size(); ++i) EXPECT_EQ(range[i], make_record(17 + i));
  // The same after a reopen (the index is rebuilt by recovery).
  wal.reset();
  wal = open_or_die(world.options(256));
  EXPECT_EQ(wal->recovery_report().segments, paths.size());
  EXPECT_EQ(wal->recovery_report().records, count);
  const auto all = read_all(*wal);
  ASSERT_EQ(all.size(), count);
  for (uint64_t v = 1; v <= count; ++v) EXPECT_EQ(all[v - 1], make_record(v));
}

TEST(WalScan, StopsAtTheCallbacksErrorAndRejectsTruncatedVersions) {
  SimWorld world(2);
  auto wal = open_or_die(world.options(128));
  for (uint64_t v = 1; v <= 30; ++v) ASSERT_TRUE(wal->append_now(make_record(v)).ok());
  uint64_t seen = 0;
  Status s = wal->scan(1, 30, [&](const WalRecord& r) {
    ++seen;
    return r.version == 5 ? Status::aborted("stop at 5") : Status();
  });
  EXPECT_TRUE(s.is_aborted());
  EXPECT_EQ(seen, 5u);
  ASSERT_TRUE(wal->truncate_before(12).ok());
  EXPECT_GT(wal->first_version(), 1u);
  EXPECT_LE(wal->first_version(), 12u);
  s = wal->scan(1, 30, [](const WalRecord&) { return Status(); });
  EXPECT_TRUE(s.is_not_found()) << s.to_string();
}

TEST(WalAppend, RejectsAVersionThatDoesNotFollowTheLast) {
  SimWorld world(3);
  auto wal = open_or_die(world.options());
  EXPECT_TRUE(wal->append_now(make_record(0)).is_invalid_argument());
  ASSERT_TRUE(wal->append_now(make_record(5)).ok());  // an empty log takes any version
  EXPECT_TRUE(wal->append_now(make_record(7)).is_invalid_argument());
  EXPECT_TRUE(wal->append_now(make_record(5)).is_invalid_argument());
  ASSERT_TRUE(wal->append_now(make_record(6)).ok());
  EXPECT_EQ(wal->first_version(), 5u);
  EXPECT_EQ(wal->last_version(), 6u);
}

}  // namespace
}  // namespace tierkv::test
