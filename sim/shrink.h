// tierkv-sim shrink: minimises a failing scenario while it keeps violating the same invariant.
//
// Contract:
//   - Every candidate is run (through the RunFn given, e.g. run_isolated) and kept only if
//     its violations include `invariant`; the result therefore always reproduces it.
//   - Passes, in order, each kept only when it still fails: ddmin (Zeller's delta debugging)
//     over the fault list; restart-time faults (torn_writes, lost_dir_entry, ephemeral_loss)
//     pinned to strike at every restart; io_error/no_space rates raised (x64, x16 or x4, at
//     most 5%) so a strike the failure needed recurs wherever the run goes. Then rounds, until
//     one changes nothing (at most 8), of: fewer clients (all on one, then pairs merged:
//     merge_clients); simpler worlds (backup, ephemeral, overlays, hybrid, hybrid primary,
//     async backup, hot keys off; an automatic snapshot after every commit; then what stays
//     on set to its simplest value: async mirror batches of 1 key with no delay and the
//     largest queue, unjournaled overlay puts, a SQLite B-tree side, no simulated latency,
//     64 KiB WAL segments); the shortest failing prefix of the ops (binary search), then a
//     shorter one under the seeds seed + 1 .. seed + 8 (see below); whole groups of ops (one
//     kind, one client, one namespace pair) at once; ddmin over the op list, where a
//     candidate that no longer fails is retried with its crash points scaled to its length;
//     each crash point pulled as early as still fails (binary search).
//     The prefix under other seeds comes in every round: a failure whose strike (an EIO
//     site, a crash point, a tie-break) needs many ops of its file before the op it hits often
//     strikes within a few ops under another seed, where under its own no op before that one
//     can go; a binary search costs about 9 * log2(ops) runs, less than ddmin over the ops.
//     Once a round changes nothing, rounds go on with reseeding: a candidate that no longer
//     fails is tried again under the seeds seed + 1 .. seed + 8 (the seed drives latencies and
//     tie-breaks, so a race that needed the removed ops' timing often comes back), and the
//     form that fails is kept with its seed, until a round changes nothing again.
//   - Every candidate's verdict is remembered: a candidate tried before costs no run, so a
//     round that finds nothing new is free.
//   - Works best with FaultDecisions::kSite scenarios (format_version 2): there a removed op
//     does not move the rate faults that struck elsewhere.
//   - Bounded: at most max_runs candidate runs; on reaching it, returns the smallest failing
//     scenario found so far (budget_exhausted set).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/cli_outcome.h"
#include "sim/scenario.h"

namespace tierkv::sim {

struct ShrinkOptions {
  uint32_t max_runs = 2000;
};

// Called after every pass that ran a candidate, with one line: the pass, what it kept (ops,
// clients, faults, seed) and the runs it spent (tierkv-sim shrink --verbose prints these).
using ShrinkProgress = std::function<void(const std::string&)>;

struct ShrinkResult {
  Scenario scenario;  // expected_violation = the invariant
  uint32_t runs = 0;
  bool budget_exhausted = false;
};

// REQUIRES: `still_fails(scenario)` is true for the input (the caller checked it).
// REQUIRES: still_fails is deterministic (a scenario replays bit for bit).
ShrinkResult shrink_scenario(const Scenario& scenario, const std::string& invariant,
                             const std::function<bool(const Scenario&)>& still_fails,
                             const ShrinkOptions& options, const ShrinkProgress& progress = {});

// Client `from`'s ops re-homed onto client `into` and the clients above `from` renumbered down
// by one (clients - 1 in all). Every op keeps its place in the op list, so each client, the
// merged one included, runs its ops in the order it did. REQUIRES: into < from < clients.
Scenario merge_clients(const Scenario& scenario, uint32_t from, uint32_t into);

// Delta debugging: a 1-minimal sublist of `items` (no single chunk at the final granularity
// can be removed) for which fails() holds. Every call of fails() costs one from *runs_left;
// at zero it stops and returns the smallest failing list found. REQUIRES: fails(items).
template <typename T>
std::vector<T> ddmin(std::vector<T> items, const std::function<bool(const std::vector<T>&)>& fails,
                     uint32_t* runs_left) {
  const auto test = [&](const std::vector<T>& candidate) {
    if (*runs_left == 0) return false;
    --*runs_left;
    return fails(candidate);
  };
  if (!items.empty() && test({})) return {};
  size_t granularity = 2;
  while (items.size() >= 2 && *runs_left > 0) {
    const size_t chunk = (items.size() + granularity - 1) / granularity;
    bool reduced = false;
    for (size_t start = 0; start < items.size() && !reduced; start += chunk) {
      const size_t end = std::min(items.size(), start + chunk);
      std::vector<T> subset(items.begin() + start, items.begin() + end);
      std::vector<T> complement(items.begin(), items.begin() + start);
      complement.insert(complement.end(), items.begin() + end, items.end());
      if (granularity > 2 && test(subset)) {
        items = std::move(subset);
        granularity = 2;
        reduced = true;
      } else if (test(complement)) {
        items = std::move(complement);
        granularity = std::max<size_t>(granularity - 1, 2);
        reduced = true;
      }
    }
    if (reduced) continue;
    if (granularity >= items.size()) break;
    granularity = std::min(granularity * 2, items.size());
  }
  return items;
}

}  // namespace tierkv::sim
