// The WAL record codec: what a reader of a log relies on — a record decodes to exactly what
// was encoded, and damaged or torn bytes are always reported, never decoded as a record.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/coding.h"
#include "engine/wal/record_codec.h"
#include "engine/wal/wal.h"

namespace tierkv {
namespace {

RC_GTEST_PROP(WalRecordCodec, RoundTripsAnyRecord, (uint8_t type, uint64_t version,
                                                     std::string payload)) {
  const WalRecord record{type, version, payload};
  const std::string encoded = encode_wal_record(record);
  RC_ASSERT(encoded.size() == kWalHeaderBytes + payload.size());
  std::string_view input = encoded;
  WalRecord decoded;
  RC_ASSERT(decode_wal_record(&input, &decoded).ok());
  RC_ASSERT(decoded == record);
  RC_ASSERT(input.empty());
}

TEST(WalRecordCodec, DecodesConsecutiveRecordsAndReportsCleanEnd) {
  const WalRecord a{1, 7, "first"};
  const WalRecord b{2, 8, ""};
  const std::string log = encode_wal_record(a) + encode_wal_record(b);
  std::string_view input = log;
  WalRecord out;
  ASSERT_TRUE(decode_wal_record(&input, &out).ok());
  EXPECT_EQ(out, a);
  ASSERT_TRUE(decode_wal_record(&input, &out).ok());
  EXPECT_EQ(out, b);
  EXPECT_TRUE(decode_wal_record(&input, &out).is_not_found());
}

TEST(WalRecordCodec, EverySingleBitFlipIsDetected) {
  const std::string encoded = encode_wal_record(WalRecord{3, 0x0102030405060708ull, "payload!"});
  for (size_t byte = 0; byte < encoded.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = encoded;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      std::string_view input = damaged;
      WalRecord out;
      const Status s = decode_wal_record(&input, &out);
      EXPECT_TRUE(s.is_corruption()) << "flip of byte " << byte << " bit " << bit << ": "
                                     << s.to_string();
      EXPECT_EQ(input.size(), damaged.size()) << "a bad record must not be consumed";
    }
  }
}

TEST(WalRecordCodec, TruncationAtEveryOffsetIsTorn) {
  const std::string encoded = encode_wal_record(WalRecord{1, 42, "some payload bytes"});
  for (size_t cut = 1; cut < encoded.size(); ++cut) {
    std::string_view input(encoded.data(), cut);
    WalRecord out;
    const Status s = decode_wal_record(&input, &out);
    ASSERT_TRUE(s.is_corruption()) << "cut at " << cut << ": " << s.to_string();
    EXPECT_NE(s.message().find("torn"), std::string::npos) << s.message();
  }
}

TEST(WalRecordCodec, LengthOverTheLimitIsRejectedFromTheHeaderAlone) {
  // Only a header: had the decoder trusted the length, it would report a short payload (and a
  // reader would try to buffer 256 MiB + 1 bytes).
  std::string header;
  put_fixed32(&header, kWalPayloadBytesMax + 1);
  put_fixed32(&header, 0);
  header.push_back('\1');
  put_fixed64(&header, 1);
  std::string_view input = header;
  WalRecord out;
  const Status s = decode_wal_record(&input, &out);
  ASSERT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("over the limit"), std::string::npos) << s.message();
}

TEST(WalRecordCodec, ZeroFilledBytesAreNotARecord) {
  const std::string zeros(64, '\0');
  std::string_view input = zeros;
  WalRecord out;
  EXPECT_TRUE(decode_wal_record(&input, &out).is_corruption());
}

}  // namespace
}  // namespace tierkv
