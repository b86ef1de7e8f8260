// Scenario files: strict JSON. Every field is written; reading rejects unknown and missing
// fields, wrong types and out-of-range values with InvalidArgument naming the field's path.
#include "sim/scenario.h"

#include <array>
#include <cassert>
#include <limits>
#include <nlohmann/json.hpp>

#include "faults/fault_catalog.h"

namespace tierkv::sim {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Version 2: rate faults and restart-time faults are decided per site (FaultDecisions::kSite).
// Version 1 files (session 3 and before) replay with their faults drawn from one stream.
constexpr uint64_t kFormatVersion = 2;
constexpr uint64_t kFormatVersionStreamFaults = 1;
constexpr uint64_t kPpmMax = 1'000'000;
constexpr uint64_t kClientsMax = 1024;
constexpr uint64_t kValueBytesMax = 16u << 20;
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kAsyncBatchDelayUsMax = 10'000'000;  // a batch delay longer than 10 s: a typo
constexpr std::array<std::string_view, 4> kBackends = {"memory", "leveldb", "sqlite", "lmdb"};

constexpr std::array<std::string_view, kOpKindCount> kOpKindNames = {
    "read",     "write",           "remove",       "list",         "list_walk",
    "cas",      "atomic_batch",    "snapshot",     "rollback",     "overlay_put",
    "overlay_finalize", "overlay_drop", "advance_clock", "maintenance", "commit_async",
    "overlay_reserve", "overlay_put_blocks"};

std::string join(const std::string& path, std::string_view field) {
  return path.empty() ? std::string(field) : path + "." + std::string(field);
}

Status field_error(const std::string& path, const std::string& problem) {
  return Status::invalid_argument(path + ": " + problem);
}

// Rejects a non-object, any field not in `fields`, and any of the first `required` of `fields`
// that is missing (the rest are optional).
template <size_t N>
Status check_object(const Json& j, const std::string& path,
                    const std::array<std::string_view, N>& fields, size_t required = N) {
  if (!j.is_object()) return field_error(path.empty() ? "scenario" : path, "expected an object");
  for (const auto& [name, value] : j.items()) {
    bool known = false;
    for (std::string_view field : fields) known = known || field == name;
    if (!known) return field_error(join(path, name), "unknown field");
  }
  for (size_t i = 0; i < required; ++i) {
    if (!j.contains(fields[i])) return field_error(join(path, fields[i]), "missing field");
  }
  return Status::ok_status();
}

Status read_u64(const Json& j, const std::string& path, std::string_view field, uint64_t max,
                uint64_t* out) {
  const Json& value = j.at(std::string(field));
  const std::string where = join(path, field);
  if (!value.is_number_unsigned()) {
    if (value.is_number_integer()) return field_error(where, "must not be negative");
    return field_error(where, "expected an unsigned integer");
  }
  const uint64_t number = value.get<uint64_t>();
  if (number > max) {
    return field_error(where, std::to_string(number) + " exceeds " + std::to_string(max));
  }
  *out = number;
  return Status::ok_status();
}

Status read_u32(const Json& j, const std::string& path, std::string_view field, uint64_t max,
                uint32_t* out) {
  uint64_t number = 0;
  TIERKV_RETURN_IF_ERROR(read_u64(j, path, field, max, &number));
  *out = static_cast<uint32_t>(number);
  return Status::ok_status();
}

Status read_bool(const Json& j, const std::string& path, std::string_view field, bool* out) {
  const Json& value = j.at(std::string(field));
  if (!value.is_boolean()) return field_error(join(path, field), "expected true or false");
  *out = value.get<bool>();
  return Status::ok_status();
}

Status read_string(const Json& j, const std::string& path, std::string_view field,
                   std::string* out) {
  const Json& value = j.at(std::string(field));
  if (!value.is_string()) return field_error(join(path, field), "expected a string");
  *out = value.get<std::string>();
  return Status::ok_status();
}

Status read_string_list(const Json& j, const std::string& path, std::string_view field,
                        std::vector<std::string>* out) {
  const Json& value = j.at(std::string(field));
  const std::string where = join(path, field);
  if (!value.is_array()) return field_error(where, "expected an array of strings");
  out->clear();
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return field_error(where + "[" + std::to_string(i) + "]", "expected a string");
    }
    out->push_back(value[i].get<std::string>());
  }
  return Status::ok_status();
}

