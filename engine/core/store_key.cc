#include "engine/core/store_key.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace tierkv {
namespace {

std::string describe_byte(char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned char>(c));
  return buf;
}

// is_store_key_char as a table: validation runs on every call into a store.
constexpr std::array<bool, 256> kKeyChars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
  }
  return table;
}();

bool all_key_chars(std::string_view part) {
  for (char c : part) {
    if (!kKeyChars[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

Status check_part(std::string_view part_name, std::string_view part) {
  if (part.size() <= kStoreKeyPartBytesMax && all_key_chars(part)) return Status();
  if (part.size() > kStoreKeyPartBytesMax) {
    return Status::invalid_argument(std::string(part_name) + " is " +
                                    std::to_string(part.size()) + " bytes; the limit is " +
                                    std::to_string(kStoreKeyPartBytesMax));
  }
  for (size_t i = 0; i < part.size(); ++i) {
    if (!is_store_key_char(part[i])) {
      return Status::invalid_argument(std::string(part_name) + " has invalid byte " +
                                      describe_byte(part[i]) + " at offset " + std::to_string(i) +
                                      "; allowed are [A-Za-z0-9_-]");
    }
  }
  return Status();
}

}  // namespace

std::string StoreKey::to_string() const {
  // Sized once with the separators in place, then the parts copied in: the lock-key and
  // message text of every call, so no per-append growth checks.
  std::string out(primary_namespace.size() + secondary_namespace.size() + key.size() + 2, '/');
  char* at = out.data();
  at = std::copy(primary_namespace.begin(), primary_namespace.end(), at) + 1;
  at = std::copy(secondary_namespace.begin(), secondary_namespace.end(), at) + 1;
  std::copy(key.begin(), key.end(), at);
  return out;
}

bool is_store_key_char(char c) { return kKeyChars[static_cast<unsigned char>(c)]; }

KeyRule check_store_key_part(std::string_view part) {
  if (part.size() > kStoreKeyPartBytesMax) return KeyRule::kTooLong;
  return all_key_chars(part) ? KeyRule::kValid : KeyRule::kInvalidCharacter;
}

Status validate_namespace(std::string_view primary_namespace,
                          std::string_view secondary_namespace) {
  if (check_store_key_part(primary_namespace) == KeyRule::kValid &&
      check_store_key_part(secondary_namespace) == KeyRule::kValid &&
      (!primary_namespace.empty() || secondary_namespace.empty())) {
    return Status();  // the common case: no Status per part
  }
  TIERKV_RETURN_IF_ERROR(check_part("primary_namespace", primary_namespace));
  TIERKV_RETURN_IF_ERROR(check_part("secondary_namespace", secondary_namespace));
  if (primary_namespace.empty() && !secondary_namespace.empty()) {
    return Status::invalid_argument("secondary_namespace '" + std::string(secondary_namespace) +
                                    "' requires a non-empty primary_namespace");
  }
  return Status();
}

Status validate_store_key(const StoreKey& key) {
  if (store_key_rule(key) == KeyRule::kValid) return Status();  // the common case
  TIERKV_RETURN_IF_ERROR(validate_namespace(key.primary_namespace, key.secondary_namespace));
  if (key.key.empty()) return Status::invalid_argument("key is empty");
  return check_part("key", key.key);
}

// Same order as validate_store_key: namespace parts, their relation, then the key.
KeyRule store_key_rule(const StoreKey& key) {
  for (const std::string* part : {&key.primary_namespace, &key.secondary_namespace}) {
    KeyRule rule = check_store_key_part(*part);
    if (rule != KeyRule::kValid) return rule;
  }
  if (key.primary_namespace.empty() && !key.secondary_namespace.empty()) {
    return KeyRule::kSecondaryWithoutPrimary;
  }
  if (key.key.empty()) return KeyRule::kEmptyKey;
  return check_store_key_part(key.key);
}

}  // namespace tierkv
