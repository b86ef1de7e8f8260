// OverlayStore: content-addressed, refcounted blocks grouped into overlays (datasets) that
// carry an expiry and a status, with quota accounting. After the Archivist overlay design
// (../shared/seeds/003_*), minus its two reviewed failures: a put of new content costs one
// atomic batch and no read (no per-block CAS round trips), and no counter can go negative.
//
// Model:
//   - A block is stored once per distinct content (found by the SHA-256 of its bytes; the bytes
//     themselves are kept under an arrival sequence number, see overlay_layout.h). Its refcount
//     is the number of overlays referencing it (an overlay holding the same content at several
//     indices counts once; a per-overlay reference record counts its leaves).
//   - An overlay has a tree id ([A-Za-z0-9_-], 1..120 bytes), an expiry in Clock microseconds
//     (kNoExpiry = never), a status (Storing = temporary, Active, Failure, Deleting) and a
//     bitmap of the block indices it holds (stored in chunks of 1024 bits); each set bit has a
//     leaf naming the block's hash.
//   - Quota: used_bytes = bytes of stored blocks, block_count = stored blocks, reserved_bytes =
//     reserve() minus release(). A new block must fit: used + reserved + size <= quota_max.
//     A reservation is a promise of room for an upload: reserve(n) then put_block(..., true)
//     draws each new block's bytes from the reservation first (so a reserved upload cannot be
//     starved by others), release(n) returns what the upload did not use.
//
// Promises:
//   - Journaled puts (journal_puts_max > 0 at creation): the same promises hold for every call;
//     a put of new content is made durable by its one journal record and its metadata reaches
//     the backend later (with the next other write or scan); open() redoes it after a crash.
//   - put_block: the leaf, the bitmap bit, the reference count, the refcount increment (only
//     for the overlay's first leaf naming the block), the quota counters and (for new content)
//     the block bytes are one atomic backend batch, so a crash leaves all or none of them: one
//     synced write per put. (Stronger than "metadata before bytes": there is never metadata
//     without its bytes nor bytes without their metadata.) A put of new content reads nothing
//     (the block filter); of stored content, at most two small records. Re-putting the same
//     block at the same index is a no-op OK; a different block at an occupied index is Conflict.
//     A put into a Deleting or Failure overlay is Aborted; into an unknown overlay NotFound; past
//     the quota NoSpace.
//   - finalize(temp, tree): temp must be Storing. If tree does not exist, temp is renamed to tree
//     and becomes Active in one atomic batch. If tree exists (and is not Deleting), tree's
//     expiry becomes the later of the two and temp is dropped; OK either way.
//   - drop(tree): marks the overlay Deleting (one batch; later puts are refused), then phase 1
//     in batches of at most drop_batch_leaves_max leaves: clears leaves and bits, and when the
//     overlay's last leaf naming a block goes, decrements that block's refcount, atomically (a
//     block reaching 0 gets a garbage marker in the same batch); the
//     batch clearing the last leaf removes the overlay record. Phase 2 deletes the marked blocks
//     whose refcount is still 0, with their quota, one atomic batch per at most
//     gc_batch_blocks_max blocks. A drop of an unknown tree is OK (idempotent). A second drop of
//     a tree being dropped waits for the first and returns its status without doing work.
//   - maintenance(): drops overlays whose expiry <= now and finishes Deleting overlays left by a
//     crash (at most maintenance_overlays_max per call), then collects at most
//     gc_batch_blocks_max marked blocks. Call it periodically; more_pending says call again.
//   - Every batch leaves the store consistent (check_consistency() finds nothing), so a crash
//     at any point is recovered by open() alone; maintenance() then finishes interrupted drops.
//   - Counters never go negative. A decrement larger than the counter is a bug (or a corrupt
//     store): on_underflow = kAbort aborts loudly (tests), kClampAndLog clamps to 0 and logs
//     to stderr (production); underflow_count() counts them.
// Simulator use: open(backend, executor, options) (time is executor->clock()), then
//   create_overlay / put_block / finalize / drop / maintenance; check_consistency() after every
//   step or crash; quota() and overlays() for the model comparison. All calls are coroutines.
// Durability: as the backend's (with BackendOptions::sync, an OK call survives a crash).
// Thread-safety: coroutines of one Executor. One OverlayStore per Backend (it caches the meta
//   and overlay records; nothing else may write the backend). Backend calls go through
//   Executor::run_blocking one at a time under a store-wide async mutex.
// Lifetime: backend and executor outlive the store; the store outlives its calls.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/backend.h"
#include "engine/exec/async_mutex.h"
#include "engine/exec/executor.h"
#include "engine/overlay/block_filter.h"
#include "engine/overlay/overlay_layout.h"