Status parse_world(const Json& j, const std::string& path, WorldConfig* world) {
  // The last five are optional: files written before hybrid_btree have a SQLite B-tree side,
  // files written before overlay_journal_puts an overlay store without journaled puts, files
  // written before hybrid_primary the backend's store as TierStore's primary, files written
  // before the async_batch_* fields an async mirror with TierStore's default batching.
  static constexpr std::array<std::string_view, 18> kFields = {
      "backend", "versioned_primary", "hybrid", "ephemeral_tier", "backup_tier", "async_backup",
      "async_backup_queue_capacity", "overlay_store", "snapshot_interval_versions",
      "keep_snapshots", "wal_segment_size_bytes", "sector_size_bytes", "latency_us_max",
      "hybrid_btree", "overlay_journal_puts", "hybrid_primary", "async_batch_max_keys",
      "async_batch_delay_us"};
  TIERKV_RETURN_IF_ERROR(check_object(j, path, kFields, kFields.size() - 5));
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "backend", &world->backend));
  bool known_backend = false;
  for (std::string_view backend : kBackends) known_backend = known_backend || backend == world->backend;
  if (!known_backend) {
    return field_error(join(path, "backend"), "unknown backend '" + world->backend +
                                                  "' (expected memory, leveldb, sqlite or lmdb)");
  }
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "versioned_primary", &world->versioned_primary));
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "hybrid", &world->hybrid));
  if (j.contains("hybrid_btree")) {
    TIERKV_RETURN_IF_ERROR(read_string(j, path, "hybrid_btree", &world->hybrid_btree));
    if (world->hybrid_btree != "sqlite" && world->hybrid_btree != "lmdb") {
      return field_error(join(path, "hybrid_btree"), "unknown B-tree backend '" +
                                                         world->hybrid_btree +
                                                         "' (expected sqlite or lmdb)");
    }
  }
  if (j.contains("hybrid_primary")) {
    TIERKV_RETURN_IF_ERROR(read_bool(j, path, "hybrid_primary", &world->hybrid_primary));
  }
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "ephemeral_tier", &world->ephemeral_tier));
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "backup_tier", &world->backup_tier));
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "async_backup", &world->async_backup));
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "async_backup_queue_capacity", kU32Max,
                                  &world->async_backup_queue_capacity));
  if (j.contains("async_batch_max_keys")) {
    TIERKV_RETURN_IF_ERROR(read_u32(j, path, "async_batch_max_keys", 1u << 20,
                                    &world->async_batch_max_keys));
    if (world->async_batch_max_keys == 0) {
      return field_error(join(path, "async_batch_max_keys"), "must be at least 1");
    }
  }
  if (j.contains("async_batch_delay_us")) {
    TIERKV_RETURN_IF_ERROR(read_u64(j, path, "async_batch_delay_us", kAsyncBatchDelayUsMax,
                                    &world->async_batch_delay_us));
  }
  TIERKV_RETURN_IF_ERROR(read_bool(j, path, "overlay_store", &world->overlay_store));
  if (j.contains("overlay_journal_puts")) {
    TIERKV_RETURN_IF_ERROR(read_u32(j, path, "overlay_journal_puts", 1u << 20,
                                    &world->overlay_journal_puts));
  }
  TIERKV_RETURN_IF_ERROR(read_u64(j, path, "snapshot_interval_versions", UINT64_MAX,
                                  &world->snapshot_interval_versions));
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "keep_snapshots", kU32Max, &world->keep_snapshots));
  TIERKV_RETURN_IF_ERROR(read_u64(j, path, "wal_segment_size_bytes", UINT64_MAX,
                                  &world->wal_segment_size_bytes));
  if (world->wal_segment_size_bytes == 0) {
    return field_error(join(path, "wal_segment_size_bytes"), "must be at least 1");
  }
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "sector_size_bytes", 1u << 16, &world->sector_size_bytes));
  if (world->sector_size_bytes == 0) return field_error(join(path, "sector_size_bytes"), "must be at least 1");
  return read_u32(j, path, "latency_us_max", kU32Max, &world->latency_us_max);
}

