#include "sim/workload_client.h"

#include <cassert>
#include <memory>

#include "sim/runner_observer.h"
#include "sim/workload.h"
#include "sim/workload_hybrid.h"

namespace tierkv::sim {
namespace {

uint64_t now_us(const ClientContext& c) { return c.executor->clock().now_us(); }

bool durable_key(const ClientContext& c, const StoreKey& key) {
  return !(c.world->config().ephemeral_tier && is_ephemeral_key(key));
}

bool dead(const ClientContext& c) { return *c.crashed; }

void finish(const ClientContext& c, uint64_t op_index, const Status& status) {
  c.trace->mix("op", op_index, static_cast<uint64_t>(status.code()));
  if (status.ok() && !dead(c)) {
    ++c.stats->ops_acknowledged;
  } else {
    ++c.stats->ops_failed;
  }
  if (RunObserver* observer = current_run_observer()) {
    observer->op_finished(op_index, c.scenario->ops[op_index], status.code(),
                          !dead(c), now_us(c), *c.stats);
  }
}

Task<void> do_read(ClientContext c, uint64_t index) {
  const StoreKey key = op_key(c.scenario->ops[index]);
  const uint64_t issued = c.model->tick();
  Result<std::string> r = co_await c.world->store().read(key);
  const uint64_t completed = c.model->tick();
  const Status status = r.ok() || r.status().is_not_found() ? Status() : r.status();
  if (status.ok() && !dead(c)) {
    std::optional<std::string> observed;
    if (r.ok()) observed = std::move(r).value();
    c.checkers->read_value(key, observed, issued, completed, index);
  }
  finish(c, index, status);
}

Task<void> do_mutation(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  StoreKey key = op_key(op);
  const bool durable = durable_key(c, key);
  Status status;
  if (op.kind == OpKind::kWrite) {
    std::string value = op_value(index, 0, op.value_bytes);
    const uint64_t id = c.model->begin(index, op.client, "write", key, value, durable, true,
                                       now_us(c));
    status = co_await c.world->store().write(key, std::move(value));
    c.model->complete(id, status, now_us(c));
  } else {
    const bool lazy = op.amount == 1;
    const uint64_t id = c.model->begin(index, op.client, lazy ? "remove(lazy)" : "remove", key,
                                       std::nullopt, durable, !lazy, now_us(c));
    status = co_await c.world->store().remove(key, lazy);
    c.model->complete(id, status, now_us(c));
  }
  finish(c, index, status);
}

Task<void> do_cas(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  StoreKey key = op_key(op);
  Result<VersionedValue> current = co_await c.world->store().read_versioned(key);
  uint64_t expected = 0;
  if (current.ok()) {
    expected = current->version;
  } else if (!current.status().is_not_found()) {
    finish(c, index, current.status());
    co_return;
  }
  if (dead(c)) {
    finish(c, index, Status::aborted("the process crashed before the CAS"));
    co_return;
  }
  std::string value = op_value(index, 0, op.value_bytes);
  const uint64_t id = c.model->begin(index, op.client, "cas", key, value, durable_key(c, key),
                                     true, now_us(c));
  Result<uint64_t> r = co_await c.world->store().compare_and_swap(key, expected, std::move(value));
  c.model->complete(id, r.ok() ? Status() : r.status(), now_us(c));
  finish(c, index, r.ok() || r.status().is_conflict() ? Status() : r.status());
}

Task<void> do_atomic(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  std::vector<AtomicOp> ops;
  std::vector<uint64_t> ids;
  for (uint32_t part = 0; part < op.keys.size(); ++part) {
    StoreKey key = parse_batch_key(op.keys[part]);
    std::string value = op_value(index, part, op.value_bytes);
    ids.push_back(c.model->begin(index, op.client, "atomic", key, value, durable_key(c, key), true,
                                 now_us(c)));
    ops.push_back(AtomicOp{std::move(key), std::move(value), std::nullopt});
  }
  AtomicResult r = co_await c.world->store().write_atomic(std::move(ops));
  for (uint64_t id : ids) c.model->complete(id, r.status, now_us(c));
  finish(c, index, r.status);
}

Task<void> do_list(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  if (op.kind == OpKind::kList) {
    auto r = co_await c.world->store().list(op.primary_namespace, op.secondary_namespace);
    finish(c, index, r.ok() ? Status() : r.status());
    co_return;
  }
  bool complete = false;
  auto pages = co_await walk_pages(&c.world->store(), op.primary_namespace,
                                   op.secondary_namespace, &complete);
  if (pages.ok() && !dead(c)) {
    // Concurrent mutations may change the set: only the walk's own rules apply here.
    c.checkers->pagination(op.primary_namespace, op.secondary_namespace, *pages, complete,
                           std::nullopt);
  }
  finish(c, index, pages.ok() ? Status() : pages.status());
}

// Overlay ops: results are checked by the overlays checker (store consistency) at quiescent
// points; every answer the OverlayStore documents (NotFound, Aborted, Conflict, NoSpace) is
// legal here.
// The block at an index: its content depends only on the index, so overlays share blocks.
std::string overlay_block(uint64_t block_index) {
  return op_value(block_index, 0, static_cast<uint32_t>(100 * (1 + block_index % 3)));
}

bool is_deleting(OverlayStore* overlays, const std::string& tree) {
  std::optional<OverlayInfo> info = overlays->overlay(tree);
  return info.has_value() && info->status == OverlayStatus::kDeleting;
}

// Reports a put acknowledged while tree was Deleting before and after it. Deleting never turns
// back into Active (only gone, then a new create): Deleting before and after means the put
// landed in the overlay being dropped, which must refuse it.
void check_not_into_deleting(const ClientContext& c, OverlayStore* overlays,
                             const std::string& tree, bool deleting_before,
                             const std::string& put) {
  if (deleting_before && is_deleting(overlays, tree) && !dead(c)) {
    c.checkers->overlays({put + " was acknowledged while the overlay was Deleting"}, 0);
  }
}

// Puts block block_index into tree. The put goes to the overlay first, as an uploader that
// already created it would, and creates it only when it does not exist: so a put can meet an
// overlay a crash left Deleting (it must be refused), which create_overlay would refuse first.
Task<Status> put_into_overlay(ClientContext c, OverlayStore* overlays, std::string tree,
                              uint64_t block_index) {
  const auto index = static_cast<uint32_t>(block_index);
  std::string bytes = overlay_block(block_index);
  const bool deleting_before = is_deleting(overlays, tree);
  Status status = co_await overlays->put_block(tree, index, bytes);
  if (status.ok()) {
    check_not_into_deleting(c, overlays, tree, deleting_before,
                            "put_block " + tree + "/" + std::to_string(index));
  }
  if (!status.is_not_found()) co_return status;
  status = co_await overlays->create_overlay(tree, now_us(c) + kOverlayLifetimeUs, false);
  if (!status.ok()) co_return status;
  status = co_await overlays->put_block(tree, index, std::move(bytes));
  co_return status;
}

// One put_blocks call of blocks first_index .. first_index + count - 1 into tree; judges what
// it says it stored: at most the call's blocks, OK iff all of them, none acknowledged into a
// Deleting overlay. What is stored after a failure or a crash (a prefix of the call's blocks,
// each block whole) is judged by the overlays checker at the next quiescent point.
Task<PutBlocksResult> put_blocks_once(ClientContext c, OverlayStore* overlays, std::string tree,
                                      uint32_t first_index, uint32_t count) {
  std::vector<std::string> blocks;
  for (uint32_t i = 0; i < count; ++i) blocks.push_back(overlay_block(first_index + i));
  const bool deleting_before = is_deleting(overlays, tree);
  PutBlocksResult result = co_await overlays->put_blocks(tree, first_index, std::move(blocks));
  const std::string call = "put_blocks " + tree + "/" + std::to_string(first_index) + "+" +
                           std::to_string(count);
  if (!dead(c) && (result.stored > count || result.status.ok() != (result.stored == count))) {
    c.checkers->overlays({call + " reported " + std::to_string(result.stored) +
                          " blocks stored with status " + result.status.to_string()},
                         0);
  }
  if (result.stored > 0) check_not_into_deleting(c, overlays, tree, deleting_before, call);
  co_return result;
}

// A bulk upload (OpKind::kOverlayPutBlocks): put_blocks into tree, creating the overlay only
// when the call found none, as put_into_overlay does for one block.
Task<Status> bulk_put_into_overlay(ClientContext c, OverlayStore* overlays, std::string tree,
                                   uint64_t first_index, uint32_t count) {
  const auto first = static_cast<uint32_t>(first_index);
  PutBlocksResult result = co_await put_blocks_once(c, overlays, tree, first, count);
  if (!result.status.is_not_found() || result.stored > 0) co_return result.status;
  Status status = co_await overlays->create_overlay(tree, now_us(c) + kOverlayLifetimeUs, false);
  if (!status.ok()) co_return status;
  result = co_await put_blocks_once(c, overlays, tree, first, count);
  co_return result.status;
}

// An upload under a reservation: reserve(value_bytes), put, release(value_bytes) whatever the
// put did. *c.overlay_reserved_bytes counts what clients reserved and have not released (the
// runner compares it with the store's reserved_bytes at quiescent points).
Task<Status> reserved_put(ClientContext c, OverlayStore* overlays, uint64_t op_index) {
  const Op& op = c.scenario->ops[op_index];
  Status status = co_await overlays->reserve(op.value_bytes);
  if (!status.ok()) co_return status;
  if (!dead(c)) *c.overlay_reserved_bytes += op.value_bytes;
  Status put = co_await put_into_overlay(c, overlays, op.key, op.amount);
  Status released = co_await overlays->release(op.value_bytes);
  if (released.ok() && !dead(c)) *c.overlay_reserved_bytes -= op.value_bytes;
  co_return released.ok() ? put : released;
}

Task<void> do_overlay(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  OverlayStore* overlays = c.world->overlays();
  if (overlays == nullptr) {
    finish(c, index, Status::not_supported("the world has no OverlayStore"));
    co_return;
  }
  Status status;
  if (op.kind == OpKind::kOverlayPut) {
    status = co_await put_into_overlay(c, overlays, op.key, op.amount);
  } else if (op.kind == OpKind::kOverlayReserve) {
    status = co_await reserved_put(c, overlays, index);
  } else if (op.kind == OpKind::kOverlayPutBlocks) {
    status = co_await bulk_put_into_overlay(c, overlays, op.key, op.amount, op.value_bytes);
  } else if (op.kind == OpKind::kOverlayFinalize) {
    const std::string temp = op.key + "_tmp" + std::to_string(index);
    status = co_await overlays->create_overlay(temp, now_us(c) + kOverlayLifetimeUs, true);
    if (status.ok()) {
      std::string bytes = overlay_block(op.amount);
      status = co_await overlays->put_block(temp, 0, std::move(bytes));
    }
    if (status.ok()) status = co_await overlays->finalize(temp, op.key);
  } else if (op.kind == OpKind::kOverlayDrop) {
    status = co_await overlays->drop(op.key);
  } else {
    Result<MaintenanceReport> report = co_await overlays->maintenance();
    status = report.ok() ? Status() : report.status();
  }
  finish(c, index, status);
}

// Pipelined commits (OpKind::kCommitAsync): every commit of the op is started before any
// completes, so the WAL groups them and each one's LtHash delta has to come from the pending
// state the earlier ones left, not from the database.
struct PipelineJoin {
  size_t remaining = 0;
  Status first_error;
};

Task<void> commit_one(ClientContext c, uint64_t index, uint32_t part, VersionedStore* store,
                      std::shared_ptr<PipelineJoin> join) {
  const Op& op = c.scenario->ops[index];
  const std::string& spec = op.keys[part];
  const bool remove = !spec.empty() && spec[0] == '-';
  StoreKey key{kVersionedRawNamespace, "", remove ? spec.substr(1) : spec};
  std::optional<std::string> value;
  if (!remove) value = op_value(index, part, op.value_bytes);
  WriteBatch batch;
  const std::string raw = kVersionedRawPrefix + key.key;
  if (value) {
    batch.put(raw, *value);
  } else {
    batch.remove(raw);
  }
  const uint64_t id =
      c.model->begin(index, op.client, "commit_async", key, value, true, true, now_us(c));
  Result<uint64_t> version = co_await store->commit_async(std::move(batch));
  c.model->complete(id, version.status(), now_us(c));
  if (!version.ok() && join->first_error.ok()) join->first_error = version.status();
  --join->remaining;
}

Task<void> do_commit_async(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  VersionedStore* store = c.world->versioned();
  if (store == nullptr) {
    finish(c, index, Status::not_supported("the primary is not a VersionedStore"));
    co_return;
  }
  auto join = std::make_shared<PipelineJoin>();
  join->remaining = op.keys.size();
  for (uint32_t part = 0; part < op.keys.size(); ++part) {
    c.executor->spawn(commit_one(c, index, part, store, join));
  }
  while (join->remaining > 0) co_await c.executor->yield();
  finish(c, index, join->first_error);
}

Task<void> execute_op(ClientContext c, uint64_t index) {
  const Op& op = c.scenario->ops[index];
  ++c.stats->ops_issued;
  if (RunObserver* observer = current_run_observer()) observer->op_started(index, op, now_us(c));
  if (op.primary_namespace == kHybridRawNamespace) {
    finish(c, index, co_await run_hybrid_op(c, index));
    co_return;
  }
  switch (op.kind) {
    case OpKind::kRead: co_await do_read(c, index); break;
    case OpKind::kWrite:
    case OpKind::kRemove: co_await do_mutation(c, index); break;
    case OpKind::kCas: co_await do_cas(c, index); break;
    case OpKind::kAtomicBatch: co_await do_atomic(c, index); break;
    case OpKind::kList:
    case OpKind::kListWalk: co_await do_list(c, index); break;
    case OpKind::kAdvanceClock:
      co_await c.executor->sleep_us(op.amount);
      finish(c, index, Status());
      break;
    case OpKind::kSnapshot: finish(c, index, c.world->snapshot()); break;
    case OpKind::kOverlayPut:
    case OpKind::kOverlayFinalize:
    case OpKind::kOverlayDrop:
    case OpKind::kOverlayReserve:
    case OpKind::kOverlayPutBlocks:
    case OpKind::kMaintenance: co_await do_overlay(c, index); break;
    case OpKind::kCommitAsync: co_await do_commit_async(c, index); break;
    default:
      // Rollbacks are run by the runner (barriers).
      finish(c, index, Status::not_supported("op kind not run by clients"));
      break;
  }
}

}  // namespace

StoreKey parse_batch_key(const std::string& joined) {
  const size_t first = joined.find('/');
  const size_t second = joined.find('/', first + 1);
  assert(first != std::string::npos && second != std::string::npos && "batch key is p/s/k");
  return StoreKey{joined.substr(0, first), joined.substr(first + 1, second - first - 1),
                  joined.substr(second + 1)};
}

Task<Result<std::vector<std::vector<std::string>>>> walk_pages(KvStore* store,
                                                              std::string primary_namespace,
                                                              std::string secondary_namespace,
                                                              bool* complete) {
  std::vector<std::vector<std::string>> pages;
  std::optional<std::string> token;
  *complete = false;
  while (pages.size() < kPageWalkPagesMax) {
    Result<ListPage> page = co_await store->list_page(primary_namespace, secondary_namespace, token);
    if (!page.ok()) co_return page.status();
    pages.push_back(std::move(page->keys));
    token = std::move(page->next_token);
    if (!token) {
      *complete = true;
      break;
    }
  }
  co_return pages;
}

Task<void> run_client(ClientContext context, ClientQueue* queue) {
  assert(queue->running);
  while (queue->next < queue->phase_end && !dead(context)) {
    const uint64_t index = queue->op_indices[queue->next++];
    queue->current = index;
    co_await execute_op(context, index);
    queue->current = kNoOp;
  }
  queue->running = false;
}

}  // namespace tierkv::sim
