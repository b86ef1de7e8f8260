#include "engine/core/crc32c.h"

#include <array>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace tierkv::crc32c {
namespace {

constexpr uint32_t kPolyReflected = 0x82F63B78u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kPolyReflected : 0);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t extend_hardware(uint32_t init_crc, const char* data,
                                                            size_t n) {
  uint64_t crc = ~init_crc;
  while (n >= 8) {
    uint64_t word;
    __builtin_memcpy(&word, data, 8);
    crc = __builtin_ia32_crc32di(crc, word);
    data += 8;
    n -= 8;
  }
  uint32_t crc32 = static_cast<uint32_t>(crc);
  while (n > 0) {
    crc32 = __builtin_ia32_crc32qi(crc32, static_cast<unsigned char>(*data));
    ++data;
    --n;
  }
  return ~crc32;
}

bool detect_sse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & bit_SSE4_2) != 0;
}
#endif

}  // namespace

uint32_t extend_portable(uint32_t init_crc, const char* data, size_t n) {
  uint32_t crc = ~init_crc;
  for (size_t i = 0; i < n; ++i) {
    crc = kTable[(crc ^ static_cast<unsigned char>(data[i])) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

bool hardware_accelerated() {
#if defined(__x86_64__)
  static const bool has = detect_sse42();
  return has;
#else
  return false;
#endif
}

uint32_t extend(uint32_t init_crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (hardware_accelerated()) return extend_hardware(init_crc, data, n);
#endif
  return extend_portable(init_crc, data, n);
}

}  // namespace tierkv::crc32c
