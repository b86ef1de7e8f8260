#include "engine/overlay/overlay_store.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "engine/core/store_key.h"

namespace tierkv {

namespace layout = overlay_layout;

Status validate_tree_id(std::string_view tree) {
  switch (check_store_key_part(tree)) {
    case KeyRule::kValid:
      if (tree.empty()) return Status::invalid_argument("overlay tree id is empty");
      return Status();
    case KeyRule::kInvalidCharacter:
      return Status::invalid_argument("overlay tree id '" + std::string(tree) +
                                      "' has a character outside [A-Za-z0-9_-]");
    case KeyRule::kTooLong:
      return Status::invalid_argument("overlay tree id of " + std::to_string(tree.size()) +
                                      " bytes exceeds 120 bytes");
    default:
      return Status::invalid_argument("overlay tree id '" + std::string(tree) + "' is invalid");
  }
}

OverlayStore::OverlayStore(Backend* backend, Executor* executor, OverlayStoreOptions options)
    : backend_(backend),
      executor_(executor),
      options_(options),
      block_filter_(options.block_filter_bits) {
  assert(backend_ != nullptr);
  assert(executor_ != nullptr);
  assert(options_.drop_batch_leaves_max >= 1);
  assert(options_.gc_batch_blocks_max >= 1);
  assert(options_.maintenance_overlays_max >= 1);
}

Task<Result<std::unique_ptr<OverlayStore>>> OverlayStore::open(Backend* backend, Executor* executor,
                                                               OverlayStoreOptions options) {
  std::unique_ptr<OverlayStore> store(new OverlayStore(backend, executor, options));
  {
    AsyncMutexGuard guard = co_await store->mutex_.lock_guard();
    TIERKV_CO_RETURN_IF_ERROR(co_await store->load_locked());
  }
  co_return store;
}

Task<Result<std::optional<std::string>>> OverlayStore::get_locked(std::string key) {
  assert(mutex_.locked());
  Result<std::string> value = co_await blocking(*executor_, [&] { return backend_->get(key); });
  if (value.ok()) co_return std::optional<std::string>(std::move(value).value());
  if (value.status().is_not_found()) co_return std::optional<std::string>();
  co_return value.status();
}

Task<Result<std::vector<KeyValue>>> OverlayStore::scan_locked(std::string prefix, size_t limit) {
  assert(mutex_.locked());
  co_return co_await blocking(*executor_, [&] { return backend_->scan_prefix(prefix, limit); });
}

Task<Status> OverlayStore::commit_locked(WriteBatch batch) {
  assert(mutex_.locked());
  assert(loaded_);
  Status status = co_await blocking(*executor_, [&] { return backend_->write(batch); });
  // A failed batch may or may not have reached the disk: trust the backend, not the cache.
  if (!status.ok()) loaded_ = false;
  co_return status;
}

Task<Status> OverlayStore::load_locked() {
  assert(mutex_.locked());
  if (loaded_) co_return Status();
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> meta_bytes,
                             co_await get_locked(layout::meta_key()));
  layout::MetaRecord meta;
  if (meta_bytes.has_value()) {
    TIERKV_CO_ASSIGN_OR_RETURN(meta, layout::decode_meta(*meta_bytes));
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::vector<KeyValue> rows,
                             co_await scan_locked(layout::overlay_prefix(), 0));
  OverlayMap overlays;
  for (const KeyValue& row : rows) {
    std::string tree(layout::key_suffix(row.key));
    TIERKV_CO_ASSIGN_OR_RETURN(layout::OverlayRecord record,
                               layout::decode_overlay(row.value, tree));
    overlays.emplace(std::move(tree), std::move(record));
  }
  // Every stored block into the filter (open-time scan of the small block records only).
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::block_record_prefix(), 0));
  block_filter_.clear();
  for (const KeyValue& row : rows) block_filter_.add(layout::key_suffix(row.key));
  meta_ = meta;
  overlays_ = std::move(overlays);
  loaded_ = true;
  co_return Status();
}

Task<Result<std::optional<layout::BlockRecord>>> OverlayStore::block_record_locked(
    std::string hash) {
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                             co_await get_locked(layout::block_record_key(hash)));
  if (!bytes.has_value()) co_return std::optional<layout::BlockRecord>();
  TIERKV_CO_ASSIGN_OR_RETURN(layout::BlockRecord record, layout::decode_block_record(*bytes, hash));
  co_return std::optional<layout::BlockRecord>(record);
}