namespace tierkv {

using overlay_layout::OverlayStatus;

inline constexpr uint64_t kNoExpiry = std::numeric_limits<uint64_t>::max();

enum class UnderflowPolicy : uint8_t { kAbort, kClampAndLog };

struct OverlayStoreOptions {
  uint64_t quota_max_bytes = std::numeric_limits<uint64_t>::max();
  uint64_t block_size_bytes_max = 4 << 20;
  uint32_t drop_batch_leaves_max = 512;
  uint32_t gc_batch_blocks_max = 256;
  uint32_t maintenance_overlays_max = 16;
  UnderflowPolicy on_underflow = UnderflowPolicy::kAbort;
  // Size of the in-memory filter of stored block hashes (block_filter.h): 16M bits = 2 MiB,
  // under 1% false positives up to ~1.5M blocks (96 GiB of 64 KiB blocks); beyond that, more
  // puts pay one lookup. REQUIRES: >= 64.
  uint64_t block_filter_bits = uint64_t{1} << 24;
  // Journaled puts (overlay_layout.h, format 4), chosen when the store is created (an existing
  // store keeps the format it was created with): 0 = off, every put writes its metadata in its
  // own batch. N > 0: a put of new content writes one journal record (bytes + redo header) and
  // its metadata is written with the next other write, at the latest with the N+1-th such put;
  // open() redoes at most that many journal records. For LSM backends (LevelDB), whose
  // compactions otherwise rewrite every block once more (see tests/bench/overlay_bench.cc).
  uint32_t journal_puts_max = 0;
  // put_blocks on a journaled store: at most this many journal-only puts (each still its own
  // synced backend put) go to the backend in one blocking call, which saves the thread hops
  // between them; the store's lock is held meanwhile, so other calls wait for at most this
  // many synced writes. REQUIRES: >= 1.
  uint32_t bulk_put_run_blocks_max = 8;
};

struct QuotaUsage {
  uint64_t used_bytes = 0;
  uint64_t reserved_bytes = 0;
  uint64_t block_count = 0;
  uint64_t max_bytes = 0;
};

struct OverlayInfo {
  std::string tree;
  OverlayStatus status = OverlayStatus::kActive;
  uint64_t expiry_us = 0;
  uint64_t block_count = 0;  // set bits
};

// What put_blocks did: blocks first_index .. first_index + stored - 1 of the call are stored.
struct PutBlocksResult {
  uint32_t stored = 0;
  // OK iff every block of the call is stored; otherwise why block first_index + stored is not.
  Status status;
};

struct MaintenanceReport {
  uint64_t overlays_dropped = 0;
  uint64_t blocks_freed = 0;
  bool more_pending = false;  // a bound was hit: call maintenance() again
};

class OverlayStore {
 public:
  // Loads the meta and overlay records (Corruption naming the record if one is bad).
  static Task<Result<std::unique_ptr<OverlayStore>>> open(Backend* backend, Executor* executor,
                                                          OverlayStoreOptions options);
  OverlayStore(const OverlayStore&) = delete;
  OverlayStore& operator=(const OverlayStore&) = delete;

  // Creates an overlay (Storing if temporary, else Active). An existing non-Deleting overlay
  // keeps its status and gets the later expiry (OK); a Deleting one is Aborted.
  Task<Status> create_overlay(std::string tree, uint64_t expiry_us, bool temporary);
  // from_reservation: a new block's bytes come out of reserved_bytes first (see Quota above).
  Task<Status> put_block(std::string tree, uint32_t index, std::string bytes,
                         bool from_reservation = false);
  // Bulk upload: puts blocks[k] at first_index + k for k = 0, 1, ... in that order, each as
  // put_block(tree, first_index + k, blocks[k], from_reservation) would (same checks, errors
  // and records; its own atomic, synced backend write; durable once it counts as stored).
  // Up to `depth` groups of blocks are in flight at once: while some blocks' writes are in the
  // backend, the next ones are hashed and copied into their journal records, so a lone uploader
  // overlaps the SHA-256 with the synced writes. On a journaled store, consecutive puts of new
  // content go to the backend as one blocking call of at most bulk_put_run_blocks_max synced
  // puts (no thread hop between them; other calls wait for the store's lock meanwhile). The
  // writes reach the backend one at a time, in index order; other calls may run between two
  // groups. On the first failure no further block is written (blocks already in flight end
  // without writing): the result's stored blocks are always a prefix of the call's blocks,
  // and status is the error of the first block not stored. A crash during the call likewise
  // leaves a prefix stored (each block whole or absent; open() recovers it). Bad arguments (a
  // bad tree id, an index past kBlockIndexMax - 1, a block over block_size_bytes_max) are
  // InvalidArgument naming the block, with stored = 0 and nothing written.
  // REQUIRES: depth >= 1.
  Task<PutBlocksResult> put_blocks(std::string tree, uint32_t first_index,
                                   std::vector<std::string> blocks, bool from_reservation = false,
                                   uint32_t depth = 2);
  // The bytes at tree/index, or NotFound.
  Task<Result<std::string>> read_block(std::string tree, uint32_t index);
  Task<Status> set_expiry(std::string tree, uint64_t expiry_us);
  Task<Status> mark_failed(std::string tree);
  Task<Status> finalize(std::string temp_tree, std::string tree);
  Task<Status> drop(std::string tree);
  Task<Result<MaintenanceReport>> maintenance();
  // NoSpace if used + reserved + bytes > quota_max.
  Task<Status> reserve(uint64_t bytes);
  // InvalidArgument (nothing changed) if bytes > reserved.
  Task<Status> release(uint64_t bytes);
  // Every violated invariant, one message each (empty = consistent). Scans the whole store.
  Task<Result<std::vector<std::string>>> check_consistency();

