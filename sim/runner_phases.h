// Run: one deterministic simulation run of a Scenario (what run_scenario executes; see
// sim/runner.cc for the shape of a run). Internal to the runner; tests use run_scenario.
//
// Fault handling (the scenario's Fault list):
//   crash           power cut once the env's mutating op count reaches `at` (also during
//                   recovery: a crash while reopening is followed by another restart)
//   torn_writes     at each power cut, torn tails are kept with probability rate_ppm
//   lost_dir_entry  at each power cut, unsynced directory changes are all dropped w.p. rate
//   io_error        EIO on read/append/write_at/sync whose path contains target, w.p. rate
//   no_space        ENOSPC on append/write_at whose path contains target, w.p. rate
//   backup_outage / slow_backup   windows of simulated time on the backup tier
//   ephemeral_loss  at each restart, the ephemeral tier is wiped w.p. rate
//   bit_rot         (over budget) a bit flips in a file whose path contains target once the
//                   env's op count reaches `at`; only a clear detection is then allowed
// After an injected env error the stores may refuse work until reopened (they cannot know
// what reached the disk), so a phase that saw one ends with a restart.
// Thread-safety: the simulator's one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/memory_backend.h"
#include "sim/checkers.h"
#include "sim/real_scratch_dir.h"
#include "sim/model.h"
#include "sim/runner.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"
#include "sim/workload_client.h"
#include "sim/world.h"

namespace tierkv::sim {

// Estimates for placing faults over a run (swarm horizons).
inline constexpr uint64_t kEnvOpsPerOpEstimate = 12;
inline constexpr uint64_t kLmdbEnvOpsPerOpEstimate = 3;
inline constexpr uint64_t kSimulatedUsPerOpEstimate = 4000;
// A phase that has not finished after this much simulated time is stuck.
inline constexpr uint64_t kPhaseBoundUs = 600 * kMicrosPerSecond;
// Once faults heal, pending work must finish within this (invariant 8).
inline constexpr uint64_t kLivenessBoundUs = 60 * kMicrosPerSecond;
inline constexpr uint32_t kReopenAttemptsMax = 8;
inline constexpr size_t kRollbackPointsMax = 4;
inline constexpr uint64_t kSlowBackupLatencyUs = 20'000;
// Bound on shutdown rounds in abandon_coroutines (each unwinds one more lock hand-off).
inline constexpr uint32_t kAbandonRoundsMax = 8;

class Run {
 public:
  Run(const Scenario& scenario, PrimaryWrapper wrap_primary);
  ~Run();
  RunResult execute();

 private:
  struct RollbackPoint {
    uint64_t version = 0;
    std::map<std::string, std::string> raw;  // the VersionedStore's whole state
    std::map<StoreKey, std::string> durable; // the model's durable keys
  };

  void parse_faults();
  Status fault_hook(const SimOp& op);
  void arm_crash();
  bool chance_ppm(uint32_t rate_ppm) { return rate_ppm > 0 && fault_prng_.chance(rate_ppm, 1'000'000); }
  // Whether a rate fault of kind strikes an Env op (site: its kind and path, counted per site)
  // or a restart (site "restart", ordinal = restarts so far), as scenario_.fault_decisions says.
  bool env_op_fault(FaultKind kind, uint32_t rate_ppm, const SimOp& op);
  bool restart_fault(FaultKind kind, uint32_t rate_ppm);
  ClientContext client_context();
  bool all_idle() const;
  std::vector<std::string> pending_ops() const;

  // Abandons every coroutine (SimExecutor::shutdown), in rounds while a store of the world
  // still has a lock held or awaited (a destroyed holder hands its lock to a waiter whose
  // unwinding the next round runs), so no parked coroutine outlives the store it references.
  void abandon_coroutines();
  // After a crash point: lets the dead world's in-flight calls fail out (every Env call fails)
  // so that they release their locks while the stores are alive.
  void let_calls_fail_out();

