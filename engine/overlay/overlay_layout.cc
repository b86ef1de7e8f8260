#include "engine/overlay/overlay_layout.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cassert>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv::overlay_layout {
namespace {

constexpr size_t kCrcBytes = 4;

void seal(std::string* record) { put_fixed32(record, crc32c::mask(crc32c::value(*record))); }

// Checks and strips the trailing CRC; Corruption naming what otherwise.
Result<std::string_view> unseal(std::string_view bytes, const std::string& what) {
  if (bytes.size() < kCrcBytes) return Status::corruption(what + ": record too short");
  std::string_view body = bytes.substr(0, bytes.size() - kCrcBytes);
  const uint32_t stored = crc32c::unmask(decode_fixed32(bytes.data() + body.size()));
  if (stored != crc32c::value(body)) return Status::corruption(what + ": checksum mismatch");
  return body;
}

std::string tagged(char tag, std::string_view suffix) {
  std::string key(1, tag);
  key.append(suffix);
  return key;
}

void put_be32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t decode_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// tag <be64 id> <be32 n>: leaves and chunks.
std::string id_number_key(char tag, uint64_t id, uint32_t n) {
  std::string key(1, tag);
  put_big_endian64(&key, id);
  put_be32(&key, n);
  return key;
}

// tag <be64 sequence>: block bytes and journal records.
std::string sequence_key(char tag, uint64_t sequence) {
  std::string key(1, tag);
  put_big_endian64(&key, sequence);
  return key;
}

bool parse_sequence_key(char tag, std::string_view key, uint64_t* sequence) {
  if (key.size() != 1 + 8 || key[0] != tag) return false;
  *sequence = decode_big_endian64(key.data() + 1);
  return true;
}

bool parse_id_number_key(char tag, std::string_view key, uint64_t* id, uint32_t* n) {
  if (key.size() != 1 + 8 + 4 || key[0] != tag) return false;
  *id = decode_big_endian64(key.data() + 1);
  *n = decode_be32(key.data() + 9);
  return true;
}

}  // namespace

std::string_view overlay_status_name(OverlayStatus status) {
  switch (status) {
    case OverlayStatus::kStoring:
      return "Storing";
    case OverlayStatus::kActive:
      return "Active";
    case OverlayStatus::kFailure:
      return "Failure";
    case OverlayStatus::kDeleting:
      return "Deleting";
  }
  return "Unknown";
}

std::string block_hash(std::string_view bytes) {
  std::string out(kHashBytes, '\0');
  unsigned int written = 0;
  const int ok =
      EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &written,
                 EVP_sha256(), nullptr);
  assert(ok == 1);
  assert(written == kHashBytes);
  (void)ok;
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

std::string meta_key() { return "m"; }
std::string overlay_key(std::string_view tree) { return tagged('o', tree); }
std::string overlay_prefix() { return "o"; }
std::string leaf_prefix() { return "l"; }
std::string leaf_key(uint64_t id, uint32_t index) { return id_number_key('l', id, index); }
std::string chunk_key(uint64_t id, uint32_t chunk) { return id_number_key('k', id, chunk); }
std::string chunk_prefix() { return "k"; }
std::string reference_key(uint64_t id, uint64_t sequence) {
  std::string key = "r";
  put_big_endian64(&key, id);
  put_big_endian64(&key, sequence);
  return key;
}
std::string reference_prefix() { return "r"; }
std::string block_record_key(std::string_view hash) { return tagged('c', hash); }
std::string block_record_prefix() { return "c"; }
std::string block_bytes_key(uint64_t sequence) { return sequence_key('b', sequence); }
std::string block_bytes_prefix() { return "b"; }
std::string garbage_key(std::string_view hash) { return tagged('g', hash); }
std::string garbage_prefix() { return "g"; }
std::string journal_key(uint64_t sequence) { return sequence_key('w', sequence); }
std::string journal_prefix() { return "w"; }

std::string_view key_suffix(std::string_view key) {
  assert(!key.empty());
  return key.substr(1);
}

bool parse_leaf_key(std::string_view key, uint64_t* id, uint32_t* index) {
  return parse_id_number_key('l', key, id, index);
}

bool parse_block_bytes_key(std::string_view key, uint64_t* sequence) {
  return parse_sequence_key('b', key, sequence);
}

bool parse_journal_key(std::string_view key, uint64_t* sequence) {
  return parse_sequence_key('w', key, sequence);
}

bool parse_chunk_key(std::string_view key, uint64_t* id, uint32_t* chunk) {
  return parse_id_number_key('k', key, id, chunk);
}

bool parse_reference_key(std::string_view key, uint64_t* id, uint64_t* sequence) {
  if (key.size() != 1 + 8 + 8 || key[0] != 'r') return false;
  *id = decode_big_endian64(key.data() + 1);
  *sequence = decode_big_endian64(key.data() + 9);
  return true;
}

