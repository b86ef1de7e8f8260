#include "faults/fault_site.h"

#include <cassert>

#include "sim/runtime/prng.h"

namespace tierkv::faults {

uint64_t stable_name_hash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

bool strikes_at_site(uint64_t seed, sim::FaultKind kind, std::string_view site, uint64_t ordinal,
                     uint32_t rate_ppm) {
  assert(rate_ppm <= kPpmMax);
  if (rate_ppm == 0) return false;
  if (rate_ppm == kPpmMax) return true;
  // Each input goes through its own Prng step so that nearby (site, ordinal) pairs decorrelate.
  sim::Prng mix(seed ^ (static_cast<uint64_t>(kind) + 1) * 0x9e3779b97f4a7c15ull);
  sim::Prng site_prng(mix.next_u64() ^ stable_name_hash(site));
  sim::Prng decision(site_prng.next_u64() ^ ordinal * 0xbf58476d1ce4e5b9ull);
  return decision.chance(rate_ppm, kPpmMax);
}

}  // namespace tierkv::faults
