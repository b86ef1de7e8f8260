// Hybrid workload ops: client operations on the world's HybridStore (World::hybrid()), keyed
// by raw keys in kHybridRawNamespace (workload.h).
//
// Promises:
//   - Each op runs its HybridStore call synchronously (no suspension between the model's
//     begin, the call and the completion), after one yield that lets other clients
//     interleave. HybridStore is a Backend (one caller at a time), and this keeps the model's
//     issue order equal to the store's apply order.
//   - Mutations are recorded in the Model like TierStore ones (durable on ack: the store
//     syncs both sides); a batch spanning both sides is refused by the store (InvalidArgument
//     = rejected in the model: nothing may show).
//   - Reads are checked against the model (reads); scans (kList one scan, kListWalk pages of
//     kHybridPageKeys) are checked for order and prefix (pagination: the merged scan of two
//     sides is one ascending sequence), pages against a full scan taken right after, and
//     every key in the scanned range against the model, so phantom or lost keys show.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/hybrid/hybrid_store.h"
#include "sim/workload_client.h"

namespace tierkv::sim {

// Runs op `index` (its primary namespace is kHybridRawNamespace) and returns its status;
// NotSupported when the world has no HybridStore (e.g. a shrunk scenario turned it off).
Task<Status> run_hybrid_op(ClientContext c, uint64_t index);

// The HybridStore's keys and values under prefix ("" = all) in scan order, taken in pages of
// page_keys (0 = one unbounded scan), at most kPageWalkPagesMax pages. *complete: whether the
// walk reached its end within that bound.
Result<std::vector<std::vector<KeyValue>>> hybrid_scan_pages(HybridStore& store,
                                                             const std::string& prefix,
                                                             size_t page_keys, bool* complete);

// Checks a scan of `prefix` taken when nothing changed in between against the model: order
// and prefix (scan_order), and each key's value, present or absent, with read_value at
// (issued_tick, completed_tick), also for keys the model never saw (phantoms).
void check_hybrid_scan(Checkers& checkers, const Model& model, const std::string& prefix,
                       const std::vector<KeyValue>& scanned, uint64_t issued_tick,
                       uint64_t completed_tick, uint64_t op_index);

}  // namespace tierkv::sim
