// MemoryBackend: a std::map. Writes are volatile (a crash loses everything since the last
// checkpoint); checkpoint() writes one checksummed image file through the Env, and opening on a
// directory holding an image loads it. Under a VersionedStore the WAL gives it durability.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/backends/backend.h"
#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv {

inline constexpr char kMemoryImageName[] = "memory.image";

// Bytewise key order (std::string's: bytes as unsigned char, a prefix first), compared eight
// bytes at a time inline: the keys a store keeps share long prefixes (tag, namespace pair), so
// a comparison walks them word by word instead of through a memcmp call.
struct BytewiseLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    if (n >= 8) {
      // Whole words, then the last word of the common length (overlapping bytes already
      // compared equal, so it decides on the rest).
      for (size_t i = 0;; i += 8) {
        const size_t at = i + 8 <= n ? i : n - 8;
        const uint64_t x = ordered_word(a.data() + at);
        const uint64_t y = ordered_word(b.data() + at);
        if (x != y) return x < y;
        if (at == n - 8) break;
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) {
          return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
        }
      }
    }
    return a.size() < b.size();
  }

 private:
  // The 8 bytes at p as a number that orders like the bytes do (big-endian), in one load.
  static uint64_t ordered_word(const char* p) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
    return word;
  }
};

using MemoryMap = std::map<std::string, std::string, BytewiseLess>;

class MemoryBackend final : public Backend {
 public:
  // Opens on options.dir: empty if it holds no image, else the image's state (Corruption if the
  // image fails its checksum). A null env or empty dir gives a purely in-memory backend.
  static Result<std::unique_ptr<MemoryBackend>> open(const BackendOptions& options);

  std::string_view name() const override { return "memory"; }
  Result<std::string> get(std::string_view key) override;
  // Copies into *value's existing capacity.
  Status get_into(std::string_view key, std::string* value) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  // Copies only the keys.
  Result<std::vector<std::string>> scan_keys(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override;

  size_t size() const { return map_.size(); }

 private:
  using Map = MemoryMap;

  explicit MemoryBackend(BackendOptions options) : options_(std::move(options)) {}
  Status check_open() const;
  // The entries scan(range, limit) returns, as [first, last).
  std::pair<Map::const_iterator, Map::const_iterator> entries_in(const KeyRange& range,
                                                                 size_t limit) const;

  BackendOptions options_;
  Map map_;
  bool closed_ = false;
};

// The image format: "TKVMEM1\n", fixed64 count, count x (length-prefixed key, length-prefixed
// value), fixed32 masked crc32c of everything before it.
inline constexpr std::string_view kMemoryImageMagic = "TKVMEM1\n";
// Of any map ordered bytewise (a MemoryMap, or a std::map with std::less<>).
template <typename Less>
std::string encode_memory_image(const std::map<std::string, std::string, Less>& map) {
  std::string out(kMemoryImageMagic);
  put_fixed64(&out, map.size());
  for (const auto& [key, value] : map) {
    put_length_prefixed(&out, key);
    put_length_prefixed(&out, value);
  }
  put_fixed32(&out, crc32c::mask(crc32c::value(out)));
  return out;
}
Result<MemoryMap> decode_memory_image(std::string_view image, std::string_view path);

}  // namespace tierkv
