#include "sim/shrink.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <unordered_map>

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
           const ShrinkOptions& options, const ShrinkProgress& progress)
      : best_(std::move(best)),
        still_fails_(still_fails),
        progress_(progress),
        runs_left_(options.max_runs),
        max_runs_(options.max_runs) {}

  ShrinkResult shrink() {
    pass("faults", &Shrinker::shrink_faults);
    pass("restart faults pinned", &Shrinker::pin_restart_faults);
    pass("env error rates raised", &Shrinker::raise_env_rates);
    // Then rounds of every op, client and world pass, the cheap big cuts first (fewer clients, a
    // simpler world, a prefix (also under other seeds), whole groups: a few runs each, and
    // every later run is cheaper and less sensitive to interleavings; a simpler world may also
    // fail sooner, which leaves a shorter prefix), ddmin over single ops last, crash points pulled
    // earlier at the end of a round (fewer ops leave room for that, which may let more ops go).
    // Until a round changes nothing: every candidate's verdict is remembered, so what a round
    // tries again costs no run. Stuck with the scenario's own seed, the rounds go on with
    // reseeding on (see failing_form) until one changes nothing again.
    for (uint32_t round = 0; round < kRoundsMax && runs_left_ > 0; ++round) {
      const Scenario before = best_;
      round_ = round + 1;
      pass("fewer clients", &Shrinker::fewer_clients);
      pass("simpler world", &Shrinker::simplify_world);
      pass("prefix", &Shrinker::truncate_ops);
      pass("prefix under other seeds", &Shrinker::truncate_ops_reseeded);
      pass("op groups", &Shrinker::remove_op_groups);
      pass("ddmin ops", &Shrinker::shrink_ops);
      pass("crash points earlier", &Shrinker::lower_crash_points);
      if (best_ != before) continue;
      if (reseeds_ > 0) break;
      reseeds_ = kReseeds;
    }
    return {best_, max_runs_ - runs_left_, runs_left_ == 0};
  }

 private:
  static constexpr uint32_t kRoundsMax = 8;
  // Seeds tried after a candidate's own in reseeding rounds: seed + 1 .. seed + kReseeds.
  static constexpr uint32_t kReseeds = 8;
  static constexpr uint64_t kRaisedRatePpmMax = 50'000;
  // The largest async mirror queue and WAL segment a seed draws (sim/workload.cc).
  static constexpr uint32_t kQueueCapacityMax = 32;
  static constexpr uint64_t kWalSegmentMax = 64 * 1024;

  // Runs one pass; reports it to progress_ when it ran a candidate.
  void pass(const char* name, void (Shrinker::*run)()) {
    const uint32_t runs_left_before = runs_left_;
    (this->*run)();
    if (!progress_ || runs_left_ == runs_left_before) return;
    progress_((round_ == 0 ? std::string() : "round " + std::to_string(round_) + " ") + name +
              (reseeds_ > 0 ? " (reseeding)" : "") + ": " + std::to_string(best_.ops.size()) +
              " ops, " + std::to_string(best_.clients) + " clients, " +
              std::to_string(best_.faults.size()) + " faults, seed " + std::to_string(best_.seed) +
              " (" + std::to_string(runs_left_before - runs_left_) + " runs, " +
              std::to_string(max_runs_ - runs_left_) + " in all)");
  }

  // Whether a candidate still fails: one run from the budget, none for a candidate tried
  // before (a scenario replays bit for bit, so the answer stands) or once the budget is spent
  // (then false).
  bool fails(const Scenario& candidate) {
    std::string text = scenario_to_json(candidate);
    if (const auto known = verdicts_.find(text); known != verdicts_.end()) return known->second;
    if (runs_left_ == 0) return false;
    --runs_left_;
    const bool failed = still_fails_(candidate);
    verdicts_.emplace(std::move(text), failed);
    return failed;
  }

  // The first form of a candidate that still fails: as it is, then, in reseeding rounds,
  // under the seeds seed + 1 .. seed + reseeds_. The seed drives latencies and tie-breaks, so
  // a race whose interleaving needed the ops (or clients, or crash point) a candidate removes
  // often comes back under another seed; the form kept replays bit for bit with its seed.
  std::optional<Scenario> failing_form(Scenario candidate) {
    const uint64_t seed = candidate.seed;
    for (uint32_t k = 0; k <= reseeds_; ++k) {
      candidate.seed = seed + k;
      if (fails(candidate)) return candidate;
    }
    return std::nullopt;
  }

  // Tries one candidate; keeps its failing form, if any.
  bool try_candidate(const Scenario& candidate) {
    std::optional<Scenario> failing = failing_form(candidate);
    if (!failing) return false;
    best_ = std::move(*failing);
    return true;
  }

  // ddmin over a list of best_ with fails(); `make` turns a sublist into the candidate
  // scenario. best_ becomes the last candidate ddmin accepted (ddmin returns exactly that
  // sublist), with whatever else `make` changed in it.
  template <typename T>
  void ddmin_into_best(const std::vector<T>& items,
                       const std::function<Scenario(const std::vector<T>&)>& make) {
    // ddmin charges one run per call; fails() charges the real budget only for what it runs,
    // and ddmin's counter is kept equal to it.
    uint32_t ddmin_runs_left = runs_left_;
    Scenario accepted = best_;
    ddmin<T>(
        items,
        [&](const std::vector<T>& sublist) {
          std::optional<Scenario> failing = failing_form(make(sublist));
          ddmin_runs_left = runs_left_;
          if (failing) accepted = std::move(*failing);
          return failing.has_value();
        },
        &ddmin_runs_left);
    best_ = std::move(accepted);
  }

  void shrink_faults() {
    if (best_.faults.empty()) return;
    const Scenario base = best_;
    ddmin_into_best<Fault>(best_.faults, [&](const std::vector<Fault>& faults) {
      Scenario candidate = base;
      candidate.faults = faults;
      return candidate;
    });
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

  // A shorter failing prefix than truncate_ops found, each candidate also under the seeds
  // seed + 1 .. seed + kReseeds, in every round: a failure that needs its strike (an EIO or
  // ENOSPC site, a tie-break) on one op after many others of its file often strikes within a
  // few ops under another seed, where no op before that one could go under its own. A
  // passing candidate costs kReseeds + 1 runs, about (kReseeds + 1) * log2(ops) in all: less
  // than ddmin over the ops. Not with a crash point: a crash fires after a count of Env ops,
  // which a shorter prefix reaches no sooner under another seed (ddmin scales the point and
  // lower_crash_points moves it).
  void truncate_ops_reseeded() {
    if (has_crash(best_.faults)) return;
    const uint32_t reseeds = std::exchange(reseeds_, kReseeds);
    truncate_ops();
    reseeds_ = reseeds;
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
    for (const Op& op : best_.ops)
      namespaces.emplace_back(op.primary_namespace, op.secondary_namespace);
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
    const Scenario base = best_;
    const size_t total = base.ops.size();
    const bool crashes = has_crash(base.faults);
    ddmin_into_best<Op>(base.ops, [&](const std::vector<Op>& ops) {
      Scenario candidate = base;
      candidate.ops = ops;
      if (!crashes || ops.size() == total) return candidate;
      if (std::optional<Scenario> failing = failing_form(candidate)) return *failing;
      // The plain variant passed (or the budget is spent): the scaled one is what ddmin tries.
      candidate.faults = scale_crash_points(base.faults, ops.size(), total);
      return candidate;
    });
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

  // Fewer clients, each keeping its ops in their order: all ops on one client, then pairs of
  // clients merged (see merge_clients) until no pair can be, each time the highest client
  // first. A race between two clients survives the merge of any other two.
  void fewer_clients() {
    if (best_.clients <= 1) return;
    Scenario one = best_;
    one.clients = 1;
    for (Op& op : one.ops) op.client = 0;
    if (try_candidate(one)) return;
    bool merged = true;
    while (merged && best_.clients > 2 && runs_left_ > 0) {
      merged = false;
      for (uint32_t from = best_.clients - 1; from > 0 && !merged; --from) {
        for (uint32_t into = 0; into < from && !merged; ++into) {
          merged = try_candidate(sim::merge_clients(best_, from, into));
        }
      }
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
    try_off([](Scenario& s) { return std::exchange(s.world.hybrid_primary, false); });
    try_off([](Scenario& s) { return std::exchange(s.hot_keys, false); });
    // A snapshot after every commit, as restart faults strike at every restart: a failure that
    // needed an automatic snapshot at the right moment finds one wherever the run goes.
    try_off([](Scenario& s) { return std::exchange(s.world.snapshot_interval_versions, 1) > 1; });
    // The per-seed values of what stays on, toward the value that runs the least machinery.
    const auto try_value = [&](auto field, auto simplest, bool applies) {
      if (!applies || best_.world.*field == simplest) return;
      Scenario candidate = best_;
      candidate.world.*field = simplest;
      try_candidate(candidate);
    };
    const WorldConfig& w = best_.world;
    // The async mirror copies each key on its own, at once, and its queue never overflows
    // (an overflow schedules a reconcile); the largest capacity the seed can draw.
    try_value(&WorldConfig::async_batch_max_keys, 1u, w.async_backup);
    try_value(&WorldConfig::async_batch_delay_us, uint64_t{0}, w.async_backup);
    try_value(&WorldConfig::async_backup_queue_capacity, kQueueCapacityMax, w.async_backup);
    try_value(&WorldConfig::overlay_journal_puts, 0u,
              w.overlay_store);  // every put writes its metadata
    // The B-tree side on the simulated disk (LMDB's runs in a real directory, gated).
    try_value(&WorldConfig::hybrid_btree, std::string("sqlite"), w.hybrid || w.hybrid_primary);
    try_value(&WorldConfig::latency_us_max, 0u, true);                      // no simulated latency
    try_value(&WorldConfig::wal_segment_size_bytes, kWalSegmentMax, true);  // fewest rotations
  }

  Scenario best_;
  std::unordered_map<std::string, bool> verdicts_;  // scenario_to_json of a candidate -> fails
  const std::function<bool(const Scenario&)>& still_fails_;
  const ShrinkProgress& progress_;
  uint32_t runs_left_;
  const uint32_t max_runs_;
  uint32_t reseeds_ = 0;  // kReseeds in reseeding rounds
  uint32_t round_ = 0;    // 1.. in the rounds, 0 before them
};

}  // namespace

Scenario merge_clients(const Scenario& scenario, uint32_t from, uint32_t into) {
  assert(into < from && from < scenario.clients);
  Scenario merged = scenario;
  merged.clients = scenario.clients - 1;
  for (Op& op : merged.ops) {
    const uint32_t client = op.client % scenario.clients;  // the runner's own mapping
    op.client = client == from ? into : client > from ? client - 1 : client;
  }
  return merged;
}

ShrinkResult shrink_scenario(const Scenario& scenario, const std::string& invariant,
                             const std::function<bool(const Scenario&)>& still_fails,
                             const ShrinkOptions& options, const ShrinkProgress& progress) {
  assert(!invariant.empty());
  Scenario start = scenario;
  start.expected_violation = invariant;
  ShrinkResult result = Shrinker(start, still_fails, options, progress).shrink();
  assert(result.scenario.expected_violation == invariant);
  return result;
}

}  // namespace tierkv::sim