std::string encode_meta(const MetaRecord& meta) {
  std::string out;
  put_fixed32(&out, meta.format);
  put_fixed64(&out, meta.used_bytes);
  put_fixed64(&out, meta.reserved_bytes);
  put_fixed64(&out, meta.block_count);
  put_fixed64(&out, meta.next_overlay_id);
  put_fixed64(&out, meta.next_block_sequence);
  seal(&out);
  return out;
}

Result<MetaRecord> decode_meta(std::string_view bytes) {
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, "overlay meta record"));
  constexpr size_t kBodyBytes = 4 + 5 * 8;
  if (body.size() != kBodyBytes) {
    return Status::corruption("overlay meta record of " + std::to_string(body.size()) +
                              " bytes is not OverlayStore format " +
                              std::to_string(kFormatVersion) + " (" + std::to_string(kBodyBytes) +
                              " bytes): a store written by an older tierkv? It is not migrated");
  }
  MetaRecord meta;
  if (!get_fixed32(&body, &meta.format) ||
      (meta.format != kFormatVersion && meta.format != kFormatJournaled)) {
    return Status::corruption("overlay meta record has format " + std::to_string(meta.format) +
                              "; this build reads formats " + std::to_string(kFormatVersion) +
                              " and " + std::to_string(kFormatJournaled));
  }
  if (!get_fixed64(&body, &meta.used_bytes) || !get_fixed64(&body, &meta.reserved_bytes) ||
      !get_fixed64(&body, &meta.block_count) || !get_fixed64(&body, &meta.next_overlay_id) ||
      !get_fixed64(&body, &meta.next_block_sequence) || !body.empty()) {
    return Status::corruption("overlay meta record: bad length");
  }
  return meta;
}

std::string encode_journal(const JournalHeader& header, std::string_view bytes) {
  std::string record = journal_record_for(bytes);
  seal_journal_header(header, &record);
  return record;
}

std::string journal_record_for(std::string_view bytes) {
  std::string record;
  record.reserve(kJournalHeaderBytes + bytes.size());
  record.resize(kJournalHeaderBytes);
  record.append(bytes);
  return record;
}

void seal_journal_header(const JournalHeader& header, std::string* record) {
  assert(header.hash.size() == kHashBytes);
  assert(record->size() >= kJournalHeaderBytes);
  std::string sealed;
  sealed.reserve(kJournalHeaderBytes);
  put_fixed64(&sealed, header.id);
  put_fixed32(&sealed, header.index);
  sealed.append(header.hash);
  put_fixed64(&sealed, header.from_reserved);
  seal(&sealed);
  assert(sealed.size() == kJournalHeaderBytes);
  std::copy(sealed.begin(), sealed.end(), record->begin());
}

Result<std::pair<JournalHeader, std::string_view>> decode_journal(std::string_view record,
                                                                  std::string_view key) {
  const std::string what = "overlay journal record " + hex(key);
  if (record.size() < kJournalHeaderBytes) return Status::corruption(what + ": too short");
  TIERKV_ASSIGN_OR_RETURN(std::string_view body,
                          unseal(record.substr(0, kJournalHeaderBytes), what));
  JournalHeader header;
  if (!get_fixed64(&body, &header.id) || !get_fixed32(&body, &header.index)) {
    return Status::corruption(what + ": bad header");
  }
  header.hash = std::string(body.substr(0, kHashBytes));
  body.remove_prefix(kHashBytes);
  if (!get_fixed64(&body, &header.from_reserved) || !body.empty()) {
    return Status::corruption(what + ": bad header");
  }
  return std::pair<JournalHeader, std::string_view>(std::move(header),
                                                    record.substr(kJournalHeaderBytes));
}

std::string encode_overlay(const OverlayRecord& record) {
  std::string out;
  put_fixed64(&out, record.id);
  put_fixed64(&out, record.expiry_us);
  out.push_back(static_cast<char>(record.status));
  seal(&out);
  return out;
}

Result<OverlayRecord> decode_overlay(std::string_view bytes, std::string_view tree) {
  const std::string what = "overlay record of tree " + std::string(tree);
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, what));
  OverlayRecord record;
  if (!get_fixed64(&body, &record.id) || !get_fixed64(&body, &record.expiry_us) || body.empty()) {
    return Status::corruption(what + ": truncated");
  }
  const auto status = static_cast<uint8_t>(body[0]);
  body.remove_prefix(1);
  if (status < 1 || status > 4) {
    return Status::corruption(what + ": unknown status " + std::to_string(status));
  }
  record.status = static_cast<OverlayStatus>(status);
  if (!body.empty()) return Status::corruption(what + ": bad length");
  return record;
}

