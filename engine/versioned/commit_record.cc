#include "engine/versioned/commit_record.h"

#include "engine/core/coding.h"
#include "engine/versioned/lt_hash.h"

namespace tierkv::versioned {
namespace {
constexpr uint8_t kFormat = 1;
constexpr uint8_t kPutKind = 0;
constexpr uint8_t kDeleteKind = 1;
}  // namespace

std::string encode_commit_record(const CommitRecord& record) {
  std::string out;
  out.push_back(static_cast<char>(kFormat));
  out += record.lt_hash_checksum;
  put_fixed32(&out, static_cast<uint32_t>(record.batch.size()));
  for (const BatchOp& op : record.batch.ops()) {
    const bool put = op.kind == BatchOp::Kind::kPut;
    out.push_back(static_cast<char>(put ? kPutKind : kDeleteKind));
    put_length_prefixed(&out, op.key);
    put_length_prefixed(&out, put ? std::string_view(op.value) : std::string_view());
  }
  return out;
}

Result<CommitRecord> decode_commit_record(std::string_view payload, std::string_view where) {
  auto corrupt = [&](std::string_view what) {
    return Status::corruption("commit record in " + std::string(where) + ": " +
                              std::string(what));
  };
  if (payload.size() < 1 + LtHash::kChecksumBytes + 4) return corrupt("too short");
  if (static_cast<uint8_t>(payload[0]) != kFormat) return corrupt("unknown format");
  CommitRecord record;
  record.lt_hash_checksum = std::string(payload.substr(1, LtHash::kChecksumBytes));
  payload.remove_prefix(1 + LtHash::kChecksumBytes);
  uint32_t count = 0;
  if (!get_fixed32(&payload, &count)) return corrupt("missing op count");
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view key, value;
    if (payload.empty()) return corrupt("truncated op " + std::to_string(i));
    const uint8_t kind = static_cast<uint8_t>(payload[0]);
    payload.remove_prefix(1);
    if (!get_length_prefixed(&payload, &key) || !get_length_prefixed(&payload, &value)) {
      return corrupt("truncated op " + std::to_string(i));
    }
    if (kind == kPutKind) {
      record.batch.put(std::string(key), std::string(value));
    } else if (kind == kDeleteKind && value.empty()) {
      record.batch.remove(std::string(key));
    } else {
      return corrupt("bad op kind in op " + std::to_string(i));
    }
  }
  if (!payload.empty()) return corrupt("trailing bytes");
  return record;
}

}  // namespace tierkv::versioned
