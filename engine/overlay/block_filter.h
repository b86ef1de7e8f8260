// BlockFilter: an in-memory Bloom filter over the hashes of the blocks an OverlayStore holds.
//
// Why: a put of new content must know that no block record exists. Asking the backend costs a
// lookup of a missing key per put, which on LevelDB reads every level-0 file and charges
// "seeks" that trigger extra compactions (the kind of per-block round trip behind the seed's
// upload slow-down). With the filter, a put of new content does no lookup at all; a false
// positive costs one lookup.
//
// Promise: no false negatives for every hash passed to add() since construction or clear().
// The OverlayStore adds every block record at load and every new block after its batch commits;
// blocks are never removed (a freed block's bits only cause false positives).
// Probes: 4 positions taken from disjoint 8-byte slices of the (SHA-256) hash.
// Thread-safety: none; used under the store's mutex.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace tierkv {

class BlockFilter {
 public:
  // REQUIRES: bits >= 64.
  explicit BlockFilter(uint64_t bits);

  // REQUIRES: hash.size() >= 32.
  void add(std::string_view hash);
  bool may_contain(std::string_view hash) const;
  void clear();
  uint64_t added() const { return added_; }

 private:
  uint64_t position(std::string_view hash, int probe) const;

  uint64_t bits_;
  std::vector<uint64_t> words_;
  uint64_t added_ = 0;
};

}  // namespace tierkv
