// Token (CAS) and all-or-nothing helpers over any KvStore that implements read_versioned,
// compare_and_swap and write_atomic (BackendKvStore does; a store without them returns
// NotSupported, which these helpers pass through unchanged).
//
// Tokens: a record's version as read_versioned reports it. Token 0 means "the key is absent".
//
// Promises:
//   - put_with_token(key, value, 0) inserts only if key is absent; put_with_token(key, value, t)
//     updates only if key's current token is t. A mismatch is Conflict (never a silent
//     overwrite); on success the new token is returned.
//   - put_atomic / delete_atomic: every write or none. On a precondition failure nothing is
//     written, the status is Conflict and `conflicts` lists every key that failed it.
//     delete_atomic with token nullopt deletes unconditionally (a missing key is fine).
//   - move_keys_atomic(moves): each source must exist (NotFound naming it otherwise, nothing
//     written); each destination must be absent (an existing one is a Conflict listed in
//     `conflicts`, nothing written); a source changed between the read and the write is also a
//     Conflict. On success every destination holds its source's value and every source is gone,
//     in one atomic write_atomic.
//   - drop_prefix(primary, secondary, key_prefix): removes every key of the namespace pair that
//     starts with key_prefix in one atomic batch, each guarded by the token read just before,
//     retried (cas_retry) when a key changes meanwhile. Idempotent: nothing to drop is OK.
//     Keys created after the listing are not dropped (they are newer than the drop).
//   - A batch naming a key twice, or a move whose source equals its destination, is
//     InvalidArgument naming the key, before any I/O.
// Durability and thread-safety: as the store's.
// Coroutine parameters are taken by value; `store` must outlive the call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/cas_retry.h"
#include "engine/core/kv_store.h"

namespace tierkv {

struct TokenWrite {
  StoreKey key;
  std::string value;
  uint64_t token = 0;  // 0 = must be absent
};

struct TokenDelete {
  StoreKey key;
  std::optional<uint64_t> token;  // nullopt = unconditional
};

struct KeyMove {
  StoreKey from;
  StoreKey to;
};

Task<Result<uint64_t>> put_with_token(KvStore* store, StoreKey key, std::string value,
                                      uint64_t token);

Task<AtomicResult> put_atomic(KvStore* store, std::vector<TokenWrite> writes);

Task<AtomicResult> delete_atomic(KvStore* store, std::vector<TokenDelete> deletes);

Task<AtomicResult> move_keys_atomic(KvStore* store, std::vector<KeyMove> moves);

Task<Status> drop_prefix(KvStore* store, std::string primary_namespace,
                         std::string secondary_namespace, std::string key_prefix,
                         CasRetryOptions retry = {});

}  // namespace tierkv
