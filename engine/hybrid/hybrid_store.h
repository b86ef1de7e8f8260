// HybridStore: one ordered byte map over two backends, routing each key by its tag to an LSM
// backend (LevelDB: write-heavy data) or a B-tree backend (LMDB or SQLite: read-heavy data).
//
// Routing rule: a key's tag is its bytes before the first `separator` byte (default '/'; a
// key without the separator is all tag). The routing table maps tags to a side; tags not in
// the table go to `default_side`. E.g. with {"votes" -> LSM, "index" -> B-tree}, "votes/42"
// lives in the LSM backend and "index/Tesla" in the B-tree backend.
//
// Promises:
//   - get/put/remove touch only the key's side.
//   - scan(range, limit) asks both sides and merges them in key order (a key lives on one side
//     only, so the merge has no duplicates), then applies the limit.
//   - write(batch) is atomic, but only for a batch whose keys all route to ONE side: a batch
//     spanning both sides is refused with InvalidArgument naming two keys from different sides,
//     and nothing is written (there is no cross-backend atomic commit to offer).
//   - fetch_add_u64 and compare_and_swap are read-modify-write on the key's side; they are
//     atomic because the caller serialises calls (Backend's one-thread rule).
//   - checkpoint(dir): each side checkpoints into dir/lsm and dir/btree; HybridStore::open on
//     dir with the same config yields that state. Not atomic across the two sides: if it fails
//     half-way, dir is incomplete and must be discarded.
//   - Durability is each side's (BackendOptions::sync for both).
// Thread-safety: one thread at a time (Backend's rule).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/backends/backend.h"

namespace tierkv {

enum class HybridSide : uint8_t { kLsm, kBtree };

// A routing table: name (a key's tag here, a primary namespace in HybridKvStore) -> side.
using HybridRoutes = std::map<std::string, HybridSide, std::less<>>;
// The side name routes to: its entry in routes, default_side if it has none.
HybridSide hybrid_route(const HybridRoutes& routes, HybridSide default_side,
                        std::string_view name);
// "lsm" / "btree" (error texts and the simulator name the sides so).
std::string_view hybrid_side_name(HybridSide side);

struct HybridConfig {
  std::string lsm_backend = "leveldb";  // a backend_names() entry
  std::string btree_backend = "lmdb";   // a backend_names() entry ("lmdb" or "sqlite")
  char separator = '/';
  HybridRoutes routes;  // tag -> side
  HybridSide default_side = HybridSide::kLsm;
};

inline constexpr char kHybridLsmDir[] = "lsm";
inline constexpr char kHybridBtreeDir[] = "btree";

class HybridStore final : public Backend {
 public:
  // Opens lsm_backend on options.dir/lsm and btree_backend on options.dir/btree (both get
  // options' env, clock, sync and seed). The lmdb side maps a real directory.
  static Result<std::unique_ptr<HybridStore>> open(const BackendOptions& options,
                                                   HybridConfig config);
  // Builds over two already-open backends (tests use this to wrap one side in faults).
  // REQUIRES: lsm and btree non-null.
  HybridStore(std::unique_ptr<Backend> lsm, std::unique_ptr<Backend> btree, HybridConfig config);

  // The side key routes to (the rule above).
  HybridSide route(std::string_view key) const;
  static std::string_view tag_of(std::string_view key, char separator);

  std::string_view name() const override { return "hybrid"; }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override;

  // Adds delta to the counter at key (8-byte little-endian; a missing key counts as 0;
  // wrap-around modulo 2^64) and returns the value BEFORE the addition. Corruption naming the
  // key if its value is not 8 bytes.
  Result<uint64_t> fetch_add_u64(std::string_view key, uint64_t delta);

  // Sets key to desired (nullopt: delete it) iff its current value equals expected (nullopt:
  // the key must be missing). Conflict naming the key otherwise; nothing is written then.
  Status compare_and_swap(std::string_view key, const std::optional<std::string>& expected,
                          const std::optional<std::string>& desired);

  Backend& side(HybridSide which) { return which == HybridSide::kLsm ? *lsm_ : *btree_; }

 private:
  Backend& backend_for(std::string_view key) { return side(route(key)); }

  std::unique_ptr<Backend> lsm_;
  std::unique_ptr<Backend> btree_;
  HybridConfig config_;
};

}  // namespace tierkv
