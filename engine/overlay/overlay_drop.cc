// OverlayStore: drop (two phases), garbage collection, maintenance and finalize.
#include <algorithm>
#include <cassert>
#include <set>
#include <utility>

#include "engine/overlay/overlay_store.h"

namespace tierkv {

namespace layout = overlay_layout;

// A drop in progress: later drop() calls of the same tree wait here for its status.
struct OverlayStore::DropState {
  std::vector<UniqueFunction> waiters;
  std::optional<Status> result;
};

Task<Status> OverlayStore::drop(std::string tree) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("drop"));
  auto running = dropping_.find(tree);
  if (running != dropping_.end()) {
    std::shared_ptr<DropState> state = running->second;  // our frame keeps it alive
    // A named callable capturing a raw pointer: g++ 12 destroys a capturing lambda temporary
    // in a co_await expression twice.
    auto wait_for_first = [raw = state.get()](UniqueFunction resume) {
      raw->waiters.push_back(std::move(resume));
    };
    co_await suspend_until_resumed(std::move(wait_for_first));
    assert(state->result.has_value());
    co_return *state->result;
  }
  auto state = std::make_shared<DropState>();
  dropping_.emplace(tree, state);
  Status status = co_await drop_work(tree);
  state->result = status;
  dropping_.erase(tree);
  std::vector<UniqueFunction> waiters = std::exchange(state->waiters, {});
  for (UniqueFunction& resume : waiters) resume();
  co_return status.with_context("drop of overlay " + tree);
}

Task<Status> OverlayStore::drop_work(std::string tree) {
  TIERKV_CO_ASSIGN_OR_RETURN(bool exists, co_await mark_deleting(tree));
  if (!exists) co_return Status();
  std::vector<std::string> zeroed;
  bool done = false;
  while (!done) {  // bounded: every batch clears at least one leaf or removes the record
    TIERKV_CO_RETURN_IF_ERROR(co_await drop_leaves_batch(tree, &zeroed, &done));
  }
  TIERKV_CO_ASSIGN_OR_RETURN(uint64_t freed, co_await collect_garbage(std::move(zeroed)));
  (void)freed;
  co_return Status();
}

Task<Result<bool>> OverlayStore::mark_deleting(std::string tree) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) co_return false;
  if (it->second.status == OverlayStatus::kDeleting) co_return true;  // resumed after a crash
  layout::OverlayRecord record = it->second;
  record.status = OverlayStatus::kDeleting;
  TIERKV_CO_RETURN_IF_ERROR(co_await write_overlay_locked(tree, std::move(record)));
  co_return true;
}

Task<Status> OverlayStore::drop_leaves_batch(std::string tree, std::vector<std::string>* zeroed,
                                             bool* done) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  auto it = overlays_.find(tree);
  if (it == overlays_.end()) {
    *done = true;
    co_return Status();
  }
  const layout::OverlayRecord record = it->second;
  assert(record.status == OverlayStatus::kDeleting);
  WriteBatch batch;
  std::string bitmap = bitmap_of(record.id);
  std::map<std::string, uint64_t> dropped_leaves;  // hash -> leaves of this batch naming it
  std::set<uint32_t> chunks;
  for (uint32_t index : layout::set_bits(bitmap, options_.drop_batch_leaves_max)) {
    const std::string leaf = layout::leaf_key(record.id, index);
    TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> hash, co_await get_locked(leaf));
    if (hash.has_value()) dropped_leaves[*hash] += 1;
    batch.remove(leaf);
    layout::clear_bit(&bitmap, index);
    chunks.insert(layout::chunk_of(index));
  }
  for (uint32_t chunk : chunks) put_chunk(&batch, record.id, bitmap, chunk);
  for (const auto& [hash, leaves] : dropped_leaves) {
    // The block record names the sequence the overlay's reference is keyed by.
    TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> block,
                               co_await block_record_locked(hash));
    const std::string what = "refcount of block " + layout::hex(hash);
    if (!block.has_value()) {  // leaves name a block that is not stored: a corrupt store
      checked_sub(0, 1, what + " (record missing)");
      continue;
    }
    TIERKV_CO_ASSIGN_OR_RETURN(
        uint64_t count,
        co_await drop_reference_locked(record.id, block->sequence, hash, leaves, &batch));
    // The overlay may still name the block at another index: then its refcount stays.
    if (count == 0) {
      continue;
    }
    block->refcount = checked_sub(block->refcount, count, what);
    if (block->refcount == 0) {
      batch.put(layout::garbage_key(hash), "");
      zeroed->push_back(hash);
    }
    batch.put(layout::block_record_key(hash), layout::encode_block_record(*block));
  }
  *done = bitmap.empty();
  if (*done) batch.remove(layout::overlay_key(tree));
  TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
  if (*done) {
    overlays_.erase(tree);
    bitmaps_.erase(record.id);
  } else {
    bitmaps_[record.id] = std::move(bitmap);
  }
  co_return Status();
}

Task<Result<uint64_t>> OverlayStore::drop_reference_locked(uint64_t id, uint64_t sequence,
                                                           std::string hash, uint64_t leaves,
                                                           WriteBatch* batch) {
  const std::string reference = layout::reference_key(id, sequence);
  TIERKV_CO_ASSIGN_OR_RETURN(uint64_t named, co_await references_locked(id, sequence));
  const uint64_t remaining = checked_sub(
      named, leaves,
      "leaves of overlay id " + std::to_string(id) + " naming block " + layout::hex(hash));
  if (remaining > 0) {
    batch->put(reference, layout::encode_reference(remaining));
    co_return uint64_t{0};
  }
  batch->remove(reference);
  co_return uint64_t{1};
}

