#include "engine/backends/memory_backend.h"

#include <iterator>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"
#include "engine/io/env.h"
#include "engine/io/env_util.h"

namespace tierkv {

Result<MemoryMap> decode_memory_image(std::string_view image, std::string_view path) {
  auto corrupt = [&](std::string_view what) {
    return Status::corruption("memory image " + std::string(path) + ": " + std::string(what));
  };
  if (image.size() < kMemoryImageMagic.size() + 8 + 4) return corrupt("too short");
  if (image.substr(0, kMemoryImageMagic.size()) != kMemoryImageMagic) return corrupt("bad magic");
  std::string_view body = image.substr(0, image.size() - 4);
  uint32_t stored = crc32c::unmask(decode_fixed32(image.data() + image.size() - 4));
  if (stored != crc32c::value(body)) return corrupt("checksum mismatch");
  body.remove_prefix(kMemoryImageMagic.size());
  uint64_t count = 0;
  if (!get_fixed64(&body, &count)) return corrupt("missing count");
  MemoryMap map;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key, value;
    if (!get_length_prefixed(&body, &key) || !get_length_prefixed(&body, &value)) {
      return corrupt("truncated entry " + std::to_string(i));
    }
    map.emplace(std::string(key), std::string(value));
  }
  if (!body.empty()) return corrupt("trailing bytes");
  return map;
}

Result<std::unique_ptr<MemoryBackend>> MemoryBackend::open(const BackendOptions& options) {
  std::unique_ptr<MemoryBackend> backend(new MemoryBackend(options));
  if (options.env == nullptr || options.dir.empty()) return backend;
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(*options.env, options.dir));
  const std::string image_path = join_path(options.dir, kMemoryImageName);
  if (options.env->file_exists(image_path)) {
    TIERKV_ASSIGN_OR_RETURN(std::string image, read_file_to_string(*options.env, image_path));
    TIERKV_ASSIGN_OR_RETURN(backend->map_, decode_memory_image(image, image_path));
  }
  return backend;
}

Status MemoryBackend::check_open() const {
  if (closed_) return Status::io_error("memory backend is closed");
  return Status();
}

Result<std::string> MemoryBackend::get(std::string_view key) {
  std::string value;
  TIERKV_RETURN_IF_ERROR(get_into(key, &value));
  return value;
}

Status MemoryBackend::get_into(std::string_view key, std::string* value) {
  TIERKV_RETURN_IF_ERROR(check_open());
  auto it = map_.find(key);
  if (it == map_.end()) return Status::not_found("key not found");
  value->assign(it->second);
  return Status();
}

Status MemoryBackend::put(std::string_view key, std::string_view value) {
  TIERKV_RETURN_IF_ERROR(check_open());
  map_.insert_or_assign(std::string(key), std::string(value));
  return Status();
}

Status MemoryBackend::remove(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(check_open());
  auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
  return Status();
}

Status MemoryBackend::write(const WriteBatch& batch) {
  TIERKV_RETURN_IF_ERROR(check_open());
  for (const BatchOp& op : batch.ops()) {
    if (op.kind == BatchOp::Kind::kPut) {
      map_.insert_or_assign(op.key, op.value);
    } else {
      auto it = map_.find(op.key);
      if (it != map_.end()) map_.erase(it);
    }
  }
  return Status();
}

std::pair<MemoryBackend::Map::const_iterator, MemoryBackend::Map::const_iterator>
MemoryBackend::entries_in(const KeyRange& range, size_t limit) const {
  if (!range.end.empty() && range.start >= range.end) return {map_.end(), map_.end()};
  const auto first = map_.lower_bound(range.start);
  auto last = range.end.empty() ? map_.end() : map_.lower_bound(range.end);
  if (limit != 0) {
    auto it = first;
    for (size_t n = 0; n < limit && it != last; ++n) ++it;
    last = it;
  }
  return {first, last};
}

Result<std::vector<KeyValue>> MemoryBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_open());
  const auto [first, last] = entries_in(range, limit);
  std::vector<KeyValue> out;
  out.reserve(static_cast<size_t>(std::distance(first, last)));
  for (auto it = first; it != last; ++it) out.push_back({it->first, it->second});
  return out;
}

Result<std::vector<std::string>> MemoryBackend::scan_keys(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_open());
  const auto [first, last] = entries_in(range, limit);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::distance(first, last)));
  for (auto it = first; it != last; ++it) out.push_back(it->first);
  return out;
}

Status MemoryBackend::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(check_open());
  if (options_.env == nullptr) return Status::not_supported("memory backend without an Env");
  Env& env = *options_.env;
  if (env.dir_exists(dir)) return Status::invalid_argument("checkpoint dir exists: " + dir);
  TIERKV_RETURN_IF_ERROR(env.create_dir(dir));
  TIERKV_RETURN_IF_ERROR(env.sync_dir(parent_dir(dir)));
  return write_file_atomically(env, join_path(dir, kMemoryImageName), encode_memory_image(map_));
}

Status MemoryBackend::close() {
  closed_ = true;
  return Status();
}

}  // namespace tierkv
