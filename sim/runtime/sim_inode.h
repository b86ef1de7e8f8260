// SimInode: one simulated file's bytes, as the page cache sees them (volatile) and as the disk
// holds them (durable). Internal to SimEnv; public so its crash model can be tested alone.
//
// Invariant: data() and durable() agree on every byte before dirty_from() (and before the
// shorter of the two), so sync() and crash() cost O(bytes changed since the last sync), not
// O(file size).
//
// Crash model (crash()), with S = sector_size_bytes:
//   - without torn writes: the content becomes exactly the durable content;
//   - with torn writes: each S-aligned sector of durable bytes overwritten since the last sync
//     is independently old or new; of the bytes appended past the durable end, a prefix ending
//     on a sector boundary (or at the end) survives, and the part of the last surviving sector
//     past the durable end may be garbage (the whole part, or half the time only from a seeded
//     byte on: a sector write cut off part way). Durable bytes are never garbled, and an
//     unsynced shrink (truncate) is lost.
// Thread-safety: none (the simulator is single-threaded).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "sim/runtime/prng.h"

namespace tierkv::sim {

struct SimCrashModel {
  bool torn_writes = false;
  uint64_t sector_size_bytes = 512;
  // Chance, in 1/256ths, that the last surviving torn sector is garbage.
  uint64_t garbage_chance_256 = 64;
};

class SimInode {
 public:
  static constexpr uint64_t kClean = std::numeric_limits<uint64_t>::max();

  explicit SimInode(uint64_t id) : id_(id) {}

  uint64_t id() const { return id_; }
  const std::string& data() const { return data_; }
  const std::string& durable() const { return durable_; }
  uint64_t dirty_from() const { return dirty_from_; }
  bool synced() const { return dirty_from_ == kClean && data_.size() == durable_.size(); }

  void append(std::string_view bytes);
  // Writes bytes at offset, zero-filling any gap past the end.
  void write_at(uint64_t offset, std::string_view bytes);
  void truncate(uint64_t size_bytes);
  // Makes the volatile content durable.
  void sync();
  // A power cut: the content becomes what the disk kept (see the header comment); afterwards
  // the content is durable.
  void crash(Prng& prng, const SimCrashModel& model);
  // Bit rot: flips one bit in both contents (each only if it holds that byte).
  // REQUIRES: byte_offset < data().size() or byte_offset < durable().size(); bit < 8.
  void flip_bit(uint64_t byte_offset, int bit);

 private:
  void mark_dirty(uint64_t offset) {
    if (offset < dirty_from_) dirty_from_ = offset;
  }
  // Applies per-sector old/new choices to durable bytes overwritten since the last sync.
  void tear_overwrites(Prng& prng, const SimCrashModel& model, std::string* out) const;
  // Appends a sector-granular prefix of the bytes past the durable end, maybe garbled.
  void tear_tail(Prng& prng, const SimCrashModel& model, std::string* out) const;

  uint64_t id_;
  std::string data_;
  std::string durable_;
  uint64_t dirty_from_ = kClean;
};

}  // namespace tierkv::sim
