#include "engine/backends/backend_util.h"

#include "engine/io/env_util.h"

namespace tierkv {

std::string printable_key(std::string_view key) {
  constexpr size_t kShownBytesMax = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < key.size() && i < kShownBytesMax; ++i) {
    const auto byte = static_cast<unsigned char>(key[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  if (key.size() > kShownBytesMax) out += "...(" + std::to_string(key.size()) + " bytes)";
  return out;
}

Status copy_file_synced(Env& env, const std::string& from, const std::string& to) {
  TIERKV_ASSIGN_OR_RETURN(std::string data, read_file_to_string(env, from));
  TIERKV_ASSIGN_OR_RETURN(auto file, env.open_file(to, OpenMode::kCreateExclusive));
  TIERKV_RETURN_IF_ERROR(file->append(data));
  TIERKV_RETURN_IF_ERROR(file->sync());
  return file->close();
}

Status refused_until_reopened(std::string_view store, std::string_view step,
                              const Status& failure) {
  return Status::io_error(std::string(store) + " refuses calls until reopened: an earlier " +
                          std::string(step) + " failed and may still be applied on recovery (" +
                          failure.to_string() + ")");
}

}  // namespace tierkv
