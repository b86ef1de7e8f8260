// StoreKey validation (engine/core/store_key.h): every rule of DESIGN.md is enforced, each
// violation is a distinct error naming the part and the rule, and the alphabet/length rules
// hold for every input (RapidCheck).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "engine/core/store_key.h"

namespace tierkv {
namespace {

const std::string kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

StoreKey key_of(std::string primary, std::string secondary, std::string key) {
  return StoreKey{std::move(primary), std::move(secondary), std::move(key)};
}

bool mentions(const Status& s, std::string_view text) {
  return s.message().find(text) != std::string::npos;
}

TEST(StoreKeyTest, ValidKeysAreAccepted) {
  EXPECT_TRUE(validate_store_key(key_of("", "", "k")).ok());
  EXPECT_TRUE(validate_store_key(key_of("p", "", "k")).ok());
  EXPECT_TRUE(validate_store_key(key_of("p", "s", "k")).ok());
  EXPECT_TRUE(validate_store_key(key_of("A-z_09", "s-1", "key_-09AZ")).ok());
  const std::string longest(kStoreKeyPartBytesMax, 'x');
  EXPECT_TRUE(validate_store_key(key_of(longest, longest, longest)).ok());
  EXPECT_EQ(store_key_rule(key_of(longest, longest, longest)), KeyRule::kValid);
}

TEST(StoreKeyTest, EachBadCharacterIsRejectedNamingThePartAndTheByte) {
  const std::vector<std::string> bad_parts = {
      "a/b", "a b", std::string("a\0b", 3), "caf\xc3\xa9", "a.b", "a\\b", "a\nb", "a:b"};
  for (const std::string& bad : bad_parts) {
    for (int part = 0; part < 3; ++part) {
      StoreKey key = key_of("p", "s", "k");
      std::string* target = part == 0 ? &key.primary_namespace
                                      : (part == 1 ? &key.secondary_namespace : &key.key);
      *target = bad;
      Status s = validate_store_key(key);
      ASSERT_TRUE(s.is_invalid_argument()) << "accepted part " << part << " = " << bad;
      EXPECT_TRUE(mentions(s, "invalid byte")) << s.message();
      EXPECT_TRUE(mentions(s, part == 0 ? "primary_namespace"
                                        : (part == 1 ? "secondary_namespace" : "key")))
          << s.message();
      EXPECT_EQ(store_key_rule(key), KeyRule::kInvalidCharacter);
    }
  }
  // The offending byte is named in hex, so a NUL or a non-ASCII byte is visible.
  Status nul = validate_store_key(key_of("", "", std::string("ab\0", 3)));
  EXPECT_TRUE(mentions(nul, "0x00 at offset 2")) << nul.message();
  Status slash = validate_store_key(key_of("", "", "a/b"));
  EXPECT_TRUE(mentions(slash, "0x2f at offset 1")) << slash.message();
}

TEST(StoreKeyTest, A121BytePartIsTooLongInEveryPart) {
  const std::string too_long(kStoreKeyPartBytesMax + 1, 'x');
  for (const StoreKey& key : {key_of(too_long, "", "k"), key_of("p", too_long, "k"),
                              key_of("p", "s", too_long)}) {
    Status s = validate_store_key(key);
    ASSERT_TRUE(s.is_invalid_argument());
    EXPECT_TRUE(mentions(s, "121 bytes; the limit is 120")) << s.message();
    EXPECT_EQ(store_key_rule(key), KeyRule::kTooLong);
  }
}

TEST(StoreKeyTest, AnEmptyKeyIsRejected) {
  Status s = validate_store_key(key_of("p", "s", ""));
  ASSERT_TRUE(s.is_invalid_argument());
  EXPECT_TRUE(mentions(s, "key is empty")) << s.message();
  EXPECT_EQ(store_key_rule(key_of("p", "s", "")), KeyRule::kEmptyKey);
}

TEST(StoreKeyTest, ASecondaryNamespaceNeedsAPrimaryOne) {
  Status s = validate_store_key(key_of("", "s", "k"));
  ASSERT_TRUE(s.is_invalid_argument());
  EXPECT_TRUE(mentions(s, "requires a non-empty primary_namespace")) << s.message();
  EXPECT_EQ(store_key_rule(key_of("", "s", "k")), KeyRule::kSecondaryWithoutPrimary);
  // list() validates just the pair, with the same rules.
  EXPECT_TRUE(validate_namespace("", "s").is_invalid_argument());
  EXPECT_TRUE(validate_namespace("", "").ok());
  EXPECT_TRUE(validate_namespace("p", "").ok());
  EXPECT_TRUE(validate_namespace("p", "s").ok());
  EXPECT_TRUE(validate_namespace("p/", "s").is_invalid_argument());
}

TEST(StoreKeyTest, TheRulesHaveDistinctMessages) {
  const std::string messages[] = {
      validate_store_key(key_of("", "", "a b")).message(),
      validate_store_key(key_of("", "", std::string(121, 'a'))).message(),
      validate_store_key(key_of("", "", "")).message(),
      validate_store_key(key_of("", "s", "k")).message(),
  };
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = i + 1; j < 4; ++j) EXPECT_NE(messages[i], messages[j]);
  }
}

