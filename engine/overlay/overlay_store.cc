#include "engine/overlay/overlay_store.h"

#include <algorithm>
#include <cassert>
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
  assert(options_.bulk_put_run_blocks_max >= 1);
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
  if (auto it = pending_.find(key); it != pending_.end()) co_return it->second;
  Result<std::string> value = co_await blocking(*executor_, [&] { return backend_->get(key); });
  if (value.ok()) co_return std::optional<std::string>(std::move(value).value());
  if (value.status().is_not_found()) co_return std::optional<std::string>();
  co_return value.status();
}

Task<Result<std::vector<KeyValue>>> OverlayStore::scan_locked(std::string prefix, size_t limit) {
  assert(mutex_.locked());
  TIERKV_CO_RETURN_IF_ERROR(co_await flush_pending_locked());
  co_return co_await blocking(*executor_, [&] { return backend_->scan_prefix(prefix, limit); });
}

Task<Status> OverlayStore::commit_locked(WriteBatch batch) {
  assert(mutex_.locked());
  assert(loaded_);
  if (!pending_.empty()) {
    WriteBatch combined;
    for (auto& [key, value] : pending_) {
      if (value.has_value()) {
        combined.put(key, std::move(*value));
      } else {
        combined.remove(key);
      }
    }
    for (const BatchOp& op : batch.ops()) {
      if (op.kind == BatchOp::Kind::kPut) {
        combined.put(op.key, op.value);
      } else {
        combined.remove(op.key);
      }
    }
    // Moved out: on failure the reload below redoes them from the journal.
    pending_.clear();
    pending_puts_ = 0;
    batch = std::move(combined);
  }
  Status status = co_await blocking(*executor_, [&] { return backend_->write(batch); });
  // A failed batch may or may not have reached the disk: trust the backend, not the cache.
  if (!status.ok()) loaded_ = false;
  co_return status;
}

Task<Status> OverlayStore::flush_pending_locked() {
  if (pending_.empty()) co_return Status();
  assert(loaded_);  // whatever drops the cache drops pending_ with it
  WriteBatch nothing_else;  // a named argument: see the co_await rule in engine/exec/task.h
  co_return co_await commit_locked(std::move(nothing_else));
}

std::string OverlayStore::bytes_key(uint64_t sequence) const {
  return journaled() ? layout::journal_key(sequence) : layout::block_bytes_key(sequence);
}

Result<std::string_view> OverlayStore::bytes_of_record(std::string_view record,
                                                       std::string_view key) const {
  if (!journaled()) return record;
  TIERKV_ASSIGN_OR_RETURN(auto decoded, layout::decode_journal(record, key));
  return decoded.second;
}

