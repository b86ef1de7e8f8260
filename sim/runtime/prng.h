// Prng: the run's one source of randomness (xoshiro256**, seeded through splitmix64).
// Deterministic on every machine and standard library: no std:: distributions, whose output
// is implementation-defined.
#pragma once

#include <cassert>
#include <cstdint>

namespace tierkv::sim {

class Prng {
 public:
  explicit Prng(uint64_t seed) {
    for (uint64_t& word : state_) word = splitmix64(&seed);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound). REQUIRES: bound > 0. (Lemire's multiply-shift; the tiny bias is
  // irrelevant here and the result is the same everywhere.)
  uint64_t uniform(uint64_t bound) {
    assert(bound > 0);
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * bound) >> 64);
  }

  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  uint64_t range(uint64_t lo, uint64_t hi) {
    assert(lo <= hi);
    return lo + uniform(hi - lo + 1);
  }

  // True with probability numerator/denominator.
  bool chance(uint64_t numerator, uint64_t denominator) {
    return uniform(denominator) < numerator;
  }

  // An independent generator derived from this one (e.g. one per subsystem), so that adding a
  // draw in one subsystem does not shift every other subsystem's choices.
  Prng fork() { return Prng(next_u64()); }

  // splitmix64: advances *x by the golden-ratio increment and returns a mix of it. Also a
  // stateless hash of a counter for code that may not hold a Prng (e.g. one shared by threads).
  static uint64_t splitmix64(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace tierkv::sim