  QuotaUsage quota() const;
  std::optional<OverlayInfo> overlay(const std::string& tree) const;
  std::vector<OverlayInfo> overlays() const;  // ascending tree id
  uint64_t underflow_count() const { return underflow_count_; }
  // Whether the block with this content is stored.
  Task<Result<bool>> has_block_content(std::string bytes);
  // The refcount of the block with this content (overlays referencing it), or NotFound.
  Task<Result<uint64_t>> block_refcount(std::string bytes);

 private:
  struct DropState;
  using OverlayMap = std::map<std::string, overlay_layout::OverlayRecord, std::less<>>;

  OverlayStore(Backend* backend, Executor* executor, OverlayStoreOptions options);

  // Backend access; REQUIRE mutex_ held.
  Task<Result<std::optional<std::string>>> get_locked(std::string key);
  Task<Result<std::vector<KeyValue>>> scan_locked(std::string prefix, size_t limit);
  // Writes batch, preceded in the same atomic write by any pending (journaled) metadata.
  Task<Status> commit_locked(WriteBatch batch);
  // Writes the pending metadata of journaled puts, if any (one atomic batch).
  Task<Status> flush_pending_locked();
  // Redoes the journal records at or above meta_.next_block_sequence (format 4) into pending_.
  Task<Status> replay_journal_locked();
  // The key of the record holding the bytes of the block stored at sequence (per the format).
  std::string bytes_key(uint64_t sequence) const;
  // The block's bytes in a record read from bytes_key(); Corruption if the record is bad.
  Result<std::string_view> bytes_of_record(std::string_view record, std::string_view key) const;
  bool journaled() const { return meta_.format == overlay_layout::kFormatJournaled; }
  Task<Status> load_locked();
  Task<Result<std::optional<overlay_layout::BlockRecord>>> block_record_locked(std::string hash);
  // A block's bytes as a put carries them. On a journaled store prepare_block copies them
  // once, before the store's lock (off the path between two synced writes), behind room for
  // the journal header; plan_new_block fills the header in and moves the string into the batch.
  struct BlockBytes {
    std::string data;
    size_t offset = 0;  // where the block's bytes start in data: 0 or kJournalHeaderBytes
    std::string_view view() const { return std::string_view(data).substr(offset); }
  };
  BlockBytes prepare_block(std::string bytes) const;
  // What one put adds to a batch, decided before anything is written.
  struct PutPlan {
    uint32_t index = 0;
    WriteBatch batch;  // for new content, its first op is the bytes (or journal) record
    overlay_layout::MetaRecord meta;
    bool new_block = false;
  };
  // InvalidArgument naming the block (for call) if a put of size_bytes at tree/index is refused
  // before it reaches the store.
  Status check_put_arguments(const std::string& tree, uint32_t index, size_t size_bytes,
                             std::string_view call) const;
  Task<Status> put_block_locked(std::string tree, uint32_t index, std::string hash,
                                BlockBytes bytes, bool from_reservation);
  // Adds the reference of overlay id to block hash (and the block itself if new) to *plan.
  Task<Status> plan_reference_locked(uint64_t id, std::string hash, BlockBytes bytes,
                                     bool from_reservation, std::string where, PutPlan* plan);
  // New content: the block (bytes, record, quota) and overlay id's first reference to *plan.
  // Consumes *bytes only when it returns OK.
  Status plan_new_block(uint64_t id, std::string hash, BlockBytes* bytes, bool from_reservation,
                        const std::string& where, PutPlan* plan) const;
  // Adds the leaf naming hash at index of overlay id and its bitmap chunk (bit set) to *plan.
  void plan_leaf(uint64_t id, uint32_t index, const std::string& hash, PutPlan* plan) const;
  // A journal-only put of new content, planned: its journal record is plan.batch's first op.
  struct JournalPut {
    uint64_t id = 0;  // the overlay's
    std::string hash;
    PutPlan plan;
  };
  // Writes the journal records of puts in order, each its own synced backend put, all in one
  // blocking call, stopping at the first failure; *written counts the stored ones, whose
  // metadata waits in pending_ (defer_metadata) and whose effects reach the caches (apply_put).
  // A failure drops the caches: the reload redoes every durable journal record.
  // REQUIRES: pending_puts_ + puts.size() <= journal_puts_max.
  Task<Status> write_journal_puts_locked(std::vector<JournalPut> puts, size_t* written);
  // put_blocks internals (overlay_bulk_put.cc).
  struct BulkPut;
  // A block of a put_blocks call made ready before the lock.
  struct ReadyBlock {
    uint32_t index = 0;
    std::string hash;
    BlockBytes bytes;
  };
  // Takes the call's next blocks until none is left or one failed; see put_blocks.
  Task<void> bulk_put_worker(std::shared_ptr<BulkPut> bulk);
  // Puts (*blocks)[*done..] of tree as far as one step gets: a run of journal-only puts in one
  // blocking call, else the next block alone (put_block_locked). Adds the stored ones to *done.
  Task<Status> put_ready_locked(std::string tree, std::vector<ReadyBlock>* blocks, size_t* done,
                                bool from_reservation);
  // The longest run of (*blocks)[from..] that can be journal-only puts of new content into
  // tree, planned in order (each plan's meta and bitmap chunk include the run's earlier blocks;
  // the caches are left as they were). Empty if the next block needs the ordinary path.
  std::vector<JournalPut> plan_journal_run(const std::string& tree, std::vector<ReadyBlock>* blocks,
                                           size_t from, bool from_reservation);
  // A journaled put whose journal record (batch's first op) is durable: the rest of its batch,
  // its metadata, waits in pending_.
  void defer_metadata(const WriteBatch& batch);
  // The caches (meta, bitmap, block filter) after the put planned in plan took effect.
  void apply_put(uint64_t id, uint32_t index, const std::string& hash, const PutPlan& plan);
  // Leaves of overlay id naming the block stored at sequence (0 if none).
  Task<Result<uint64_t>> references_locked(uint64_t id, uint64_t sequence);
  // Puts (or removes, when empty) the chunk of bitmap holding chunk into batch.
  static void put_chunk(WriteBatch* batch, uint64_t id, const std::string& bitmap, uint32_t chunk);
  const std::string& bitmap_of(uint64_t id) const;
  Task<Status> write_overlay_locked(std::string tree, overlay_layout::OverlayRecord record);