Task<Status> OverlayStore::replay_journal_locked() {
  const KeyRange range{layout::journal_key(meta_.next_block_sequence),
                       prefix_range(layout::journal_prefix()).end};
  TIERKV_CO_ASSIGN_OR_RETURN(std::vector<KeyValue> rows, co_await blocking(*executor_, [&] {
                               return backend_->scan(range, 0);
                             }));
  for (KeyValue& row : rows) {
    uint64_t sequence = 0;
    if (!layout::parse_journal_key(row.key, &sequence) || sequence != meta_.next_block_sequence) {
      co_return Status::corruption("overlay journal record " + layout::hex(row.key) +
                                   " is not the next block sequence " +
                                   std::to_string(meta_.next_block_sequence));
    }
    TIERKV_CO_ASSIGN_OR_RETURN(auto decoded, layout::decode_journal(row.value, row.key));
    const layout::JournalHeader& header = decoded.first;
    const std::string_view bytes = decoded.second;
    const std::string where = "overlay journal record " + std::to_string(sequence);
    if (layout::block_hash(bytes) != header.hash) {
      co_return Status::corruption(where + ": the block fails its hash");
    }
    auto owner = std::find_if(overlays_.begin(), overlays_.end(),
                              [&](const auto& entry) { return entry.second.id == header.id; });
    // Redone puts are the newest writes (any other write would have written their metadata), so
    // each one's overlay still takes it and its content is not stored yet.
    if (owner == overlays_.end() || owner->second.status == OverlayStatus::kDeleting ||
        owner->second.status == OverlayStatus::kFailure || header.index >= layout::kBlockIndexMax ||
        layout::bit_is_set(bitmap_of(header.id), header.index)) {
      co_return Status::corruption(where + " names overlay id " + std::to_string(header.id) +
                                   " index " + std::to_string(header.index) +
                                   ", which cannot take a new block");
    }
    if (block_filter_.may_contain(header.hash)) {
      TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> stored,
                                 co_await block_record_locked(header.hash));
      if (stored.has_value()) {
        co_return Status::corruption(where + ": its block " + layout::hex(header.hash) +
                                     " is already stored");
      }
    }
    // The put planned again, as put_block_locked planned it: the same state gives the same
    // records (the reservation is drawn again exactly when the put drew from it).
    PutPlan plan;
    plan.index = header.index;
    plan.meta = meta_;
    // The record itself goes into the plan (no copy of the block); only the metadata is kept.
    BlockBytes record{std::move(row.value), layout::kJournalHeaderBytes};
    Status planned =
        plan_new_block(header.id, header.hash, &record, header.from_reserved > 0, where, &plan);
    if (!planned.ok()) co_return Status::corruption(where + " cannot be redone: " + planned.message());
    plan_leaf(header.id, header.index, header.hash, &plan);
    defer_metadata(plan.batch);
    apply_put(header.id, header.index, header.hash, plan);
  }
  co_return Status();
}

Task<Status> OverlayStore::load_locked() {
  assert(mutex_.locked());
  if (loaded_) co_return Status();
  pending_.clear();  // redone from the journal below
  pending_puts_ = 0;
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> meta_bytes,
                             co_await get_locked(layout::meta_key()));
  layout::MetaRecord meta;
  if (options_.journal_puts_max > 0) meta.format = layout::kFormatJournaled;  // a new store
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
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::chunk_prefix(), 0));
  std::map<uint64_t, std::string> bitmaps;
  for (const KeyValue& row : rows) {
    uint64_t id = 0;
    uint32_t chunk = 0;
    if (!layout::parse_chunk_key(row.key, &id, &chunk)) {
      co_return Status::corruption("malformed bitmap chunk key " + layout::hex(row.key));
    }
    TIERKV_CO_RETURN_IF_ERROR(layout::decode_chunk_into(row.value, row.key, chunk, &bitmaps[id]));
  }
  // Every stored block into the filter (open-time scan of the small block records only).
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::block_record_prefix(), 0));
  block_filter_.clear();
  for (const KeyValue& row : rows) block_filter_.add(layout::key_suffix(row.key));
  meta_ = meta;
  overlays_ = std::move(overlays);
  bitmaps_ = std::move(bitmaps);
  if (journaled()) TIERKV_CO_RETURN_IF_ERROR(co_await replay_journal_locked());
  loaded_ = true;
  co_return Status();
}

const std::string& OverlayStore::bitmap_of(uint64_t id) const {
  static const std::string kEmpty;
  auto it = bitmaps_.find(id);
  return it == bitmaps_.end() ? kEmpty : it->second;
}

void OverlayStore::put_chunk(WriteBatch* batch, uint64_t id, const std::string& bitmap,
                             uint32_t chunk) {
  std::optional<std::string> encoded = layout::encode_chunk(bitmap, chunk);
  if (encoded.has_value()) {
    batch->put(layout::chunk_key(id, chunk), std::move(*encoded));
  } else {
    batch->remove(layout::chunk_key(id, chunk));
  }
}

Task<Result<uint64_t>> OverlayStore::references_locked(uint64_t id, uint64_t sequence) {
  const std::string key = layout::reference_key(id, sequence);
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> bytes, co_await get_locked(key));
  if (!bytes.has_value()) co_return uint64_t{0};
  co_return layout::decode_reference(*bytes, key);
}

