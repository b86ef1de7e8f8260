#include "sim/shrink.h"

#include <algorithm>
#include <cassert>

#include "faults/fault_site.h"

namespace tierkv::sim {
namespace {

bool is_restart_rate(FaultKind kind) {
  return kind == FaultKind::kTornWrites || kind == FaultKind::kLostDirEntry ||
         kind == FaultKind::kEphemeralLoss;
}

// The crash points of faults moved to the same fraction of a run kept_ops/total_ops long (a
// crash past the end of a shorter run would never fire). Other faults unchanged.
std::vector<Fault> scale_crash_points(std::vector<Fault> faults, size_t kept_ops,
                                      size_t total_ops) {
  assert(total_ops > 0);
  for (Fault& f : faults) {
    if (f.kind != FaultKind::kCrash) continue;
    const auto scaled = static_cast<unsigned __int128>(f.at) * kept_ops / total_ops;
    f.at = std::max<uint64_t>(static_cast<uint64_t>(scaled), 1);
  }
  return faults;
}

bool has_crash(const std::vector<Fault>& faults) {
  return std::any_of(faults.begin(), faults.end(),
                     [](const Fault& f) { return f.kind == FaultKind::kCrash; });
}

class Shrinker {
 public:
  Shrinker(Scenario best, const std::function<bool(const Scenario&)>& still_fails,
           uint32_t max_runs)
      : best_(std::move(best)), still_fails_(still_fails), runs_left_(max_runs), max_runs_(max_runs) {}

  ShrinkResult shrink() {
    shrink_faults();
    pin_restart_faults();
    raise_env_rates();
    truncate_ops();
    remove_op_groups();
    // Fewer clients and a simpler world first: a few runs each, and every later run is cheaper
    // and less sensitive to interleavings.
    shrink_clients();
    simplify_world();
    shrink_ops();
    // Fewer ops leave room to pull crash points earlier, which may let more ops go.
    for (uint32_t round = 0; round < kRoundsMax && runs_left_ > 0; ++round) {
      const size_t ops_before = best_.ops.size();
      const std::vector<Fault> faults_before = best_.faults;
      lower_crash_points();
      truncate_ops();
      remove_op_groups();
      shrink_ops();
      if (best_.ops.size() == ops_before && best_.faults == faults_before) break;
    }
    return {best_, max_runs_ - runs_left_, runs_left_ == 0};
  }

 private:
  static constexpr uint32_t kRoundsMax = 4;
  static constexpr uint64_t kRaisedRatePpmMax = 50'000;

  // Tries one candidate; keeps it if it still fails.
  bool try_candidate(const Scenario& candidate) {
    if (runs_left_ == 0) return false;
    --runs_left_;
    if (!still_fails_(candidate)) return false;
    best_ = candidate;
    return true;
  }

  void shrink_faults() {
    if (best_.faults.empty()) return;
    Scenario base = best_;
    best_.faults = ddmin<Fault>(best_.faults, [&](const std::vector<Fault>& faults) {
      base.faults = faults;
      return still_fails_(base);
    }, &runs_left_);
  }

  // A restart-time fault (torn tails, lost dir entries, ephemeral loss) that strikes at every
  // restart no longer depends on which restart the failure needed: later op removals keep it.
  void pin_restart_faults() {
    for (size_t i = 0; i < best_.faults.size(); ++i) {
      const Fault& f = best_.faults[i];
      if (!is_restart_rate(f.kind) || f.rate_ppm == faults::kPpmMax) continue;
      Scenario candidate = best_;
      candidate.faults[i].rate_ppm = faults::kPpmMax;
      try_candidate(candidate);
    }
  }

  // A rare io_error/no_space strike that the failure needed (e.g. the restart after it) moves
  // or vanishes when ops go; a higher rate strikes again soon wherever the run goes. Tries
  // x64, x16, x4 (at most kRaisedRatePpmMax), the most robust first, and keeps the first that
  // still fails.
  void raise_env_rates() {
    for (size_t i = 0; i < best_.faults.size(); ++i) {
      const FaultKind kind = best_.faults[i].kind;
      if (kind != FaultKind::kIoError && kind != FaultKind::kNoSpace) continue;
      const uint64_t rate = best_.faults[i].rate_ppm;
      for (uint64_t factor : {64, 16, 4}) {
        const uint64_t raised = std::min<uint64_t>(rate * factor, kRaisedRatePpmMax);
        if (raised <= rate) continue;
        Scenario candidate = best_;
        candidate.faults[i].rate_ppm = static_cast<uint32_t>(raised);
        if (try_candidate(candidate)) break;
      }
    }
  }

  // The shortest prefix of the ops that still fails (binary search): what comes after the
  // failure rarely matters, and a prefix leaves every crash point where it was.
  void truncate_ops() {
    size_t low = 0;
    while (low < best_.ops.size() && runs_left_ > 0) {
      const size_t mid = low + (best_.ops.size() - low) / 2;
      Scenario candidate = best_;
      candidate.ops.resize(mid);
      if (!try_candidate(candidate)) low = mid + 1;
    }
  }