std::string encode_block_record(const BlockRecord& record) {
  std::string out;
  put_fixed64(&out, record.refcount);
  put_fixed64(&out, record.size_bytes);
  put_fixed64(&out, record.sequence);
  seal(&out);
  return out;
}

Result<BlockRecord> decode_block_record(std::string_view bytes, std::string_view hash) {
  const std::string what = "block record " + hex(hash);
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, what));
  BlockRecord record;
  if (!get_fixed64(&body, &record.refcount) || !get_fixed64(&body, &record.size_bytes) ||
      !get_fixed64(&body, &record.sequence) || !body.empty()) {
    return Status::corruption(what + ": bad length");
  }
  return record;
}

std::string encode_reference(uint64_t leaves) {
  assert(leaves >= 1);
  std::string out;
  put_fixed64(&out, leaves);
  seal(&out);
  return out;
}

Result<uint64_t> decode_reference(std::string_view bytes, std::string_view key) {
  const std::string what = "reference record " + hex(key);
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, what));
  uint64_t leaves = 0;
  if (!get_fixed64(&body, &leaves) || !body.empty()) {
    return Status::corruption(what + ": bad length");
  }
  if (leaves == 0) return Status::corruption(what + ": zero leaves");
  return leaves;
}

std::optional<std::string> encode_chunk(const std::string& bitmap, uint32_t chunk) {
  constexpr size_t kChunkBytes = kBitmapChunkBits / 8;
  const size_t start = size_t{chunk} * kChunkBytes;
  if (start >= bitmap.size()) return std::nullopt;
  std::string out = bitmap.substr(start, kChunkBytes);
  while (!out.empty() && out.back() == '\0') out.pop_back();
  if (out.empty()) return std::nullopt;
  seal(&out);
  return out;
}

Status decode_chunk_into(std::string_view bytes, std::string_view key, uint32_t chunk,
                         std::string* bitmap) {
  constexpr size_t kChunkBytes = kBitmapChunkBits / 8;
  const std::string what = "bitmap chunk " + hex(key);
  TIERKV_ASSIGN_OR_RETURN(std::string_view body, unseal(bytes, what));
  if (body.empty() || body.size() > kChunkBytes || body.back() == '\0') {
    return Status::corruption(what + ": bad length " + std::to_string(body.size()));
  }
  const size_t start = size_t{chunk} * kChunkBytes;
  if (start + body.size() > kBlockIndexMax / 8) {
    return Status::corruption(what + ": chunk " + std::to_string(chunk) + " out of range");
  }
  if (bitmap->size() < start + body.size()) bitmap->resize(start + body.size(), '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    (*bitmap)[start + i] = static_cast<char>(static_cast<unsigned char>((*bitmap)[start + i]) |
                                             static_cast<unsigned char>(body[i]));
  }
  return Status();
}

bool bit_is_set(const std::string& bitmap, uint32_t index) {
  const size_t byte = index / 8;
  if (byte >= bitmap.size()) return false;
  return (static_cast<unsigned char>(bitmap[byte]) >> (index % 8)) & 1;
}

void set_bit(std::string* bitmap, uint32_t index) {
  assert(index < kBlockIndexMax);
  const size_t byte = index / 8;
  if (byte >= bitmap->size()) bitmap->resize(byte + 1, '\0');
  (*bitmap)[byte] =
      static_cast<char>(static_cast<unsigned char>((*bitmap)[byte]) | (1u << (index % 8)));
}

void clear_bit(std::string* bitmap, uint32_t index) {
  const size_t byte = index / 8;
  if (byte >= bitmap->size()) return;
  (*bitmap)[byte] =
      static_cast<char>(static_cast<unsigned char>((*bitmap)[byte]) & ~(1u << (index % 8)));
  while (!bitmap->empty() && bitmap->back() == '\0') bitmap->pop_back();  // canonical form
}

std::vector<uint32_t> set_bits(const std::string& bitmap, size_t limit) {
  std::vector<uint32_t> out;
  for (size_t byte = 0; byte < bitmap.size(); ++byte) {
    const auto bits = static_cast<unsigned char>(bitmap[byte]);
    for (uint32_t bit = 0; bits != 0 && bit < 8; ++bit) {
      if (((bits >> bit) & 1) == 0) continue;
      out.push_back(static_cast<uint32_t>(byte * 8 + bit));
      if (limit != 0 && out.size() == limit) return out;
    }
  }
  return out;
}

uint64_t count_bits(const std::string& bitmap) {
  uint64_t n = 0;
  for (char c : bitmap) n += static_cast<uint64_t>(std::popcount(static_cast<unsigned char>(c)));
  return n;
}

}  // namespace tierkv::overlay_layout
