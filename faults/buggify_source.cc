#include "faults/buggify_source.h"

#include <cassert>

#include "faults/fault_site.h"

namespace tierkv::faults {
namespace {

constexpr uint32_t kPpm = kPpmMax;

}  // namespace

SeededBuggifySource::SeededBuggifySource(uint64_t seed, uint32_t fire_rate_ppm,
                                         uint32_t enable_ppm)
    : seed_(seed),
      fire_rate_ppm_(fire_rate_ppm),
      enable_ppm_(enable_ppm),
      prng_(seed ^ 0xb066'1f7b'0066'1f7bull) {
  assert(fire_rate_ppm_ <= kPpm);
  assert(enable_ppm_ <= kPpm);
}

bool SeededBuggifySource::enabled(std::string_view name) const {
  sim::Prng point_prng(seed_ ^ stable_name_hash(name));
  return point_prng.chance(enable_ppm_, kPpm);
}

bool SeededBuggifySource::fire(std::string_view name) {
  auto it = stats_.find(name);
  if (it == stats_.end()) it = stats_.emplace(std::string(name), PointStats{}).first;
  ++it->second.evaluated;
  if (!enabled(name)) return false;
  if (!prng_.chance(fire_rate_ppm_, kPpm)) return false;
  ++it->second.fired;
  ++fired_total_;
  return true;
}

}  // namespace tierkv::faults