Task<Result<std::optional<layout::BlockRecord>>> OverlayStore::block_record_locked(
    std::string hash) {
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                             co_await get_locked(layout::block_record_key(hash)));
  if (!bytes.has_value()) co_return std::optional<layout::BlockRecord>();
  TIERKV_CO_ASSIGN_OR_RETURN(layout::BlockRecord record, layout::decode_block_record(*bytes, hash));
  co_return std::optional<layout::BlockRecord>(record);
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

Status OverlayStore::check_put_arguments(const std::string& tree, uint32_t index, size_t size_bytes,
                                         std::string_view call) const {
  TIERKV_RETURN_IF_ERROR(validate_tree_id(tree).with_context(call));
  if (index >= layout::kBlockIndexMax) {
    return Status::invalid_argument(std::string(call) + ": index " + std::to_string(index) +
                                    " of " + tree + " exceeds the limit " +
                                    std::to_string(layout::kBlockIndexMax - 1));
  }
  if (size_bytes > options_.block_size_bytes_max) {
    return Status::invalid_argument(std::string(call) + ": block " + tree + "/" +
                                    std::to_string(index) + " of " + std::to_string(size_bytes) +
                                    " bytes exceeds block_size_bytes_max");
  }
  return Status();
}

Task<Status> OverlayStore::put_block(std::string tree, uint32_t index, std::string bytes,
                                     bool from_reservation) {
  TIERKV_CO_RETURN_IF_ERROR(check_put_arguments(tree, index, bytes.size(), "put_block"));
  // Before the lock: CPU work needs no mutex.
  std::string hash = layout::block_hash(bytes);
  BlockBytes block = prepare_block(std::move(bytes));
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  co_return co_await put_block_locked(std::move(tree), index, std::move(hash), std::move(block),
                                      from_reservation);
}

OverlayStore::BlockBytes OverlayStore::prepare_block(std::string bytes) const {
  // The format is read outside the lock: it never changes once the store exists, and
  // plan_new_block takes either form.
  if (!journaled()) return BlockBytes{std::move(bytes), 0};
  return BlockBytes{layout::journal_record_for(bytes), layout::kJournalHeaderBytes};
}

Task<Status> OverlayStore::put_block_locked(std::string tree, uint32_t index, std::string hash,
                                            BlockBytes bytes, bool from_reservation) {
  const std::string where = tree + "/" + std::to_string(index);
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) co_return Status::not_found("put_block: no overlay " + tree);
  layout::OverlayRecord record = it->second;
  if (record.status == OverlayStatus::kDeleting || record.status == OverlayStatus::kFailure) {
    co_return Status::aborted("put_block " + where + ": overlay is " +
                              std::string(layout::overlay_status_name(record.status)));
  }
  const std::string leaf = layout::leaf_key(record.id, index);
  if (layout::bit_is_set(bitmap_of(record.id), index)) {
    TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> existing, co_await get_locked(leaf));
    if (existing == hash) co_return Status();  // the same block again: nothing to do
    co_return Status::conflict("put_block " + where + ": index already holds another block");
  }
  PutPlan plan;
  plan.index = index;
  plan.meta = meta_;
  TIERKV_CO_RETURN_IF_ERROR(co_await plan_reference_locked(record.id, hash, std::move(bytes),
                                                           from_reservation, where, &plan));
  plan_leaf(record.id, index, hash, &plan);
  if (journaled() && plan.new_block && pending_puts_ < options_.journal_puts_max) {
    // The journal record alone is the durable put; its metadata waits in pending_.
    std::vector<JournalPut> put;
    put.push_back(JournalPut{record.id, std::move(hash), std::move(plan)});
    size_t written = 0;
    co_return co_await write_journal_puts_locked(std::move(put), &written);
  }
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(plan.batch)));
  apply_put(record.id, index, hash, plan);
  co_return Status();
}

