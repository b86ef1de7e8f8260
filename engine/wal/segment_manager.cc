#include "engine/wal/segment_manager.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace tierkv {

namespace {
constexpr size_t kSegmentDigits = 20;
constexpr std::string_view kSegmentSuffix = ".wal";
}  // namespace

std::string wal_segment_name(uint64_t start_offset) {
  char buf[kSegmentDigits + 1];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(start_offset));
  return std::string(buf) + std::string(kSegmentSuffix);
}

std::optional<uint64_t> parse_wal_segment_name(std::string_view name) {
  if (name.size() != kSegmentDigits + kSegmentSuffix.size()) return std::nullopt;
  if (name.substr(kSegmentDigits) != kSegmentSuffix) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < kSegmentDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;  // overflow
    value = value * 10 + digit;
  }
  return value;
}

uint64_t SegmentManager::first_version() const {
  for (const WalSegment& s : segments_) {
    if (!s.empty()) return s.first_version;
  }
  return 0;
}

uint64_t SegmentManager::last_version() const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (!it->empty()) return it->last_version();
  }
  return 0;
}

uint64_t SegmentManager::size_bytes() const {
  uint64_t total = 0;
  for (const WalSegment& s : segments_) total += s.size_bytes;
  return total;
}

void SegmentManager::add_segment(WalSegment segment) {
  assert(segments_.empty() || segment.start_offset == end_offset());
  if (!segments_.empty()) {
    assert(segment.first_version == last().last_version() + 1 || last_version() == 0);
  }
  segments_.push_back(std::move(segment));
}

void SegmentManager::add_bytes(uint64_t bytes) {
  assert(!segments_.empty());
  last().size_bytes += bytes;
}

void SegmentManager::add_record(uint64_t version, uint64_t record_bytes) {
  assert(!segments_.empty());
  assert(version != 0);
  WalSegment& s = last();
  const uint64_t last = last_version();
  assert(last == 0 || version == last + 1);
  if (s.empty()) s.first_version = version;
  assert(version == s.first_version + s.record_count());
  s.record_offsets.push_back(s.size_bytes);
  s.size_bytes += record_bytes;
}

std::optional<size_t> SegmentManager::find_by_offset(uint64_t global_offset) const {
  // The last segment whose start is <= global_offset.
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), global_offset,
      [](uint64_t offset, const WalSegment& s) { return offset < s.start_offset; });
  if (it == segments_.begin()) return std::nullopt;
  --it;
  if (global_offset >= it->end_offset()) return std::nullopt;
  return static_cast<size_t>(it - segments_.begin());
}

std::optional<size_t> SegmentManager::find_by_version(uint64_t version) const {
  const uint64_t first = first_version();
  if (first == 0 || version < first || version > last_version()) return std::nullopt;
  // The last segment whose first_version is <= version; empty segments share the next
  // segment's first_version and lie before it, so upper_bound skips them.
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), version,
      [](uint64_t v, const WalSegment& s) { return v < s.first_version; });
  assert(it != segments_.begin());
  --it;
  assert(!it->empty() && version <= it->last_version());
  return static_cast<size_t>(it - segments_.begin());
}

uint64_t SegmentManager::offset_of_version(uint64_t version) const {
  const auto index = find_by_version(version);
  assert(index.has_value());
  const WalSegment& s = segments_[*index];
  return s.start_offset + s.record_offsets[version - s.first_version];
}

void SegmentManager::pop_front() {
  assert(!segments_.empty());
  if (segments_.size() == 1) base_offset_ = segments_.front().end_offset();
  segments_.erase(segments_.begin());
}

void SegmentManager::pop_back() {
  assert(!segments_.empty());
  base_offset_ = segments_.back().start_offset;
  segments_.pop_back();
}

void SegmentManager::cut_last(uint64_t new_size_bytes) {
  WalSegment& s = last();
  assert(new_size_bytes <= s.size_bytes);
  auto it = std::lower_bound(s.record_offsets.begin(), s.record_offsets.end(), new_size_bytes);
  assert(it == s.record_offsets.end() || *it == new_size_bytes);
  s.record_offsets.erase(it, s.record_offsets.end());
  s.size_bytes = new_size_bytes;
}

}  // namespace tierkv
