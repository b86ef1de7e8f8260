#include "engine/wal/segment_reader.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "engine/core/coding.h"

namespace tierkv {

Result<size_t> read_fully(File& file, uint64_t offset, size_t n, char* scratch) {
  size_t done = 0;
  while (done < n) {
    TIERKV_ASSIGN_OR_RETURN(size_t got, file.read_at(offset + done, n - done, scratch + done));
    if (got == 0) break;
    done += got;
  }
  return done;
}

SegmentReader::SegmentReader(File* file, uint64_t start_offset, uint64_t end_offset,
                             size_t buffer_bytes)
    : file_(file),
      offset_(start_offset),
      end_offset_(end_offset),
      buffer_bytes_(buffer_bytes),
      buffer_offset_(start_offset) {
  assert(file_ != nullptr);
  assert(start_offset <= end_offset);
  assert(buffer_bytes_ >= kWalHeaderBytes);
}

Status SegmentReader::fill(uint64_t want) {
  assert(buffer_offset_ == offset_);
  const uint64_t available = buffer_.size() - begin_;
  const uint64_t remaining = end_offset_ - offset_;
  want = std::min(want, remaining);
  if (available >= want) return Status();
  // Slide the unread bytes to the front, then read up to a full buffer (or the record).
  buffer_.erase(0, begin_);
  begin_ = 0;
  const uint64_t target = std::min<uint64_t>(std::max<uint64_t>(want, buffer_bytes_), remaining);
  const size_t old_size = buffer_.size();
  buffer_.resize(target);
  TIERKV_ASSIGN_OR_RETURN(size_t got, read_fully(*file_, offset_ + old_size, target - old_size,
                                                 buffer_.data() + old_size));
  buffer_.resize(old_size + got);
  // A file shorter than the caller's end offset ends the segment there.
  if (got < target - old_size) end_offset_ = offset_ + buffer_.size();
  return Status();
}

Status SegmentReader::next(WalRecordView* record) {
  TIERKV_RETURN_IF_ERROR(fill(kWalHeaderBytes));
  std::string_view input(buffer_.data() + begin_, buffer_.size() - begin_);
  if (input.size() >= kWalHeaderBytes) {
    const uint64_t length = decode_fixed32(input.data());
    // Oversized lengths are left to the decoder to reject: never read them in.
    if (length <= kWalPayloadBytesMax) {
      TIERKV_RETURN_IF_ERROR(fill(wal_record_bytes(length)));
      input = std::string_view(buffer_.data() + begin_, buffer_.size() - begin_);
    }
  }
  const size_t before = input.size();
  TIERKV_RETURN_IF_ERROR(decode_wal_record_view(&input, record));
  const size_t used = before - input.size();
  begin_ += used;
  offset_ += used;
  buffer_offset_ = offset_;
  return Status();
}

}  // namespace tierkv
