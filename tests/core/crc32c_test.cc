// CRC32C (engine/core/crc32c.h): the published check values, hardware and portable paths agree
// on every input (all short lengths, unaligned starts, random data, chained extends), and
// mask/unmask round trips.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/core/crc32c.h"

namespace tierkv {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // The CRC-32C check value, and the RFC 3720 (iSCSI) appendix B.4 vectors.
  EXPECT_EQ(crc32c::value("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c::value(""), 0u);
  EXPECT_EQ(crc32c::value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c::value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  std::string descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c::value(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c::value(descending), 0x113FDB5Cu);
  for (const std::string& data : {std::string("123456789"), ascending}) {
    EXPECT_EQ(crc32c::extend_portable(0, data.data(), data.size()), crc32c::value(data));
  }
}

TEST(Crc32cTest, ExtendingInPiecesEqualsOneShot) {
  const std::string data = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    const uint32_t first = crc32c::extend(0, data.data(), cut);
    EXPECT_EQ(crc32c::extend(first, data.data() + cut, data.size() - cut), crc32c::value(data));
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string buffer;
  for (int i = 0; i < 200; ++i) buffer.push_back(static_cast<char>(i * 37 + 11));
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t n = 0; n <= 64; ++n) {
      const char* p = buffer.data() + offset;
      ASSERT_EQ(crc32c::extend(0x1234567u, p, n), crc32c::extend_portable(0x1234567u, p, n))
          << "offset " << offset << " length " << n
          << (crc32c::hardware_accelerated() ? " (SSE4.2)" : " (portable only)");
    }
  }
}

RC_GTEST_PROP(Crc32cProperty, HardwareAndPortableAgree, (const std::string& data)) {
  const uint32_t init = *rc::gen::arbitrary<uint32_t>();
  const size_t offset = *rc::gen::inRange<size_t>(0, data.size() + 1);
  const char* p = data.data() + offset;
  RC_ASSERT(crc32c::extend(init, p, data.size() - offset) ==
            crc32c::extend_portable(init, p, data.size() - offset));
}

RC_GTEST_PROP(Crc32cProperty, MaskUnmaskRoundTripsAndMaskChangesTheValue, (uint32_t crc)) {
  RC_ASSERT(crc32c::unmask(crc32c::mask(crc)) == crc);
  RC_ASSERT(crc32c::mask(crc) != crc);
}

RC_GTEST_PROP(Crc32cProperty, AnySingleBitFlipChangesTheCrc, (const std::string& data)) {
  RC_PRE(!data.empty());
  const size_t bit = *rc::gen::inRange<size_t>(0, data.size() * 8);
  std::string flipped = data;
  flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
  RC_ASSERT(crc32c::value(flipped) != crc32c::value(data));
}

}  // namespace
}  // namespace tierkv
