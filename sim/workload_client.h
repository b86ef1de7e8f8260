// Workload clients: each client is a coroutine issuing its operations in order, concurrently
// with the other clients, against World::store(); every mutation is recorded in the Model
// (issue before the store call, completion after), every read is checked against it, every
// page walk is checked for its own rules.
//
// Barrier operations (rollback) are not executed here: the runner ends a phase before them and
// runs them while nothing is in flight. At a crash the runner sets *crashed and marks every
// pending mutation crashed in the model, then lets the dead world's calls fail out (every Env
// call fails after the crash point): a client issues nothing new once *crashed is set, and
// what completes afterwards is neither checked nor counted as acknowledged (nobody could have
// seen it). Each ClientQueue remembers which ops were issued, so the runner resumes the rest
// after the restart. The op in flight at the crash is not re-issued.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/checkers.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace tierkv::sim {

inline constexpr uint64_t kNoOp = std::numeric_limits<uint64_t>::max();
// A page walk that takes more pages than this is not finite (invariant 5).
inline constexpr size_t kPageWalkPagesMax = 1000;

// One client's operations (indices into Scenario::ops) and how far it got.
struct ClientQueue {
  std::vector<uint64_t> op_indices;
  size_t next = 0;          // next op to issue
  size_t phase_end = 0;     // the current phase stops before this position
  uint64_t current = kNoOp; // op in flight
  bool running = false;     // a coroutine is driving this queue
};

// What a client coroutine uses; every pointer outlives the coroutine (the world pointer is
// replaced only after a shutdown abandoned every client).
struct ClientContext {
  const Scenario* scenario = nullptr;
  World* world = nullptr;
  Model* model = nullptr;
  Checkers* checkers = nullptr;
  SimExecutor* executor = nullptr;
  TraceHash* trace = nullptr;
  RunStats* stats = nullptr;
  const bool* crashed = nullptr;  // the process died: results are no longer observable
  // Overlay quota bytes clients reserved and have not released yet (OpKind::kOverlayReserve).
  uint64_t* overlay_reserved_bytes = nullptr;
};

// Issues queue's ops from next up to phase_end, in order. Sets queue->running false when done.
Task<void> run_client(ClientContext context, ClientQueue* queue);

// Walks every page of a namespace pair through store, bounded by kPageWalkPagesMax. Sets
// *complete to whether the last page (no token) was reached. An error ends the walk.
Task<Result<std::vector<std::vector<std::string>>>> walk_pages(KvStore* store,
                                                              std::string primary_namespace,
                                                              std::string secondary_namespace,
                                                              bool* complete);

// Splits "p/s/k" (Op::keys) into a StoreKey.
StoreKey parse_batch_key(const std::string& joined);

}  // namespace tierkv::sim
