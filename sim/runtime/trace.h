// TraceHash: a rolling 64-bit hash over every simulated event (file operation, timer firing,
// scheduled step, fault). Same seed + same scenario => same hash, on every run and machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv::sim {

class TraceHash {
 public:
  // Mixes one event: a kind tag and up to two integers and a string.
  void mix(std::string_view kind, uint64_t a = 0, uint64_t b = 0, std::string_view text = {}) {
    mix_bytes(kind);
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
  // FNV-1a, 64-bit.
  void mix_u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) mix_byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void mix_bytes(std::string_view s) {
    mix_u64(s.size());
    for (char c : s) mix_byte(static_cast<uint8_t>(c));
  }
  void mix_byte(uint8_t byte) {
    hash_ ^= byte;
    hash_ *= 0x100000001b3ull;
  }

  uint64_t hash_ = 0xcbf29ce484222325ull;
  uint64_t events_ = 0;
};

}  // namespace tierkv::sim
