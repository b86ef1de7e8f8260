// Little-endian fixed-width encoding, shared by every on-disk format (WAL records, snapshot
// images, backend metadata, page tokens).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tierkv {

// Writes v into dst[0..4) / dst[0..8) (room the caller sized already).
inline void encode_fixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void encode_fixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void put_fixed32(std::string* dst, uint32_t v) {
  char buf[4];
  encode_fixed32(buf, v);
  dst->append(buf, 4);
}

inline void put_fixed64(std::string* dst, uint64_t v) {
  char buf[8];
  encode_fixed64(buf, v);
  dst->append(buf, 8);
}

inline uint32_t decode_fixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

inline uint64_t decode_fixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Big-endian, so that encoded integers sort bytewise in numeric order (index keys).
inline void encode_big_endian64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * (7 - i))) & 0xff);
}

inline void put_big_endian64(std::string* dst, uint64_t v) {
  char buf[8];
  encode_big_endian64(buf, v);
  dst->append(buf, 8);
}

inline uint64_t decode_big_endian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Consumes a fixed32/fixed64 from the front of *in; false if too short.
inline bool get_fixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = decode_fixed32(in->data());
  in->remove_prefix(4);
  return true;
}

inline bool get_fixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = decode_fixed64(in->data());
  in->remove_prefix(8);
  return true;
}

// Length-prefixed (fixed32) byte strings.
inline void put_length_prefixed(std::string* dst, std::string_view s) {
  put_fixed32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s.data(), s.size());
}

inline bool get_length_prefixed(std::string_view* in, std::string_view* out) {
  uint32_t n = 0;
  if (!get_fixed32(in, &n) || in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace tierkv
