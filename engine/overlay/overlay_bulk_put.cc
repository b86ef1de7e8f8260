// OverlayStore::put_blocks: one uploader's blocks with up to `depth` puts in flight.
//
// `depth` workers (coroutines of the store's executor) take the call's blocks a few at a time,
// hash them and copy them into their journal records before the store's mutex, then put them
// under it: on a journaled store a run of journal-only puts of new content goes to the backend
// in one blocking call (one synced put per block, no thread hop between them), anything else
// (stored content, an occupied index, a full journal, a refusal) goes through put_block_locked
// as put_block would. A worker takes its blocks and queues on the mutex without suspending in
// between, and the mutex is FIFO, so the blocks reach the backend in index order. After its
// writes a worker that handed the mutex to the next worker yields before hashing again: the
// next writes start first, and this worker's hashing overlaps them (without the yield the loop
// thread would hash before the next write could start, and nothing would overlap).
#include <algorithm>
#include <cassert>
#include <memory>
#include <utility>

#include "engine/overlay/overlay_store.h"

namespace tierkv {

namespace layout = overlay_layout;

// Shared by put_blocks and its workers. put_blocks waits for the workers without owning it (a
// worker abandoned by its executor must not keep the caller's frame alive through it), so the
// last worker copies the result out before it resumes the caller.
struct OverlayStore::BulkPut {
  std::string tree;
  uint32_t first_index = 0;
  std::vector<std::string> blocks;  // a block is moved out when a worker takes it
  bool from_reservation = false;
  size_t next = 0;      // the next block a worker takes
  uint32_t stored = 0;  // the stored prefix
  Status status;        // the first failure; no block is written after it
  uint32_t workers_running = 0;
  PutBlocksResult* result = nullptr;  // where the last worker leaves the result
  UniqueFunction resume_caller;       // set while put_blocks waits for the workers
};

Task<PutBlocksResult> OverlayStore::put_blocks(std::string tree, uint32_t first_index,
                                               std::vector<std::string> blocks,
                                               bool from_reservation, uint32_t depth) {
  assert(depth >= 1);
  PutBlocksResult result;
  result.status = validate_tree_id(tree).with_context("put_blocks");
  const uint64_t end_index = uint64_t{first_index} + blocks.size();
  if (result.status.ok() && end_index > layout::kBlockIndexMax) {
    result.status =
        Status::invalid_argument("put_blocks: indices " + std::to_string(first_index) + ".." +
                                 std::to_string(end_index - 1) + " of " + tree +
                                 " exceed the limit " + std::to_string(layout::kBlockIndexMax - 1));
  }
  for (size_t k = 0; k < blocks.size() && result.status.ok(); ++k) {
    result.status = check_put_arguments(tree, first_index + static_cast<uint32_t>(k),
                                        blocks[k].size(), "put_blocks");
  }
  if (!result.status.ok()) co_return result;
  if (blocks.empty()) co_return result;
  auto bulk = std::make_shared<BulkPut>();
  bulk->tree = std::move(tree);
  bulk->first_index = first_index;
  bulk->blocks = std::move(blocks);
  bulk->from_reservation = from_reservation;
  bulk->result = &result;
  bulk->workers_running = static_cast<uint32_t>(std::min<size_t>(depth, bulk->blocks.size()));
  for (uint32_t w = 0; w < bulk->workers_running; ++w) executor_->spawn(bulk_put_worker(bulk));
  BulkPut* waiting = bulk.get();  // a pointer: see the co_await rule in engine/exec/task.h
  bulk.reset();                   // the workers own it now
  co_await suspend_until_resumed(
      [waiting](UniqueFunction resume) { waiting->resume_caller = std::move(resume); });
  co_return result;
}

Task<void> OverlayStore::bulk_put_worker(std::shared_ptr<BulkPut> bulk) {
  while (bulk->next < bulk->blocks.size() && bulk->status.ok()) {
    // The next blocks, made ready before the lock (CPU work needs no mutex): 1, 1, 2, 3, ...
    // up to bulk_put_run_blocks_max, so the first write starts after one hash, not a run's.
    const size_t first = bulk->next;
    const size_t count =
        std::min({std::max<size_t>(first, 1), size_t{options_.bulk_put_run_blocks_max},
                  bulk->blocks.size() - first});
    bulk->next += count;
    std::vector<ReadyBlock> ready;
    ready.reserve(count);
    for (size_t k = first; k < first + count; ++k) {
      std::string bytes = std::move(bulk->blocks[k]);
      std::string hash = layout::block_hash(bytes);
      ready.push_back(ReadyBlock{bulk->first_index + static_cast<uint32_t>(k), std::move(hash),
                                 prepare_block(std::move(bytes))});
    }
    AsyncMutexGuard guard = co_await mutex_.lock_guard();
    if (!bulk->status.ok()) break;  // an earlier block failed: these do not start
    assert(bulk->stored == first);  // FIFO mutex: blocks are written in index order
    size_t done = 0;
    Status status;
    while (status.ok() && done < ready.size()) {
      status = co_await load_locked();
      if (status.ok()) {
        status = co_await put_ready_locked(bulk->tree, &ready, &done, bulk->from_reservation);
      }
    }
    bulk->stored += static_cast<uint32_t>(done);
    if (!status.ok()) bulk->status = std::move(status);
    guard.unlock();
    // The mutex went to a waiter (another worker's next blocks): let its write start first.
    if (mutex_.locked()) co_await executor_->yield();
  }
  if (--bulk->workers_running == 0) {
    assert(bulk->resume_caller);  // workers start only once put_blocks waits
    *bulk->result = PutBlocksResult{bulk->stored, bulk->status};
    bulk->resume_caller();
  }
}

Task<Status> OverlayStore::put_ready_locked(std::string tree, std::vector<ReadyBlock>* blocks,
                                            size_t* done, bool from_reservation) {
  std::vector<JournalPut> run = plan_journal_run(tree, blocks, *done, from_reservation);
  if (run.empty()) {
    ReadyBlock& block = (*blocks)[*done];
    TIERKV_CO_RETURN_IF_ERROR(co_await put_block_locked(std::move(tree), block.index,
                                                        std::move(block.hash),
                                                        std::move(block.bytes), from_reservation));
    *done += 1;
    co_return Status();
  }
  size_t written = 0;
  Status status = co_await write_journal_puts_locked(std::move(run), &written);
  *done += written;
  co_return status;
}

std::vector<OverlayStore::JournalPut> OverlayStore::plan_journal_run(
    const std::string& tree, std::vector<ReadyBlock>* blocks, size_t from, bool from_reservation) {
  std::vector<JournalPut> run;
  auto it = overlays_.find(tree);
  if (!journaled() || it == overlays_.end() || it->second.status == OverlayStatus::kDeleting ||
      it->second.status == OverlayStatus::kFailure) {
    return run;  // the ordinary path refuses or handles it
  }
  const uint64_t id = it->second.id;
  const bool had_bitmap = bitmaps_.contains(id);
  layout::MetaRecord meta = meta_;
  // Stops before a block the ordinary path must put: an occupied index, content that may be
  // stored (or repeats the run's), a quota refusal, a full journal.
  for (size_t k = from;
       k < blocks->size() && pending_puts_ + run.size() < options_.journal_puts_max; ++k) {
    ReadyBlock& block = (*blocks)[k];
    if (layout::bit_is_set(bitmap_of(id), block.index) || block_filter_.may_contain(block.hash) ||
        std::any_of(run.begin(), run.end(),
                    [&](const JournalPut& put) { return put.hash == block.hash; })) {
      break;
    }
    PutPlan plan;
    plan.index = block.index;
    plan.meta = meta;
    const std::string where = tree + "/" + std::to_string(block.index);
    if (!plan_new_block(id, block.hash, &block.bytes, from_reservation, where, &plan).ok()) break;
    plan_leaf(id, block.index, block.hash, &plan);
    layout::set_bit(&bitmaps_[id], block.index);  // the next block's chunk holds this bit
    meta = plan.meta;
    run.push_back(JournalPut{id, block.hash, std::move(plan)});
  }
  // The bits return as each write succeeds (apply_put): the caches show stored blocks only.
  for (const JournalPut& put : run) layout::clear_bit(&bitmaps_[id], put.plan.index);
  if (!had_bitmap) bitmaps_.erase(id);
  return run;
}

}  // namespace tierkv
