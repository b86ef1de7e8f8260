#include "engine/tier/backend_kv_store.h"

#include <algorithm>
#include <utility>

namespace tierkv {
namespace layout = backend_layout;

namespace {

// The most old_record_ keeps between writes (a store that once wrote a huge value does not
// hold that much memory for good).
constexpr size_t kOldRecordBufferBytesMax = 64 << 10;

template <typename T>
Task<T> ready(T value) {
  co_return value;
}

// Checks every key, then sorts ops by key (the order their locks are taken in); keys of a
// batch must be distinct: two ops on one key in one atomic batch have no order.
Status validate_and_sort_batch(std::vector<AtomicOp>& ops) {
  for (const AtomicOp& op : ops) {
    TIERKV_RETURN_IF_ERROR(validate_store_key(op.key).with_context("write_atomic"));
  }
  std::sort(ops.begin(), ops.end(),
            [](const AtomicOp& a, const AtomicOp& b) { return a.key < b.key; });
  auto dup = std::adjacent_find(ops.begin(), ops.end(), [](const AtomicOp& a, const AtomicOp& b) {
    return a.key == b.key;
  });
  if (dup != ops.end()) {
    return Status::invalid_argument("write_atomic: key " + dup->key.to_string() +
                                    " appears more than once in the batch");
  }
  return Status();
}

}  // namespace

std::string lock_key(const StoreKey& key) { return key.to_string(); }

BackendKvStore::BackendKvStore(Backend& backend, Executor& executor)
    : backend_(backend), executor_(executor) {}

Task<Result<std::string>> BackendKvStore::read(StoreKey key) {
  TIERKV_CO_RETURN_IF_ERROR(validate_store_key(key).with_context("read"));
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  Result<std::optional<layout::DataRecord>> record = co_await get_record_locked(key);
  if (!record.ok()) co_return record.status();
  if (!record->has_value()) co_return Status::not_found("key " + key.to_string() + " not found");
  co_return std::move((*record)->value);
}

Task<Result<VersionedValue>> BackendKvStore::read_versioned(StoreKey key) {
  TIERKV_CO_RETURN_IF_ERROR(validate_store_key(key).with_context("read_versioned"));
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  Result<std::optional<layout::DataRecord>> record = co_await get_record_locked(key);
  if (!record.ok()) co_return record.status();
  if (!record->has_value()) co_return Status::not_found("key " + key.to_string() + " not found");
  co_return VersionedValue{std::move((*record)->value), (*record)->record_version};
}

Task<Status> BackendKvStore::write(StoreKey key, std::string value) {
  Status valid = validate_store_key(key).with_context("write");
  if (!valid.ok()) return ready(std::move(valid));
  CallOrder::Ticket ticket = call_order_.begin(lock_key(key));
  return write_ordered(std::move(key), std::move(value), std::move(ticket));
}

Task<Status> BackendKvStore::remove(StoreKey key, bool /*lazy*/) {
  Status valid = validate_store_key(key).with_context("remove");
  if (!valid.ok()) return ready(std::move(valid));
  CallOrder::Ticket ticket = call_order_.begin(lock_key(key));
  return write_ordered(std::move(key), std::nullopt, std::move(ticket));
}

Task<Status> BackendKvStore::write_ordered(StoreKey key, std::optional<std::string> value,
                                           CallOrder::Ticket ticket) {
  KeyLockGuard key_guard = co_await locks_.lock(ticket.key());  // == lock_key(key)
  if (call_order_.is_stale(ticket)) {
    ++stale_skipped_;
    co_return Status();
  }
  const bool is_write = value.has_value();
  // Named first: g++ 12 destroys a braced temporary coroutine argument twice (task.h).
  Mutation mutation{std::move(key), std::move(value), std::nullopt};
  Status applied = co_await apply_grouped(mutation);
  if (!applied.ok()) {
    // The ticket's key is the key's "p/s/k" text (lock_key).
    co_return applied.with_context((is_write ? "write of " : "remove of ") + ticket.key());
  }
  call_order_.complete(ticket);
  co_return Status();
}

Task<Status> BackendKvStore::apply_grouped(Mutation& mutation) {
  Status result;
  if (group_leader_waiting_) {
    // Raw pointers: the registering callback must be trivially destructible (g++ 12, task.h).
    Mutation* joining = &mutation;
    Status* outcome = &result;
    co_await suspend_until_resumed([this, joining, outcome](UniqueFunction resume) {
      group_.push_back(GroupMember{joining, outcome, std::move(resume)});
    });
    co_return result;  // set by the leader before it resumed us
  }
  group_leader_waiting_ = true;
  group_.push_back(GroupMember{&mutation, &result, UniqueFunction()});
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  group_leader_waiting_ = false;  // callers from now on form the next group
  std::vector<GroupMember> members;
  members.swap(group_);
  std::vector<Mutation>& mutations = grouped_;
  mutations.clear();  // (a group torn down while it waited for the backend leaves its own)
  for (GroupMember& member : members) mutations.push_back(std::move(*member.mutation));
  Result<Applied> applied = co_await apply_locked(mutations);
  mutations.clear();
  assert(!applied.ok() || applied->conflicts.empty());  // no version check was asked for
  const Status group_status = applied.ok() ? Status() : applied.status();
  for (GroupMember& member : members) {
    *member.result = group_status;
    if (member.resume) member.resume();  // posts the member's resumption
  }
  members.clear();
  if (group_.empty()) group_.swap(members);  // the next group reuses the storage
  co_return result;
}

Task<Result<uint64_t>> BackendKvStore::compare_and_swap(StoreKey key, uint64_t expected_version,
                                                        std::string value) {
  Status valid = validate_store_key(key).with_context("compare_and_swap");
  if (!valid.ok()) return ready(Result<uint64_t>(std::move(valid)));
  CallOrder::Ticket ticket = call_order_.begin(lock_key(key));
  return [](BackendKvStore* self, StoreKey key, uint64_t expected, std::string value,
            CallOrder::Ticket ticket) -> Task<Result<uint64_t>> {
    KeyLockGuard key_guard = co_await self->locks_.lock(ticket.key());  // == lock_key(key)
    AsyncMutexGuard backend_guard = co_await self->backend_mutex_.lock_guard();
    std::vector<Mutation> mutations;
    mutations.push_back({std::move(key), std::move(value), expected});
    Result<Applied> applied = co_await self->apply_locked(mutations);
    if (!applied.ok()) co_return applied.status();
    if (!applied->conflicts.empty()) {  // the ticket's key is the key's "p/s/k" text
      co_return Status::conflict("compare_and_swap of " + ticket.key() + ": expected version " +
                                 std::to_string(expected) + ", found " +
                                 std::to_string(applied->conflicts.front().second));
    }
    self->call_order_.complete(ticket);
    co_return applied->version;
  }(this, std::move(key), expected_version, std::move(value), std::move(ticket));
}

Task<AtomicResult> BackendKvStore::write_atomic(std::vector<AtomicOp> ops) {
  Status valid = validate_and_sort_batch(ops);
  if (!valid.ok()) return ready(AtomicResult{std::move(valid), {}});
  std::vector<CallOrder::Ticket> tickets;
  for (const AtomicOp& op : ops) tickets.push_back(call_order_.begin(lock_key(op.key)));
  return [](BackendKvStore* self, std::vector<AtomicOp> ops,
            std::vector<CallOrder::Ticket> tickets) -> Task<AtomicResult> {
    // Locks in ascending key order (ops are sorted), so two batches cannot deadlock.
    std::vector<KeyLockGuard> key_guards;
    for (const CallOrder::Ticket& ticket : tickets) {  // one per op, same order; == lock_key
      key_guards.push_back(co_await self->locks_.lock(ticket.key()));
    }
    AsyncMutexGuard backend_guard = co_await self->backend_mutex_.lock_guard();
    std::vector<Mutation> mutations;
    mutations.reserve(ops.size());
    for (AtomicOp& op : ops) {  // ops are not needed after this (the tickets name the keys)
      mutations.push_back({std::move(op.key), std::move(op.value), op.expected_version});
    }
    Result<Applied> applied = co_await self->apply_locked(mutations);
    if (!applied.ok()) co_return AtomicResult{applied.status().with_context("write_atomic"), {}};
    AtomicResult result;
    for (const auto& [key, found] : applied->conflicts) result.conflicts.push_back(key);
    if (!result.conflicts.empty()) {
      result.status = Status::conflict("write_atomic: " + std::to_string(result.conflicts.size()) +
                                       " key(s) failed their version check, first " +
                                       result.conflicts.front().to_string());
      co_return result;
    }
    for (const CallOrder::Ticket& ticket : tickets) self->call_order_.complete(ticket);
    co_return result;
  }(this, std::move(ops), std::move(tickets));
}

Task<Result<std::optional<layout::DataRecord>>> BackendKvStore::get_record_locked(
    const StoreKey& key) {
  assert(backend_mutex_.locked());
  return blocking(executor_, [this, &key] { return get_record_now(key); });
}

Result<bool> BackendKvStore::get_record_bytes_now(const StoreKey& key,
                                                  const std::string& data_key,
                                                  std::string* bytes) {
  assert(backend_mutex_.locked());
  Status got = backend_.get_into(data_key, bytes);
  if (got.ok()) return true;
  if (got.is_not_found()) return false;
  return got.with_context("reading " + key.to_string() + " from backend " +
                          std::string(backend_.name()));
}

Result<std::optional<layout::DataRecord>> BackendKvStore::get_record_now(const StoreKey& key) {
  std::string bytes;
  Result<bool> found = get_record_bytes_now(key, layout::data_key(key), &bytes);
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<layout::DataRecord>();
  Result<layout::DataRecord> record = layout::decode_record(std::move(bytes), key);
  if (!record.ok()) return record.status();
  return std::optional<layout::DataRecord>(std::move(*record));
}

Status BackendKvStore::load_sequence_now() {
  if (next_sequence_.has_value()) return Status();
  Result<std::string> bytes = backend_.get(layout::kSequenceKey);
  if (!bytes.ok()) {
    if (!bytes.status().is_not_found()) return bytes.status().with_context("sequence counter");
    next_sequence_ = 1;
    return Status();
  }
  Result<uint64_t> next = layout::decode_sequence(*bytes);
  if (!next.ok()) return next.status();
  next_sequence_ = *next;
  return Status();
}

Task<Result<BackendKvStore::Applied>> BackendKvStore::apply_locked(
    std::vector<Mutation>& mutations) {
  assert(backend_mutex_.locked());
  return blocking(executor_, [this, &mutations] { return apply_now(mutations); });
}

Result<BackendKvStore::Applied> BackendKvStore::apply_now(std::vector<Mutation>& mutations) {
  assert(backend_mutex_.locked());
  TIERKV_RETURN_IF_ERROR(load_sequence_now());
  // Each key's data key and current record header (nullopt: absent).
  auto& olds = olds_;
  olds.clear();
  if (old_record_.capacity() > kOldRecordBufferBytesMax) std::string().swap(old_record_);
  Applied applied;
  for (const Mutation& mutation : mutations) {
    std::string data_key = layout::data_key(mutation.key);
    Result<bool> found = get_record_bytes_now(mutation.key, data_key, &old_record_);
    if (!found.ok()) return found.status();
    std::optional<layout::RecordHeader> old;
    if (*found) {
      Result<layout::RecordHeader> header = layout::decode_record_header(old_record_, mutation.key);
      if (!header.ok()) return header.status();
      old = *header;
    }
    const uint64_t current = old.has_value() ? old->record_version : 0;
    if (mutation.expected_version.has_value() && current != *mutation.expected_version) {
      applied.conflicts.emplace_back(mutation.key, current);
    }
    olds.emplace_back(std::move(data_key), old);
  }
  if (!applied.conflicts.empty()) return applied;  // a failed check writes nothing
  WriteBatch& batch = batch_;
  assert(batch.empty());
  for (size_t i = 0; i < mutations.size(); ++i) {
    Mutation& mutation = mutations[i];
    auto& [data_key, old] = olds[i];
    if (!mutation.value.has_value()) {
      if (!old.has_value()) continue;  // removing a missing key succeeds, writing nothing
      batch.remove(std::move(data_key));
      batch.remove(layout::creation_key(mutation.key, old->creation_seq));
      continue;
    }
    applied.version = (*next_sequence_)++;  // distinct per key: creation sequences must be unique
    const uint64_t creation_seq = old.has_value() ? old->creation_seq : applied.version;
    if (!old.has_value()) batch.put(layout::creation_key(mutation.key, creation_seq), "");
    batch.put(std::move(data_key),
              layout::encode_record({applied.version, creation_seq}, *mutation.value));
  }
  if (batch.empty()) return applied;
  // The persisted counter covers every sequence handed out so far (we hold the backend mutex,
  // so counters reach the backend in increasing order).
  batch.put(layout::kSequenceKey, layout::encode_sequence(*next_sequence_));
  Status written = backend_.write(batch);
  batch.clear();  // keeps the list's capacity, frees the records
  if (!written.ok()) {
    return written.with_context("atomic write to backend " + std::string(backend_.name()));
  }
  return applied;
}

Task<Result<std::vector<std::string>>> BackendKvStore::scan_keys_locked(KeyRange range,
                                                                        size_t limit) {
  assert(backend_mutex_.locked());
  Result<std::vector<std::string>> keys = co_await blocking(
      executor_, [this, &range, limit] { return backend_.scan_keys(range, limit); });
  if (!keys.ok()) {
    co_return keys.status().with_context("scan of backend " + std::string(backend_.name()));
  }
  co_return keys;
}

}  // namespace tierkv
