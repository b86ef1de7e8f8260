// OverlayStore::put_blocks: one uploader's blocks with up to `depth` puts in flight.
//
// Each block is put by one of `depth` workers (coroutines of the store's executor) exactly as
// put_block puts it: hash before the store's mutex, then put_block_locked under it. A worker
// takes the next block and queues on the mutex without suspending in between, and the mutex
// is FIFO, so the blocks reach the backend in index order. After its write a worker that
// handed the mutex to the next block yields before hashing again: the next block's write
// starts first, and this worker's hashing overlaps it (without the yield the loop thread
// would hash before the next write could start, and nothing would overlap).
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
  size_t next = 0;              // the next block a worker takes
  uint32_t stored = 0;          // the stored prefix
  Status status;                // the first failure; no block is written after it
  uint32_t workers_running = 0;
  PutBlocksResult* result = nullptr;  // where the last worker leaves the result
  UniqueFunction resume_caller;        // set while put_blocks waits for the workers
};

Task<PutBlocksResult> OverlayStore::put_blocks(std::string tree, uint32_t first_index,
                                               std::vector<std::string> blocks,
                                               bool from_reservation, uint32_t depth) {
  assert(depth >= 1);
  PutBlocksResult result;
  result.status = validate_tree_id(tree).with_context("put_blocks");
  const uint64_t end_index = uint64_t{first_index} + blocks.size();
  if (result.status.ok() && end_index > layout::kBlockIndexMax) {
    result.status = Status::invalid_argument(
        "put_blocks: indices " + std::to_string(first_index) + ".." +
        std::to_string(end_index - 1) + " of " + tree + " exceed the limit " +
        std::to_string(layout::kBlockIndexMax - 1));
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
    const size_t k = bulk->next++;
    const uint32_t index = bulk->first_index + static_cast<uint32_t>(k);
    std::string bytes = std::move(bulk->blocks[k]);
    // Before the lock: CPU work needs no mutex.
    std::string hash = layout::block_hash(bytes);
    BlockBytes block = prepare_block(std::move(bytes));
    {
      AsyncMutexGuard guard = co_await mutex_.lock_guard();
      if (!bulk->status.ok()) break;  // an earlier block failed: this one does not start
      assert(bulk->stored == k);      // FIFO mutex: blocks are written in index order
      Status status = co_await load_locked();
      if (status.ok()) {
        status = co_await put_block_locked(bulk->tree, index, std::move(hash), std::move(block),
                                           bulk->from_reservation);
      }
      if (status.ok()) {
        bulk->stored += 1;
      } else {
        bulk->status = std::move(status);
      }
    }
    // The mutex went to a waiter (another worker's next block): let its write start first.
    if (mutex_.locked()) co_await executor_->yield();
  }
  if (--bulk->workers_running == 0) {
    assert(bulk->resume_caller);  // workers start only once put_blocks waits
    *bulk->result = PutBlocksResult{bulk->stored, bulk->status};
    bulk->resume_caller();
  }
}

}  // namespace tierkv
