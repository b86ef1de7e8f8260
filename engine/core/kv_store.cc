#include "engine/core/kv_store.h"

namespace tierkv {

Task<Result<VersionedValue>> KvStore::read_versioned(StoreKey key) {
  co_return Status::not_supported("read_versioned of " + key.to_string() +
                                  ": this store has no record versions");
}

Task<Result<uint64_t>> KvStore::compare_and_swap(StoreKey key, uint64_t, std::string) {
  co_return Status::not_supported("compare_and_swap of " + key.to_string() +
                                  ": this store has no record versions");
}

Task<AtomicResult> KvStore::write_atomic(std::vector<AtomicOp>) {
  co_return AtomicResult{Status::not_supported("write_atomic: this store has no atomic batches"),
                         {}};
}

Task<Result<std::vector<NamespacePair>>> KvStore::list_namespaces() {
  co_return Status::not_supported("list_namespaces: this store cannot enumerate its namespaces");
}

}  // namespace tierkv