uint64_t OverlayStore::checked_sub(uint64_t value, uint64_t delta, const std::string& what) {
  if (delta <= value) return value - delta;
  ++underflow_count_;
  const std::string message = "overlay store: " + what +
                              " would go negative: " + std::to_string(value) + " - " +
                              std::to_string(delta) + " = -" + std::to_string(delta - value);
  if (options_.on_underflow == UnderflowPolicy::kAbort) {
    std::fprintf(stderr, "FATAL %s (on_underflow = kAbort)\n", message.c_str());
    std::abort();
  }
  std::fprintf(stderr, "ERROR %s; clamped to 0\n", message.c_str());
  return 0;
}

Task<Status> OverlayStore::write_overlay_locked(std::string tree, layout::OverlayRecord record) {
  WriteBatch batch;
  batch.put(layout::overlay_key(tree), layout::encode_overlay(record));
  layout::MetaRecord meta = meta_;
  meta.next_overlay_id = std::max(meta.next_overlay_id, record.id + 1);
  if (meta != meta_) batch.put(layout::meta_key(), layout::encode_meta(meta));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  meta_ = meta;
  overlays_[tree] = std::move(record);
  co_return Status();
}

Task<Status> OverlayStore::create_overlay(std::string tree, uint64_t expiry_us, bool temporary) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("create_overlay"));
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it != overlays_.end()) {
    if (it->second.status == OverlayStatus::kDeleting) {
      co_return Status::aborted("create_overlay: overlay " + tree + " is being deleted");
    }
    if (it->second.expiry_us >= expiry_us) co_return Status();
    layout::OverlayRecord record = it->second;
    record.expiry_us = expiry_us;
    co_return co_await write_overlay_locked(tree, std::move(record));
  }
  layout::OverlayRecord record;
  record.id = meta_.next_overlay_id;
  record.expiry_us = expiry_us;
  record.status = temporary ? OverlayStatus::kStoring : OverlayStatus::kActive;
  co_return co_await write_overlay_locked(tree, std::move(record));
}

Task<Status> OverlayStore::put_block(std::string tree, uint32_t index, std::string bytes) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("put_block"));
  if (index >= layout::kBlockIndexMax) {
    co_return Status::invalid_argument("put_block: index " + std::to_string(index) + " of " + tree +
                                       " exceeds the limit " +
                                       std::to_string(layout::kBlockIndexMax - 1));
  }
  if (bytes.size() > options_.block_size_bytes_max) {
    co_return Status::invalid_argument("put_block: block " + tree + "/" + std::to_string(index) +
                                       " of " + std::to_string(bytes.size()) +
                                       " bytes exceeds block_size_bytes_max");
  }
  std::string hash = layout::block_hash(bytes);  // before the lock: CPU work needs no mutex
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  co_return co_await put_block_locked(std::move(tree), index, std::move(hash), std::move(bytes));
}

Task<Status> OverlayStore::put_block_locked(std::string tree, uint32_t index, std::string hash,
                                            std::string bytes) {
  const std::string where = tree + "/" + std::to_string(index);
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) co_return Status::not_found("put_block: no overlay " + tree);
  layout::OverlayRecord record = it->second;
  if (record.status == OverlayStatus::kDeleting || record.status == OverlayStatus::kFailure) {
    co_return Status::aborted("put_block " + where + ": overlay is " +
                              std::string(layout::overlay_status_name(record.status)));
  }
  const std::string leaf = layout::leaf_key(record.id, index);
  if (layout::bit_is_set(record.bitmap, index)) {
    TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> existing, co_await get_locked(leaf));
    if (existing == hash) co_return Status();  // the same block again: nothing to do
    co_return Status::conflict("put_block " + where + ": index already holds another block");
  }
  std::optional<layout::BlockRecord> block;  // new content (the common case) needs no lookup
  if (block_filter_.may_contain(hash)) {
    TIERKV_CO_ASSIGN_OR_RETURN(block, co_await block_record_locked(hash));
  }
  WriteBatch batch;
  layout::MetaRecord meta = meta_;
  layout::BlockRecord updated{1, bytes.size()};
  if (!block.has_value()) {
    const uint64_t headroom =
        options_.quota_max_bytes -
        std::min(options_.quota_max_bytes, meta.used_bytes + meta.reserved_bytes);
    if (bytes.size() > headroom) {
      co_return Status::no_space("put_block " + where + ": " + std::to_string(bytes.size()) +
                                 " bytes exceed the quota headroom of " + std::to_string(headroom));
    }
    meta.used_bytes += bytes.size();
    meta.block_count += 1;
    batch.put(layout::block_bytes_key(hash), bytes);
    batch.put(layout::meta_key(), layout::encode_meta(meta));
  } else {
    updated = *block;
    if (updated.refcount == 0) batch.remove(layout::garbage_key(hash));  // revived before GC
    updated.refcount += 1;
  }
  batch.put(layout::block_record_key(hash), layout::encode_block_record(updated));
  batch.put(leaf, hash);
  layout::set_bit(&record.bitmap, index);
  batch.put(layout::overlay_key(tree), layout::encode_overlay(record));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  if (!block.has_value()) block_filter_.add(hash);
  meta_ = meta;
  overlays_[tree] = std::move(record);
  co_return Status();
}

