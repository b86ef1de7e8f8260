#include "engine/hybrid/hybrid_store.h"

#include <cassert>

#include "engine/backends/backend_factory.h"
#include "engine/backends/backend_util.h"
#include "engine/core/coding.h"
#include "engine/io/env_util.h"

namespace tierkv {
namespace {

// Merges two ascending, key-disjoint lists into one ascending list of at most limit (0: all).
std::vector<KeyValue> merge_sorted(std::vector<KeyValue> a, std::vector<KeyValue> b,
                                   size_t limit) {
  std::vector<KeyValue> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while ((i < a.size() || j < b.size()) && (limit == 0 || out.size() < limit)) {
    const bool take_a = j >= b.size() || (i < a.size() && a[i].key < b[j].key);
    assert(i >= a.size() || j >= b.size() || a[i].key != b[j].key);  // sides are disjoint
    out.push_back(std::move(take_a ? a[i++] : b[j++]));
  }
  return out;
}

}  // namespace

HybridSide hybrid_route(const HybridRoutes& routes, HybridSide default_side,
                        std::string_view name) {
  const auto it = routes.find(name);
  return it == routes.end() ? default_side : it->second;
}

std::string_view hybrid_side_name(HybridSide side) {
  return side == HybridSide::kLsm ? "lsm" : "btree";
}

HybridStore::HybridStore(std::unique_ptr<Backend> lsm, std::unique_ptr<Backend> btree,
                         HybridConfig config)
    : lsm_(std::move(lsm)), btree_(std::move(btree)), config_(std::move(config)) {
  assert(lsm_ != nullptr);
  assert(btree_ != nullptr);
}

Result<std::unique_ptr<HybridStore>> HybridStore::open(const BackendOptions& options,
                                                       HybridConfig config) {
  if (options.dir.empty()) return Status::invalid_argument("hybrid store needs a directory");
  BackendOptions lsm_options = options;
  lsm_options.dir = join_path(options.dir, kHybridLsmDir);
  BackendOptions btree_options = options;
  btree_options.dir = join_path(options.dir, kHybridBtreeDir);
  Result<std::unique_ptr<Backend>> lsm = open_backend(config.lsm_backend, lsm_options);
  if (!lsm.ok()) return lsm.status().with_context("hybrid lsm side");
  Result<std::unique_ptr<Backend>> btree = open_backend(config.btree_backend, btree_options);
  if (!btree.ok()) return btree.status().with_context("hybrid btree side");
  return std::make_unique<HybridStore>(std::move(*lsm), std::move(*btree), std::move(config));
}

std::string_view HybridStore::tag_of(std::string_view key, char separator) {
  return key.substr(0, key.find(separator));  // npos: the whole key
}

HybridSide HybridStore::route(std::string_view key) const {
  return hybrid_route(config_.routes, config_.default_side, tag_of(key, config_.separator));
}

Result<std::string> HybridStore::get(std::string_view key) { return backend_for(key).get(key); }

Status HybridStore::put(std::string_view key, std::string_view value) {
  return backend_for(key).put(key, value);
}

Status HybridStore::remove(std::string_view key) { return backend_for(key).remove(key); }

Status HybridStore::write(const WriteBatch& batch) {
  if (batch.empty()) return Status();
  const std::string& first = batch.ops().front().key;
  const HybridSide side = route(first);
  for (const BatchOp& op : batch.ops()) {
    if (route(op.key) != side) {
      return Status::invalid_argument(
          "hybrid batch spans both backends ('" + printable_key(first) + "' -> " +
          std::string(hybrid_side_name(side)) + ", '" + printable_key(op.key) + "' -> " +
          std::string(hybrid_side_name(route(op.key))) + "): batches are atomic per backend only");
    }
  }
  return this->side(side).write(batch);
}

Result<std::vector<KeyValue>> HybridStore::scan(const KeyRange& range, size_t limit) {
  // Each side may hold keys anywhere in the range, so each is asked for up to `limit`.
  Result<std::vector<KeyValue>> lsm = lsm_->scan(range, limit);
  if (!lsm.ok()) return lsm.status().with_context("hybrid scan, lsm side");
  Result<std::vector<KeyValue>> btree = btree_->scan(range, limit);
  if (!btree.ok()) return btree.status().with_context("hybrid scan, btree side");
  return merge_sorted(std::move(*lsm), std::move(*btree), limit);
}

Status HybridStore::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(lsm_->checkpoint(join_path(dir, kHybridLsmDir)));
  return btree_->checkpoint(join_path(dir, kHybridBtreeDir));
}

Status HybridStore::close() {
  Status lsm = lsm_->close();
  Status btree = btree_->close();
  return lsm.ok() ? btree : lsm;
}

Result<uint64_t> HybridStore::fetch_add_u64(std::string_view key, uint64_t delta) {
  Backend& backend = backend_for(key);
  uint64_t previous = 0;
  Result<std::string> current = backend.get(key);
  if (current.ok()) {
    if (current->size() != 8) {
      return Status::corruption("hybrid counter '" + printable_key(key) + "' holds " +
                                std::to_string(current->size()) + " bytes, not an 8-byte u64");
    }
    previous = decode_fixed64(current->data());
  } else if (!current.status().is_not_found()) {
    return current.status();
  }
  std::string encoded;
  put_fixed64(&encoded, previous + delta);
  TIERKV_RETURN_IF_ERROR(backend.put(key, encoded));
  return previous;
}

Status HybridStore::compare_and_swap(std::string_view key,
                                     const std::optional<std::string>& expected,
                                     const std::optional<std::string>& desired) {
  Backend& backend = backend_for(key);
  Result<std::string> current = backend.get(key);
  if (!current.ok() && !current.status().is_not_found()) return current.status();
  const std::optional<std::string> actual =
      current.ok() ? std::optional<std::string>(*current) : std::nullopt;
  if (actual != expected) {
    return Status::conflict("hybrid cas on '" + printable_key(key) + "': expected " +
                            (expected ? "a value of " + std::to_string(expected->size()) + " bytes"
                                      : std::string("no value")) +
                            ", found " +
                            (actual ? "a value of " + std::to_string(actual->size()) + " bytes"
                                    : std::string("no value")));
  }
  return desired ? backend.put(key, *desired) : backend.remove(key);
}

}  // namespace tierkv
