// HybridKvStore: the KvStore contract (engine/core/kv_store.h) over two KvStores, an LSM side
// (write-heavy namespaces, e.g. a BackendKvStore over LevelDB) and a B-tree side (read-heavy
// namespaces, e.g. a BackendKvStore over SQLite or LMDB), routing every call by its key's
// primary namespace. TierStore takes it as any tier (e.g. its primary).
//
// Routing rule: the routing table maps primary namespaces to a side; a primary namespace not in
// the table goes to `default_side`. A namespace pair therefore lives on ONE side with all of its
// records, its creation index (list_page order) and its page tokens, and each side keeps its own
// sequence counter: a key never changes side, so its record version still grows with every
// change (no ABA across remove + re-create).
//
// Promises:
//   - read / write / remove / list / list_page / read_versioned / compare_and_swap go to the
//     key's (or the namespace pair's) side only, with that side's answer unchanged. write and
//     remove are not coroutines: the side takes the call-order ticket when they are called.
//   - list_namespaces() asks both sides and merges them: ascending, each pair once.
//   - write_atomic(ops) is atomic, but only for a batch whose keys all route to ONE side (an
//     empty batch goes to the default side): a batch spanning both sides is refused with
//     InvalidArgument naming a key from each side, and nothing is written (there is no
//     cross-side atomic commit to offer).
//   - Durability and error texts are each side's.
// Thread-safety: coroutines of the sides' Executor, as the sides.
// Lifetime: both sides must outlive the store; the store must outlive its calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/kv_store.h"
#include "engine/hybrid/hybrid_store.h"

namespace tierkv {

struct HybridKvConfig {
  HybridRoutes routes;  // primary namespace -> side
  HybridSide default_side = HybridSide::kLsm;
};

class HybridKvStore final : public KvStore {
 public:
  HybridKvStore(KvStore& lsm, KvStore& btree, HybridKvConfig config);
  HybridKvStore(const HybridKvStore&) = delete;
  HybridKvStore& operator=(const HybridKvStore&) = delete;

  // The side primary_namespace routes to (the rule above).
  HybridSide route(std::string_view primary_namespace) const;
  KvStore& side(HybridSide which) { return which == HybridSide::kLsm ? lsm_ : btree_; }

  Task<Result<std::string>> read(StoreKey key) override;
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

 private:
  KvStore& side_of(const StoreKey& key) { return side(route(key.primary_namespace)); }

  KvStore& lsm_;
  KvStore& btree_;
  HybridKvConfig config_;
};

}  // namespace tierkv
