// CRC32C (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78), used by every checksummed
// format. extend() picks the SSE4.2 instruction when the CPU has it; extend_portable() is the
// table-driven fallback. Both agree on every input (tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tierkv::crc32c {

// CRC of data appended to a stream whose CRC so far is init_crc (0 for a fresh stream).
uint32_t extend(uint32_t init_crc, const char* data, size_t n);
uint32_t extend_portable(uint32_t init_crc, const char* data, size_t n);
// True if extend() uses the hardware instruction on this machine.
bool hardware_accelerated();

inline uint32_t value(std::string_view data) { return extend(0, data.data(), data.size()); }

// Stored CRCs are masked (as LevelDB does) so that a CRC over data that itself contains CRCs
// does not degenerate.
inline uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t unmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return ((rot >> 17) | (rot << 15));
}

}  // namespace tierkv::crc32c
