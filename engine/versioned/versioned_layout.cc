#include "engine/versioned/versioned_layout.h"

#include <cassert>
#include <memory>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"
#include "engine/io/env_util.h"

namespace tierkv::versioned {
namespace {

constexpr std::string_view kBaseMagic = "TKVBASE1";
constexpr std::string_view kIntentMagic = "TKVRBK01";
constexpr size_t kSnapshotDigits = 20;
constexpr size_t kCopyChunkBytes = 1 << 20;

void seal(std::string* out) { put_fixed32(out, crc32c::mask(crc32c::value(*out))); }

// Checks magic and checksum; on success returns the fields between them.
Result<std::string_view> unseal(std::string_view bytes, std::string_view magic,
                                std::string_view path) {
  auto corrupt = [&](std::string_view what) {
    return Status::corruption(std::string(path) + ": " + std::string(what));
  };
  if (bytes.size() < magic.size() + 4) return corrupt("too short");
  if (bytes.substr(0, magic.size()) != magic) return corrupt("bad magic");
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (crc32c::unmask(decode_fixed32(bytes.data() + body.size())) != crc32c::value(body)) {
    return corrupt("checksum mismatch");
  }
  body.remove_prefix(magic.size());
  return body;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status copy_file_durably(Env& env, const std::string& from, const std::string& to) {
  TIERKV_ASSIGN_OR_RETURN(auto in, env.open_file(from, OpenMode::kReadOnly));
  TIERKV_ASSIGN_OR_RETURN(auto out, env.open_file(to, OpenMode::kCreateExclusive));
  // Not zero-filled: only the bytes read_at returns are used.
  const std::unique_ptr<char[]> chunk = std::make_unique_for_overwrite<char[]>(kCopyChunkBytes);
  uint64_t offset = 0;
  while (true) {
    TIERKV_ASSIGN_OR_RETURN(size_t n, in->read_at(offset, kCopyChunkBytes, chunk.get()));
    if (n == 0) break;
    TIERKV_RETURN_IF_ERROR(out->append(std::string_view(chunk.get(), n)));
    offset += n;
  }
  TIERKV_RETURN_IF_ERROR(out->sync());
  return out->close();
}

}  // namespace

std::string snapshot_name(uint64_t version) {
  std::string digits = std::to_string(version);
  assert(digits.size() <= kSnapshotDigits);
  return std::string(kSnapshotPrefix) + std::string(kSnapshotDigits - digits.size(), '0') + digits;
}

std::optional<uint64_t> parse_snapshot_name(std::string_view name) {
  const std::string_view prefix = kSnapshotPrefix;
  if (name.size() != prefix.size() + kSnapshotDigits) return std::nullopt;
  if (name.substr(0, prefix.size()) != prefix) return std::nullopt;
  uint64_t version = 0;
  for (char c : name.substr(prefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (version > (UINT64_MAX - digit) / 10) return std::nullopt;
    version = version * 10 + digit;
  }
  return version;
}

std::string encode_base_record(const BaseRecord& record) {
  std::string out(kBaseMagic);
  put_length_prefixed(&out, record.snapshot);
  put_fixed64(&out, record.version);
  out += record.lt_hash.serialize();
  seal(&out);
  return out;
}

Result<BaseRecord> decode_base_record(std::string_view bytes, std::string_view path) {
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, kBaseMagic, path));
  BaseRecord record;
  std::string_view name;
  if (!get_length_prefixed(&body, &name) || !get_fixed64(&body, &record.version)) {
    return Status::corruption(std::string(path) + ": truncated fields");
  }
  record.snapshot = std::string(name);
  TIERKV_ASSIGN_OR_RETURN(record.lt_hash, LtHash::deserialize(body, path));
  if (parse_snapshot_name(record.snapshot) != record.version) {
    return Status::corruption(std::string(path) + ": snapshot name '" + record.snapshot +
                              "' does not match version " + std::to_string(record.version));
  }
  return record;
}

Result<BaseRecord> read_base_record(Env& env, const std::string& path) {
  if (!env.file_exists(path)) return Status::not_found(path + ": missing");
  TIERKV_ASSIGN_OR_RETURN(std::string bytes, read_file_to_string(env, path));
  return decode_base_record(bytes, path);
}

std::string encode_rollback_intent(const RollbackIntent& intent) {
  std::string out(kIntentMagic);
  put_fixed64(&out, intent.target_version);
  put_length_prefixed(&out, intent.base_snapshot);
  put_fixed64(&out, intent.base_version);
  seal(&out);
  return out;
}

Result<RollbackIntent> decode_rollback_intent(std::string_view bytes, std::string_view path) {
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, kIntentMagic, path));
  RollbackIntent intent;
  std::string_view name;
  if (!get_fixed64(&body, &intent.target_version) || !get_length_prefixed(&body, &name) ||
      !get_fixed64(&body, &intent.base_version) || !body.empty()) {
    return Status::corruption(std::string(path) + ": malformed fields");
  }
  intent.base_snapshot = std::string(name);
  if (parse_snapshot_name(intent.base_snapshot) != intent.base_version ||
      intent.base_version > intent.target_version) {
    return Status::corruption(std::string(path) + ": inconsistent base '" +
                              intent.base_snapshot + "' for target version " +
                              std::to_string(intent.target_version));
  }
  return intent;
}

Status copy_dir_durably(Env& env, const std::string& from, const std::string& to) {
  if (env.dir_exists(to)) return Status::invalid_argument("copy target exists: " + to);
  TIERKV_RETURN_IF_ERROR(env.create_dir(to));
  TIERKV_ASSIGN_OR_RETURN(auto names, env.list_dir(from));
  for (const std::string& name : names) {
    const std::string source = join_path(from, name);
    if (env.dir_exists(source)) {
      TIERKV_RETURN_IF_ERROR(copy_dir_durably(env, source, join_path(to, name)));
    } else {
      TIERKV_RETURN_IF_ERROR(copy_file_durably(env, source, join_path(to, name)));
    }
  }
  TIERKV_RETURN_IF_ERROR(env.sync_dir(to));
  return env.sync_dir(parent_dir(to));
}

Status remove_published_dir(Env& env, const std::string& path) {
  if (!env.dir_exists(path)) return Status();
  const std::string base = join_path(path, kBaseFileName);
  if (env.file_exists(base)) {
    TIERKV_RETURN_IF_ERROR(env.remove_file(base));
    TIERKV_RETURN_IF_ERROR(env.sync_dir(path));
  }
  TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env, path));
  return env.sync_dir(parent_dir(path));
}

Result<std::vector<std::string>> sweep_stale(Env& env, const std::string& root) {
  std::vector<std::string> removed;
  TIERKV_ASSIGN_OR_RETURN(auto names, env.list_dir(root));
  for (const std::string& name : names) {
    const std::string path = join_path(root, name);
    const bool is_dir = env.dir_exists(path);
    bool stale = false;
    if (is_dir) {
      stale = ends_with(name, "-tmp") || ends_with(name, "-removing") ||
              (parse_snapshot_name(name).has_value() &&
               !env.file_exists(join_path(path, kBaseFileName)));
    } else {
      stale = ends_with(name, ".tmp");
    }
    if (!stale) continue;
    if (is_dir) {
      TIERKV_RETURN_IF_ERROR(remove_dir_recursive(env, path));
    } else {
      TIERKV_RETURN_IF_ERROR(env.remove_file(path));
    }
    removed.push_back(name);
  }
  if (!removed.empty()) TIERKV_RETURN_IF_ERROR(env.sync_dir(root));
  return removed;
}

}  // namespace tierkv::versioned
