#include "sim/shrink.h"

#include <cassert>

namespace tierkv::sim {
namespace {

class Shrinker {
 public:
  Shrinker(Scenario best, const std::function<bool(const Scenario&)>& still_fails,
           uint32_t max_runs)
      : best_(std::move(best)), still_fails_(still_fails), runs_left_(max_runs), max_runs_(max_runs) {}

  ShrinkResult shrink() {
    shrink_faults();
    shrink_ops();
    shrink_clients();
    simplify_world();
    shrink_ops();
    return {best_, max_runs_ - runs_left_, runs_left_ == 0};
  }

 private:
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

  void shrink_ops() {
    if (best_.ops.empty()) return;
    Scenario base = best_;
    best_.ops = ddmin<Op>(best_.ops, [&](const std::vector<Op>& ops) {
      base.ops = ops;
      return still_fails_(base);
    }, &runs_left_);
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