TEST(StoreKeyTest, IsStoreKeyCharIsExactlyTheAlphabet) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    EXPECT_EQ(is_store_key_char(ch), kAlphabet.find(ch) != std::string::npos) << c;
  }
}

rc::Gen<std::string> alphabet_string(size_t min_len, size_t max_len) {
  return rc::gen::mapcat(rc::gen::inRange(min_len, max_len + 1), [](size_t n) {
    return rc::gen::container<std::string>(n, rc::gen::elementOf(kAlphabet));
  });
}

// Keys order part by part, each part as std::string orders it (bytes as unsigned char, a
// prefix first): maps of keys (the model, scans) rely on it. Raw keys carry any byte.
TEST(StoreKeyTest, ToStringJoinsThePartsWithSlashes) {
  EXPECT_EQ(key_of("", "", "k").to_string(), "//k");
  EXPECT_EQ(key_of("p", "", "k").to_string(), "p//k");
  EXPECT_EQ(key_of("app", "cfg", "k12").to_string(), "app/cfg/k12");
  const std::string longest(kStoreKeyPartBytesMax, 'x');
  EXPECT_EQ(key_of(longest, "s", longest).to_string(), longest + "/s/" + longest);
}

TEST(StoreKeyTest, OrderIsPartByPartAsStringsOrder) {
  const std::vector<StoreKey> ascending = {
      key_of("", "", "a"),         key_of("a", "", "k"),       key_of("a", "", "k\x7f"),
      key_of("a", "", "k\x80"),    key_of("a", "", "k\xff"),   key_of("a", "b", ""),
      key_of("a", "b", "a"),       key_of("a", "ba", "a"),     key_of("ab", "", ""),
      key_of("b", "", "a"),        key_of("\xfe", "", ""),     key_of("\xff", "", "")};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      const StoreKey& a = ascending[i];
      const StoreKey& b = ascending[j];
      EXPECT_EQ(a < b, i < j) << i << " vs " << j;
      EXPECT_EQ(a == b, i == j) << i << " vs " << j;
      const auto as_tuple = [](const StoreKey& k) {
        return std::tie(k.primary_namespace, k.secondary_namespace, k.key);
      };
      EXPECT_EQ(a <=> b, as_tuple(a) <=> as_tuple(b)) << i << " vs " << j;
    }
  }
}

RC_GTEST_PROP(StoreKeyProperty, AnyAlphabetStringOfLength1To120IsAValidKeyAndNamespace, ()) {
  const std::string part = *alphabet_string(1, kStoreKeyPartBytesMax);
  RC_ASSERT(validate_store_key(key_of("", "", part)).ok());
  RC_ASSERT(validate_store_key(key_of(part, part, part)).ok());
  RC_ASSERT(validate_namespace(part, part).ok());
  RC_ASSERT(check_store_key_part(part) == KeyRule::kValid);
}

RC_GTEST_PROP(StoreKeyProperty, AnyByteOutsideTheAlphabetIsRejectedAsInvalidCharacter, ()) {
  const std::string before = *alphabet_string(0, 60);
  const std::string after = *alphabet_string(0, 59);
  const char bad = *rc::gen::suchThat<char>([](char c) { return !is_store_key_char(c); });
  const std::string part = before + bad + after;
  const int which = *rc::gen::inRange(0, 3);
  StoreKey key = key_of("p", "s", "k");
  (which == 0 ? key.primary_namespace : (which == 1 ? key.secondary_namespace : key.key)) = part;
  const Status s = validate_store_key(key);
  RC_ASSERT(s.is_invalid_argument());
  RC_ASSERT(mentions(s, "at offset " + std::to_string(before.size())));
  RC_ASSERT(store_key_rule(key) == KeyRule::kInvalidCharacter);
}

RC_GTEST_PROP(StoreKeyProperty, AnyPartOver120BytesIsRejectedAsTooLong, ()) {
  const std::string part = *alphabet_string(kStoreKeyPartBytesMax + 1, 400);
  RC_ASSERT(validate_store_key(key_of("", "", part)).is_invalid_argument());
  RC_ASSERT(validate_namespace(part, "").is_invalid_argument());
  RC_ASSERT(check_store_key_part(part) == KeyRule::kTooLong);
}

}  // namespace
}  // namespace tierkv
