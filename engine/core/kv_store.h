// KvStore: the store interface every tier and wrapper implements (TierStore, the store over a
// Backend or VersionedStore, and the simulator's wrappers around them).
//
// Contract:
//   - Keys are validated (store_key.h) before any I/O; a bad key is InvalidArgument.
//   - read of a missing key is NotFound; remove of a missing key succeeds; list of an unknown
//     namespace is empty.
//   - Writes and removes of one key take effect in call order: implementations take a
//     per-key version when the call is made (before the first suspension) and skip a stale
//     operation that runs after a newer one already completed. Different keys are unordered.
//   - list_page returns keys newest-created first (an update does not move a key; remove then
//     re-create moves it to newest), at most kListPageSizeMax per page, with an opaque token
//     scoped to the namespace pair; the last page has no token. A token whose entry was
//     deleted resumes at the next position; a malformed token is InvalidArgument.
//   - Optional capabilities (CAS, atomic batches) return NotSupported where a store has none.
//
// All methods are coroutines on the store's Executor; parameters are taken by value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/store_key.h"
#include "engine/exec/task.h"

namespace tierkv {

inline constexpr size_t kListPageSizeMax = 50;

struct ListPage {
  std::vector<std::string> keys;
  std::optional<std::string> next_token;  // absent on the last page
};

// A value with its record version (the CAS token). Version 0 means "absent".
struct VersionedValue {
  std::string value;
  uint64_t version = 0;
};

// One entry of an atomic batch: put (value set) or remove (value absent), each guarded by an
// expected record version (0 = must be absent; nullopt = unconditional).
struct AtomicOp {
  StoreKey key;
  std::optional<std::string> value;
  std::optional<uint64_t> expected_version;
};

// Which keys of an atomic batch failed their precondition (empty on success).
struct AtomicResult {
  Status status;
  std::vector<StoreKey> conflicts;
};

// A (primary_namespace, secondary_namespace) pair, as list_namespaces() reports it.
struct NamespacePair {
  std::string primary_namespace;
  std::string secondary_namespace;
  friend auto operator<=>(const NamespacePair&, const NamespacePair&) = default;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  virtual Task<Result<std::string>> read(StoreKey key) = 0;
  virtual Task<Status> write(StoreKey key, std::string value) = 0;
  // lazy: the removal need not be durable before returning (LDK semantics); it still takes
  // effect in call order.
  virtual Task<Status> remove(StoreKey key, bool lazy) = 0;
  virtual Task<Result<std::vector<std::string>>> list(std::string primary_namespace,
                                                      std::string secondary_namespace) = 0;
  virtual Task<Result<ListPage>> list_page(std::string primary_namespace,
                                           std::string secondary_namespace,
                                           std::optional<std::string> page_token) = 0;

  // Reads a value with its record version. Default: NotSupported.
  virtual Task<Result<VersionedValue>> read_versioned(StoreKey key);

  // Writes value if the key's record version equals expected_version (0 = insert only if
  // absent); returns the new version. A mismatch is Conflict. Default: NotSupported.
  virtual Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected_version,
                                                  std::string value);

  // Applies every op or none; on a precondition failure returns Conflict and the keys that
  // conflicted, and writes nothing. Default: NotSupported.
  virtual Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops);

  // Every namespace pair holding at least one key, ascending, each once (what a whole-store
  // copy such as a backup reconcile or a restore walks). Default: NotSupported.
  virtual Task<Result<std::vector<NamespacePair>>> list_namespaces();
};

}  // namespace tierkv
