// MemoryBackend: a std::map. Writes are volatile (a crash loses everything since the last
// checkpoint); checkpoint() writes one checksummed image file through the Env, and opening on a
// directory holding an image loads it. Under a VersionedStore the WAL gives it durability.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/backends/backend.h"

namespace tierkv {

inline constexpr char kMemoryImageName[] = "memory.image";

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
  using Map = std::map<std::string, std::string, std::less<>>;

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
std::string encode_memory_image(const std::map<std::string, std::string, std::less<>>& map);
Result<std::map<std::string, std::string, std::less<>>> decode_memory_image(std::string_view image,
                                                                            std::string_view path);

}  // namespace tierkv
