#include "engine/tier/backend_layout.h"

#include <algorithm>

#include "engine/backends/backend_util.h"
#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv::backend_layout {
namespace {

constexpr size_t kTokenBytes = 4 + 8 + 4;

uint32_t namespace_crc(std::string_view primary_namespace, std::string_view secondary_namespace) {
  return crc32c::value(namespace_pair(primary_namespace, secondary_namespace));
}

void append_namespace_pair(std::string* out, std::string_view primary_namespace,
                           std::string_view secondary_namespace) {
  out->append(primary_namespace);
  out->push_back('\0');
  out->append(secondary_namespace);
  out->push_back('\0');
}

// tag ns-pair followed by `tail` bytes that the caller fills in (the string's last `tail`
// bytes): a whole key is sized once and written in place, with no growth checks per part.
std::string tagged(char tag, std::string_view primary_namespace,
                   std::string_view secondary_namespace, size_t tail = 0) {
  std::string out(1 + primary_namespace.size() + 1 + secondary_namespace.size() + 1 + tail, '\0');
  char* at = out.data();
  *at++ = tag;
  at = std::copy(primary_namespace.begin(), primary_namespace.end(), at) + 1;  // then a 0x00
  std::copy(secondary_namespace.begin(), secondary_namespace.end(), at);       // then a 0x00
  return out;
}

// Where the caller of tagged(..., tail) writes its tail.
char* tail_of(std::string& key, size_t tail) { return key.data() + key.size() - tail; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string namespace_pair(std::string_view primary_namespace,
                           std::string_view secondary_namespace) {
  std::string out;
  out.reserve(primary_namespace.size() + secondary_namespace.size() + 2);
  append_namespace_pair(&out, primary_namespace, secondary_namespace);
  return out;
}

std::string data_prefix(std::string_view primary_namespace, std::string_view secondary_namespace) {
  return tagged(kDataTag, primary_namespace, secondary_namespace);
}

std::string data_key(const StoreKey& key) {
  std::string out =
      tagged(kDataTag, key.primary_namespace, key.secondary_namespace, key.key.size());
  std::copy(key.key.begin(), key.key.end(), tail_of(out, key.key.size()));
  return out;
}

std::string creation_prefix(std::string_view primary_namespace,
                            std::string_view secondary_namespace) {
  return tagged(kCreationTag, primary_namespace, secondary_namespace);
}

std::string creation_key(const StoreKey& key, uint64_t creation_seq) {
  std::string out =
      tagged(kCreationTag, key.primary_namespace, key.secondary_namespace, 8 + key.key.size());
  char* at = tail_of(out, 8 + key.key.size());
  encode_big_endian64(at, ~creation_seq);
  std::copy(key.key.begin(), key.key.end(), at + 8);
  return out;
}

std::string creation_key_after(std::string_view primary_namespace,
                               std::string_view secondary_namespace, uint64_t creation_seq) {
  // Entries older than creation_seq have ~seq > ~creation_seq; creation_seq >= 1, so no wrap.
  std::string out = creation_prefix(primary_namespace, secondary_namespace);
  put_big_endian64(&out, ~creation_seq + 1);
  return out;
}

Result<CreationEntry> decode_creation_key(std::string_view index_key, std::string_view prefix) {
  if (index_key.size() <= prefix.size() + 8 || index_key.substr(0, prefix.size()) != prefix) {
    return Status::corruption("creation index entry of " + std::to_string(index_key.size()) +
                              " bytes does not hold a sequence and a key");
  }
  CreationEntry entry;
  entry.creation_seq = ~decode_big_endian64(index_key.data() + prefix.size());
  entry.key = std::string(index_key.substr(prefix.size() + 8));
  return entry;
}

std::string encode_record(const RecordHeader& header, std::string_view value) {
  std::string out;
  out.reserve(kRecordHeaderBytes + value.size());
  out.append(kRecordHeaderBytes, '\0');  // the header, written in place below
  out.append(value);
  char* at = out.data();
  encode_fixed64(at + 4, header.record_version);
  encode_fixed64(at + 12, header.creation_seq);
  encode_fixed32(at, crc32c::mask(crc32c::value(std::string_view(out).substr(4))));
  return out;
}

Result<RecordHeader> decode_record_header(std::string_view bytes, const StoreKey& key) {
  if (bytes.size() < kRecordHeaderBytes) {
    return Status::corruption("record of " + key.to_string() + " is " +
                              std::to_string(bytes.size()) + " bytes, shorter than its header");
  }
  const uint32_t stored_crc = crc32c::unmask(decode_fixed32(bytes.data()));
  if (crc32c::value(bytes.substr(4)) != stored_crc) {
    return Status::corruption("record of " + key.to_string() + " fails its checksum");
  }
  RecordHeader header{decode_fixed64(bytes.data() + 4), decode_fixed64(bytes.data() + 12)};
  if (header.record_version == 0 || header.creation_seq == 0) {
    return Status::corruption("record of " + key.to_string() + " has a zero version or sequence");
  }
  return header;
}

Result<DataRecord> decode_record(std::string bytes, const StoreKey& key) {
  Result<RecordHeader> header = decode_record_header(bytes, key);
  if (!header.ok()) return header.status();
  bytes.erase(0, kRecordHeaderBytes);
  return DataRecord{header->record_version, header->creation_seq, std::move(bytes)};
}

std::string encode_sequence(uint64_t next_sequence) {
  std::string out(8, '\0');
  encode_fixed64(out.data(), next_sequence);
  return out;
}

Result<uint64_t> decode_sequence(std::string_view bytes) {
  uint64_t next = 0;
  if (bytes.size() != 8 || !get_fixed64(&bytes, &next) || next == 0) {
    return Status::corruption("sequence counter '" + std::string(kSequenceKey) +
                              "' is not a non-zero fixed64");
  }
  return next;
}

std::string encode_page_token(std::string_view primary_namespace,
                              std::string_view secondary_namespace, uint64_t creation_seq) {
  std::string raw;
  put_fixed32(&raw, namespace_crc(primary_namespace, secondary_namespace));
  put_fixed64(&raw, creation_seq);
  put_fixed32(&raw, crc32c::mask(crc32c::value(raw)));
  return to_hex(raw);
}

Result<uint64_t> decode_page_token(std::string_view token, std::string_view primary_namespace,
                                   std::string_view secondary_namespace) {
  const std::string where = "page token '" + printable_key(token) + "' for " +
                            std::string(primary_namespace) + "/" + std::string(secondary_namespace);
  std::optional<std::string> raw = from_hex(token);
  if (!raw || raw->size() != kTokenBytes) {
    return Status::invalid_argument(where + " is malformed: expected " +
                                    std::to_string(2 * kTokenBytes) + " hex digits");
  }
  std::string_view in(*raw);
  if (crc32c::unmask(decode_fixed32(in.data() + 12)) != crc32c::value(in.substr(0, 12))) {
    return Status::invalid_argument(where + " is malformed: checksum mismatch");
  }
  if (decode_fixed32(in.data()) != namespace_crc(primary_namespace, secondary_namespace)) {
    return Status::invalid_argument(where + " belongs to another namespace pair");
  }
  const uint64_t creation_seq = decode_fixed64(in.data() + 4);
  if (creation_seq == 0) return Status::invalid_argument(where + " is malformed: position 0");
  return creation_seq;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]);
    const int lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

}  // namespace tierkv::backend_layout