  // Drop internals (overlay_drop.cc).
  Task<Status> drop_work(std::string tree);
  Task<Result<bool>> mark_deleting(std::string tree);
  // One phase-1 batch; sets *done when the overlay record is gone.
  Task<Status> drop_leaves_batch(std::string tree, std::vector<std::string>* zeroed, bool* done);
  // Removes `leaves` leaves of overlay id naming the block at sequence (hash) from its reference
  // record (in *batch); 1 if that was the overlay's last leaf naming the block (its refcount
  // drops by one), else 0.
  Task<Result<uint64_t>> drop_reference_locked(uint64_t id, uint64_t sequence, std::string hash,
                                               uint64_t leaves, WriteBatch* batch);
  Task<Result<uint64_t>> collect_garbage(std::vector<std::string> hashes);
  Task<Result<std::vector<std::string>>> marked_garbage(size_t limit);
  std::vector<std::string> maintenance_candidates(uint64_t now_us, bool* more) const;

  // Consistency checker internals (overlay_check.cc).
  Task<Status> check_locked(std::vector<std::string>* problems);

  // value - delta, or (underflow) the on_underflow policy applied and 0.
  uint64_t checked_sub(uint64_t value, uint64_t delta, const std::string& what);

  Backend* backend_;
  Executor* executor_;
  OverlayStoreOptions options_;
  AsyncMutex mutex_;
  bool loaded_ = false;  // false after a failed commit: reload before trusting the cache
  overlay_layout::MetaRecord meta_;
  OverlayMap overlays_;
  std::map<uint64_t, std::string> bitmaps_;  // overlay id -> bitmap (no entry = empty)
  // Journaled puts' metadata not yet written (key -> value, nullopt = remove); get_locked reads
  // through it, scans write it first. Its puts are in the journal, so losing it loses nothing.
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;
  uint32_t pending_puts_ = 0;
  BlockFilter block_filter_;                 // every stored block's hash (rebuilt by load_locked)
  std::map<std::string, std::shared_ptr<DropState>, std::less<>> dropping_;
  uint64_t underflow_count_ = 0;
};

// InvalidArgument naming the rule if tree is not a valid tree id.
Status validate_tree_id(std::string_view tree);

}  // namespace tierkv
