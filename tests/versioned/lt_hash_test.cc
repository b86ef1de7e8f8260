// LtHash: the homomorphic state hash VersionedStore keeps per version (engine/versioned/lt_hash.h).
#include "engine/versioned/lt_hash.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace tierkv {
namespace {

using Element = std::pair<std::string, std::string>;

LtHash hash_of(const std::vector<Element>& elements) {
  LtHash hash;
  for (const auto& [key, value] : elements) hash.mix_in_element(key, value);
  return hash;
}

TEST(LtHashTest, EmptySetIsIdentity) {
  LtHash hash;
  EXPECT_TRUE(hash.is_identity());
  hash.mix_in_element("k", "v");
  EXPECT_FALSE(hash.is_identity());
}

TEST(LtHashTest, LengthDelimitedEncodingSeparatesKeyAndValue) {
  EXPECT_NE(LtHash::of_element("ab", "c"), LtHash::of_element("a", "bc"));
  EXPECT_NE(LtHash::of_element("", "abc"), LtHash::of_element("abc", ""));
}

TEST(LtHashTest, ElementHashIsDeterministic) {
  EXPECT_EQ(LtHash::of_element("key", "value"), LtHash::of_element("key", "value"));
  EXPECT_NE(LtHash::of_element("key", "value"), LtHash::of_element("key", "valuf"));
}

TEST(LtHashTest, EmptyValueCountsAsAbsentPerSeedRule) {
  LtHash absent;
  LtHash with_empty;
  with_empty.apply_change("k", std::nullopt, std::string_view(""));
  EXPECT_EQ(with_empty, absent);
  // Overwriting an empty value mixes nothing out.
  with_empty.apply_change("k", std::string_view(""), std::string_view("v"));
  EXPECT_EQ(with_empty, hash_of({{"k", "v"}}));
  // Deleting mixes the old value out.
  with_empty.apply_change("k", std::string_view("v"), std::nullopt);
  EXPECT_TRUE(with_empty.is_identity());
}

TEST(LtHashTest, DeserializeRejectsWrongLengthNamingTheSource) {
  auto result = LtHash::deserialize(std::string(100, 'x'), "snapshot-7/SNAPSHOT_BASE");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().is_corruption());
  EXPECT_NE(result.status().message().find("snapshot-7/SNAPSHOT_BASE"), std::string::npos);
}

TEST(LtHashTest, ChecksumTracksTheState) {
  LtHash a = hash_of({{"a", "1"}});
  LtHash b = hash_of({{"a", "2"}});
  EXPECT_EQ(a.checksum().size(), LtHash::kChecksumBytes);
  EXPECT_EQ(a.checksum(), hash_of({{"a", "1"}}).checksum());
  EXPECT_NE(a.checksum(), b.checksum());
  EXPECT_EQ(a.checksum_hex().size(), 2 * LtHash::kChecksumBytes);
}

// The hash is persisted (WAL records, snapshot manifests) and compared across versions of
// tierkv, so its bytes are fixed. Reference values computed independently from the spec in
// lt_hash.h with Python's hashlib (shake_256 over fixed32(len) key fixed32(len) value, 2048
// bytes read as little-endian u16 lanes; checksum = blake2s-256 of the serialized lanes).
TEST(LtHashTest, ElementHashAndChecksumMatchReferenceBytes) {
  const LtHash element = LtHash::of_element("key", "value");
  EXPECT_EQ(element.lane(0), 23632);
  EXPECT_EQ(element.lane(1), 12313);
  EXPECT_EQ(element.lane(2), 8502);
  EXPECT_EQ(element.lane(3), 21528);
  EXPECT_EQ(element.lane(1020), 32287);
  EXPECT_EQ(element.lane(1023), 23561);
  const LtHash empty = LtHash::of_element("", "");
  EXPECT_EQ(empty.lane(0), 37137);
  EXPECT_EQ(empty.lane(3), 2311);
  EXPECT_EQ(hash_of({{"key", "value"}, {"k2", "v2"}}).checksum_hex(),
            "81dedf58c9a1d0de591962746274c9d3788e6062b9bd15a700bc0103cc4b5667");
}

