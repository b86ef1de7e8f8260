// LtHash: a homomorphic ("lattice") hash of a set of key/value elements, after Bellare-
// Micciancio and the LtHash of Facebook/sei-db. The state of a whole store hashes to 1024
// 16-bit lanes; adding an element adds its hash lane-wise modulo 2^16 (mix_in), removing it
// subtracts (mix_out). So the hash of a state can be updated in O(changes) per commit, and two
// states are equal (with overwhelming probability) iff their hashes are: recovery can be
// checked against a model in O(1).
//
// Per-element hash: SHAKE-256 (OpenSSL EVP) with 2048 bytes of output over the length-
// delimited encoding fixed32(len key) key fixed32(len value) value, read as 1024 little-endian
// u16 lanes. The length prefixes make ("ab","c") and ("a","bc") different elements.
//
// Presence rule (as in the seed, sei-db FlatKV): an element is part of the hashed set iff its
// value is non-empty. A put of an empty value and a delete both leave no element behind, and
// the old value is mixed out only if it was non-empty. So a key holding "" and an absent key
// hash alike: the hash attests the non-empty entries. Empty keys are hashed like any other key
// (the length prefix keeps them distinct); stores that forbid empty keys reject them earlier.
//
// Properties (tested): order independence (mix_in a then b == b then a); mix_in then mix_out
// of the same element is the identity; serialize/deserialize round-trips.
// Thread-safety: a value type; distinct objects may be used from different threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tierkv {

class LtHash {
 public:
  static constexpr size_t kLaneCount = 1024;
  static constexpr size_t kSerializedBytes = kLaneCount * 2;
  static constexpr size_t kChecksumBytes = 32;

  // The identity: the hash of the empty set (all lanes zero).
  LtHash() { lanes_.fill(0); }

  // The hash of the one-element set {(key, value)} (value may be empty here; the presence rule
  // is applied by apply_change, not by this function).
  // Cost: element hashes are memoised per thread (a direct-mapped cache of 4096 elements, up
  // to ~8.5 MiB per thread that hashes, filled as used), so a value mixed in and later mixed
  // out, or the same element hashed by a primary and its backup, runs SHAKE-256 once. The
  // bytes never depend on the cache.
  static LtHash of_element(std::string_view key, std::string_view value);

  // lanes += other.lanes (mod 2^16) / lanes -= other.lanes (mod 2^16).
  void mix_in(const LtHash& other);
  void mix_out(const LtHash& other);

  // Adds / removes the element (key, value).
  void mix_in_element(std::string_view key, std::string_view value) {
    mix_in(cached_element(key, value));
  }
  void mix_out_element(std::string_view key, std::string_view value) {
    mix_out(cached_element(key, value));
  }

  // Accounts for key changing from old_value to new_value (nullopt = absent), applying the
  // presence rule above: mix out the old element iff present and non-empty, mix in the new one
  // iff present and non-empty. The caller must pass the value as of the state this hash
  // describes (for several pending batches: the pending state, not the database).
  void apply_change(std::string_view key, const std::optional<std::string_view>& old_value,
                    const std::optional<std::string_view>& new_value);

  bool is_identity() const;

  // 2048 bytes: the lanes as little-endian u16.
  std::string serialize() const;
  // Corruption naming `what` (a file or key) unless bytes is exactly kSerializedBytes long.
  static Result<LtHash> deserialize(std::string_view bytes, std::string_view what);

  // A 32-byte digest (BLAKE2s-256 over serialize()): a compact fingerprint of the state for
  // WAL records, manifests and traces.
  std::string checksum() const;
  // checksum() as 64 lowercase hex digits.
  std::string checksum_hex() const;

  uint16_t lane(size_t i) const { return lanes_.at(i); }

  friend bool operator==(const LtHash&, const LtHash&) = default;

 private:
  // of_element through this thread's cache: valid until this thread's next element hash.
  static const LtHash& cached_element(std::string_view key, std::string_view value);
  // Sets the lanes from kSerializedBytes bytes of little-endian u16s.
  void set_lanes_le(const unsigned char* bytes);

  std::array<uint16_t, kLaneCount> lanes_;
};

}  // namespace tierkv
