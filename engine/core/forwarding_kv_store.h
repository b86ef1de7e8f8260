// ForwardingKvStore: a KvStore that passes every call to an inner KvStore unchanged. Derive from
// it to write a decorator that changes only some calls (a store that corrupts or drops writes in
// a test, a store that counts calls) without restating the rest of the interface.
//
// Contract: each method forwards its arguments to inner() and returns its result as is; the
// wrapper adds no ordering, locking or state of its own. REQUIRES: inner outlives the wrapper.
// Thread safety: that of the inner store.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/kv_store.h"

namespace tierkv {

class ForwardingKvStore : public KvStore {
 public:
  explicit ForwardingKvStore(KvStore& inner) : inner_(inner) {}

  Task<Result<std::string>> read(StoreKey key) override { return inner_.read(std::move(key)); }
  Task<Status> write(StoreKey key, std::string value) override {
    return inner_.write(std::move(key), std::move(value));
  }
  Task<Status> remove(StoreKey key, bool lazy) override {
    return inner_.remove(std::move(key), lazy);
  }
  Task<Result<std::vector<std::string>>> list(std::string p, std::string s) override {
    return inner_.list(std::move(p), std::move(s));
  }
  Task<Result<ListPage>> list_page(std::string p, std::string s,
                                   std::optional<std::string> token) override {
    return inner_.list_page(std::move(p), std::move(s), std::move(token));
  }
  Task<Result<VersionedValue>> read_versioned(StoreKey key) override {
    return inner_.read_versioned(std::move(key));
  }
  Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected,
                                          std::string value) override {
    return inner_.compare_and_swap(std::move(key), expected, std::move(value));
  }
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override {
    return inner_.write_atomic(std::move(ops));
  }
  Task<Result<std::vector<NamespacePair>>> list_namespaces() override {
    return inner_.list_namespaces();
  }

 protected:
  KvStore& inner() { return inner_; }

 private:
  KvStore& inner_;
};

}  // namespace tierkv
