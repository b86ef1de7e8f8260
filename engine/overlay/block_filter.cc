#include "engine/overlay/block_filter.h"

#include <algorithm>
#include <cassert>

#include "engine/core/coding.h"

namespace tierkv {
namespace {
constexpr int kProbes = 4;
}  // namespace

BlockFilter::BlockFilter(uint64_t bits) : bits_(bits), words_((bits + 63) / 64, 0) {
  assert(bits_ >= 64);
}

uint64_t BlockFilter::position(std::string_view hash, int probe) const {
  assert(hash.size() >= 8 * kProbes);
  return decode_fixed64(hash.data() + 8 * probe) % bits_;
}

void BlockFilter::add(std::string_view hash) {
  for (int probe = 0; probe < kProbes; ++probe) {
    const uint64_t bit = position(hash, probe);
    words_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  ++added_;
}

bool BlockFilter::may_contain(std::string_view hash) const {
  for (int probe = 0; probe < kProbes; ++probe) {
    const uint64_t bit = position(hash, probe);
    if ((words_[bit / 64] >> (bit % 64) & 1) == 0) return false;
  }
  return true;
}

void BlockFilter::clear() {
  std::fill(words_.begin(), words_.end(), 0);
  added_ = 0;
}

}  // namespace tierkv