  // Phases and barriers.
  bool run_phase();
  bool restart(bool scheduled_crash);
  bool reopen(uint64_t version_before, bool wiped);
  void do_rollback(uint64_t op_index);
  void record_rollback_point();
  void finish_liveness();

  // Checks at quiescent points (runner_checks in runner_phases.cc).
  void check_after_recovery(uint64_t version_before, bool wiped);
  Task<void> check_keys(bool after_crash, bool wiped);
  // Async backup worlds: waits for the mirror to drain (flush_backup) and, unless a reconcile
  // was pending or ran meanwhile, checks backup == primary for every durable key before any
  // reconcile could repair it. Skipped while a backup outage would outlast the check's bound.
  Task<void> check_mirror_drained();
  Task<void> check_pagination();
  // (5) + (1) The HybridStore's merged scan: pages == one scan == both sides, ascending, and
  // every key's value legal for the model (no phantom).
  void check_hybrid_scans();
  // (4) A hybrid primary (World::hybrid_primary): every namespace pair a side lists routes to
  // that side, and no model key is found on the side its primary namespace does not route to.
  Task<void> check_hybrid_primary_sides();
  bool key_is_durable(const StoreKey& key) const;
  // A raw key's value (workload.h is_raw_key) read straight from its engine component.
  Result<std::optional<std::string>> read_raw(const StoreKey& key);
  // (1) The primary VersionedStore's maintained LtHash against one recomputed from its state.
  void check_lt_hash();
  // Checks a raw key's value against the model and adds it to *observed_out (the caller
  // settles it once the batches are checked as units).
  void check_raw_key(const StoreKey& key, bool after_crash,
                     std::map<StoreKey, std::optional<std::string>>* observed_out);
  // (6) Overlay consistency and quota. After a crash no upload survives, so what dead uploads
  // reserved is released first (their owners' clean-up); when quiescent without a crash the
  // store's reserved bytes must equal what clients hold.
  Task<void> check_overlays(bool after_crash);
  // Runs task to completion within kLivenessBoundUs (a liveness violation otherwise).
  bool drive(Task<void> task);

  const Scenario& scenario_;
  PrimaryWrapper wrap_primary_;
  TraceHash trace_;
  Prng executor_prng_;
  Prng env_prng_;
  Prng fault_prng_;
  SimClock clock_;
  SimEnv env_;
  SimExecutor executor_;
  RunResult result_;
  Model model_;
  Checkers checkers_;
  std::unique_ptr<RealScratchDir> lmdb_root_;  // LMDB worlds only; outlives every world
  std::unique_ptr<MemoryBackend> ephemeral_backend_;
  std::unique_ptr<World> world_;
  std::vector<ClientQueue> queues_;
  std::vector<RollbackPoint> rollback_points_;

  // Parsed faults.
  std::vector<uint64_t> crash_points_;  // ascending env mutating-op counts
  size_t next_crash_ = 0;
  std::vector<Fault> bit_rots_;
  size_t next_bit_rot_ = 0;
  FaultWindows backup_faults_;
  uint32_t torn_rate_ppm_ = 0;
  uint32_t lost_dir_rate_ppm_ = 0;
  uint32_t ephemeral_loss_rate_ppm_ = 0;
  std::optional<Fault> io_error_;
  std::optional<Fault> no_space_;
  std::map<std::string, uint64_t> env_op_sites_;  // "<fault>:<op kind> <path>" -> ops seen
  bool faults_active_ = false;
  bool env_fault_since_restart_ = false;
  bool over_budget_fired_ = false;
  bool crashed_ = false;  // the env hit a crash point; the dead world's calls are failing out
  bool aborted_ = false;  // the run cannot continue (a violation or a detected corruption)
  // A reopen failed with Corruption after over-budget damage: an allowed detection (also when
  // it is the world's first open, whose own files the damage hit).
  bool detected_corruption_ = false;
  // Overlay quota clients reserved and have not released (see ClientContext).
  uint64_t overlay_reserved_bytes_ = 0;
};

}  // namespace tierkv::sim