Status parse_op(const Json& j, const std::string& path, uint32_t clients, Op* op) {
  static constexpr std::array<std::string_view, 8> kFields = {
      "kind", "client", "primary_namespace", "secondary_namespace", "key", "keys",
      "value_bytes", "amount"};
  TIERKV_RETURN_IF_ERROR(check_object(j, path, kFields));
  std::string kind;
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "kind", &kind));
  Result<OpKind> parsed = parse_op_kind(kind);
  if (!parsed.ok()) return field_error(join(path, "kind"), parsed.status().message());
  op->kind = *parsed;
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "client", kU32Max, &op->client));
  if (op->client >= clients) {
    return field_error(join(path, "client"), std::to_string(op->client) +
                                                 " is not below clients (" +
                                                 std::to_string(clients) + ")");
  }
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "primary_namespace", &op->primary_namespace));
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "secondary_namespace", &op->secondary_namespace));
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "key", &op->key));
  TIERKV_RETURN_IF_ERROR(read_string_list(j, path, "keys", &op->keys));
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "value_bytes", kValueBytesMax, &op->value_bytes));
  if (op->kind == OpKind::kOverlayPutBlocks &&
      (op->value_bytes == 0 || op->value_bytes > kOverlayPutBlocksMax)) {
    return field_error(join(path, "value_bytes"),
                       "an overlay_put_blocks op puts 1.." + std::to_string(kOverlayPutBlocksMax) +
                           " blocks, got " + std::to_string(op->value_bytes));
  }
  return read_u64(j, path, "amount", UINT64_MAX, &op->amount);
}

Status parse_fault(const Json& j, const std::string& path, Fault* fault) {
  static constexpr std::array<std::string_view, 6> kFields = {
      "kind", "at", "duration", "rate_ppm", "target", "over_budget"};
  TIERKV_RETURN_IF_ERROR(check_object(j, path, kFields));
  std::string kind;
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "kind", &kind));
  Result<FaultKind> parsed = parse_fault_kind(kind);
  if (!parsed.ok()) return field_error(join(path, "kind"), parsed.status().message());
  fault->kind = *parsed;
  TIERKV_RETURN_IF_ERROR(read_u64(j, path, "at", UINT64_MAX, &fault->at));
  TIERKV_RETURN_IF_ERROR(read_u64(j, path, "duration", UINT64_MAX, &fault->duration));
  TIERKV_RETURN_IF_ERROR(read_u32(j, path, "rate_ppm", kPpmMax, &fault->rate_ppm));
  TIERKV_RETURN_IF_ERROR(read_string(j, path, "target", &fault->target));
  return read_bool(j, path, "over_budget", &fault->over_budget);
}

template <typename T, typename ParseOne>
Status parse_list(const Json& j, std::string_view field, std::vector<T>* out, ParseOne parse_one) {
  const Json& list = j.at(std::string(field));
  if (!list.is_array()) return field_error(std::string(field), "expected an array");
  out->clear();
  out->reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    T item;
    TIERKV_RETURN_IF_ERROR(parse_one(list[i], std::string(field) + "[" + std::to_string(i) + "]", &item));
    out->push_back(std::move(item));
  }
  return Status::ok_status();
}

Status parse_scenario(const Json& j, Scenario* scenario) {
  static constexpr std::array<std::string_view, 10> kFields = {
      "format_version", "seed", "build_id", "clients", "hot_keys", "over_budget", "world",
      "ops", "faults", "expected_violation"};
  TIERKV_RETURN_IF_ERROR(check_object(j, "", kFields));
  uint64_t version = 0;
  TIERKV_RETURN_IF_ERROR(read_u64(j, "", "format_version", UINT64_MAX, &version));
  if (version != kFormatVersion && version != kFormatVersionStreamFaults) {
    return field_error("format_version", "unsupported version " + std::to_string(version) +
                                             " (this build reads " +
                                             std::to_string(kFormatVersionStreamFaults) + " and " +
                                             std::to_string(kFormatVersion) + ")");
  }
  scenario->fault_decisions =
      version == kFormatVersion ? FaultDecisions::kSite : FaultDecisions::kStream;
  TIERKV_RETURN_IF_ERROR(read_u64(j, "", "seed", UINT64_MAX, &scenario->seed));
  TIERKV_RETURN_IF_ERROR(read_string(j, "", "build_id", &scenario->build_id));
  TIERKV_RETURN_IF_ERROR(read_u32(j, "", "clients", kClientsMax, &scenario->clients));
  if (scenario->clients == 0) return field_error("clients", "must be at least 1");
  TIERKV_RETURN_IF_ERROR(read_bool(j, "", "hot_keys", &scenario->hot_keys));
  TIERKV_RETURN_IF_ERROR(read_bool(j, "", "over_budget", &scenario->over_budget));
  TIERKV_RETURN_IF_ERROR(parse_world(j.at("world"), "world", &scenario->world));
  const uint32_t clients = scenario->clients;
  TIERKV_RETURN_IF_ERROR(parse_list<Op>(j, "ops", &scenario->ops,
      [clients](const Json& item, const std::string& path, Op* op) {
        return parse_op(item, path, clients, op);
      }));
  TIERKV_RETURN_IF_ERROR(parse_list<Fault>(j, "faults", &scenario->faults, parse_fault));
  return read_string(j, "", "expected_violation", &scenario->expected_violation);
}

