// How BackendKvStore lays a KvStore out inside an ordered byte map (Backend), and its page
// tokens. Kept apart from the store so the format can be read (and tested) in one place.
//
// Layout (every key starts with a one-byte tag; namespace parts and keys only use
// [A-Za-z0-9_-], so the 0x00 separators are unambiguous and each namespace pair's keys are one
// contiguous range):
//   ns-pair  = primary_namespace 0x00 secondary_namespace 0x00
//   'd' ns-pair key                      -> data record (below)
//   'c' ns-pair be64(~creation_seq) key  -> "" (creation index; an ascending scan of one
//                                           namespace pair yields newest-created first)
//   'm' "sequence"                       -> fixed64 next unused sequence (record versions and
//                                           creation sequences share it, so both only grow)
// Data record: fixed32 masked crc32c of the rest | fixed64 record_version |
//              fixed64 creation_seq | value bytes.
// Every write/remove is one atomic Backend::write holding the data record, its index entry and
// the sequence counter, so the three never disagree after a crash.
//
// Page token (opaque to callers): 32 lowercase hex digits encoding
//   fixed32 ns-pair crc32c | fixed64 creation_seq of the last key returned | fixed32 masked
//   crc32c of the 12 bytes before it.
// The next page starts at the first index entry older than that creation_seq, so a token
// whose entry was deleted meanwhile still resumes at the next position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/status.h"
#include "engine/core/store_key.h"

namespace tierkv::backend_layout {

inline constexpr char kDataTag = 'd';
inline constexpr char kCreationTag = 'c';
inline constexpr char kSequenceKey[] = "msequence";
inline constexpr size_t kRecordHeaderBytes = 4 + 8 + 8;

std::string namespace_pair(std::string_view primary_namespace,
                           std::string_view secondary_namespace);

std::string data_prefix(std::string_view primary_namespace, std::string_view secondary_namespace);
std::string data_key(const StoreKey& key);

std::string creation_prefix(std::string_view primary_namespace,
                            std::string_view secondary_namespace);
std::string creation_key(const StoreKey& key, uint64_t creation_seq);
// The first index key of the namespace pair that is older than creation_seq.
std::string creation_key_after(std::string_view primary_namespace,
                               std::string_view secondary_namespace, uint64_t creation_seq);

struct CreationEntry {
  uint64_t creation_seq = 0;
  std::string key;
};
// Splits an index key of the given prefix. Corruption naming the entry if it is malformed.
Result<CreationEntry> decode_creation_key(std::string_view index_key, std::string_view prefix);

struct RecordHeader {
  uint64_t record_version = 0;
  uint64_t creation_seq = 0;
};
struct DataRecord {
  uint64_t record_version = 0;
  uint64_t creation_seq = 0;
  std::string value;
};
std::string encode_record(const RecordHeader& header, std::string_view value);
// Checks a stored record (length, checksum, non-zero version and sequence) and returns its
// header; its value is bytes.substr(kRecordHeaderBytes). Corruption naming key if the record
// is short, fails its checksum or holds a zero version or sequence.
Result<RecordHeader> decode_record_header(std::string_view bytes, const StoreKey& key);
// The same checks; the value is bytes without the header (moved, not copied).
Result<DataRecord> decode_record(std::string bytes, const StoreKey& key);

std::string encode_sequence(uint64_t next_sequence);
Result<uint64_t> decode_sequence(std::string_view bytes);

// A token resuming after the entry with creation_seq in the given namespace pair.
std::string encode_page_token(std::string_view primary_namespace,
                              std::string_view secondary_namespace, uint64_t creation_seq);
// The creation_seq a token resumes after. InvalidArgument if the token is malformed (naming
// what is wrong) or belongs to another namespace pair.
Result<uint64_t> decode_page_token(std::string_view token, std::string_view primary_namespace,
                                   std::string_view secondary_namespace);

// Lowercase hex, for tokens that travel through text. from_hex: nullopt on odd length or a
// non-hex digit.
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace tierkv::backend_layout