Task<Result<uint64_t>> OverlayStore::collect_garbage(std::vector<std::string> hashes) {
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  uint64_t freed = 0;
  for (size_t start = 0; start < hashes.size(); start += options_.gc_batch_blocks_max) {
    const size_t end = std::min(hashes.size(), start + options_.gc_batch_blocks_max);
    AsyncMutexGuard guard = co_await mutex_.lock_guard();
    TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
    WriteBatch batch;
    layout::MetaRecord meta = meta_;
    uint64_t batch_freed = 0;
    for (size_t i = start; i < end; ++i) {
      const std::string& hash = hashes[i];
      TIERKV_CO_ASSIGN_OR_RETURN(std::optional<layout::BlockRecord> block,
                                 co_await block_record_locked(hash));
      batch.remove(layout::garbage_key(hash));
      if (!block.has_value() || block->refcount != 0) continue;  // stale marker or revived
      batch.remove(bytes_key(block->sequence));
      batch.remove(layout::block_record_key(hash));
      meta.used_bytes = checked_sub(meta.used_bytes, block->size_bytes, "quota used bytes");
      meta.block_count = checked_sub(meta.block_count, 1, "quota block count");
      ++batch_freed;
    }
    if (meta != meta_) batch.put(layout::meta_key(), layout::encode_meta(meta));
    TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
    meta_ = meta;
    freed += batch_freed;
  }
  co_return freed;
}

Task<Result<std::vector<std::string>>> OverlayStore::marked_garbage(size_t limit) {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  TIERKV_CO_ASSIGN_OR_RETURN(std::vector<KeyValue> rows,
                             co_await scan_locked(layout::garbage_prefix(), limit));
  std::vector<std::string> hashes;
  for (const KeyValue& row : rows) hashes.emplace_back(layout::key_suffix(row.key));
  co_return hashes;
}

std::vector<std::string> OverlayStore::maintenance_candidates(uint64_t now_us, bool* more) const {
  std::vector<std::string> trees;
  for (const auto& [tree, record] : overlays_) {  // std::map: a deterministic order
    const bool interrupted = record.status == OverlayStatus::kDeleting && !dropping_.contains(tree);
    const bool expired = record.status != OverlayStatus::kDeleting && record.expiry_us <= now_us;
    if (!interrupted && !expired) continue;
    if (trees.size() == options_.maintenance_overlays_max) {
      *more = true;
      break;
    }
    trees.push_back(tree);
  }
  return trees;
}

Task<Result<MaintenanceReport>> OverlayStore::maintenance() {
  MaintenanceReport report;
  std::vector<std::string> trees;
  {
    AsyncMutexGuard guard = co_await mutex_.lock_guard();
    TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
    trees = maintenance_candidates(executor_->clock().now_us(), &report.more_pending);
  }
  for (const std::string& tree : trees) {
    TIERKV_CO_RETURN_IF_ERROR((co_await drop(tree)).with_context("maintenance"));
    ++report.overlays_dropped;
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::vector<std::string> garbage,
                             co_await marked_garbage(options_.gc_batch_blocks_max + 1));
  if (garbage.size() > options_.gc_batch_blocks_max) {
    report.more_pending = true;
    garbage.resize(options_.gc_batch_blocks_max);
  }
  TIERKV_CO_ASSIGN_OR_RETURN(report.blocks_freed, co_await collect_garbage(std::move(garbage)));
  co_return report;
}

Task<Status> OverlayStore::finalize(std::string temp_tree, std::string tree) {
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(temp_tree).with_context("finalize"));
  TIERKV_CO_RETURN_IF_ERROR(validate_tree_id(tree).with_context("finalize"));
  const std::string what = "finalize " + temp_tree + " -> " + tree;
  if (temp_tree == tree) co_return Status::invalid_argument(what + ": same tree id");
  {
    AsyncMutexGuard guard = co_await mutex_.lock_guard();
    TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
    auto temp = overlays_.find(temp_tree);
    if (temp == overlays_.end()) co_return Status::not_found(what + ": no overlay " + temp_tree);
    if (temp->second.status != OverlayStatus::kStoring) {
      co_return Status::aborted(what + ": " + temp_tree + " is " +
                                std::string(layout::overlay_status_name(temp->second.status)) +
                                ", not Storing");
    }
    auto dest = overlays_.find(tree);
    if (dest == overlays_.end()) {
      layout::OverlayRecord record = temp->second;
      record.status = OverlayStatus::kActive;
      WriteBatch batch;  // the atomic move: one batch renames the record, leaves stay by id
      batch.remove(layout::overlay_key(temp_tree));
      batch.put(layout::overlay_key(tree), layout::encode_overlay(record));
      TIERKV_CO_RETURN_IF_ERROR(co_await commit_locked(std::move(batch)));
      overlays_.erase(temp_tree);
      overlays_[tree] = std::move(record);
      co_return Status();
    }
    if (dest->second.status == OverlayStatus::kDeleting) {
      co_return Status::aborted(what + ": destination is being deleted");
    }
    if (dest->second.expiry_us < temp->second.expiry_us) {
      layout::OverlayRecord record = dest->second;
      record.expiry_us = temp->second.expiry_us;
      TIERKV_CO_RETURN_IF_ERROR(co_await write_overlay_locked(tree, std::move(record)));
    }
  }
  // The destination already holds the tree: the temporary copy is redundant.
  co_return co_await drop(temp_tree);
}

}  // namespace tierkv
