// SeededBuggifySource: the simulator's BUGGIFY source (engine/core/buggify.h).
//
// Contract:
//   - Whether a point is enabled depends only on (seed, point name) — not on which point the
//     engine evaluates first — so adding a point elsewhere does not reshuffle the others.
//   - Whether an enabled point fires at one evaluation is drawn from a Prng seeded by the
//     seed, with probability fire_rate_ppm; the sequence is deterministic for a deterministic
//     sequence of evaluations.
//   - Counts evaluations and firings per point (ordered by name) for the run's statistics.
// Not thread-safe (the simulator is single-threaded).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "engine/core/buggify.h"
#include "sim/runtime/prng.h"

namespace tierkv::faults {

class SeededBuggifySource final : public BuggifySource {
 public:
  // enable_ppm: the share of points switched on for this seed (FoundationDB uses 25%).
  SeededBuggifySource(uint64_t seed, uint32_t fire_rate_ppm, uint32_t enable_ppm = 250'000);

  bool fire(std::string_view name) override;
  bool enabled(std::string_view name) const;

  struct PointStats {
    uint64_t evaluated = 0;
    uint64_t fired = 0;
  };
  const std::map<std::string, PointStats, std::less<>>& stats() const { return stats_; }
  uint64_t fired_total() const { return fired_total_; }

 private:
  uint64_t seed_;
  uint32_t fire_rate_ppm_;
  uint32_t enable_ppm_;
  sim::Prng prng_;
  std::map<std::string, PointStats, std::less<>> stats_;
  uint64_t fired_total_ = 0;
};

}  // namespace tierkv::faults
