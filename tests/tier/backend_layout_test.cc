// BackendKvStore's storage layout (engine/tier/backend_layout.h) byte for byte: the keys and
// records every existing store holds must keep reading back, so their bytes are pinned here
// against the format's description, built independently of the encoders.
#include "engine/tier/backend_layout.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv::backend_layout {
namespace {

const std::string kNul(1, '\0');

std::string be64(uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return out;
}

TEST(BackendLayout, KeysAreTagNamespacePairAndKey) {
  const StoreKey key{"app", "cfg", "k12"};
  EXPECT_EQ(data_key(key), "dapp" + kNul + "cfg" + kNul + "k12");
  EXPECT_EQ(data_key(StoreKey{"", "", "k"}), "d" + kNul + kNul + "k");
  EXPECT_EQ(data_prefix("app", ""), "dapp" + kNul + kNul);
  EXPECT_EQ(creation_prefix("", ""), "c" + kNul + kNul);
  EXPECT_EQ(creation_key(key, 5), "capp" + kNul + "cfg" + kNul + be64(~uint64_t{5}) + "k12");
  EXPECT_EQ(creation_key_after("app", "cfg", 5),
            "capp" + kNul + "cfg" + kNul + be64(~uint64_t{5} + 1));
  const std::string longest(kStoreKeyPartBytesMax, 'x');
  EXPECT_EQ(data_key(StoreKey{longest, longest, longest}),
            "d" + longest + kNul + longest + kNul + longest);
  Result<CreationEntry> entry =
      decode_creation_key(creation_key(key, 5), creation_prefix("app", "cfg"));
  ASSERT_TRUE(entry.ok()) << entry.status().to_string();
  EXPECT_EQ(entry->creation_seq, 5u);
  EXPECT_EQ(entry->key, "k12");
}

TEST(BackendLayout, RecordsAreChecksumVersionSequenceAndValue) {
  const std::string value("v\0al", 4);
  std::string body;
  put_fixed64(&body, 7);
  put_fixed64(&body, 5);
  body += value;
  std::string expected;
  put_fixed32(&expected, crc32c::mask(crc32c::value(body)));
  expected += body;
  const std::string record = encode_record({7, 5}, value);
  EXPECT_EQ(record, expected);
  Result<DataRecord> decoded = decode_record(record, StoreKey{"p", "", "k"});
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->record_version, 7u);
  EXPECT_EQ(decoded->creation_seq, 5u);
  EXPECT_EQ(decoded->value, value);
  // An empty value is a header only.
  EXPECT_EQ(encode_record({1, 1}, "").size(), kRecordHeaderBytes);
  std::string fixed;
  put_fixed64(&fixed, 9);
  EXPECT_EQ(encode_sequence(9), fixed);
  Result<uint64_t> next = decode_sequence(encode_sequence(9));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 9u);
}

}  // namespace
}  // namespace tierkv::backend_layout