// Element hashes come from a per-thread cache of 4096 direct-mapped slots: many more elements
// than slots, mixed out in another order after the cache evicted most of them, must still
// cancel exactly (an evicted or colliding slot recomputes, never returns another's lanes).
TEST(LtHashTest, MixingOutAfterTheCacheEvictedGivesIdentity) {
  constexpr int kElements = 2 * 4096;
  LtHash hash;
  for (int i = 0; i < kElements; ++i) {
    hash.mix_in_element("k" + std::to_string(i), "v" + std::to_string(i * 7));
  }
  EXPECT_FALSE(hash.is_identity());
  for (int i = kElements; i-- > 0;) {
    hash.mix_out_element("k" + std::to_string(i), "v" + std::to_string(i * 7));
  }
  EXPECT_TRUE(hash.is_identity());
  EXPECT_EQ(LtHash::of_element("key", "value").lane(0), 23632);  // reference bytes, still
}

// mix_in/mix_out read the other operand before writing: a hash mixed with itself doubles
// (mod 2^16) or clears.
TEST(LtHashTest, MixingAHashWithItself) {
  const LtHash element = LtHash::of_element("key", "value");
  LtHash doubled = element;
  doubled.mix_in(doubled);
  for (size_t i = 0; i < LtHash::kLaneCount; ++i) {
    ASSERT_EQ(doubled.lane(i), static_cast<uint16_t>(2 * element.lane(i))) << "lane " << i;
  }
  doubled.mix_out(doubled);
  EXPECT_TRUE(doubled.is_identity());
}

RC_GTEST_PROP(LtHashProperty, OrderIndependent, (std::vector<Element> elements)) {
  const LtHash forward = hash_of(elements);
  std::vector<Element> reversed(elements.rbegin(), elements.rend());
  RC_ASSERT(hash_of(reversed) == forward);
  std::vector<Element> sorted = elements;
  std::sort(sorted.begin(), sorted.end());
  RC_ASSERT(hash_of(sorted) == forward);
}

RC_GTEST_PROP(LtHashProperty, MixInThenMixOutIsIdentity,
              (std::vector<Element> base, std::string key, std::string value)) {
  const LtHash before = hash_of(base);
  LtHash hash = before;
  hash.mix_in_element(key, value);
  hash.mix_out_element(key, value);
  RC_ASSERT(hash == before);
}

RC_GTEST_PROP(LtHashProperty, SerializeRoundTrips, (std::vector<Element> elements)) {
  const LtHash hash = hash_of(elements);
  const std::string bytes = hash.serialize();
  RC_ASSERT(bytes.size() == LtHash::kSerializedBytes);
  auto back = LtHash::deserialize(bytes, "test");
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == hash);
}

// Incremental maintenance through apply_change equals hashing the final map from scratch:
// the invariant VersionedStore relies on when it updates the hash per commit.
RC_GTEST_PROP(LtHashProperty, IncrementalEqualsFromScratch,
              (std::vector<std::tuple<std::string, bool, std::string>> ops)) {
  std::map<std::string, std::string> state;
  LtHash incremental;
  for (const auto& [key, is_delete, put_value] : ops) {
    std::optional<std::string> value;
    if (!is_delete) value = put_value;
    std::optional<std::string_view> old_value;
    auto it = state.find(key);
    if (it != state.end()) old_value = it->second;
    std::optional<std::string_view> new_value;
    if (value.has_value()) new_value = *value;
    incremental.apply_change(key, old_value, new_value);
    if (value.has_value()) {
      state[key] = *value;
    } else {
      state.erase(key);
    }
  }
  LtHash scratch;
  for (const auto& [key, value] : state) {
    if (!value.empty()) scratch.mix_in_element(key, value);
  }
  RC_ASSERT(incremental == scratch);
}

}  // namespace
}  // namespace tierkv
