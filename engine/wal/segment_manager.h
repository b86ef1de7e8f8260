// SegmentManager: the in-memory table of a WAL's segments and the index of its records.
//
// A segment is a file "<20-digit global start offset>.wal". Segments are kept in ascending
// start order and are contiguous: each starts where the previous one ends, and their records'
// versions increase by exactly 1 across the whole log. The index maps every version in the log
// to (segment, in-file offset): each segment holds the in-file offset of each of its records.
// Lookups by global offset and by version are binary searches over the segments.
//
// Promises: the table only describes bytes that are durable (appended and synced, or found
// valid at recovery). It does no I/O.
// Thread-safety: none; used from the owning Wal's event-loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

struct WalSegment {
  uint64_t start_offset = 0;        // global offset of the segment's first byte
  uint64_t size_bytes = 0;          // valid (indexed) bytes
  uint64_t first_version = 0;       // version of the first record; for an empty segment the
                                    // version its first record will get
  std::vector<uint64_t> record_offsets;  // in-file offset of each record, in version order

  uint64_t end_offset() const { return start_offset + size_bytes; }
  uint64_t record_count() const { return record_offsets.size(); }
  bool empty() const { return record_offsets.empty(); }
  // Version of the last record; first_version - 1 when empty.
  uint64_t last_version() const { return first_version + record_count() - 1; }
};

// "00000000000000001234.wal" for start offset 1234.
std::string wal_segment_name(uint64_t start_offset);
// The start offset a segment file name encodes; nullopt unless name is exactly 20 digits +
// ".wal".
std::optional<uint64_t> parse_wal_segment_name(std::string_view name);

class SegmentManager {
 public:
  const std::vector<WalSegment>& segments() const { return segments_; }
  bool empty() const { return segments_.empty(); }
  WalSegment& last() { return segments_.back(); }
  const WalSegment& last() const { return segments_.back(); }

  // Versions of the first and last record of the log; 0 when it holds no record.
  uint64_t first_version() const;
  uint64_t last_version() const;
  uint64_t size_bytes() const;
  // Global offset where the next segment would start.
  uint64_t end_offset() const { return segments_.empty() ? base_offset_ : last().end_offset(); }

  // Appends a segment. REQUIRES: it starts at end_offset() (any start for the first one); its
  // records continue the versions.
  void add_segment(WalSegment segment);
  // Indexes a record of size record_bytes appended at the end of the last segment.
  // REQUIRES: version == last_version() + 1, or the log holds no record.
  void add_record(uint64_t version, uint64_t record_bytes);
  // Grows the last segment by bytes that belong to its last record's span (a group end
  // record read at recovery). REQUIRES: a segment exists.
  void add_bytes(uint64_t bytes);

  // Index of the segment holding global offset; nullopt if outside the log.
  std::optional<size_t> find_by_offset(uint64_t global_offset) const;
  // Index of the segment holding version; nullopt if the version is not in the log.
  std::optional<size_t> find_by_version(uint64_t version) const;
  // Global offset of the record with version. REQUIRES: the version is in the log.
  uint64_t offset_of_version(uint64_t version) const;

  // Drops the first segment / the last segment from the table (the caller removes files).
  void pop_front();
  void pop_back();
  // Cuts the last segment at in-file size new_size_bytes, dropping the records from there.
  // REQUIRES: new_size_bytes is a record boundary of the last segment.
  void cut_last(uint64_t new_size_bytes);

 private:
  std::vector<WalSegment> segments_;
  uint64_t base_offset_ = 0;  // end_offset() when no segment remains
};

}  // namespace tierkv
