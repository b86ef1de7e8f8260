// The small on-disk formats of VersionedStore (engine/versioned/versioned_layout.h,
// commit_record.h): names, manifests, rollback intents and WAL commit payloads. Damaged bytes
// must be Corruption naming the file, never data.
#include "engine/versioned/versioned_layout.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/versioned/commit_record.h"

namespace tierkv::versioned {
namespace {

TEST(VersionedLayoutTest, SnapshotNamesAreTwentyDigitsAndSortByVersion) {
  EXPECT_EQ(snapshot_name(0), "snapshot-00000000000000000000");
  EXPECT_EQ(snapshot_name(42), "snapshot-00000000000000000042");
  EXPECT_LT(snapshot_name(9), snapshot_name(10));
  EXPECT_EQ(parse_snapshot_name(snapshot_name(UINT64_MAX)), UINT64_MAX);
  EXPECT_EQ(parse_snapshot_name("snapshot-00000000000000000042"), 42u);
}

TEST(VersionedLayoutTest, ParseRejectsEverythingButPublishedNames) {
  EXPECT_FALSE(parse_snapshot_name("snapshot-00000000000000000042-tmp").has_value());
  EXPECT_FALSE(parse_snapshot_name("snapshot-0000000000000000004").has_value());
  EXPECT_FALSE(parse_snapshot_name("snapshot-0000000000000000004x").has_value());
  EXPECT_FALSE(parse_snapshot_name("snapshot-99999999999999999999").has_value());  // > 2^64
  EXPECT_FALSE(parse_snapshot_name("working").has_value());
}

BaseRecord sample_base() {
  BaseRecord base{snapshot_name(7), 7, LtHash()};
  base.lt_hash.mix_in_element("k", "v");
  return base;
}

TEST(VersionedLayoutTest, BaseRecordRoundTrips) {
  const BaseRecord base = sample_base();
  auto decoded = decode_base_record(encode_base_record(base), "x/SNAPSHOT_BASE");
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, base);
}

TEST(VersionedLayoutTest, EverySingleBitFlipOfABaseRecordIsCorruptionNamingTheFile) {
  const std::string bytes = encode_base_record(sample_base());
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    auto decoded = decode_base_record(damaged, "store/snapshot-7/SNAPSHOT_BASE");
    ASSERT_FALSE(decoded.ok()) << "bit " << bit;
    EXPECT_TRUE(decoded.status().is_corruption());
    EXPECT_NE(decoded.status().message().find("store/snapshot-7/SNAPSHOT_BASE"),
              std::string::npos);
  }
}

TEST(VersionedLayoutTest, BaseRecordWhoseNameDisagreesWithItsVersionIsCorruption) {
  BaseRecord base = sample_base();
  base.version = 8;
  auto decoded = decode_base_record(encode_base_record(base), "current");
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().is_corruption());
}

TEST(VersionedLayoutTest, TruncatedBaseRecordIsCorruption) {
  const std::string bytes = encode_base_record(sample_base());
  for (size_t n = 0; n < bytes.size(); n += 97) {
    EXPECT_TRUE(decode_base_record(bytes.substr(0, n), "current").status().is_corruption());
  }
}

TEST(VersionedLayoutTest, RollbackIntentRoundTripsAndRejectsDamage) {
  const RollbackIntent intent{12, snapshot_name(10), 10};
  const std::string bytes = encode_rollback_intent(intent);
  auto decoded = decode_rollback_intent(bytes, "ROLLBACK");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, intent);
  std::string damaged = bytes;
  damaged[10] ^= 0x4;
  EXPECT_TRUE(decode_rollback_intent(damaged, "ROLLBACK").status().is_corruption());
  // A base above the target can never be a valid intent.
  EXPECT_TRUE(decode_rollback_intent(encode_rollback_intent({9, snapshot_name(10), 10}),
                                     "ROLLBACK")
                  .status()
                  .is_corruption());
}

RC_GTEST_PROP(CommitRecordProperty, RoundTrips,
              (std::vector<std::tuple<bool, std::string, std::string>> ops)) {
  CommitRecord record;
  record.lt_hash_checksum = std::string(LtHash::kChecksumBytes, 'c');
  for (const auto& [is_put, key, value] : ops) {
    if (is_put) {
      record.batch.put(key, value);
    } else {
      record.batch.remove(key);
    }
  }
  auto decoded = decode_commit_record(encode_commit_record(record), "wal version 1");
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->batch == record.batch);
  RC_ASSERT(decoded->lt_hash_checksum == record.lt_hash_checksum);
}

TEST(CommitRecordTest, MalformedPayloadsAreCorruptionNamingTheVersion) {
  CommitRecord record{std::string(LtHash::kChecksumBytes, 'c'), {}};
  record.batch.put("a", "1");
  record.batch.remove("b");
  const std::string bytes = encode_commit_record(record);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto decoded = decode_commit_record(bytes.substr(0, n), "store/wal version 5");
    ASSERT_FALSE(decoded.ok()) << n;
    EXPECT_NE(decoded.status().message().find("store/wal version 5"), std::string::npos);
  }
  EXPECT_TRUE(decode_commit_record(bytes + "x", "w").status().is_corruption());
  std::string bad_format = bytes;
  bad_format[0] = 9;
  EXPECT_TRUE(decode_commit_record(bad_format, "w").status().is_corruption());
}

}  // namespace
}  // namespace tierkv::versioned
