#include "sim/workload_hybrid.h"

#include <cassert>
#include <map>
#include <string_view>

#include "sim/workload.h"

namespace tierkv::sim {
namespace {

uint64_t now_us(const ClientContext& c) { return c.executor->clock().now_us(); }

std::string scan_prefix(const Op& op) {
  return op.secondary_namespace.empty() ? std::string() : op.secondary_namespace + "/";
}

// Whether model key {"@hybrid", tag, name}'s raw key "tag/name" starts with prefix (without
// building the raw key).
bool raw_key_starts_with(const StoreKey& key, std::string_view prefix) {
  const std::string_view tag = key.secondary_namespace;
  if (prefix.size() <= tag.size()) return tag.starts_with(prefix);
  return prefix.starts_with(tag) && prefix[tag.size()] == '/' &&
         std::string_view(key.key).starts_with(prefix.substr(tag.size() + 1));
}

Status do_read(const ClientContext& c, uint64_t index, HybridStore& store) {
  const StoreKey key = op_key(c.scenario->ops[index]);
  const uint64_t issued = c.model->tick();
  Result<std::string> r = store.get(hybrid_raw_key(key));
  const uint64_t completed = c.model->tick();
  if (!r.ok() && !r.status().is_not_found()) return r.status();
  std::optional<std::string> observed;
  if (r.ok()) observed = std::move(r).value();
  c.checkers->read_value(key, observed, issued, completed, index);
  return Status();
}

Status do_mutation(const ClientContext& c, uint64_t index, HybridStore& store) {
  const Op& op = c.scenario->ops[index];
  const StoreKey key = op_key(op);
  const bool write = op.kind == OpKind::kWrite;
  std::optional<std::string> value;
  if (write) value = op_value(index, 0, op.value_bytes);
  const uint64_t id = c.model->begin(index, op.client, write ? "write" : "remove", key, value,
                                     true, true, now_us(c));
  const Status status = write ? store.put(hybrid_raw_key(key), *value)
                              : store.remove(hybrid_raw_key(key));
  c.model->complete(id, status, now_us(c));
  return status;
}

Status do_batch(const ClientContext& c, uint64_t index, HybridStore& store) {
  const Op& op = c.scenario->ops[index];
  WriteBatch batch;
  std::vector<uint64_t> ids;
  for (uint32_t part = 0; part < op.keys.size(); ++part) {
    const StoreKey key = parse_batch_key(op.keys[part]);
    std::string value = op_value(index, part, op.value_bytes);
    ids.push_back(c.model->begin(index, op.client, "atomic", key, value, true, true, now_us(c)));
    batch.put(hybrid_raw_key(key), std::move(value));
  }
  const Status status = store.write(batch);
  for (uint64_t id : ids) c.model->complete(id, status, now_us(c));
  // A batch spanning both sides is refused by contract: that answer is a success of the op.
  return status.is_invalid_argument() ? Status() : status;
}

Status do_scan(const ClientContext& c, uint64_t index, HybridStore& store) {
  const Op& op = c.scenario->ops[index];
  const std::string prefix = scan_prefix(op);
  const size_t page_keys = op.kind == OpKind::kListWalk ? kHybridPageKeys : 0;
  const uint64_t issued = c.model->tick();
  bool complete = false;
  TIERKV_ASSIGN_OR_RETURN(auto pages, hybrid_scan_pages(store, prefix, page_keys, &complete));
  bool full_complete = false;
  TIERKV_ASSIGN_OR_RETURN(auto full, hybrid_scan_pages(store, prefix, 0, &full_complete));
  const uint64_t completed = c.model->tick();
  assert(full.size() == 1 && full_complete);
  std::vector<std::vector<std::string>> page_keys_seen;
  std::vector<std::string> walked;
  for (const auto& page : pages) {
    page_keys_seen.emplace_back();
    for (const KeyValue& kv : page) {
      page_keys_seen.back().push_back(kv.key);
      walked.push_back(kv.key);
    }
  }
  std::vector<std::string> listed;
  for (const KeyValue& kv : full.front()) listed.push_back(kv.key);
  const std::string what = "HybridStore scan of '" + prefix + "'";
  c.checkers->scan_order(what + " in pages of " + std::to_string(page_keys), prefix, walked);
  c.checkers->pagination(kHybridRawNamespace, op.secondary_namespace, page_keys_seen, complete,
                         listed);
  check_hybrid_scan(*c.checkers, *c.model, prefix, full.front(), issued, completed, index);
  return Status();
}

}  // namespace

Result<std::vector<std::vector<KeyValue>>> hybrid_scan_pages(HybridStore& store,
                                                             const std::string& prefix,
                                                             size_t page_keys, bool* complete) {
  std::vector<std::vector<KeyValue>> pages;
  KeyRange range = prefix_range(prefix);
  *complete = false;
  while (pages.size() < kPageWalkPagesMax) {
    TIERKV_ASSIGN_OR_RETURN(std::vector<KeyValue> page, store.scan(range, page_keys));
    const bool last = page_keys == 0 || page.size() < page_keys;
    if (!page.empty()) range.start = page.back().key + std::string(1, '\0');
    pages.push_back(std::move(page));
    if (last) {
      *complete = true;
      break;
    }
  }
  return pages;
}

void check_hybrid_scan(Checkers& checkers, const Model& model, const std::string& prefix,
                       const std::vector<KeyValue>& scanned, uint64_t issued_tick,
                       uint64_t completed_tick, uint64_t op_index) {
  std::vector<std::string> keys;
  std::map<StoreKey, std::optional<std::string_view>> observed;  // views into scanned
  for (const KeyValue& kv : scanned) {
    keys.push_back(kv.key);
    if (kv.key.find('/') == std::string::npos) continue;  // scan_order names it
    observed.insert_or_assign(hybrid_model_key(kv.key), kv.value);
  }
  checkers.scan_order("HybridStore scan of '" + prefix + "'", prefix, keys);
  for (const StoreKey& key : model.keys_in(kHybridRawNamespace)) {
    if (raw_key_starts_with(key, prefix)) observed.try_emplace(key);
  }
  for (const auto& [key, value] : observed) {
    checkers.read_value(key, value, issued_tick, completed_tick, op_index);
  }
}

Task<Status> run_hybrid_op(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  HybridStore* store = c.world->hybrid();
  if (store == nullptr) {
    co_return Status::not_supported("op#" + std::to_string(index) +
                                    ": the world has no HybridStore");
  }
  co_await c.executor->yield();
  if (*c.crashed) co_return Status::aborted("the process crashed before op#" +
                                            std::to_string(index));
  switch (op.kind) {
    case OpKind::kRead: co_return do_read(c, index, *store);
    case OpKind::kWrite:
    case OpKind::kRemove: co_return do_mutation(c, index, *store);
    case OpKind::kAtomicBatch: co_return do_batch(c, index, *store);
    case OpKind::kList:
    case OpKind::kListWalk: co_return do_scan(c, index, *store);
    default:
      co_return Status::not_supported("op#" + std::to_string(index) + ": " +
                                      std::string(op_kind_name(op.kind)) +
                                      " is not a HybridStore op");
  }
}

}  // namespace tierkv::sim
