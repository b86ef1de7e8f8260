// Wal appends: group commit (append), the synchronous append_now, and segment rotation.
//
// Group commit is leader-based (as in LevelDB's DBImpl::Write): every append joins queue_; the
// append at the front is the leader. It takes a group from the front of the queue (bounded by
// group_commit_bytes_max and by the room left in the segment, at least one record), writes it
// with one File::append and one File::sync inside one Executor::run_blocking, and only then
// indexes the records and completes every member. Appends arriving meanwhile queue up behind
// and form the next group, led by the next front. Nobody is resumed before the sync covering
// its record returned OK, so an acknowledged record is durable.
#include <cassert>

#include "engine/core/buggify.h"
#include "engine/io/env_util.h"
#include "engine/wal/record_codec.h"
#include "engine/wal/wal_impl.h"

namespace tierkv {

Status Wal::Impl::poison(Status cause) {
  assert(!cause.ok());
  if (poisoned_.ok()) {
    poisoned_ = Status(cause).with_context(where() + " refuses appends until reopened after");
  }
  return cause;
}

Status Wal::Impl::check_appendable(const WalRecord& record) const {
  TIERKV_RETURN_IF_ERROR(check_open());
  if (!poisoned_.ok()) return poisoned_;
  if (record.version == 0) return Status::invalid_argument(where() + ": version 0 is reserved");
  if (record.type == kWalGroupEndType) {
    return Status::invalid_argument(where() + ": record type " + std::to_string(kWalGroupEndType) +
                                    " is reserved for group end records");
  }
  if (next_version_ != 0 && record.version != next_version_) {
    return Status::invalid_argument(where() + ": append of version " +
                                    std::to_string(record.version) + " but the next must be " +
                                    std::to_string(next_version_));
  }
  if (record.payload.size() > kWalPayloadBytesMax) {
    return Status::invalid_argument(where() + ": payload of version " +
                                    std::to_string(record.version) + " is " +
                                    std::to_string(record.payload.size()) + " bytes, over " +
                                    std::to_string(kWalPayloadBytesMax));
  }
  return Status();
}

bool Wal::Impl::needs_rotation() const {
  return !active_ || segments_.last().size_bytes >= options_.segment_size_bytes ||
         (segments_.last().size_bytes > 0 && TIERKV_BUGGIFY("wal.rotate_early"));
}

// The directory is synced before the file is handed out: no record in a segment is
// acknowledged before the segment's name itself is durable.
Result<std::unique_ptr<File>> Wal::Impl::create_segment_file(uint64_t start_offset) {
  const std::string path = segment_path(start_offset);
  TIERKV_ASSIGN_OR_RETURN(auto file,
                          options_.env->open_file(path, OpenMode::kCreateExclusive));
  TIERKV_RETURN_IF_ERROR(options_.env->sync_dir(options_.dir).with_context("creating " + path));
  return file;
}

void Wal::Impl::install_segment(std::unique_ptr<File> file, uint64_t start_offset) {
  if (active_) {
    // The old segment is complete and synced; a failed close loses nothing.
    Status ignored = active_->close();
    (void)ignored;
  }
  active_ = std::move(file);
  const uint64_t last = segments_.last_version();
  segments_.add_segment(WalSegment{.start_offset = start_offset,
                                   .first_version = last == 0 ? 0 : last + 1,
                                   .record_offsets = {}});
}

Status Wal::Impl::append_now(const WalRecord& record) {
  TIERKV_RETURN_IF_ERROR(check_idle("append_now"));
  TIERKV_RETURN_IF_ERROR(check_appendable(record));
  if (needs_rotation()) {
    const uint64_t start = segments_.end_offset();
    auto file = create_segment_file(start);
    if (!file.ok()) return poison(file.status());
    install_segment(std::move(file).value(), start);
  }
  std::string bytes = encode_wal_record(record);
  bytes += encode_wal_group_end(segments_.last().size_bytes, record.version);
  Status s = active_->append(bytes);
  if (s.ok()) s = active_->sync();
  if (!s.ok()) return poison(s.with_context(where() + ": append of version " +
                                            std::to_string(record.version)));
  segments_.add_record(record.version, bytes.size());
  next_version_ = record.version + 1;
  return Status();
}

Task<Status> Wal::Impl::append(WalRecord record) {
  TIERKV_CO_RETURN_IF_ERROR(check_appendable(record));
  auto waiter = std::make_shared<WalWaiter>();
  waiter->bytes = encode_wal_record(record);
  waiter->version = record.version;
  next_version_ = record.version + 1;
  queue_.push_back(waiter);
  if (queue_.size() > 1) {
    // Someone leads a group: wait until ours is written, or until we are promoted to leader.
    // The lambda holds a raw pointer (queue_ keeps the waiter alive). g++ 12 runs the
    // destructor of a lambda temporary passed into a co_await expression more often than its
    // constructors (a captured instance counter ends at -2): a captured shared_ptr was
    // released twice too often and freed the waiter under the leader's feet.
    WalWaiter* parked = waiter.get();
    co_await suspend_until_resumed(
        [parked](UniqueFunction resume) { parked->resume = std::move(resume); });
    if (waiter->done) co_return waiter->status;
  }
  assert(queue_.front() == waiter);
  co_await lead_group(waiter);
  assert(waiter->done);
  co_return waiter->status;
}

// Completes the first `count` waiters with status and promotes the next leader, if any.
static void complete_front(std::deque<std::shared_ptr<WalWaiter>>* queue, size_t count,
                           const Status& status, const std::shared_ptr<WalWaiter>& leader) {
  for (size_t i = 0; i < count; ++i) {
    std::shared_ptr<WalWaiter> waiter = std::move(queue->front());
    queue->pop_front();
    waiter->status = status;
    waiter->done = true;
    if (waiter != leader) {
      assert(waiter->resume);
      waiter->resume();
    }
  }
  if (!queue->empty()) {
    assert(queue->front()->resume && !queue->front()->done);
    queue->front()->resume();
  }
}

Task<void> Wal::Impl::lead_group(std::shared_ptr<WalWaiter> leader) {
  assert(!queue_.empty() && queue_.front() == leader);
  if (!poisoned_.ok()) {
    complete_front(&queue_, queue_.size(), poisoned_, leader);
    co_return;
  }
  if (needs_rotation()) {
    // Names in this coroutine are all distinct: g++ 12 can conflate same-named locals of
    // different scopes in a coroutine frame.
    const uint64_t start = segments_.end_offset();
    Result<std::unique_ptr<File>> created = Status::io_error("not run");
    co_await options_.executor->run_blocking([&] { created = create_segment_file(start); });
    if (!created.ok()) {
      (void)poison(created.status());
      complete_front(&queue_, queue_.size(), poisoned_, leader);
      co_return;
    }
    install_segment(std::move(created).value(), start);
  }
  // The group: at least the leader, then whatever fits the bounds.
  const uint64_t room = options_.segment_size_bytes - std::min(options_.segment_size_bytes,
                                                               segments_.last().size_bytes);
  const uint64_t bound = std::min(options_.group_commit_bytes_max, room);
  std::string data = queue_.front()->bytes;
  size_t count = 1;
  while (count < queue_.size() &&
         data.size() + queue_[count]->bytes.size() + kWalGroupEndBytes <= bound &&
         !TIERKV_BUGGIFY("wal.group_commit_split")) {
    data += queue_[count]->bytes;
    ++count;
  }
  const std::string group_end =
      encode_wal_group_end(segments_.last().size_bytes, queue_[count - 1]->version);
  data += group_end;
  Status s;
  File* file = active_.get();
  co_await options_.executor->run_blocking([file, &data, &s] {
    s = file->append(data);
    if (s.ok()) s = file->sync();
  });
  if (!s.ok()) {
    (void)poison(s.with_context(where() + ": group commit of versions " +
                          std::to_string(queue_.front()->version) + ".." +
                          std::to_string(queue_[count - 1]->version)));
    // What reached the disk is unknown: fail the group and everyone queued behind it.
    complete_front(&queue_, queue_.size(), poisoned_, leader);
    co_return;
  }
  // The group end record is indexed as the tail of the group's last record.
  for (size_t i = 0; i < count; ++i) {
    segments_.add_record(queue_[i]->version,
                         queue_[i]->bytes.size() + (i + 1 == count ? group_end.size() : 0));
  }
  complete_front(&queue_, count, Status(), leader);
}

}  // namespace tierkv
