// StoreKey: the (primary_namespace, secondary_namespace, key) triple every store speaks.
//
// Rules (checked before any tier, file or path is touched):
//   - each part uses only [A-Za-z0-9_-];
//   - each part is at most kStoreKeyPartBytesMax (120) bytes;
//   - key is non-empty;
//   - a non-empty secondary_namespace requires a non-empty primary_namespace.
// Every violated rule yields a distinct InvalidArgument message naming the part and the rule.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tierkv {

inline constexpr size_t kStoreKeyPartBytesMax = 120;

struct StoreKey {
  std::string primary_namespace;
  std::string secondary_namespace;
  std::string key;

  friend auto operator<=>(const StoreKey&, const StoreKey&) = default;
  // "primary/secondary/key" for messages and traces.
  std::string to_string() const;
};

// Which rule a part broke; tests and tools can tell the rules apart without parsing messages.
enum class KeyRule : uint8_t {
  kValid = 0,
  kInvalidCharacter,
  kTooLong,
  kEmptyKey,
  kSecondaryWithoutPrimary,
};

// True iff c is in [A-Za-z0-9_-].
bool is_store_key_char(char c);

// Checks one part (namespace or key) against the alphabet and the length rule.
KeyRule check_store_key_part(std::string_view part);

// Validates the namespace pair used by list()/list_page().
Status validate_namespace(std::string_view primary_namespace,
                          std::string_view secondary_namespace);

// Validates a full key (namespace pair + non-empty key).
Status validate_store_key(const StoreKey& key);

// The rule a full key breaks first (kValid if none), in the order the rules are listed above.
KeyRule store_key_rule(const StoreKey& key);

}  // namespace tierkv
