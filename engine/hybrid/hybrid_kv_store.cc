#include "engine/hybrid/hybrid_kv_store.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tierkv {
namespace {

Task<AtomicResult> atomic_refused(Status status) { co_return AtomicResult{std::move(status), {}}; }

}  // namespace

HybridKvStore::HybridKvStore(KvStore& lsm, KvStore& btree, HybridKvConfig config)
    : lsm_(lsm), btree_(btree), config_(std::move(config)) {}

HybridSide HybridKvStore::route(std::string_view primary_namespace) const {
  return hybrid_route(config_.routes, config_.default_side, primary_namespace);
}

Task<Result<std::string>> HybridKvStore::read(StoreKey key) {
  KvStore& store = side_of(key);
  return store.read(std::move(key));
}

Task<Status> HybridKvStore::write(StoreKey key, std::string value) {
  KvStore& store = side_of(key);
  return store.write(std::move(key), std::move(value));
}

Task<Status> HybridKvStore::remove(StoreKey key, bool lazy) {
  KvStore& store = side_of(key);
  return store.remove(std::move(key), lazy);
}

Task<Result<std::vector<std::string>>> HybridKvStore::list(std::string primary_namespace,
                                                           std::string secondary_namespace) {
  KvStore& store = side(route(primary_namespace));
  return store.list(std::move(primary_namespace), std::move(secondary_namespace));
}

Task<Result<ListPage>> HybridKvStore::list_page(std::string primary_namespace,
                                                std::string secondary_namespace,
                                                std::optional<std::string> page_token) {
  KvStore& store = side(route(primary_namespace));
  return store.list_page(std::move(primary_namespace), std::move(secondary_namespace),
                         std::move(page_token));
}

Task<Result<VersionedValue>> HybridKvStore::read_versioned(StoreKey key) {
  KvStore& store = side_of(key);
  return store.read_versioned(std::move(key));
}

Task<Result<uint64_t>> HybridKvStore::compare_and_swap(StoreKey key, uint64_t expected_version,
                                                       std::string value) {
  KvStore& store = side_of(key);
  return store.compare_and_swap(std::move(key), expected_version, std::move(value));
}

Task<AtomicResult> HybridKvStore::write_atomic(std::vector<AtomicOp> ops) {
  if (ops.empty()) return side(config_.default_side).write_atomic(std::move(ops));
  const HybridSide first = route(ops.front().key.primary_namespace);
  for (const AtomicOp& op : ops) {
    if (route(op.key.primary_namespace) == first) continue;
    return atomic_refused(Status::invalid_argument(
        "write_atomic: the batch spans both sides of the hybrid store (no cross-side atomic "
        "commit; nothing written): '" +
        ops.front().key.to_string() + "' routes to the " + std::string(hybrid_side_name(first)) +
        " side, '" + op.key.to_string() + "' to the " +
        std::string(hybrid_side_name(route(op.key.primary_namespace))) + " side"));
  }
  return side(first).write_atomic(std::move(ops));
}

Task<Result<std::vector<NamespacePair>>> HybridKvStore::list_namespaces() {
  Result<std::vector<NamespacePair>> lsm = co_await lsm_.list_namespaces();
  if (!lsm.ok()) co_return lsm.status().with_context("list_namespaces of the hybrid lsm side");
  Result<std::vector<NamespacePair>> btree = co_await btree_.list_namespaces();
  if (!btree.ok()) {
    co_return btree.status().with_context("list_namespaces of the hybrid btree side");
  }
  std::vector<NamespacePair> merged;
  merged.reserve(lsm->size() + btree->size());
  std::merge(lsm->begin(), lsm->end(), btree->begin(), btree->end(), std::back_inserter(merged));
  merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
  co_return merged;
}

}  // namespace tierkv
