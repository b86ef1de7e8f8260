// Site-stable fault decisions: whether a rate fault strikes is a function of (seed, fault kind,
// site), not of how many decisions a shared stream made before. A site names the place a
// fault could strike independently of the rest of the run: an Env op's kind and path plus how
// many such ops that path saw before ("append /primary/wal/...#3"), or a restart's ordinal.
// So when shrink removes an op that never touched a site, the decision at that site stays.
//
// Promises: deterministic and the same on every machine (FNV-1a + Prng, never std::hash);
// rate_ppm 0 never strikes, kPpmMax (1'000'000) always does.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/scenario.h"

namespace tierkv::faults {

inline constexpr uint32_t kPpmMax = 1'000'000;

// FNV-1a of text: a name hash that is the same on every machine.
uint64_t stable_name_hash(std::string_view text);

// Whether a fault of kind with probability rate_ppm strikes at (site, ordinal) in the run of
// seed. REQUIRES: rate_ppm <= kPpmMax.
bool strikes_at_site(uint64_t seed, sim::FaultKind kind, std::string_view site, uint64_t ordinal,
                     uint32_t rate_ppm);

}  // namespace tierkv::faults
