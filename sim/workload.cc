#include "sim/workload.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>

namespace tierkv::sim {
namespace {

constexpr std::string_view kEphemeralKeys[] = {"network_graph", "scorer"};

struct KindWeight {
  OpKind kind;
  uint32_t weight;
  bool versioned_only;
  bool overlay_only = false;
};

constexpr KindWeight kKindWeights[] = {
    {OpKind::kRead, 20, false},       {OpKind::kWrite, 30, false},
    {OpKind::kRemove, 8, false},      {OpKind::kList, 4, false},
    {OpKind::kListWalk, 4, false},    {OpKind::kCas, 8, false},
    {OpKind::kAtomicBatch, 6, false}, {OpKind::kAdvanceClock, 3, false},
    {OpKind::kSnapshot, 2, true},     {OpKind::kRollback, 1, true},
    {OpKind::kOverlayPut, 8, false, true},      {OpKind::kOverlayFinalize, 2, false, true},
    {OpKind::kOverlayDrop, 2, false, true},     {OpKind::kMaintenance, 2, false, true},
    {OpKind::kCommitAsync, 3, true},
    {OpKind::kOverlayReserve, 3, false, true},
    {OpKind::kOverlayPutBlocks, 2, false, true},
};

template <typename T, size_t N>
const T& pick(Prng& prng, const T (&items)[N]) {
  return items[prng.uniform(N)];
}

WorldConfig generate_world(Prng& prng, const GenerateOptions& options) {
  WorldConfig world;
  world.backend = options.backend;
  world.versioned_primary = prng.chance(3, 4) && options.backend != "lmdb";
  world.ephemeral_tier = prng.chance(3, 4);
  world.backup_tier = prng.chance(2, 3);
  world.async_backup = world.backup_tier && prng.chance(1, 4);
  world.async_backup_queue_capacity = static_cast<uint32_t>(prng.range(2, 32));
  if (world.async_backup) {
    // The mirror's batching, drawn from a fork of a copy of the stream: every other draw (and
    // every world without an async mirror) stays what it was for the seed.
    Prng copy = prng;
    Prng side = copy.fork();
    static constexpr uint32_t kBatchKeys[] = {1, 4, 64};
    static constexpr uint64_t kBatchDelaysUs[] = {0, 1000, 5000};
    world.async_batch_max_keys = pick(side, kBatchKeys);
    world.async_batch_delay_us = pick(side, kBatchDelaysUs);
  }
  static constexpr uint64_t kIntervals[] = {0, 4, 16, 64};
  world.snapshot_interval_versions = pick(prng, kIntervals);
  world.keep_snapshots = static_cast<uint32_t>(prng.range(1, 3));
  static constexpr uint64_t kSegments[] = {4 * 1024, 16 * 1024, 64 * 1024};
  world.wal_segment_size_bytes = pick(prng, kSegments);
  static constexpr uint32_t kLatencies[] = {0, 10, 50, 200};
  world.latency_us_max = pick(prng, kLatencies);
  world.overlay_store = options.backend != "lmdb" && prng.chance(1, 3);
  if (world.overlay_store) {
    // Journaled overlay puts in half the overlay worlds, drawn from a fork of a copy of the
    // stream: every other draw (world, ops, faults) stays what it was for the seed.
    Prng copy = prng;
    Prng side = copy.fork();
    world.overlay_journal_puts = side.chance(1, 2) ? static_cast<uint32_t>(side.range(1, 4)) : 0;
  }
  return world;
}

OpKind pick_kind(Prng& prng, const WorldConfig& world) {
  const auto on = [&world](const KindWeight& w) {
    return (!w.versioned_only || world.versioned_primary) && (!w.overlay_only || world.overlay_store);
  };
  uint32_t total = 0;
  for (const KindWeight& w : kKindWeights) total += on(w) ? w.weight : 0;
  uint64_t roll = prng.uniform(total);
  for (const KindWeight& w : kKindWeights) {
    if (!on(w)) continue;
    if (roll < w.weight) return w.kind;
    roll -= w.weight;
  }
  assert(false && "weights cover every roll");
  return OpKind::kRead;
}

// Sets op's namespace pair and key.
void pick_key(Prng& prng, bool hot, Op* op) {
  const auto& namespaces = workload_namespaces();
  if (hot) {
    // A handful of keys: two durable, one ephemeral, all in the shared "" namespace so that
    // same-key races and the merged listing are exercised together.
    op->primary_namespace = prng.chance(1, 2) ? "" : "app";
    op->secondary_namespace = "";
    const uint64_t k = prng.uniform(kHotKeys);
    op->key = (k == 0 && op->primary_namespace.empty()) ? "scorer" : "hot" + std::to_string(k);
    return;
  }
  const auto& [primary, secondary] = namespaces[prng.uniform(namespaces.size())];
  op->primary_namespace = primary;
  op->secondary_namespace = secondary;
  if (primary.empty() && prng.chance(1, 4)) {
    op->key = std::string(pick(prng, kEphemeralKeys));
  } else if (prng.chance(1, 16)) {
    op->key = std::string(pick(prng, kEphemeralKeys));  // durable outside the "" namespace
  } else {
    op->key = "k" + std::to_string(prng.uniform(kColdKeysPerNamespace));
  }
}

Op generate_op(Prng& prng, const Scenario& scenario) {
  Op op;
  op.kind = pick_kind(prng, scenario.world);
  op.client = static_cast<uint32_t>(prng.uniform(scenario.clients));
  switch (op.kind) {
    case OpKind::kRead:
    case OpKind::kWrite:
    case OpKind::kCas:
      pick_key(prng, scenario.hot_keys, &op);
      op.value_bytes = static_cast<uint32_t>(prng.range(16, kValueBytesMax));
      break;
    case OpKind::kRemove:
      pick_key(prng, scenario.hot_keys, &op);
      op.amount = prng.chance(1, 4) ? 1 : 0;  // 1 = lazy
      break;
    case OpKind::kList:
    case OpKind::kListWalk:
      pick_key(prng, scenario.hot_keys, &op);
      op.key.clear();
      break;
    case OpKind::kAtomicBatch: {
      // Durable keys only (a batch never spans tiers), distinct, "p/s/k" each.
      const uint64_t n = prng.range(2, kBatchKeysMax);
      for (uint64_t i = 0; i < n; ++i) {
        Op other;
        pick_key(prng, false, &other);
        if (other.primary_namespace.empty()) continue;
        std::string joined =
            other.primary_namespace + "/" + other.secondary_namespace + "/" + other.key;
        if (std::find(op.keys.begin(), op.keys.end(), joined) == op.keys.end()) {
          op.keys.push_back(std::move(joined));
        }
      }
      if (op.keys.empty()) op.keys.push_back("app//k0");
      op.value_bytes = static_cast<uint32_t>(prng.range(16, kValueBytesMax));
      break;
    }
    case OpKind::kAdvanceClock:
      op.amount = prng.range(1, kAdvanceClockUsMax);
      break;
    case OpKind::kRollback:
      op.amount = prng.range(0, 3);
      break;
    case OpKind::kCommitAsync: {
      // op.keys[j]: commit j's key; a leading '-' makes it a remove.
      const uint64_t n = prng.range(2, kPipelinedCommitsMax);
      for (uint64_t j = 0; j < n; ++j) {
        const std::string key = "k" + std::to_string(prng.uniform(kPipelinedKeys));
        op.keys.push_back(prng.chance(1, 5) ? "-" + key : key);
      }
      op.value_bytes = static_cast<uint32_t>(prng.range(16, kValueBytesMax));
      break;
    }
    case OpKind::kOverlayPut:  // key = tree, amount = block index
    case OpKind::kOverlayFinalize:
    case OpKind::kOverlayDrop:
    case OpKind::kOverlayReserve:     // value_bytes = bytes reserved around the put
    case OpKind::kOverlayPutBlocks:   // value_bytes = how many blocks, from index amount
      op.key = "tree" + std::to_string(prng.uniform(kOverlayTrees));
      op.amount = prng.uniform(kOverlayBlockIndices);
      if (op.kind == OpKind::kOverlayReserve) {
        op.value_bytes = static_cast<uint32_t>(prng.range(50, kOverlayReserveBytesMax));
      } else if (op.kind == OpKind::kOverlayPutBlocks) {
        op.value_bytes = static_cast<uint32_t>(prng.range(2, 4));
      }
      break;
    default:
      break;
  }
  return op;
}

constexpr std::string_view kHybridTags[] = {"votes", "index", "meta"};

void pick_hybrid_key(Prng& prng, bool hot, Op* op) {
  op->primary_namespace = kHybridRawNamespace;
  op->secondary_namespace = std::string(pick(prng, kHybridTags));
  op->key = "h" + std::to_string(prng.uniform(hot ? kHotKeys : kHybridKeysPerTag));
}

Op generate_hybrid_op(Prng& prng, uint32_t client, bool hot) {
  static constexpr KindWeight kHybridWeights[] = {
      {OpKind::kWrite, 35, false}, {OpKind::kRead, 20, false},      {OpKind::kRemove, 10, false},
      {OpKind::kAtomicBatch, 15, false}, {OpKind::kList, 10, false}, {OpKind::kListWalk, 10, false},
  };
  uint64_t roll = prng.uniform(100);
  Op op;
  op.client = client;
  for (const KindWeight& w : kHybridWeights) {
    if (roll < w.weight) {
      op.kind = w.kind;
      break;
    }
    roll -= w.weight;
  }
  pick_hybrid_key(prng, hot, &op);
  op.value_bytes = static_cast<uint32_t>(prng.range(16, kValueBytesMax));
  if (op.kind == OpKind::kList || op.kind == OpKind::kListWalk) {
    op.key.clear();
    if (prng.chance(1, 2)) op.secondary_namespace.clear();  // every tag: spans both sides
  } else if (op.kind == OpKind::kAtomicBatch) {
    const uint64_t n = prng.range(2, kBatchKeysMax);
    for (uint64_t i = 0; i < n; ++i) {
      Op other;
      pick_hybrid_key(prng, hot, &other);
      const std::string joined = std::string(kHybridRawNamespace) + "/" +
                                 other.secondary_namespace + "/" + other.key;
      if (std::find(op.keys.begin(), op.keys.end(), joined) == op.keys.end()) {
        op.keys.push_back(joined);
      }
    }
  }
  return op;
}

}  // namespace

void add_hybrid_ops(Prng& prng, const GenerateOptions& options, Scenario* scenario) {
  const bool force_hybrid = options.hybrid || options.hybrid_primary;
  const bool hybrid = scenario->world.backend != "lmdb" && (force_hybrid || prng.chance(1, 3));
  if (!hybrid) return;
  scenario->world.hybrid = true;
  for (Op& op : scenario->ops) {
    if (op.kind == OpKind::kRollback || !prng.chance(1, 3)) continue;
    op = generate_hybrid_op(prng, op.client, scenario->hot_keys);
  }
  // The B-tree side, drawn after every other draw: the ops above stay what they were.
  scenario->world.hybrid_btree = prng.chance(1, 2) ? "lmdb" : "sqlite";
  if (!options.hybrid_btree.empty()) scenario->world.hybrid_btree = options.hybrid_btree;
  // Drawn last: a hybrid world keeps every earlier draw whichever primary it gets.
  const bool hybrid_primary = prng.chance(1, 2);
  scenario->world.hybrid_primary = options.hybrid_primary || hybrid_primary;
}

const std::vector<std::pair<std::string, std::string>>& workload_namespaces() {
  static const std::vector<std::pair<std::string, std::string>> namespaces = {
      {"", ""}, {"app", ""}, {"app", "cfg"}, {"mon", "x"}};
  return namespaces;
}

bool is_ephemeral_key(const StoreKey& key) {
  if (!key.primary_namespace.empty()) return false;
  for (std::string_view name : kEphemeralKeys) {
    if (key.key == name) return true;
  }
  return false;
}

bool is_hybrid_key(const StoreKey& key) { return key.primary_namespace == kHybridRawNamespace; }

std::string hybrid_raw_key(const StoreKey& key) {
  return key.secondary_namespace + "/" + key.key;
}

StoreKey hybrid_model_key(std::string_view raw) {
  const size_t slash = raw.find('/');
  assert(slash != std::string_view::npos && "a hybrid raw key is tag/name");
  return StoreKey{kHybridRawNamespace, std::string(raw.substr(0, slash)),
                  std::string(raw.substr(slash + 1))};
}

bool is_raw_key(const StoreKey& key) {
  return !key.primary_namespace.empty() && key.primary_namespace[0] == '@';
}

StoreKey op_key(const Op& op) { return StoreKey{op.primary_namespace, op.secondary_namespace, op.key}; }

std::string op_value(uint64_t op_index, uint32_t part, uint32_t bytes) {
  // The tag "op<index>.<part>:" built in one buffer.
  char index_digits[20];
  char part_digits[10];
  const auto digits = [](auto& buffer, uint64_t v) {
    return static_cast<size_t>(std::to_chars(std::begin(buffer), std::end(buffer), v).ptr -
                               std::begin(buffer));
  };
  const size_t index_bytes = digits(index_digits, op_index);
  const size_t part_bytes = digits(part_digits, part);
  const size_t tag_bytes = 2 + index_bytes + 1 + part_bytes + 1;
  std::string value;
  value.reserve(std::max<size_t>(tag_bytes, bytes));
  value.append("op").append(index_digits, index_bytes).append(1, '.');
  value.append(part_digits, part_bytes).append(1, ':');
  if (tag_bytes >= bytes) return value;
  value.resize(bytes);
  // splitmix64 of (op, part): cheap, deterministic filler; each byte is 'a' + (x >> 58) % 26,
  // looked up in a table of the 64 possible top-6-bit values.
  static constexpr auto kLetters = [] {
    std::array<char, 64> letters{};
    for (size_t i = 0; i < letters.size(); ++i) letters[i] = static_cast<char>('a' + i % 26);
    return letters;
  }();
  uint64_t x = op_index * 0x9e3779b97f4a7c15ull + part + 1;
  char* out = value.data();
  for (size_t i = tag_bytes; i < bytes; ++i) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    out[i] = kLetters[x >> 58];  // printable: values show in reports
  }
  return value;
}

void generate_workload(Prng& prng, const GenerateOptions& options, Scenario* scenario) {
  scenario->world = generate_world(prng, options);
  scenario->clients = static_cast<uint32_t>(prng.range(1, kClientsMax));
  scenario->hot_keys = prng.chance(1, 3);
  scenario->ops.clear();
  scenario->ops.reserve(options.ops);
  for (uint64_t i = 0; i < options.ops; ++i) scenario->ops.push_back(generate_op(prng, *scenario));
}

}  // namespace tierkv::sim
