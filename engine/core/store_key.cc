#include "engine/core/store_key.h"

#include <cstdio>

namespace tierkv {
namespace {

std::string describe_byte(char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", static_cast<unsigned char>(c));
  return buf;
}

Status check_part(std::string_view part_name, std::string_view part) {
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
  return primary_namespace + "/" + secondary_namespace + "/" + key;
}

bool is_store_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

KeyRule check_store_key_part(std::string_view part) {
  if (part.size() > kStoreKeyPartBytesMax) return KeyRule::kTooLong;
  for (char c : part) {
    if (!is_store_key_char(c)) return KeyRule::kInvalidCharacter;
  }
  return KeyRule::kValid;
}

Status validate_namespace(std::string_view primary_namespace,
                          std::string_view secondary_namespace) {
  TIERKV_RETURN_IF_ERROR(check_part("primary_namespace", primary_namespace));
  TIERKV_RETURN_IF_ERROR(check_part("secondary_namespace", secondary_namespace));
  if (primary_namespace.empty() && !secondary_namespace.empty()) {
    return Status::invalid_argument("secondary_namespace '" + std::string(secondary_namespace) +
                                    "' requires a non-empty primary_namespace");
  }
  return Status();
}

Status validate_store_key(const StoreKey& key) {
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
