// StoreKey: the (primary_namespace, secondary_namespace, key) triple every store speaks.
//
// Rules (checked before any tier, file or path is touched):
//   - each part uses only [A-Za-z0-9_-];
//   - each part is at most kStoreKeyPartBytesMax (120) bytes;
//   - key is non-empty;
//   - a non-empty secondary_namespace requires a non-empty primary_namespace.
// Every violated rule yields a distinct InvalidArgument message naming the part and the rule.
#pragma once

#include <compare>
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

  // Part by part, each byte-wise as unsigned char (std::string's order), written out so that
  // the namespaces most keys share compare inline instead of through memcmp calls.
  friend std::strong_ordering operator<=>(const StoreKey& a, const StoreKey& b) {
    if (auto c = compare_part(a.primary_namespace, b.primary_namespace); c != 0) return c;
    if (auto c = compare_part(a.secondary_namespace, b.secondary_namespace); c != 0) return c;
    return compare_part(a.key, b.key);
  }
  friend bool operator==(const StoreKey&, const StoreKey&) = default;
  // "primary/secondary/key" for messages and traces.
  std::string to_string() const;

 private:
  static std::strong_ordering compare_part(std::string_view a, std::string_view b) {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    for (size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) {
        return static_cast<unsigned char>(a[i]) <=> static_cast<unsigned char>(b[i]);
      }
    }
    return a.size() <=> b.size();
  }
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