Task<Status> OverlayStore::write_journal_puts_locked(std::vector<JournalPut> puts,
                                                     size_t* written) {
  assert(mutex_.locked());
  assert(pending_puts_ + puts.size() <= options_.journal_puts_max);
  *written = 0;
  Status status = co_await blocking(*executor_, [&] {
    for (const JournalPut& put : puts) {
      const BatchOp& record = put.plan.batch.ops().front();
      Status stored = backend_->put(record.key, record.value);
      if (!stored.ok()) return stored;
      ++*written;
    }
    return Status();
  });
  for (size_t j = 0; j < *written; ++j) {
    defer_metadata(puts[j].plan.batch);
    apply_put(puts[j].id, puts[j].plan.index, puts[j].hash, puts[j].plan);
  }
  if (!status.ok()) {
    loaded_ = false;  // the reload redoes every durable journal record
    pending_.clear();
    pending_puts_ = 0;
  }
  co_return status;
}

void OverlayStore::plan_leaf(uint64_t id, uint32_t index, const std::string& hash,
                             PutPlan* plan) const {
  plan->batch.put(layout::leaf_key(id, index), hash);
  // Only the chunk holding the new bit is rewritten (a copy of that chunk, not the bitmap).
  const uint32_t chunk = layout::chunk_of(index);
  const std::string& bitmap = bitmap_of(id);
  const size_t chunk_start = size_t{chunk} * (layout::kBitmapChunkBits / 8);
  std::string chunk_bits =
      chunk_start < bitmap.size() ? bitmap.substr(chunk_start, layout::kBitmapChunkBits / 8) : "";
  layout::set_bit(&chunk_bits, index % layout::kBitmapChunkBits);
  std::optional<std::string> encoded = layout::encode_chunk(chunk_bits, 0);
  assert(encoded.has_value());
  plan->batch.put(layout::chunk_key(id, chunk), std::move(*encoded));
}

void OverlayStore::defer_metadata(const WriteBatch& batch) {
  const std::vector<BatchOp>& ops = batch.ops();
  for (size_t i = 1; i < ops.size(); ++i) {
    pending_[ops[i].key] = ops[i].kind == BatchOp::Kind::kPut
                               ? std::optional<std::string>(ops[i].value)
                               : std::nullopt;
  }
  ++pending_puts_;
}

void OverlayStore::apply_put(uint64_t id, uint32_t index, const std::string& hash,
                             const PutPlan& plan) {
  if (plan.new_block) block_filter_.add(hash);
  meta_ = plan.meta;
  layout::set_bit(&bitmaps_[id], index);
}

Task<Status> OverlayStore::plan_reference_locked(uint64_t id, std::string hash, BlockBytes bytes,
                                                 bool from_reservation, std::string where,
                                                 PutPlan* plan) {
  std::optional<layout::BlockRecord> block;  // new content (the common case) needs no lookup
  if (block_filter_.may_contain(hash)) {
    TIERKV_CO_ASSIGN_OR_RETURN(block, co_await block_record_locked(hash));
  }
  if (block.has_value()) {
    // Stored content: the reference (keyed by the block's sequence) says whether this overlay
    // already counts in the block's refcount.
    TIERKV_CO_ASSIGN_OR_RETURN(uint64_t leaves, co_await references_locked(id, block->sequence));
    plan->batch.put(layout::reference_key(id, block->sequence),
                    layout::encode_reference(leaves + 1));
    if (leaves > 0) co_return Status();
    layout::BlockRecord updated = *block;
    if (updated.refcount == 0) plan->batch.remove(layout::garbage_key(hash));  // revived
    updated.refcount += 1;
    plan->batch.put(layout::block_record_key(hash), layout::encode_block_record(updated));
    co_return Status();
  }
  co_return plan_new_block(id, std::move(hash), &bytes, from_reservation, where, plan);
}

