// MemoryBackend's own parts beyond the Backend contract (backend_contract_test.cc): its key
// order (BytewiseLess) is std::string's, and its image round-trips.
#include "engine/backends/memory_backend.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>

namespace tierkv {
namespace {

// Keys that share prefixes of every length around the comparator's 8-byte words, with bytes
// from both halves of the unsigned range.
rc::Gen<std::string> shared_prefix_keys() {
  const auto bytes = rc::gen::container<std::string>(
      rc::gen::element('a', 'b', '\0', '\x7f', '\x80', '\xff'));
  return rc::gen::map(rc::gen::tuple(rc::gen::inRange<size_t>(0, 25), bytes),
                      [](const std::tuple<size_t, std::string>& t) {
                        return std::string(std::get<0>(t), 'p') + std::get<1>(t);
                      });
}

RC_GTEST_PROP(BytewiseLess, OrdersLikeStdString, ()) {
  const std::string a = *shared_prefix_keys();
  const std::string b = *shared_prefix_keys();
  const BytewiseLess less;
  RC_ASSERT(less(a, b) == (a < b));
  RC_ASSERT(less(b, a) == (b < a));
  RC_ASSERT(!less(a, a));
}

TEST(BytewiseLess, EdgesOfTheWords) {
  const BytewiseLess less;
  EXPECT_TRUE(less("", "a"));
  EXPECT_FALSE(less("a", ""));
  EXPECT_TRUE(less("abcdefgh", "abcdefghi"));        // a prefix first
  EXPECT_TRUE(less("abcdefgh\x01", "abcdefgh\xff"));  // bytes are unsigned
  EXPECT_TRUE(less("abcdefghijklmno\x01", "abcdefghijklmno\x02"));  // the overlapping last word
  EXPECT_TRUE(less(std::string("dapp\0cfg\0k1", 11), std::string("dapp\0cfg\0k2", 11)));
  EXPECT_FALSE(less("\xff", "\x01\x01\x01\x01\x01\x01\x01\x01\x01"));
}

TEST(MemoryImage, RoundTripsAndRefusesADamagedImage) {
  MemoryMap map{{"a", "1"}, {std::string("k\0\xff", 3), std::string(300, 'v')}, {"b", ""}};
  const std::string image = encode_memory_image(map);
  Result<MemoryMap> decoded = decode_memory_image(image, "img");
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(*decoded, map);
  std::string damaged = image;
  damaged[kMemoryImageMagic.size() + 9] ^= 1;
  Result<MemoryMap> refused = decode_memory_image(damaged, "img");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().is_corruption());
  EXPECT_NE(refused.status().message().find("checksum mismatch"), std::string::npos);
}

}  // namespace
}  // namespace tierkv
