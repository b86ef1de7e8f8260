#include "sim/runtime/sim_inode.h"

#include <algorithm>
#include <cassert>

namespace tierkv::sim {

void SimInode::append(std::string_view bytes) {
  mark_dirty(data_.size());
  data_.append(bytes.data(), bytes.size());
}

void SimInode::write_at(uint64_t offset, std::string_view bytes) {
  mark_dirty(std::min<uint64_t>(offset, data_.size()));
  if (offset > data_.size()) data_.append(offset - data_.size(), '\0');  // the gap reads as zeros
  // Overwrite what exists, append the rest (no zero-fill of bytes about to be written).
  const size_t overwritten = std::min<uint64_t>(bytes.size(), data_.size() - offset);
  data_.replace(offset, overwritten, bytes.data(), overwritten);
  data_.append(bytes.data() + overwritten, bytes.size() - overwritten);
}

void SimInode::truncate(uint64_t size_bytes) {
  mark_dirty(std::min<uint64_t>(size_bytes, data_.size()));
  data_.resize(size_bytes, '\0');
}

void SimInode::sync() {
  if (synced()) return;
  const uint64_t from = std::min<uint64_t>(dirty_from_, data_.size());
  if (durable_.size() > data_.size()) durable_.resize(data_.size());  // a synced shrink
  // Bytes before `from` already agree; copy the changed ones both have, append the rest.
  const uint64_t overlap_end = durable_.size();
  if (from < overlap_end) durable_.replace(from, overlap_end - from, data_, from, overlap_end - from);
  durable_.append(data_, overlap_end, data_.size() - overlap_end);
  dirty_from_ = kClean;
  assert(durable_.size() > 4096 || durable_ == data_);  // the full check only when cheap
}

void SimInode::crash(Prng& prng, const SimCrashModel& model) {
  if (synced()) return;
  assert(model.sector_size_bytes > 0);
  if (!model.torn_writes) {
    data_ = durable_;
  } else {
    std::string out = durable_;
    tear_overwrites(prng, model, &out);
    tear_tail(prng, model, &out);
    data_ = std::move(out);
    durable_ = data_;
  }
  dirty_from_ = kClean;
}

void SimInode::tear_overwrites(Prng& prng, const SimCrashModel& model, std::string* out) const {
  const uint64_t sector = model.sector_size_bytes;
  const uint64_t overlap_end = std::min(data_.size(), durable_.size());
  if (dirty_from_ >= overlap_end) return;
  for (uint64_t start = dirty_from_ / sector * sector; start < overlap_end; start += sector) {
    const uint64_t from = std::max(start, dirty_from_);
    const uint64_t to = std::min(start + sector, overlap_end);
    if (data_.compare(from, to - from, durable_, from, to - from) == 0) continue;
    if (prng.chance(1, 2)) out->replace(from, to - from, data_, from, to - from);
  }
}

void SimInode::tear_tail(Prng& prng, const SimCrashModel& model, std::string* out) const {
  const uint64_t sector = model.sector_size_bytes;
  const uint64_t start = durable_.size();
  const uint64_t end = data_.size();
  if (end <= start) return;
  // Cut points: start, every sector boundary strictly inside (start, end), and end.
  const uint64_t first_boundary = (start / sector + 1) * sector;
  const uint64_t inner = first_boundary < end ? (end - 1 - first_boundary) / sector + 1 : 0;
  const uint64_t pick = prng.uniform(inner + 2);
  const uint64_t cut = pick == 0 ? start : pick <= inner ? first_boundary + (pick - 1) * sector : end;
  if (cut == start) return;
  out->append(data_, start, cut - start);
  if (!prng.chance(model.garbage_chance_256, 256)) return;
  uint64_t garbage_from = std::max(start, (cut - 1) / sector * sector);
  // Half the time the sector's write was cut off part way: its first bytes (a seeded count)
  // are as written and only the rest is garbage. A record header there still parses, so a
  // garbled record reaches its checksum check instead of failing on a random length.
  if (prng.chance(1, 2)) garbage_from += prng.uniform(cut - garbage_from);
  for (uint64_t i = garbage_from; i < cut; ++i) {
    (*out)[i] = static_cast<char>(prng.next_u64() & 0xff);
  }
}

void SimInode::flip_bit(uint64_t byte_offset, int bit) {
  assert(bit >= 0 && bit < 8);
  assert(byte_offset < data_.size() || byte_offset < durable_.size());
  const char mask = static_cast<char>(1u << bit);
  if (byte_offset < data_.size()) data_[byte_offset] ^= mask;
  if (byte_offset < durable_.size()) durable_[byte_offset] ^= mask;
}

}  // namespace tierkv::sim