OrderedJson world_to_json(const WorldConfig& w) {
  return OrderedJson{{"backend", w.backend},
                     {"versioned_primary", w.versioned_primary},
                     {"hybrid", w.hybrid},
                     {"hybrid_btree", w.hybrid_btree},
                     {"hybrid_primary", w.hybrid_primary},
                     {"ephemeral_tier", w.ephemeral_tier},
                     {"backup_tier", w.backup_tier},
                     {"async_backup", w.async_backup},
                     {"async_backup_queue_capacity", w.async_backup_queue_capacity},
                     {"async_batch_max_keys", w.async_batch_max_keys},
                     {"async_batch_delay_us", w.async_batch_delay_us},
                     {"overlay_store", w.overlay_store},
                     {"overlay_journal_puts", w.overlay_journal_puts},
                     {"snapshot_interval_versions", w.snapshot_interval_versions},
                     {"keep_snapshots", w.keep_snapshots},
                     {"wal_segment_size_bytes", w.wal_segment_size_bytes},
                     {"sector_size_bytes", w.sector_size_bytes},
                     {"latency_us_max", w.latency_us_max}};
}

OrderedJson op_to_json(const Op& op) {
  return OrderedJson{{"kind", op_kind_name(op.kind)},
                     {"client", op.client},
                     {"primary_namespace", op.primary_namespace},
                     {"secondary_namespace", op.secondary_namespace},
                     {"key", op.key},
                     {"keys", op.keys},
                     {"value_bytes", op.value_bytes},
                     {"amount", op.amount}};
}

OrderedJson fault_to_json(const Fault& fault) {
  return OrderedJson{{"kind", fault_kind_name(fault.kind)}, {"at", fault.at},
                     {"duration", fault.duration},          {"rate_ppm", fault.rate_ppm},
                     {"target", fault.target},              {"over_budget", fault.over_budget}};
}

// One element per line, so diffs and shrink results stay readable.
template <typename T, typename ToJson>
std::string list_to_json(const std::vector<T>& items, ToJson to_json) {
  if (items.empty()) return "[]";
  std::string out = "[\n";
  for (size_t i = 0; i < items.size(); ++i) {
    out += "    " + to_json(items[i]).dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
    out += i + 1 < items.size() ? ",\n" : "\n";
  }
  return out + "  ]";
}

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  const auto index = static_cast<size_t>(kind);
  assert(index < kOpKindNames.size());
  return kOpKindNames[index];
}

std::string_view fault_kind_name(FaultKind kind) { return faults::fault_info(kind).name; }

Result<OpKind> parse_op_kind(std::string_view name) {
  for (size_t i = 0; i < kOpKindNames.size(); ++i) {
    if (kOpKindNames[i] == name) return static_cast<OpKind>(i);
  }
  return Status::invalid_argument("unknown op kind '" + std::string(name) + "'");
}

Result<FaultKind> parse_fault_kind(std::string_view name) {
  return faults::fault_kind_from_name(name);
}

std::string scenario_to_json(const Scenario& s) {
  const auto field = [](std::string_view name, const OrderedJson& value) {
    return "  \"" + std::string(name) + "\": " + value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace) + ",\n";
  };
  std::string out = "{\n";
  out += field("format_version", s.fault_decisions == FaultDecisions::kSite
                                     ? kFormatVersion
                                     : kFormatVersionStreamFaults);
  out += field("seed", s.seed);
  out += field("build_id", s.build_id);
  out += field("expected_violation", s.expected_violation);
  out += field("clients", s.clients);
  out += field("hot_keys", s.hot_keys);
  out += field("over_budget", s.over_budget);
  out += field("world", world_to_json(s.world));
  out += "  \"faults\": " + list_to_json(s.faults, fault_to_json) + ",\n";
  out += "  \"ops\": " + list_to_json(s.ops, op_to_json) + "\n}\n";
  return out;
}

Result<Scenario> scenario_from_json(std::string_view json) {
  // nlohmann throws on malformed text and on some accessors: nothing may escape this boundary.
  try {
    Json document = Json::parse(json.begin(), json.end());
    Scenario scenario;
    TIERKV_RETURN_IF_ERROR(parse_scenario(document, &scenario));
    return scenario;
  } catch (const Json::parse_error& e) {
    return Status::invalid_argument("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                                    e.what());
  } catch (const std::exception& e) {
    return Status::invalid_argument(std::string("malformed scenario: ") + e.what());
  }
}

}  // namespace tierkv::sim
