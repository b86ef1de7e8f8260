// Wal: the segmented write-ahead log.
//
// Record format (little-endian):
//   [length u32][crc32c u32][type u8][version u64][payload: length bytes]
// where length is the payload length and crc32c (masked, see core/crc32c.h) covers
// type + version + payload.
//
// Segments are files named "<20-digit global start offset>.wal" in the WAL directory; a
// record's global offset = its segment's start offset + its offset inside the segment. A
// segment is rotated (a new one started) once it reaches segment_size_bytes. Lookup of the
// segment holding a global offset or a version is a binary search.
//
// Group end records: every write (a group commit or append_now) ends with a record of type
// kWalGroupEndType whose payload is the segment offset where that write began. It is not a
// log record (scan skips it, it has no version of its own); it is the evidence that the write
// was complete, so recovery can tell a torn tail from bit rot in synced records.
//
// Recovery (open): scans every segment in order. In the last segment, at the first torn or
// corrupt record: if a valid group end record follows anywhere after it, the bad bytes lie
// inside a write that was completed (and every write before the last was synced before the
// next began), so they are bit rot in acknowledged records: Corruption naming both offsets,
// nothing truncated. Otherwise they are a torn tail: the file is truncated there durably
// (truncate + sync) and nothing after it is replayed. (A damaged group end record of the last
// write with intact records before it keeps those records.) A log written before group end
// records existed is read as before: a bad record in its last segment is taken for a torn
// tail. A bad record in a segment that is not the last is Corruption (it cannot be a torn
// tail), as is a version that does not increase by exactly 1. On a disk that persists the
// sectors of one unsynced write out of order, a torn last write can leave its group end record
// without its body: open then refuses with Corruption rather than guess (nothing acknowledged
// was lost in that case; only the unacknowledged last write is in doubt).
//
// Group commit: append() queues the record; one writer coroutine takes everything queued,
// writes it with one append and one sync (both through Executor::run_blocking), then resumes
// every covered caller. No append is acknowledged before the sync that covers it returned.
// A failed write or sync fails every append of that group, and the log refuses further
// appends (it cannot know what reached the disk) until reopened.
//
// Thread-safety: all methods are called from the owning Executor's event-loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/core/status.h"
#include "engine/exec/executor.h"
#include "engine/io/env.h"

namespace tierkv {

inline constexpr size_t kWalHeaderBytes = 4 + 4 + 1 + 8;
inline constexpr uint32_t kWalPayloadBytesMax = 256u << 20;
// The record type reserved for group end records (see Recovery above); append refuses it.
inline constexpr uint8_t kWalGroupEndType = 0xff;
inline constexpr size_t kWalGroupEndBytes = kWalHeaderBytes + 8;  // payload: the write's start

struct WalOptions {
  Env* env = nullptr;            // REQUIRED
  Executor* executor = nullptr;  // REQUIRED for append(); the sync calls don't need it
  std::string dir;               // created (durably) if missing
  uint64_t segment_size_bytes = 64ull << 20;
  uint64_t group_commit_bytes_max = 4ull << 20;  // bound on one group's write
};

struct WalRecord {
  uint8_t type = 0;
  uint64_t version = 0;
  std::string payload;
  friend bool operator==(const WalRecord&, const WalRecord&) = default;
};

// What open() found and did.
struct WalRecoveryReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t bytes_scanned = 0;
  uint64_t truncated_bytes = 0;     // bytes cut from the tail of the last segment
  std::string truncated_reason;     // "" if nothing was cut; else e.g. "checksum mismatch"
  std::string truncated_segment;    // path of the segment that was cut
};

// Encodes one record (header + payload).
std::string encode_wal_record(const WalRecord& record);

// Decodes the record at the front of *input. Returns:
//   OK and advances *input past it;
//   NotFound if *input is empty (clean end);
//   Corruption naming what is wrong (short header, short payload = torn, bad checksum,
//   length over kWalPayloadBytesMax).
Status decode_wal_record(std::string_view* input, WalRecord* record);

class Wal {
 public:
  static Result<std::unique_ptr<Wal>> open(WalOptions options);
  ~Wal();

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends through group commit; completes after a sync covering the record returned OK.
  // REQUIRES: record.version == last_version() + 1 at the time of the call (or any version if
  // the log is empty); appends complete in call order.
  Task<Status> append(WalRecord record);

  // Appends one record and syncs it before returning (tools, catch-up, tests).
  Status append_now(const WalRecord& record);

  // Versions of the first and last record in the log; 0 when the log is empty.
  uint64_t first_version() const;
  uint64_t last_version() const;

  // Calls fn for each record with version in [from_version, to_version], in order; stops at
  // the first non-OK status fn returns and returns it. NotFound if from_version is below
  // first_version() (it was truncated away); Corruption on bytes that fail the checksum.
  Status scan(uint64_t from_version, uint64_t to_version,
              const std::function<Status(const WalRecord&)>& fn);

  // Removes whole segments all of whose records have versions < version. Crash-safe: a crash
  // leaves a suffix of the segments, never a hole.
  Status truncate_before(uint64_t version);

  // Removes every record with version > version, durably. Crash-safe: after a crash the log
  // holds either its old contents or exactly the records <= version.
  Status truncate_after(uint64_t version);

  const WalRecoveryReport& recovery_report() const;

  // Total bytes in all segments.
  uint64_t size_bytes() const;

  Status close();

 private:
  class Impl;
  explicit Wal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tierkv
