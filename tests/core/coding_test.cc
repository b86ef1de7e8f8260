// Fixed-width coding (engine/core/coding.h): little-endian fixed32/64 and big-endian 64 round
// trip, big-endian keys sort like their numbers, and the get_* readers refuse short input
// without consuming it.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "engine/core/coding.h"

namespace tierkv {
namespace {

TEST(CodingTest, FixedWidthLayoutIsLittleEndian) {
  std::string out;
  put_fixed32(&out, 0x04030201u);
  put_fixed64(&out, 0x0807060504030201ull);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  std::string be;
  put_big_endian64(&be, 0x0102030405060708ull);
  EXPECT_EQ(be, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  // The in-place writers put the same bytes where they are told, and nothing around them.
  std::string in_place(22, '-');
  encode_fixed32(in_place.data() + 1, 0x04030201u);
  encode_fixed64(in_place.data() + 5, 0x0807060504030201ull);
  encode_big_endian64(in_place.data() + 13, 0x0102030405060708ull);
  EXPECT_EQ(in_place, "-" + out + be + "-");
}

TEST(CodingTest, ShortInputIsRefusedAndLeftUntouched) {
  std::string three("abc");
  std::string_view in(three);
  uint32_t v32 = 7;
  EXPECT_FALSE(get_fixed32(&in, &v32));
  EXPECT_EQ(in.size(), 3u);
  uint64_t v64 = 7;
  EXPECT_FALSE(get_fixed64(&in, &v64));
  EXPECT_EQ(in.size(), 3u);
  // A length prefix that promises more bytes than there are.
  std::string encoded;
  put_length_prefixed(&encoded, "hello");
  encoded.pop_back();
  std::string_view lp(encoded);
  std::string_view out;
  EXPECT_FALSE(get_length_prefixed(&lp, &out));
}

RC_GTEST_PROP(CodingProperty, FixedAndLengthPrefixedRoundTrip,
              (uint32_t a, uint64_t b, const std::string& s, const std::string& t)) {
  std::string buf;
  put_fixed32(&buf, a);
  put_length_prefixed(&buf, s);
  put_fixed64(&buf, b);
  put_length_prefixed(&buf, t);
  std::string_view in(buf);
  uint32_t a2 = 0;
  uint64_t b2 = 0;
  std::string_view s2;
  std::string_view t2;
  RC_ASSERT(get_fixed32(&in, &a2));
  RC_ASSERT(get_length_prefixed(&in, &s2));
  RC_ASSERT(get_fixed64(&in, &b2));
  RC_ASSERT(get_length_prefixed(&in, &t2));
  RC_ASSERT(in.empty());
  RC_ASSERT(a2 == a);
  RC_ASSERT(b2 == b);
  RC_ASSERT(s2 == s);
  RC_ASSERT(t2 == t);
}

RC_GTEST_PROP(CodingProperty, BigEndianRoundTripsAndSortsNumerically, (uint64_t x, uint64_t y)) {
  std::string ex;
  std::string ey;
  put_big_endian64(&ex, x);
  put_big_endian64(&ey, y);
  RC_ASSERT(decode_big_endian64(ex.data()) == x);
  RC_ASSERT((ex < ey) == (x < y));
}

}  // namespace
}  // namespace tierkv
