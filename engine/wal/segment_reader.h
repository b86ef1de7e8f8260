// SegmentReader: reads the records of one segment file sequentially through a buffer, so that
// recovery and scan cost one large read per buffer rather than two small reads per record.
//
// Promises: next() returns the records in file order between the start offset and end_offset;
// NotFound exactly at end_offset (a clean end); Corruption (torn or corrupt, as
// decode_wal_record_view says) for the record starting at offset(), which is then left
// unchanged so the caller knows where the valid prefix ends. A length field over
// kWalPayloadBytesMax is rejected without growing the buffer.
// REQUIRES: file outlives the reader. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/status.h"
#include "engine/io/env.h"
#include "engine/wal/record_codec.h"

namespace tierkv {

class SegmentReader {
 public:
  static constexpr size_t kBufferBytesDefault = 1u << 20;

  SegmentReader(File* file, uint64_t start_offset, uint64_t end_offset,
                size_t buffer_bytes = kBufferBytesDefault);

  // The view in *record stays valid until the next call.
  Status next(WalRecordView* record);

  // In-file offset of the next record to read (after a Corruption: of the bad record).
  uint64_t offset() const { return offset_; }

 private:
  // Makes at least want bytes from offset_ available in the buffer (fewer at end_offset_).
  Status fill(uint64_t want);

  File* file_;
  uint64_t offset_;
  uint64_t end_offset_;
  size_t buffer_bytes_;
  std::string buffer_;
  uint64_t buffer_offset_ = 0;  // in-file offset of buffer_[begin_]
  size_t begin_ = 0;            // first unread byte in buffer_
};

// Reads exactly n bytes at offset (fewer only at end of file) into scratch; returns the count.
Result<size_t> read_fully(File& file, uint64_t offset, size_t n, char* scratch);

}  // namespace tierkv
