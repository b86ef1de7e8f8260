// BackendKvStore: the KvStore contract (engine/core/kv_store.h) over any ordered byte map
// (Backend): memory, LevelDB, SQLite, LMDB, a VersionedStore or a HybridStore.
//
// Storage layout: engine/tier/backend_layout.h (data records, a creation index, one sequence
// counter; every mutation is one atomic Backend::write of all three).
//
// Promises:
//   - Keys and namespaces are validated before any I/O (InvalidArgument naming the rule).
//   - Call order: write()/remove() take the key's call sequence synchronously when called and
//     then return the coroutine doing the work; that coroutine serialises on the key's lock and
//     skips (returns OK without applying) an operation older than one already completed on
//     that key. compare_and_swap/write_atomic are never skipped (they are conditional), but
//     their completion makes older pending writes of their keys stale.
//   - list() returns the namespace pair's keys in ascending key order. list_page() returns
//     them newest-created first (an update keeps a key's place; remove + re-create moves it to
//     the front), at most kListPageSizeMax per page; the union of a page walk's pages equals
//     list() when nothing changes meanwhile, and a walk never returns a key twice even under
//     concurrent writes and removes (each key has one index entry; the cursor only moves to
//     older entries).
//   - Record versions (read_versioned, compare_and_swap) come from a store-wide counter, so a
//     key's version grows with every change, also across remove + re-create (no ABA).
//   - remove(lazy): lazy is accepted and ignored: every removal is as durable as a write
//     (BackendOptions::sync of the backend decides).
// Durability: as the backend's (an OK write survives a crash iff the backend syncs).
// Thread-safety: coroutines of one Executor. Backend calls go through run_blocking, one at a
// time (a store-wide async mutex), as Backend requires.
// Group commit: plain writes and removes that arrive while one of them waits for the backend
// join it, and the group is applied as ONE atomic backend write (one sync when the backend
// syncs); each member then reports the group's outcome. A lone writer is never delayed.
// Lifetime: backend and executor must outlive the store; the store must outlive its calls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/backends/backend.h"
#include "engine/core/kv_store.h"
#include "engine/exec/async_mutex.h"
#include "engine/exec/executor.h"
#include "engine/exec/key_lock_table.h"
#include "engine/tier/backend_layout.h"
#include "engine/tier/call_order.h"

namespace tierkv {

class BackendKvStore final : public KvStore {
 public:
  BackendKvStore(Backend& backend, Executor& executor);
  BackendKvStore(const BackendKvStore&) = delete;
  BackendKvStore& operator=(const BackendKvStore&) = delete;

  Task<Result<std::string>> read(StoreKey key) override;
  // Not coroutines: they take the call sequence now and return the work.
  Task<Status> write(StoreKey key, std::string value) override;
  Task<Status> remove(StoreKey key, bool lazy) override;
  Task<Result<std::vector<std::string>>> list(std::string primary_namespace,
                                              std::string secondary_namespace) override;
  Task<Result<ListPage>> list_page(std::string primary_namespace, std::string secondary_namespace,
                                   std::optional<std::string> page_token) override;
  Task<Result<VersionedValue>> read_versioned(StoreKey key) override;
  Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected_version,
                                          std::string value) override;
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override;
  Task<Result<std::vector<NamespacePair>>> list_namespaces() override;

  // For tests: keys with a held or awaited lock / a pending call. Both 0 when idle.
  size_t lock_table_size() const { return locks_.size(); }
  size_t pending_call_keys() const { return call_order_.size(); }
  // Operations skipped because a newer one on the same key had completed.
  uint64_t stale_skipped() const { return stale_skipped_; }