Task<Result<std::string>> OverlayStore::read_block(std::string tree, uint32_t index) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("read_block"));
  const std::string where = tree + "/" + std::to_string(index);
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end() || !layout::bit_is_set(it->second.bitmap, index)) {
    co_return Status::not_found("read_block: no block at " + where);
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> hash,
                             co_await get_locked(layout::leaf_key(it->second.id, index)));
  if (!hash.has_value()) co_return Status::corruption("read_block " + where + ": leaf missing");
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                             co_await get_locked(layout::block_bytes_key(*hash)));
  if (!bytes.has_value() || layout::block_hash(*bytes) != *hash) {
    co_return Status::corruption("read_block " + where + ": block " + layout::hex(*hash) +
                                 (bytes.has_value() ? " fails its hash" : " missing"));
  }
  co_return std::move(*bytes);
}

Task<Result<bool>> OverlayStore::has_block_content(std::string bytes) {
  std::string hash = layout::block_hash(bytes);
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                             co_await get_locked(layout::block_bytes_key(hash)));
  co_return stored.has_value();
}

Task<Status> OverlayStore::set_expiry(std::string tree, uint64_t expiry_us) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("set_expiry"));
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) co_return Status::not_found("set_expiry: no overlay " + tree);
  if (it->second.status == OverlayStatus::kDeleting) {
    co_return Status::aborted("set_expiry: overlay " + tree + " is being deleted");
  }
  layout::OverlayRecord record = it->second;
  record.expiry_us = expiry_us;
  co_return co_await write_overlay_locked(tree, std::move(record));
}

Task<Status> OverlayStore::mark_failed(std::string tree) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("mark_failed"));
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) co_return Status::not_found("mark_failed: no overlay " + tree);
  if (it->second.status == OverlayStatus::kDeleting) co_return Status();  // already going away
  layout::OverlayRecord record = it->second;
  record.status = OverlayStatus::kFailure;
  co_return co_await write_overlay_locked(tree, std::move(record));
}

Task<Status> OverlayStore::reserve(uint64_t bytes) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  layout::MetaRecord meta = meta_;
  const uint64_t committed = meta.used_bytes + meta.reserved_bytes;
  if (committed > options_.quota_max_bytes || bytes > options_.quota_max_bytes - committed) {
    co_return Status::no_space("reserve of " + std::to_string(bytes) + " bytes exceeds the quota");
  }
  meta.reserved_bytes += bytes;
  WriteBatch batch;
  batch.put(layout::meta_key(), layout::encode_meta(meta));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  meta_ = meta;
  co_return Status();
}

Task<Status> OverlayStore::release(uint64_t bytes) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  if (bytes > meta_.reserved_bytes) {
    co_return Status::invalid_argument("release of " + std::to_string(bytes) +
                                       " bytes exceeds the " +
                                       std::to_string(meta_.reserved_bytes) + " reserved bytes");
  }
  layout::MetaRecord meta = meta_;
  meta.reserved_bytes -= bytes;
  WriteBatch batch;
  batch.put(layout::meta_key(), layout::encode_meta(meta));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  meta_ = meta;
  co_return Status();
}

QuotaUsage OverlayStore::quota() const {
  return QuotaUsage{meta_.used_bytes, meta_.reserved_bytes, meta_.block_count,
                    options_.quota_max_bytes};
}

std::optional<OverlayInfo> OverlayStore::overlay(const std::string& tree) const {
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) return std::nullopt;
  return OverlayInfo{tree, it->second.status, it->second.expiry_us,
                     layout::count_bits(it->second.bitmap)};
}

std::vector<OverlayInfo> OverlayStore::overlays() const {
  std::vector<OverlayInfo> out;
  for (const auto& [tree, record] : overlays_) {
    out.push_back(
        OverlayInfo{tree, record.status, record.expiry_us, layout::count_bits(record.bitmap)});
  }
  return out;
}

}  // namespace tierkv
