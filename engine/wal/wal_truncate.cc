// Wal truncation: truncate_before (drop old segments) and truncate_after (drop the newest
// records), both crash-safe.
//
// truncate_before removes whole segments oldest first, syncing the directory after each
// removal. A crash therefore leaves the log minus a prefix of its segments: a suffix, never a
// hole (recovery would report a hole as Corruption). The last segment is never removed, so
// last_version() and the next expected version survive even when every record is old.
//
// truncate_after(v) must leave, after a crash at any point, either the old log or exactly the
// records <= v. Removing segments and cutting a file are several steps, and a crash between
// them would leave a third state (e.g. the old log minus its newest segments, a longer prefix
// than asked for). So the decision is made durable first, as one atomic step, and every later
// step is idempotent and redone by recovery:
//   1. Write the intent file TRUNCATE_AFTER = (v, boundary global offset, crc) atomically
//      (temp + sync + rename + sync_dir, env_util's write_file_atomically).
//        Crash before the rename is durable: no intent, no segment touched -> the old log.
//        (A stale TRUNCATE_AFTER.tmp is removed by the next open.)
//   2. Remove the segments starting at or after the boundary, newest first, sync_dir after
//      each; then truncate the segment holding the boundary to it and sync that file.
//        Crash anywhere here: the intent is durable, and open() re-runs step 2 from the intent
//        on the file names and sizes it finds, *before* scanning any record, so recovery never
//        sees the hole an out-of-order persisted removal could leave -> exactly <= v.
//   3. Remove the intent and sync_dir. Crash before that is durable: open redoes step 2,
//      which is then a no-op -> exactly <= v.
// A record past the boundary is never acknowledged again: truncate_after requires no append
// in flight, and new appends start only after step 3.
#include <cassert>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"
#include "engine/io/env_util.h"
#include "engine/wal/wal_impl.h"

namespace tierkv {
namespace {

constexpr uint32_t kIntentMagic = 0x544c4157;  // "WALT"
constexpr size_t kIntentBytes = 4 + 8 + 8 + 4;

std::string encode_intent(uint64_t version, uint64_t boundary_offset) {
  std::string out;
  put_fixed32(&out, kIntentMagic);
  put_fixed64(&out, version);
  put_fixed64(&out, boundary_offset);
  put_fixed32(&out, crc32c::mask(crc32c::value(out)));
  return out;
}

Status decode_intent(std::string_view data, const std::string& path, uint64_t* version,
                     uint64_t* boundary_offset) {
  if (data.size() != kIntentBytes) {
    return Status::corruption("WAL truncate intent " + path + " has " +
                              std::to_string(data.size()) + " bytes, expected " +
                              std::to_string(kIntentBytes));
  }
  const uint32_t stored = crc32c::unmask(decode_fixed32(data.data() + kIntentBytes - 4));
  if (decode_fixed32(data.data()) != kIntentMagic ||
      stored != crc32c::value(data.substr(0, kIntentBytes - 4))) {
    return Status::corruption("WAL truncate intent " + path + ": bad magic or checksum");
  }
  *version = decode_fixed64(data.data() + 4);
  *boundary_offset = decode_fixed64(data.data() + 12);
  return Status();
}

}  // namespace

Status Wal::Impl::truncate_before(uint64_t version) {
  TIERKV_RETURN_IF_ERROR(check_open());
  Env& env = *options_.env;
  while (segments_.segments().size() > 1) {
    const WalSegment& front = segments_.segments().front();
    if (!front.empty() && front.last_version() >= version) break;
    const std::string path = segment_path(front.start_offset);
    TIERKV_RETURN_IF_ERROR(env.remove_file(path).with_context(where() + ": truncate_before"));
    TIERKV_RETURN_IF_ERROR(env.sync_dir(options_.dir).with_context("removing " + path));
    segments_.pop_front();
  }
  return Status();
}

Status Wal::Impl::cut_files_at(std::vector<uint64_t>* starts, uint64_t boundary_offset) {
  Env& env = *options_.env;
  while (!starts->empty() && starts->back() >= boundary_offset) {
    const std::string path = segment_path(starts->back());
    TIERKV_RETURN_IF_ERROR(env.remove_file(path).with_context(where() + ": truncate_after"));
    TIERKV_RETURN_IF_ERROR(env.sync_dir(options_.dir).with_context("removing " + path));
    starts->pop_back();
  }
  if (starts->empty()) return Status();
  const std::string path = segment_path(starts->back());
  TIERKV_ASSIGN_OR_RETURN(auto file, env.open_file(path, OpenMode::kReadWrite));
  TIERKV_ASSIGN_OR_RETURN(uint64_t size, file->size());
  const uint64_t keep = boundary_offset - starts->back();
  if (size > keep) {
    TIERKV_RETURN_IF_ERROR(file->truncate(keep).with_context("truncate_after: " + path));
    TIERKV_RETURN_IF_ERROR(file->sync().with_context("truncate_after: " + path));
  }
  return file->close();
}

Status Wal::Impl::truncate_after(uint64_t version) {
  TIERKV_RETURN_IF_ERROR(check_idle("truncate_after"));
  if (!poisoned_.ok()) return poisoned_;
  const uint64_t first = segments_.first_version();
  const uint64_t last = segments_.last_version();
  if (last == 0 || version >= last) return Status();
  const uint64_t boundary = segments_.offset_of_version(std::max(version + 1, first));
  Env& env = *options_.env;
  const std::string intent_path = join_path(options_.dir, kWalTruncateIntentName);
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env, intent_path, encode_intent(version, boundary)));
  // From here on the truncation is decided: a failure leaves it to the next open.
  if (active_) {
    Status ignored = active_->close();  // synced: nothing to lose
    (void)ignored;
    active_.reset();
  }
  std::vector<uint64_t> starts;
  for (const WalSegment& s : segments_.segments()) starts.push_back(s.start_offset);
  Status s = cut_files_at(&starts, boundary);
  if (!s.ok()) return poison(s);
  while (!segments_.empty() && segments_.last().start_offset >= boundary) segments_.pop_back();
  if (!segments_.empty()) segments_.cut_last(boundary - segments_.last().start_offset);
  assert(segments_.last_version() <= version);
  s = env.remove_file(intent_path);
  if (s.ok()) s = env.sync_dir(options_.dir);
  if (s.ok()) s = open_active();
  if (!s.ok()) return poison(s.with_context(where() + ": finishing truncate_after"));
  const uint64_t now_last = segments_.last_version();
  next_version_ = now_last == 0 ? 0 : now_last + 1;
  return Status();
}

Status Wal::Impl::apply_truncate_intent(std::vector<uint64_t>* starts, uint64_t* version) {
  const std::string path = join_path(options_.dir, kWalTruncateIntentName);
  TIERKV_ASSIGN_OR_RETURN(std::string data, read_file_to_string(*options_.env, path));
  uint64_t boundary = 0;
  TIERKV_RETURN_IF_ERROR(decode_intent(data, path, version, &boundary));
  return cut_files_at(starts, boundary);
}

Status Wal::Impl::finish_truncate_intent(uint64_t version) {
  const std::string path = join_path(options_.dir, kWalTruncateIntentName);
  if (segments_.last_version() > version) {
    return Status::corruption(where() + ": after completing the truncate intent " + path +
                              " the log still ends at version " +
                              std::to_string(segments_.last_version()) + " > " +
                              std::to_string(version));
  }
  TIERKV_RETURN_IF_ERROR(options_.env->remove_file(path));
  return options_.env->sync_dir(options_.dir);
}

}  // namespace tierkv
