// Wal::Impl: the state behind a Wal (internal to engine/wal). The public contract is wal.h;
// this header only groups the pieces implemented in wal.cc (open, recovery, scan),
// wal_append.cc (group commit, rotation) and wal_truncate.cc (truncation and its intent file).
//
// Invariants (event-loop thread only):
//   - segments_ describes only durable bytes; active_ is the open file of segments_.last()
//     (null when there is no segment yet or it was closed).
//   - queue_.front(), when present, is the leader: the one append coroutine writing a group.
//   - once poisoned_ is non-OK, nothing is written to the log again by this object.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "engine/wal/segment_manager.h"
#include "engine/wal/wal.h"

namespace tierkv {

// Name of the truncate_after intent file inside the WAL directory (see wal_truncate.cc).
inline constexpr char kWalTruncateIntentName[] = "TRUNCATE_AFTER";

class Wal::Impl {
 public:
  explicit Impl(WalOptions options) : options_(std::move(options)) {}

  // Recovery (wal.cc).
  Status recover();
  Status recover_segment(uint64_t start_offset, bool is_last);
  Status open_active();

  // Appends (wal_append.cc).
  Task<Status> append(WalRecord record);
  Status append_now(const WalRecord& record);
  Status check_appendable(const WalRecord& record) const;
  Task<void> lead_group(std::shared_ptr<struct WalWaiter> leader);
  bool needs_rotation() const;
  // Creates the next segment file durably (file + directory entry); no table change.
  Result<std::unique_ptr<File>> create_segment_file(uint64_t start_offset);
  void install_segment(std::unique_ptr<File> file, uint64_t start_offset);
  Status poison(Status cause);

  // Reads (wal.cc).
  Status scan(uint64_t from_version, uint64_t to_version,
              const std::function<Status(const WalRecord&)>& fn);

  // Truncation (wal_truncate.cc).
  Status truncate_before(uint64_t version);
  Status truncate_after(uint64_t version);
  // Recovery side of truncate_after: reads the intent and cuts the segment files (starts is
  // updated); finish_truncate_intent checks the result and removes the intent durably.
  Status apply_truncate_intent(std::vector<uint64_t>* starts, uint64_t* version);
  Status finish_truncate_intent(uint64_t version);
  // Removes every byte at global offset >= boundary_offset from the segment files whose
  // start offsets are in *starts (updated), durably, newest segment first.
  Status cut_files_at(std::vector<uint64_t>* starts, uint64_t boundary_offset);

  Status check_open() const;
  Status check_idle(std::string_view what) const;
  std::string segment_path(uint64_t start_offset) const;
  std::string where() const { return "WAL " + options_.dir; }

  WalOptions options_;
  SegmentManager segments_;
  std::unique_ptr<File> active_;
  WalRecoveryReport report_;
  Status poisoned_;
  bool closed_ = false;
  uint64_t next_version_ = 0;  // version the next append must carry; 0 = any (empty log)
  std::deque<std::shared_ptr<struct WalWaiter>> queue_;
};

// One queued append (wal_append.cc).
struct WalWaiter {
  std::string bytes;  // the encoded record
  uint64_t version = 0;
  Status status;
  bool done = false;
  UniqueFunction resume;  // set while the append coroutine is suspended
};

}  // namespace tierkv