  // Whole groups of ops at once, one run each: every op of one kind, of one client, of one
  // namespace pair. Cheaper than ddmin when the failure needs only a few kinds or keys.
  void remove_op_groups() {
    const auto remove_where = [&](const auto& in_group) {
      Scenario candidate = best_;
      std::erase_if(candidate.ops, in_group);
      if (candidate.ops.size() == best_.ops.size() || candidate.ops.empty()) return;
      try_candidate(candidate);
    };
    for (int kind = 0; kind < kOpKindCount; ++kind) {
      remove_where([kind](const Op& op) { return static_cast<int>(op.kind) == kind; });
    }
    for (uint32_t client = 0; client < best_.clients; ++client) {
      remove_where([client](const Op& op) { return op.client == client; });
    }
    std::vector<std::pair<std::string, std::string>> namespaces;
    for (const Op& op : best_.ops) namespaces.emplace_back(op.primary_namespace, op.secondary_namespace);
    std::sort(namespaces.begin(), namespaces.end());
    namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
    for (const auto& ns : namespaces) {
      remove_where([&ns](const Op& op) {
        return op.primary_namespace == ns.first && op.secondary_namespace == ns.second;
      });
    }
  }

  // ddmin over ops. A candidate that no longer fails is tried once more with its crash points
  // scaled to its length (a crash past the end of the shorter run never fires).
  void shrink_ops() {
    if (best_.ops.empty()) return;
    Scenario base = best_;
    const size_t total = best_.ops.size();
    const bool crashes = has_crash(best_.faults);
    const auto fails_with = [&](const std::vector<Op>& ops, bool scaled) {
      base.ops = ops;
      base.faults = scaled ? scale_crash_points(best_.faults, ops.size(), total) : best_.faults;
      return still_fails_(base);
    };
    std::vector<Op> ops = ddmin<Op>(best_.ops, [&](const std::vector<Op>& candidate) {
      if (fails_with(candidate, false)) return true;
      if (!crashes || candidate.size() == total || runs_left_ == 0) return false;
      --runs_left_;
      return fails_with(candidate, true);
    }, &runs_left_);
    if (ops.size() == total) return;
    // Which variant the last accepted candidate was: the plain one first (one or two runs,
    // counted even past the budget: ddmin's result must be kept with the faults it failed with).
    runs_left_ -= std::min<uint32_t>(runs_left_, 1);
    if (fails_with(ops, false)) {
      best_.ops = std::move(ops);
    } else if (runs_left_ -= std::min<uint32_t>(runs_left_, 1); crashes && fails_with(ops, true)) {
      best_.faults = scale_crash_points(best_.faults, ops.size(), total);
      best_.ops = std::move(ops);
    }
  }

  // Each crash point pulled as early as still fails (binary search over [1, at]).
  void lower_crash_points() {
    for (size_t i = 0; i < best_.faults.size(); ++i) {
      if (best_.faults[i].kind != FaultKind::kCrash) continue;
      uint64_t low = 1;
      uint64_t high = best_.faults[i].at;  // fails
      while (low < high && runs_left_ > 0) {
        const uint64_t mid = low + (high - low) / 2;
        Scenario candidate = best_;
        candidate.faults[i].at = mid;
        if (try_candidate(candidate)) {
          high = mid;
        } else {
          low = mid + 1;
        }
      }
    }
  }

  void shrink_clients() {
    for (uint32_t clients = 1; clients < best_.clients; ++clients) {
      Scenario candidate = best_;
      candidate.clients = clients;
      for (Op& op : candidate.ops) op.client %= clients;
      if (try_candidate(candidate)) return;
    }
  }

  void simplify_world() {
    const auto try_off = [&](auto edit) {
      Scenario candidate = best_;
      if (!edit(candidate)) return;  // already simple
      try_candidate(candidate);
    };
    try_off([](Scenario& s) { return std::exchange(s.world.backup_tier, false); });
    try_off([](Scenario& s) { return std::exchange(s.world.async_backup, false); });
    try_off([](Scenario& s) { return std::exchange(s.world.ephemeral_tier, false); });
    try_off([](Scenario& s) { return std::exchange(s.world.overlay_store, false); });
    try_off([](Scenario& s) { return std::exchange(s.world.hybrid, false); });
    try_off([](Scenario& s) { return std::exchange(s.hot_keys, false); });
  }

  Scenario best_;
  const std::function<bool(const Scenario&)>& still_fails_;
  uint32_t runs_left_;
  const uint32_t max_runs_;
};

}  // namespace

ShrinkResult shrink_scenario(const Scenario& scenario, const std::string& invariant,
                             const std::function<bool(const Scenario&)>& still_fails,
                             const ShrinkOptions& options) {
  assert(!invariant.empty());
  Scenario start = scenario;
  start.expected_violation = invariant;
  ShrinkResult result = Shrinker(start, still_fails, options.max_runs).shrink();
  assert(result.scenario.expected_violation == invariant);
  return result;
}

}  // namespace tierkv::sim