 private:
  // One mutation of one key inside an atomic batch: value set = put, nullopt = remove.
  // expected_version set: applied only if the key's record version (0 = absent) equals it.
  struct Mutation {
    StoreKey key;
    std::optional<std::string> value;
    std::optional<uint64_t> expected_version;
  };
  // What apply_locked did: the record version given to the puts, or (nothing written) the keys
  // whose version check failed, each with the version found.
  struct Applied {
    uint64_t version = 0;
    std::vector<std::pair<StoreKey, uint64_t>> conflicts;
  };

  Task<Status> write_ordered(StoreKey key, std::optional<std::string> value,
                             CallOrder::Ticket ticket);
  // Applies mutation in the next group commit: the first caller while nobody waits for the
  // backend leads (waits for backend_mutex_, then applies every member's mutation in one
  // apply_locked); later callers join its group and wait for its outcome.
  // REQUIRES: the caller holds mutation.key's lock (so a group's keys are distinct); no
  // version check; the caller awaits the task at once (mutation is referenced, and moved from
  // once the group is applied).
  Task<Status> apply_grouped(Mutation& mutation);
  // Reads key's record; nullopt if absent. REQUIRES: backend_mutex_ held; the caller awaits the
  // task at once (key is referenced, not copied). Not a coroutine: it returns the blocking call
  // itself (one frame less per read).
  Task<Result<std::optional<backend_layout::DataRecord>>> get_record_locked(const StoreKey& key);
  // Checks the mutations' expected versions, reads each key's current record and writes them
  // all as one atomic backend write, in ONE run_blocking hop: a read-modify-write costs the
  // thread-pool round trip a bare backend put costs. Nothing is written if a check fails.
  // REQUIRES: backend_mutex_ held (nothing else touches the backend between the read and the
  // write), keys distinct; the caller awaits the task at once (mutations is referenced; the
  // values are moved from). Not a coroutine, as get_record_locked.
  Task<Result<Applied>> apply_locked(std::vector<Mutation>& mutations);
  // The blocking halves: run only inside run_blocking, backend_mutex_ held.
  Result<std::optional<backend_layout::DataRecord>> get_record_now(const StoreKey& key);
  // Reads the stored bytes under data_key (= backend_layout::data_key(key)) into *bytes;
  // false if absent.
  Result<bool> get_record_bytes_now(const StoreKey& key, const std::string& data_key,
                                    std::string* bytes);
  Status load_sequence_now();
  Result<Applied> apply_now(std::vector<Mutation>& mutations);
  // The backend's keys in range (Backend::scan_keys). REQUIRES: backend_mutex_ held.
  Task<Result<std::vector<std::string>>> scan_keys_locked(KeyRange range, size_t limit);

  // A write or remove waiting for its group's backend write: the mutation (in the member's
  // suspended frame), where the leader puts the outcome, and how to resume the member (empty
  // for the leader itself).
  struct GroupMember {
    Mutation* mutation = nullptr;
    Status* result = nullptr;
    UniqueFunction resume;
  };

  Backend& backend_;
  Executor& executor_;
  AsyncMutex backend_mutex_;
  // The group forming behind a leader that waits for backend_mutex_. Destroying the store
  // destroys the suspended members, like the mutex's waiters.
  std::vector<GroupMember> group_;
  bool group_leader_waiting_ = false;
  KeyLockTable locks_;
  CallOrder call_order_;
  std::optional<uint64_t> next_sequence_;  // loaded from the backend on first use
  // Kept so that they are not reallocated on every write (each used with backend_mutex_
  // held, like every backend call): a group commit's mutations, apply_now's batch and its
  // keys' data keys, current record headers (nullopt: absent) and the buffer they are read in.
  std::vector<Mutation> grouped_;
  WriteBatch batch_;
  std::vector<std::pair<std::string, std::optional<backend_layout::RecordHeader>>> olds_;
  std::string old_record_;
  uint64_t stale_skipped_ = 0;
};

// The lock-table / call-order key of a StoreKey ("p/s/k": '/' never occurs in a part).
std::string lock_key(const StoreKey& key);

}  // namespace tierkv
