// Fuzz target: StoreKey validation (engine/core/store_key.h) against an independent statement
// of the rules.
//
// Oracle: validate_store_key / validate_namespace accept exactly the keys the rules allow
// ([A-Za-z0-9_-], each part <= 120 bytes, key non-empty, secondary needs primary); a rejection
// is InvalidArgument with a message; store_key_rule names a rule the key really breaks (kValid
// exactly for valid keys); check_store_key_part agrees with the per-part rules.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "engine/core/store_key.h"
#include "fuzz/fuzz_check.h"

namespace tierkv {
namespace {

bool reference_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::set<KeyRule> reference_part_rules(std::string_view part) {
  std::set<KeyRule> broken;
  for (char c : part) {
    if (!reference_char(c)) broken.insert(KeyRule::kInvalidCharacter);
  }
  if (part.size() > kStoreKeyPartBytesMax) broken.insert(KeyRule::kTooLong);
  return broken;
}

std::set<KeyRule> reference_namespace_rules(std::string_view primary, std::string_view secondary) {
  std::set<KeyRule> broken = reference_part_rules(primary);
  broken.merge(reference_part_rules(secondary));
  if (!secondary.empty() && primary.empty()) broken.insert(KeyRule::kSecondaryWithoutPrimary);
  return broken;
}

// Mostly key-like strings (so valid keys are common), sometimes arbitrary bytes or long ones.
std::string make_part(FuzzedDataProvider& fdp) {
  const int shape = fdp.ConsumeIntegralInRange(0, 3);
  if (shape == 0) return fdp.ConsumeRandomLengthString(2 * kStoreKeyPartBytesMax);
  if (shape == 1) return "";
  std::string part = fdp.ConsumeRandomLengthString(32);
  for (char& c : part) {
    if (!reference_char(c) && shape == 2) c = 'a' + static_cast<unsigned char>(c) % 26;
  }
  // Right at the length limit: 118..122 bytes.
  if (fdp.ConsumeBool()) part.resize(kStoreKeyPartBytesMax - 2 + fdp.ConsumeIntegralInRange(0, 4), 'k');
  return part;
}

void check_status(const Status& s, bool valid, const std::string& what) {
  FUZZ_CHECK(s.ok() == valid, what + ": expected " + (valid ? "valid" : "invalid") + ", got " +
                                  s.to_string());
  if (!valid) {
    FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument, what + ": " + s.to_string());
    FUZZ_CHECK(!s.message().empty(), what + ": rejection without a message");
  }
}

}  // namespace
}  // namespace tierkv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  for (int c = 0; c < 256; ++c) {
    FUZZ_CHECK(is_store_key_char(static_cast<char>(c)) == reference_char(static_cast<char>(c)),
               "is_store_key_char(" + std::to_string(c) + ")");
  }
  FuzzedDataProvider fdp(data, size);
  StoreKey key{make_part(fdp), make_part(fdp), make_part(fdp)};
  for (const std::string* part : {&key.primary_namespace, &key.secondary_namespace, &key.key}) {
    const std::set<KeyRule> broken = reference_part_rules(*part);
    const KeyRule rule = check_store_key_part(*part);
    FUZZ_CHECK((rule == KeyRule::kValid) == broken.empty(), "check_store_key_part validity");
    FUZZ_CHECK(rule == KeyRule::kValid || broken.count(rule) == 1,
               "check_store_key_part names a rule the part does not break");
  }
  const std::set<KeyRule> ns_broken =
      reference_namespace_rules(key.primary_namespace, key.secondary_namespace);
  check_status(validate_namespace(key.primary_namespace, key.secondary_namespace),
               ns_broken.empty(), "validate_namespace");
  std::set<KeyRule> key_broken = ns_broken;
  key_broken.merge(reference_part_rules(key.key));
  if (key.key.empty()) key_broken.insert(KeyRule::kEmptyKey);
  check_status(validate_store_key(key), key_broken.empty(), "validate_store_key");
  const KeyRule rule = store_key_rule(key);
  FUZZ_CHECK((rule == KeyRule::kValid) == key_broken.empty(), "store_key_rule validity");
  FUZZ_CHECK(rule == KeyRule::kValid || key_broken.count(rule) == 1,
             "store_key_rule names a rule the key does not break");
  FUZZ_CHECK(!key.to_string().empty(), "to_string");
  return 0;
}
