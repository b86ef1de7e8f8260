#include "engine/overlay/atomic_ops.h"

#include <algorithm>
#include <utility>

namespace tierkv {
namespace {

// InvalidArgument if a key occurs twice among keys (checked before any I/O).
Status check_distinct(std::vector<StoreKey> keys, std::string_view what) {
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup == keys.end()) return Status();
  return Status::invalid_argument(std::string(what) + ": key " + dup->to_string() +
                                  " appears more than once in the batch");
}

Status check_moves(const std::vector<KeyMove>& moves) {
  std::vector<StoreKey> keys;
  for (const KeyMove& move : moves) {
    if (move.from == move.to) {
      return Status::invalid_argument("move_keys_atomic: key " + move.from.to_string() +
                                      " is moved onto itself");
    }
    keys.push_back(move.from);
    keys.push_back(move.to);
  }
  return check_distinct(std::move(keys), "move_keys_atomic");
}

}  // namespace

Task<Result<uint64_t>> put_with_token(KvStore* store, StoreKey key, std::string value,
                                      uint64_t token) {
  co_return co_await store->compare_and_swap(std::move(key), token, std::move(value));
}

Task<AtomicResult> put_atomic(KvStore* store, std::vector<TokenWrite> writes) {
  std::vector<StoreKey> keys;
  std::vector<AtomicOp> ops;
  for (TokenWrite& write : writes) {
    keys.push_back(write.key);
    ops.push_back(AtomicOp{std::move(write.key), std::move(write.value), write.token});
  }
  Status distinct = check_distinct(std::move(keys), "put_atomic");
  if (!distinct.ok()) co_return AtomicResult{distinct, {}};
  co_return co_await store->write_atomic(std::move(ops));
}

Task<AtomicResult> delete_atomic(KvStore* store, std::vector<TokenDelete> deletes) {
  std::vector<StoreKey> keys;
  std::vector<AtomicOp> ops;
  for (TokenDelete& del : deletes) {
    keys.push_back(del.key);
    ops.push_back(AtomicOp{std::move(del.key), std::nullopt, del.token});
  }
  Status distinct = check_distinct(std::move(keys), "delete_atomic");
  if (!distinct.ok()) co_return AtomicResult{distinct, {}};
  co_return co_await store->write_atomic(std::move(ops));
}

Task<AtomicResult> move_keys_atomic(KvStore* store, std::vector<KeyMove> moves) {
  Status valid = check_moves(moves);
  if (!valid.ok()) co_return AtomicResult{valid, {}};
  std::vector<AtomicOp> ops;
  for (const KeyMove& move : moves) {
    Result<VersionedValue> source = co_await store->read_versioned(move.from);
    if (!source.ok()) {
      co_return AtomicResult{
          source.status().with_context("move_keys_atomic: source " + move.from.to_string()), {}};
    }
    ops.push_back(AtomicOp{move.from, std::nullopt, source->version});
    ops.push_back(AtomicOp{move.to, std::move(source->value), uint64_t{0}});
  }
  co_return co_await store->write_atomic(std::move(ops));
}

namespace {

// One drop attempt: list, read tokens, delete them all in one guarded batch.
Task<Status> drop_prefix_once(KvStore* store, std::string primary, std::string secondary,
                              std::string prefix) {
  Result<std::vector<std::string>> keys = co_await store->list(primary, secondary);
  if (!keys.ok()) co_return keys.status().with_context("drop_prefix");
  std::vector<AtomicOp> ops;
  for (const std::string& key : *keys) {
    if (!key.starts_with(prefix)) continue;
    StoreKey store_key{primary, secondary, key};
    Result<VersionedValue> current = co_await store->read_versioned(store_key);
    if (!current.ok() && current.status().is_not_found()) continue;  // already gone
    if (!current.ok()) co_return current.status().with_context("drop_prefix");
    ops.push_back(AtomicOp{std::move(store_key), std::nullopt, current->version});
  }
  if (ops.empty()) co_return Status();
  AtomicResult result = co_await store->write_atomic(std::move(ops));
  co_return result.status;
}

}  // namespace

Task<Status> drop_prefix(KvStore* store, std::string primary_namespace,
                         std::string secondary_namespace, std::string key_prefix,
                         CasRetryOptions retry) {
  TIERKV_CO_RETURN_IF_ERROR(
      validate_namespace(primary_namespace, secondary_namespace).with_context("drop_prefix"));
  if (retry.what == "cas") {
    retry.what = "drop_prefix " + primary_namespace + "/" + secondary_namespace + "/" + key_prefix;
  }
  // Named locals, not temporaries inside the co_await expression: g++ 12 destroys such
  // temporaries twice.
  CasAttempt attempt = [store, primary_namespace, secondary_namespace, key_prefix](uint32_t) {
    return drop_prefix_once(store, primary_namespace, secondary_namespace, key_prefix);
  };
  ConflictResolver always_retry;
  Status status = co_await cas_retry(std::move(retry), std::move(attempt), std::move(always_retry));
  co_return status;
}

}  // namespace tierkv
