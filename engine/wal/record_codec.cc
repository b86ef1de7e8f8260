#include "engine/wal/record_codec.h"

#include <cassert>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv {
namespace {

constexpr size_t kCrcCoveredHeaderBytes = 1 + 8;  // type + version
constexpr size_t kCrcCoveredOffset = 4 + 4;       // after length + crc

uint32_t record_crc(const char* type_and_version, std::string_view payload) {
  uint32_t crc = crc32c::extend(0, type_and_version, kCrcCoveredHeaderBytes);
  return crc32c::extend(crc, payload.data(), payload.size());
}

}  // namespace

std::string encode_wal_record(const WalRecord& record) {
  assert(record.payload.size() <= kWalPayloadBytesMax);
  std::string out;
  out.reserve(kWalHeaderBytes + record.payload.size());
  put_fixed32(&out, static_cast<uint32_t>(record.payload.size()));
  put_fixed32(&out, 0);  // crc placeholder
  out.push_back(static_cast<char>(record.type));
  put_fixed64(&out, record.version);
  const uint32_t crc = crc32c::mask(record_crc(out.data() + kCrcCoveredOffset, record.payload));
  std::string crc_bytes;
  put_fixed32(&crc_bytes, crc);
  out.replace(4, 4, crc_bytes);
  out.append(record.payload);
  assert(out.size() == kWalHeaderBytes + record.payload.size());
  return out;
}

Status decode_wal_record_view(std::string_view* input, WalRecordView* record) {
  if (input->empty()) return Status::not_found("end of log");
  if (input->size() < kWalHeaderBytes) {
    return Status::corruption("torn record: short header (" + std::to_string(input->size()) +
                              " of " + std::to_string(kWalHeaderBytes) + " bytes)");
  }
  const char* p = input->data();
  const uint32_t length = decode_fixed32(p);
  // Checked before the payload is touched: a garbage length must not make anyone allocate it.
  if (length > kWalPayloadBytesMax) {
    return Status::corruption("record length " + std::to_string(length) + " over the limit " +
                              std::to_string(kWalPayloadBytesMax));
  }
  if (input->size() - kWalHeaderBytes < length) {
    return Status::corruption("torn record: short payload (" +
                              std::to_string(input->size() - kWalHeaderBytes) + " of " +
                              std::to_string(length) + " bytes)");
  }
  const std::string_view payload(p + kWalHeaderBytes, length);
  const uint32_t stored = crc32c::unmask(decode_fixed32(p + 4));
  if (stored != record_crc(p + kCrcCoveredOffset, payload)) {
    return Status::corruption("checksum mismatch");
  }
  record->type = static_cast<uint8_t>(p[kCrcCoveredOffset]);
  record->version = decode_fixed64(p + kCrcCoveredOffset + 1);
  record->payload = payload;
  input->remove_prefix(kWalHeaderBytes + length);
  return Status();
}

std::string encode_wal_group_end(uint64_t group_start, uint64_t version) {
  std::string payload;
  put_fixed64(&payload, group_start);
  return encode_wal_record(WalRecord{kWalGroupEndType, version, std::move(payload)});
}

bool is_wal_group_end(std::string_view input) {
  // Cheap rejections first: recovery tries this at every byte of a damaged tail.
  if (input.size() < kWalGroupEndBytes || decode_fixed32(input.data()) != 8 ||
      static_cast<uint8_t>(input[8]) != kWalGroupEndType) {
    return false;
  }
  WalRecordView view;
  return decode_wal_record_view(&input, &view).ok() && view.type == kWalGroupEndType;
}

Status decode_wal_record(std::string_view* input, WalRecord* record) {
  WalRecordView view;
  TIERKV_RETURN_IF_ERROR(decode_wal_record_view(input, &view));
  record->type = view.type;
  record->version = view.version;
  record->payload.assign(view.payload);
  return Status();
}

}  // namespace tierkv
