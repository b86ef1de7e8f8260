// Wal: open + recovery, scan, and the thin public wrappers. Appends are in wal_append.cc,
// truncation in wal_truncate.cc.
#include "engine/wal/wal.h"

#include <cassert>
#include <optional>
#include <vector>

#include "engine/io/env_util.h"
#include "engine/wal/segment_reader.h"
#include "engine/wal/wal_impl.h"

namespace tierkv {

std::string Wal::Impl::segment_path(uint64_t start_offset) const {
  return join_path(options_.dir, wal_segment_name(start_offset));
}

Status Wal::Impl::check_open() const {
  if (closed_) return Status::io_error(where() + " is closed");
  return Status();
}

Status Wal::Impl::check_idle(std::string_view what) const {
  TIERKV_RETURN_IF_ERROR(check_open());
  if (!queue_.empty()) {
    return Status::busy(where() + ": " + std::string(what) + " while " +
                        std::to_string(queue_.size()) + " group-commit appends are in flight");
  }
  return Status();
}

// Lists the segment start offsets in ascending order; sweeps a stale intent temp file.
static Result<std::vector<uint64_t>> list_segments(Env& env, const std::string& dir,
                                                   bool* has_intent) {
  TIERKV_ASSIGN_OR_RETURN(auto names, env.list_dir(dir));
  std::vector<uint64_t> starts;
  const std::string intent_tmp = std::string(kWalTruncateIntentName) + ".tmp";
  *has_intent = false;
  for (const std::string& name : names) {
    if (name == kWalTruncateIntentName) *has_intent = true;
    if (name == intent_tmp) TIERKV_RETURN_IF_ERROR(env.remove_file(join_path(dir, name)));
    if (!name.ends_with(".wal")) continue;  // not ours: left alone
    auto start = parse_wal_segment_name(name);
    if (!start) {
      return Status::corruption("WAL " + dir + ": malformed segment file name " + name +
                                " (expected 20 digits + .wal)");
    }
    starts.push_back(*start);
  }
  // list_dir sorts bytewise, which for fixed-width digits is numeric order.
  for (size_t i = 1; i < starts.size(); ++i) assert(starts[i - 1] < starts[i]);
  return starts;
}

Status Wal::Impl::recover() {
  if (options_.env == nullptr) return Status::invalid_argument("WalOptions.env is required");
  if (options_.dir.empty()) return Status::invalid_argument("WalOptions.dir is required");
  if (options_.segment_size_bytes == 0 || options_.group_commit_bytes_max == 0) {
    return Status::invalid_argument(where() + ": segment and group sizes must be positive");
  }
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(*options_.env, options_.dir));
  bool has_intent = false;
  TIERKV_ASSIGN_OR_RETURN(auto starts, list_segments(*options_.env, options_.dir, &has_intent));
  uint64_t intent_version = 0;
  if (has_intent) {
    // A truncate_after that was durably decided: finish it before reading anything.
    TIERKV_RETURN_IF_ERROR(apply_truncate_intent(&starts, &intent_version));
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    TIERKV_RETURN_IF_ERROR(recover_segment(starts[i], i + 1 == starts.size()));
  }
  if (has_intent) TIERKV_RETURN_IF_ERROR(finish_truncate_intent(intent_version));
  report_.segments = segments_.segments().size();
  next_version_ = segments_.last_version() == 0 ? 0 : segments_.last_version() + 1;
  return open_active();
}

// The offset of the first valid group end record that starts after offset bad in the file's
// first size bytes, if any: every byte offset is tried (the bad record's length is not to be
// trusted).
static Result<std::optional<uint64_t>> find_group_end_after(File* file, uint64_t bad,
                                                            uint64_t size) {
  if (size <= bad + 1) return std::optional<uint64_t>();
  std::string tail(size - bad - 1, '\0');
  TIERKV_ASSIGN_OR_RETURN(size_t got, read_fully(*file, bad + 1, tail.size(), tail.data()));
  const std::string_view bytes(tail.data(), got);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (is_wal_group_end(bytes.substr(i))) return std::optional<uint64_t>(bad + 1 + i);
  }
  return std::optional<uint64_t>();
}