Status OverlayStore::plan_new_block(uint64_t id, std::string hash, BlockBytes* bytes,
                                    bool from_reservation, const std::string& where,
                                    PutPlan* plan) const {
  layout::MetaRecord& meta = plan->meta;
  const uint64_t size = bytes->view().size();
  const uint64_t from_reserved = from_reservation ? std::min(meta.reserved_bytes, size) : 0;
  const uint64_t committed = meta.used_bytes + meta.reserved_bytes;
  const uint64_t headroom = options_.quota_max_bytes - std::min(options_.quota_max_bytes, committed);
  if (size - from_reserved > headroom) {
    return Status::no_space("put_block " + where + ": " + std::to_string(size) +
                            " bytes exceed the quota headroom of " + std::to_string(headroom) +
                            (from_reservation ? " plus the reservation" : ""));
  }
  meta.reserved_bytes -= from_reserved;
  meta.used_bytes += size;
  meta.block_count += 1;
  const layout::BlockRecord block{1, size, meta.next_block_sequence++};
  plan->new_block = true;
  // Bytes, reference and leaf all append in a bulk put: only the block record is keyed by hash.
  if (journaled()) {
    if (bytes->offset == 0) bytes->data = layout::journal_record_for(bytes->data);
    const layout::JournalHeader header{id, plan->index, hash, from_reserved};
    layout::seal_journal_header(header, &bytes->data);
    plan->batch.put(layout::journal_key(block.sequence), std::move(bytes->data));
  } else {
    if (bytes->offset > 0) bytes->data.erase(0, bytes->offset);
    plan->batch.put(layout::block_bytes_key(block.sequence), std::move(bytes->data));
  }
  plan->batch.put(layout::meta_key(), layout::encode_meta(meta));
  plan->batch.put(layout::reference_key(id, block.sequence), layout::encode_reference(1));
  plan->batch.put(layout::block_record_key(hash), layout::encode_block_record(block));
  return Status();
}

Task<Result<std::string>> OverlayStore::read_block(std::string tree, uint32_t index) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("read_block"));
  const std::string where = tree + "/" + std::to_string(index);
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end() || !layout::bit_is_set(bitmap_of(it->second.id), index)) {
    co_return Status::not_found("read_block: no block at " + where);
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> hash,
                             co_await get_locked(layout::leaf_key(it->second.id, index)));
  if (!hash.has_value()) co_return Status::corruption("read_block " + where + ": leaf missing");
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> block,
                             co_await block_record_locked(*hash));
  if (!block.has_value()) {
    co_return Status::corruption("read_block " + where + ": block record " + layout::hex(*hash) +
                                 " missing");
  }
  const std::string key = bytes_key(block->sequence);
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> record, co_await get_locked(key));
  if (!record.has_value()) {
    co_return Status::corruption("read_block " + where + ": block " + layout::hex(*hash) +
                                 " missing");
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::string_view bytes, bytes_of_record(*record, key));
  if (layout::block_hash(bytes) != *hash) {
    co_return Status::corruption("read_block " + where + ": block " + layout::hex(*hash) +
                                 " fails its hash");
  }
  if (bytes.size() == record->size()) co_return std::move(*record);
  co_return std::string(bytes);
}

Task<Result<bool>> OverlayStore::has_block_content(std::string bytes) {
  std::string hash = layout::block_hash(bytes);
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> block,
                             co_await block_record_locked(hash));
  co_return block.has_value();
}

Task<Result<uint64_t>> OverlayStore::block_refcount(std::string bytes) {
  std::string hash = layout::block_hash(bytes);
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> block,
                             co_await block_record_locked(hash));
  if (!block.has_value()) co_return Status::not_found("block " + layout::hex(hash) + " not stored");
  co_return block->refcount;
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

std::optional<OverlayInfo> OverlayStore::overlay(const std::string& tree) const {
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) return std::nullopt;
  return OverlayInfo{tree, it->second.status, it->second.expiry_us,
                     layout::count_bits(bitmap_of(it->second.id))};
}

std::vector<OverlayInfo> OverlayStore::overlays() const {
  std::vector<OverlayInfo> out;
  for (const auto& [tree, record] : overlays_) {
    out.push_back(OverlayInfo{tree, record.status, record.expiry_us,
                              layout::count_bits(bitmap_of(record.id))});
  }
  return out;
}

}  // namespace tierkv
