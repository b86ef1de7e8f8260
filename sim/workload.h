// Workload: derives a scenario's world config and client operations from a seed, and the
// deterministic value bytes each operation writes.
//
// Generation (generate_workload): one Prng (forked by the caller from the seed) picks the world
// config (tiers, sync/async backup, snapshot interval, segment size, latencies), the number of
// clients, hot-key mode, and every client's operations: reads, writes, removes, lists,
// paginated walks, CAS, atomic batches, snapshots and rollbacks (versioned primary only),
// overlay puts/finalizes/drops/maintenance (when the world has an OverlayStore; op.key is the
// tree, op.amount the block index) and clock advances. Keys come from shared durable namespaces and from the ephemeral namespace
// ("" primary namespace, key network_graph or scorer); hot-key mode draws from a handful of
// keys so that concurrent same-key writes are common.
//
// Values: op_value(op_index, part, bytes) is unique per (op, part) and starts with a readable
// tag ("op40.1:"), so a value found in a store names the operation that wrote it. Never empty
// (an empty value and an absent key hash alike in LtHash).
// Determinism: everything is a function of the Prng state and the options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/store_key.h"
#include "sim/runner.h"
#include "sim/runtime/prng.h"
#include "sim/scenario.h"

namespace tierkv::sim {

// Bounds of generated workloads.
inline constexpr uint32_t kClientsMax = 8;
inline constexpr uint32_t kHotKeys = 3;
inline constexpr uint32_t kColdKeysPerNamespace = 12;
inline constexpr uint32_t kValueBytesMax = 256;
inline constexpr uint32_t kBatchKeysMax = 4;
inline constexpr uint64_t kAdvanceClockUsMax = 200'000;
inline constexpr uint32_t kOverlayTrees = 4;
inline constexpr uint32_t kOverlayBlockIndices = 6;
// Overlays expire this long after their first put (clock advances reach it).
inline constexpr uint64_t kOverlayLifetimeUs = 300'000;
// Upper bound of one OpKind::kOverlayReserve reservation (the world's quota is 1500 bytes).
inline constexpr uint32_t kOverlayReserveBytesMax = 600;
// Pipelined commits (OpKind::kCommitAsync): how many one op issues at once and over how few
// keys, so that a later commit usually rewrites a key an earlier one still has in flight.
inline constexpr uint32_t kPipelinedCommitsMax = 4;
inline constexpr uint32_t kPipelinedKeys = 3;

// Raw keys: model keys whose primary namespace starts with '@' (never a valid KvStore
// namespace) live straight in an engine component rather than behind the TierStore.
// kVersionedRawNamespace: keys committed with VersionedStore::commit_async on the primary's
// VersionedStore, stored there under kVersionedRawPrefix + key (BackendKvStore's own keys
// start with 'd', 'c' or 'm', so they never meet).
inline constexpr char kVersionedRawNamespace[] = "@versioned";
inline constexpr char kVersionedRawPrefix[] = "p/";
bool is_raw_key(const StoreKey& key);

// kHybridRawNamespace: keys of the world's HybridStore (World::hybrid()), driven straight
// with puts/removes/gets/batches/scans. Model key {"@hybrid", tag, name} is the raw key
// "tag/name"; tags pick the side (world.h hybrid_config: votes -> LSM, index and meta ->
// B-tree). An op on such a key (kRead/kWrite/kRemove, kList/kListWalk = a scan of the tag's
// prefix, or of every tag when the tag is "", kAtomicBatch with "@hybrid/tag/name" keys that
// may span both sides) goes to the HybridStore.
inline constexpr char kHybridRawNamespace[] = "@hybrid";
inline constexpr uint32_t kHybridKeysPerTag = 8;
// A paginated hybrid scan (kListWalk) asks for pages of this many keys.
inline constexpr size_t kHybridPageKeys = 3;
bool is_hybrid_key(const StoreKey& key);
// "tag/name" for model key {"@hybrid", tag, name}; a tag alone ("tag/") for scans.
std::string hybrid_raw_key(const StoreKey& key);
// The model key of raw HybridStore key "tag/name". REQUIRES: raw holds a '/'.
StoreKey hybrid_model_key(std::string_view raw);

// The world config, clients, hot-key flag and ops of a scenario (not faults, seed, build id).
void generate_workload(Prng& prng, const GenerateOptions& options, Scenario* scenario);

// For some seeds (1 in 3, not with lmdb), turns the world hybrid and replaces about a third
// of the client ops (never a rollback barrier) with ops on the HybridStore, then picks its
// B-tree side (SQLite or LMDB, 1 in 2), then whether TierStore's primary is a HybridKvStore
// (1 in 2). Draws only from prng, so every other seed's scenario stays what it was.
// options.hybrid / options.hybrid_primary: every seed; options.hybrid_btree: that B-tree side.
void add_hybrid_ops(Prng& prng, const GenerateOptions& options, Scenario* scenario);

// Deterministic value bytes for part `part` of op op_index; at least the tag's length.
std::string op_value(uint64_t op_index, uint32_t part, uint32_t bytes);

// Whether key belongs to the ephemeral tier (TierStore's default rule: primary namespace ""
// and key network_graph or scorer).
bool is_ephemeral_key(const StoreKey& key);

// The namespace pairs the generator draws keys from (checkers walk each of them).
const std::vector<std::pair<std::string, std::string>>& workload_namespaces();

// The StoreKey of an op (primary/secondary namespace + key).
StoreKey op_key(const Op& op);

}  // namespace tierkv::sim