Status Wal::Impl::recover_segment(uint64_t start_offset, bool is_last) {
  Env& env = *options_.env;
  const std::string path = segment_path(start_offset);
  if (!segments_.empty() && start_offset != segments_.end_offset()) {
    return Status::corruption(where() + ": segment " + path + " starts at offset " +
                              std::to_string(start_offset) + " but the previous one ends at " +
                              std::to_string(segments_.end_offset()) + " (a hole)");
  }
  TIERKV_ASSIGN_OR_RETURN(auto file,
                          env.open_file(path, is_last ? OpenMode::kReadWrite : OpenMode::kReadOnly));
  TIERKV_ASSIGN_OR_RETURN(uint64_t size, file->size());
  report_.bytes_scanned += size;
  const uint64_t last = segments_.last_version();
  segments_.add_segment(WalSegment{.start_offset = start_offset,
                                   .first_version = last == 0 ? 0 : last + 1,
                                   .record_offsets = {}});
  SegmentReader reader(file.get(), 0, size);
  WalRecordView record;
  Status s;
  while ((s = reader.next(&record)).ok()) {
    const uint64_t record_offset = segments_.last().size_bytes;
    if (record.type == kWalGroupEndType) {
      segments_.add_bytes(reader.offset() - record_offset);
      continue;
    }
    const uint64_t expected = segments_.last_version() + 1;
    if (record.version == 0 || (expected != 1 && record.version != expected)) {
      return Status::corruption(where() + ": segment " + path + " offset " +
                                std::to_string(reader.offset()) + ": version " +
                                std::to_string(record.version) + " where " +
                                std::to_string(expected) + " was expected");
    }
    segments_.add_record(record.version, reader.offset() - record_offset);
    ++report_.records;
  }
  if (s.is_not_found()) return Status();
  if (!s.is_corruption()) return s.with_context(where() + ": reading segment " + path);
  const uint64_t valid = reader.offset();
  if (!is_last) {
    return Status::corruption(where() + ": segment " + path + " offset " +
                              std::to_string(valid) + ": " + s.message() +
                              " in a segment that is not the last (not a torn tail)");
  }
  TIERKV_ASSIGN_OR_RETURN(std::optional<uint64_t> group_end,
                          find_group_end_after(file.get(), valid, size));
  if (group_end.has_value()) {
    return Status::corruption(where() + ": segment " + path + " offset " +
                              std::to_string(valid) + ": " + s.message() +
                              ", but a completed write's group end record follows at offset " +
                              std::to_string(*group_end) +
                              ": bit rot in synced records, not a torn tail (nothing truncated)");
  }
  // A torn or corrupt tail of the last segment: cut it durably so it is never replayed, nor
  // taken for valid data once new records are appended behind it.
  TIERKV_RETURN_IF_ERROR(file->truncate(valid));
  TIERKV_RETURN_IF_ERROR(file->sync());
  report_.truncated_bytes = size - valid;
  report_.truncated_reason = s.message();
  report_.truncated_segment = path;
  return Status();
}

Status Wal::Impl::open_active() {
  if (segments_.empty()) return Status();
  TIERKV_ASSIGN_OR_RETURN(active_, options_.env->open_file(segment_path(segments_.last().start_offset),
                                                           OpenMode::kReadWrite));
  return Status();
}

Status Wal::Impl::scan(uint64_t from_version, uint64_t to_version,
                       const std::function<Status(const WalRecord&)>& fn) {
  TIERKV_RETURN_IF_ERROR(check_open());
  const uint64_t first = segments_.first_version();
  const uint64_t last = segments_.last_version();
  if (to_version < from_version || first == 0 || from_version > last) return Status();
  if (from_version < first) {
    return Status::not_found(where() + ": version " + std::to_string(from_version) +
                             " was truncated away (the log starts at " + std::to_string(first) +
                             ")");
  }
  to_version = std::min(to_version, last);
  uint64_t version = from_version;
  size_t index = *segments_.find_by_version(version);
  while (version <= to_version) {
    const WalSegment& segment = segments_.segments()[index++];
    if (segment.empty()) continue;
    const std::string path = segment_path(segment.start_offset);
    TIERKV_ASSIGN_OR_RETURN(auto file, options_.env->open_file(path, OpenMode::kReadOnly));
    SegmentReader reader(file.get(), segment.record_offsets[version - segment.first_version],
                         segment.size_bytes);
    while (version <= to_version && version <= segment.last_version()) {
      WalRecordView view;
      Status s = reader.next(&view);
      if (s.ok() && view.type == kWalGroupEndType) continue;
      if (s.ok() && view.version != version) {
        s = Status::corruption("version " + std::to_string(view.version) + " where " +
                               std::to_string(version) + " was expected");
      }
      if (!s.ok()) {
        return Status::corruption(where() + ": segment " + path + " offset " +
                                  std::to_string(reader.offset()) + ": " + s.message());
      }
      TIERKV_RETURN_IF_ERROR(fn(WalRecord{view.type, view.version, std::string(view.payload)}));
      ++version;
    }
  }
  return Status();
}

// ---- Wal: the public wrappers ----

Wal::Wal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Wal::~Wal() = default;

Result<std::unique_ptr<Wal>> Wal::open(WalOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  TIERKV_RETURN_IF_ERROR(impl->recover());
  return std::unique_ptr<Wal>(new Wal(std::move(impl)));
}

Task<Status> Wal::append(WalRecord record) { return impl_->append(std::move(record)); }
Status Wal::append_now(const WalRecord& record) { return impl_->append_now(record); }
uint64_t Wal::first_version() const { return impl_->segments_.first_version(); }
uint64_t Wal::last_version() const { return impl_->segments_.last_version(); }
Status Wal::scan(uint64_t from_version, uint64_t to_version,
                 const std::function<Status(const WalRecord&)>& fn) {
  return impl_->scan(from_version, to_version, fn);
}
Status Wal::truncate_before(uint64_t version) { return impl_->truncate_before(version); }
Status Wal::truncate_after(uint64_t version) { return impl_->truncate_after(version); }
const WalRecoveryReport& Wal::recovery_report() const { return impl_->report_; }
uint64_t Wal::size_bytes() const { return impl_->segments_.size_bytes(); }

Status Wal::close() {
  TIERKV_RETURN_IF_ERROR(impl_->check_idle("close"));
  impl_->closed_ = true;
  if (impl_->active_) {
    Status s = impl_->active_->close();
    impl_->active_.reset();
    return s;
  }
  return Status();
}

}  // namespace tierkv
