// TraceHash: a rolling 64-bit hash over every simulated event (file operation, timer firing,
// scheduled step, fault). Same seed + same scenario => same hash, on every run and machine.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tierkv::sim {

class TraceHash {
 public:
  // An event's kind tag: a string literal of at most 16 bytes, assembled into the words
  // mix_bytes would read from it when the program is compiled, so mixing it costs no byte loop.
  class Kind {
   public:
    template <size_t N>
    consteval Kind(const char (&tag)[N]) : size_(N - 1) {  // NOLINT: implicit from a literal
      static_assert(N - 1 <= sizeof(words_), "trace kind tags are at most 16 bytes");
      for (size_t i = 0; i < size_; ++i) {
        words_[i / 8] |= uint64_t{static_cast<uint8_t>(tag[i])} << (8 * (i % 8));
      }
    }

   private:
    friend class TraceHash;
    uint64_t size_;
    uint64_t words_[2] = {};
  };

  // Mixes one event: a kind tag and up to two integers and a string. The value is the same as
  // if the tag were mixed as a string (mix_bytes).
  void mix(Kind kind, uint64_t a = 0, uint64_t b = 0, std::string_view text = {}) {
    mix_u64(kind.size_);
    for (size_t i = 0; i * 8 < kind.size_; ++i) mix_u64(kind.words_[i]);
    mix_u64(a);
    mix_u64(b);
    mix_bytes(text);
    ++events_;
  }

  uint64_t value() const { return hash_; }
  uint64_t events() const { return events_; }
  // 16 lowercase hex digits.
  std::string hex() const;

 private:
  // Word-at-a-time mixing (a multiply and a xor-shift per 8 bytes, splitmix64's constants): an
  // event costs a handful of multiplies instead of one per byte. Bytes are assembled in a fixed
  // (little-endian) order, so the value does not depend on the machine.
  void mix_u64(uint64_t v) {
    hash_ = (hash_ ^ v) * 0xbf58476d1ce4e5b9ull;
    hash_ ^= hash_ >> 31;
  }
  void mix_bytes(std::string_view s) {
    mix_u64(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) mix_u64(load_le8(s.data() + i));
    if (i < s.size()) mix_u64(load_le(s.data() + i, s.size() - i));
  }
  static uint64_t load_le8(const char* p) {
    if constexpr (std::endian::native == std::endian::little) {
      uint64_t v;
      std::memcpy(&v, p, sizeof(v));  // one load: the bytes already are in little-endian order
      return v;
    } else {
      return load_le(p, 8);
    }
  }
  static uint64_t load_le(const char* p, size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t{static_cast<uint8_t>(p[k])} << (8 * k);
    return v;
  }

  uint64_t hash_ = 0xcbf29ce484222325ull;
  uint64_t events_ = 0;
};

}  // namespace tierkv::sim
