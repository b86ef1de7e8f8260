#include "sim/runner_phases.h"

#include <algorithm>
#include <cassert>

#include "faults/fault_site.h"
#include "sim/runner_observer.h"
#include "sim/workload.h"

namespace tierkv::sim {
namespace {

SimExecutorOptions executor_options(const WorldConfig& world) {
  SimExecutorOptions options;
  options.latency_us_max = world.latency_us_max;
  options.blocking_latency_us_max = world.latency_us_max;
  return options;
}

SimEnvOptions env_options(const WorldConfig& world) {
  SimEnvOptions options;
  options.sector_size_bytes = world.sector_size_bytes;
  return options;
}

bool path_matches(std::string_view path, const std::string& target) {
  return target.empty() || path.find(target) != std::string_view::npos;
}

}  // namespace

Run::Run(const Scenario& scenario, PrimaryWrapper wrap_primary)
    : scenario_(scenario),
      wrap_primary_(std::move(wrap_primary)),
      executor_prng_(scenario.seed ^ 0x5eed0001ull),
      env_prng_(scenario.seed ^ 0x5eed0002ull),
      fault_prng_(scenario.seed ^ 0x5eed0003ull),
      env_(env_prng_, trace_, env_options(scenario.world)),
      executor_(clock_, executor_prng_, trace_, executor_options(scenario.world)),
      checkers_(model_, &result_.stats, &result_.violations) {
  parse_faults();
  queues_.resize(std::max<uint32_t>(scenario.clients, 1));
  for (uint64_t i = 0; i < scenario.ops.size(); ++i) {
    const Op& op = scenario.ops[i];
    if (op.kind == OpKind::kRollback) continue;  // a barrier, run by the runner
    queues_[op.client % queues_.size()].op_indices.push_back(i);
  }
  if (scenario.world.ephemeral_tier) ephemeral_backend_ = MemoryBackend::open({}).value();
  if (world_needs_real_dir(scenario.world)) lmdb_root_ = std::make_unique<RealScratchDir>();
  env_.set_fault_hook([this](const SimOp& op) { return fault_hook(op); });
}

Run::~Run() {
  abandon_coroutines();
  world_.reset();
  executor_.shutdown();
}

void Run::abandon_coroutines() {
  for (uint32_t round = 0; round < kAbandonRoundsMax; ++round) {
    executor_.shutdown();
    if (world_ == nullptr || world_->locks_quiescent()) return;
  }
  // A lock handed to a waiter that was destroyed before it resumed stays held; harmless, as
  // nothing is parked in it any more.
}

void Run::let_calls_fail_out() {
  assert(env_.crashed());
  crashed_ = true;
  model_.crash();
  executor_.run_until([this] { return all_idle(); }, clock_.now_us() + kLivenessBoundUs);
}

void Run::parse_faults() {
  for (const Fault& f : scenario_.faults) {
    switch (f.kind) {
      case FaultKind::kCrash: crash_points_.push_back(f.at); break;
      case FaultKind::kTornWrites: torn_rate_ppm_ = f.rate_ppm; break;
      case FaultKind::kLostDirEntry: lost_dir_rate_ppm_ = f.rate_ppm; break;
      case FaultKind::kEphemeralLoss: ephemeral_loss_rate_ppm_ = f.rate_ppm; break;
      case FaultKind::kIoError: io_error_ = f; break;
      case FaultKind::kNoSpace: no_space_ = f; break;
      case FaultKind::kBitRot: bit_rots_.push_back(f); break;
      case FaultKind::kBackupOutage:
        backup_faults_.windows.push_back(FaultWindow{f.at, f.at + f.duration, true, 0});
        break;
      case FaultKind::kSlowBackup:
        backup_faults_.windows.push_back(
            FaultWindow{f.at, f.at + f.duration, false, kSlowBackupLatencyUs});
        break;
      case FaultKind::kBuggify: break;  // installed by run_scenario
    }
  }
  std::sort(crash_points_.begin(), crash_points_.end());
  std::sort(bit_rots_.begin(), bit_rots_.end(),
            [](const Fault& a, const Fault& b) { return a.at < b.at; });
}

Status Run::fault_hook(const SimOp& op) {
  if (!faults_active_) return Status::ok_status();
  if (next_bit_rot_ < bit_rots_.size() && env_.ops_count() >= bit_rots_[next_bit_rot_].at) {
    const Fault& rot = bit_rots_[next_bit_rot_++];
    std::vector<std::string> files;
    for (std::string& path : env_.list_all_files()) {
      if (path_matches(path, rot.target)) files.push_back(std::move(path));
    }
    if (!files.empty()) {
      const std::string& victim = files[fault_prng_.uniform(files.size())];
      Result<std::string> content = env_.durable_file_content(victim);
      if (content.ok() && !content->empty()) {
        const uint64_t offset = fault_prng_.uniform(content->size());
        if (env_.flip_bit(victim, offset, static_cast<int>(fault_prng_.uniform(8))).ok()) {
          over_budget_fired_ = true;
          ++result_.stats.faults_fired["bit_rot"];
          checkers_.note(clock_.now_us(), "bit rot in " + victim + " at byte " +
                                              std::to_string(offset));
        }
      }
    }
  }
  const bool data_op = op.kind == SimOpKind::kAppend || op.kind == SimOpKind::kWriteAt;
  const bool io_op = data_op || op.kind == SimOpKind::kRead || op.kind == SimOpKind::kSync;
  if (io_error_ && io_op && path_matches(op.path, io_error_->target) &&
      env_op_fault(FaultKind::kIoError, io_error_->rate_ppm, op)) {
    env_fault_since_restart_ = true;
    ++result_.stats.faults_fired["io_error"];
    return Status::io_error("simulated EIO on " + std::string(sim_op_kind_name(op.kind)) + " " +
                            std::string(op.path));
  }
  if (no_space_ && data_op && path_matches(op.path, no_space_->target) &&
      env_op_fault(FaultKind::kNoSpace, no_space_->rate_ppm, op)) {
    env_fault_since_restart_ = true;
    ++result_.stats.faults_fired["no_space"];
    return Status::no_space("simulated ENOSPC on " + std::string(op.path));
  }
  return Status::ok_status();
}

bool Run::env_op_fault(FaultKind kind, uint32_t rate_ppm, const SimOp& op) {
  if (scenario_.fault_decisions == FaultDecisions::kStream) return chance_ppm(rate_ppm);
  if (rate_ppm == 0) return false;
  std::string site = std::string(sim_op_kind_name(op.kind)) + " " + std::string(op.path);
  uint64_t& seen = env_op_sites_[std::string(fault_kind_name(kind)) + ":" + site];
  return faults::strikes_at_site(scenario_.seed, kind, site, seen++, rate_ppm);
}

bool Run::restart_fault(FaultKind kind, uint32_t rate_ppm) {
  if (scenario_.fault_decisions == FaultDecisions::kStream) return chance_ppm(rate_ppm);
  return faults::strikes_at_site(scenario_.seed, kind, "restart", result_.stats.crashes,
                                 rate_ppm);
}

void Run::arm_crash() {
  const uint64_t done = env_.mutating_ops_count();
  while (next_crash_ < crash_points_.size() && crash_points_[next_crash_] <= done) ++next_crash_;
  if (next_crash_ == crash_points_.size()) {
    env_.clear_crash_point();
    return;
  }
  env_.set_crash_after_ops(crash_points_[next_crash_] - done - 1);
}

ClientContext Run::client_context() {
  ClientContext context{&scenario_, world_.get(), &model_,        &checkers_,
                        &executor_, &trace_,      &result_.stats, &crashed_};
  context.overlay_reserved_bytes = &overlay_reserved_bytes_;
  return context;
}

bool Run::all_idle() const {
  return std::none_of(queues_.begin(), queues_.end(),
                      [](const ClientQueue& q) { return q.running; });
}

std::vector<std::string> Run::pending_ops() const {
  std::vector<std::string> out;
  for (size_t c = 0; c < queues_.size(); ++c) {
    const ClientQueue& q = queues_[c];
    if (!q.running) continue;
    std::string line = "client " + std::to_string(c);
    if (q.current != kNoOp) {
      line += " op#" + std::to_string(q.current) + " " +
              std::string(op_kind_name(scenario_.ops[q.current].kind)) + " " +
              op_key(scenario_.ops[q.current]).to_string();
    }
    out.push_back(line + ", " + std::to_string(q.phase_end - q.next) + " more queued");
  }
  return out;
}

bool Run::run_phase() {
  while (!aborted_) {
    bool spawned = false;
    for (ClientQueue& q : queues_) {
      if (q.running || q.next >= q.phase_end) continue;
      q.running = true;
      spawned = true;
      executor_.spawn(run_client(client_context(), &q));
    }
    if (!spawned && all_idle()) break;
    arm_crash();
    faults_active_ = true;
    executor_.run_until([this] { return all_idle() || env_.crashed(); },
                        clock_.now_us() + kPhaseBoundUs);
    faults_active_ = false;
    env_.clear_crash_point();
    if (env_.crashed()) {
      ++result_.stats.faults_fired["crash"];
      let_calls_fail_out();
      if (!restart(true)) return false;
      continue;
    }
    if (all_idle()) break;
    // Stuck with faults on: heal them and allow the liveness bound.
    backup_faults_.heal();
    const bool done = executor_.run_until([this] { return all_idle(); },
                                          clock_.now_us() + kLivenessBoundUs);
    if (!checkers_.liveness(done, kLivenessBoundUs, pending_ops())) {
      aborted_ = true;
      return false;
    }
  }
  if (!aborted_ && env_fault_since_restart_) return restart(false);
  return !aborted_;
}

bool Run::restart(bool scheduled_crash) {
  VersionedStore* vs = world_ ? world_->versioned() : nullptr;
  const uint64_t version_before = vs != nullptr ? vs->version() : 0;
  abandon_coroutines();
  model_.crash();
  for (ClientQueue& q : queues_) {
    q.running = false;
    q.current = kNoOp;
  }
  world_.reset();
  const bool torn = restart_fault(FaultKind::kTornWrites, torn_rate_ppm_);
  const bool drop_dir_ops = restart_fault(FaultKind::kLostDirEntry, lost_dir_rate_ppm_);
  if (torn) ++result_.stats.faults_fired["torn_writes"];
  if (drop_dir_ops) ++result_.stats.faults_fired["lost_dir_entry"];
  env_.set_torn_writes(torn);
  env_.set_keep_unsynced_dir_ops(!drop_dir_ops);
  env_.crash();
  executor_.shutdown();
  crashed_ = false;
  ++result_.stats.crashes;
  env_fault_since_restart_ = false;
  bool wiped = false;
  if (ephemeral_backend_ && restart_fault(FaultKind::kEphemeralLoss, ephemeral_loss_rate_ppm_)) {
    ephemeral_backend_ = MemoryBackend::open({}).value();
    wiped = true;
    ++result_.stats.faults_fired["ephemeral_loss"];
  }
  trace_.mix("restart", result_.stats.crashes, scheduled_crash ? 1 : 0);
  checkers_.note(clock_.now_us(), std::string(scheduled_crash ? "power cut" : "restart after "
                                                                             "an injected error") +
                                      (torn ? " (torn tails)" : "") +
                                      (drop_dir_ops ? " (unsynced dir entries dropped)" : "") +
                                      (wiped ? " (ephemeral wiped)" : ""));
  if (RunObserver* observer = current_run_observer()) {
    observer->crashed(clock_.now_us(), scheduled_crash, result_.stats);
  }
  return reopen(version_before, wiped);
}

bool Run::reopen(uint64_t version_before, bool wiped) {
  Status last;
  for (uint32_t attempt = 0; attempt < kReopenAttemptsMax; ++attempt) {
    // Faults stay on during recovery, except on the last attempt (an operator's clean retry).
    faults_active_ = attempt + 1 < kReopenAttemptsMax;
    if (faults_active_) arm_crash();
    env_fault_since_restart_ = false;
    auto world = World::open(scenario_.world, env_, executor_, ephemeral_backend_.get(),
                             &backup_faults_, scenario_.seed, wrap_primary_,
                             lmdb_root_ ? lmdb_root_->path() : std::string());
    faults_active_ = false;
    env_.clear_crash_point();
    if (world.ok() && (env_fault_since_restart_ || env_.crashed())) {
      // An injected error hit a recovery that still succeeded (e.g. a LevelDB compaction it
      // started): the stores may refuse work until reopened, as after a phase that saw one. A
      // crash point met there (a swallowed error) killed the process: every later Env call
      // would fail, so it restarts.
      world = Status::io_error(env_.crashed() ? "a crash point hit recovery; reopening again"
                                              : "an injected error hit recovery; reopening again");
      executor_.shutdown();
    }
    if (world.ok()) {
      world_ = std::move(world).value();
      env_fault_since_restart_ = false;
      check_after_recovery(version_before, wiped);
      if (RunObserver* observer = current_run_observer()) {
        observer->recovered(clock_.now_us(), result_.stats);
      }
      return !aborted_;
    }
    last = world.status();
    if (env_.crashed()) ++result_.stats.faults_fired["crash"];
    checkers_.note(clock_.now_us(), "reopen failed: " + last.to_string());
    executor_.shutdown();
    env_.crash();  // a crashed or failed recovery: the process dies and starts again
    executor_.shutdown();
    ++result_.stats.crashes;
  }
  aborted_ = true;
  if (over_budget_fired_ && last.is_corruption()) {  // a clear detection: allowed
    detected_corruption_ = true;  // noted above ("reopen failed: Corruption ...")
    return false;
  }
  result_.violations.push_back(Violation{
      kCheckRecovery, "the world cannot be reopened after a crash: " + last.to_string(), ""});
  return false;
}

}  // namespace tierkv::sim
