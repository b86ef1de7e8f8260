// The OverlayStore's on-backend layout: key encodings, record codecs, block hashes, bitmaps.
//
// Keys (one Backend holds one OverlayStore; all keys start with one tag byte):
//   "m"                         meta record: quota counters and the next overlay id
//   "o" <tree id>               overlay record (id, expiry, status)
//   "k" <be64 id> <be32 chunk>  bitmap chunk: the overlay's block indices
//                               [chunk * kBitmapChunkBits, (chunk + 1) * kBitmapChunkBits)
//                               as a bitmap, trailing zero bytes trimmed; absent when empty
//   "l" <be64 id> <be32 index>  leaf: the 32-byte hash of the block at that index
//   "r" <be64 id> <be64 seq>    reference: how many leaves of overlay id name the block whose
//                               bytes are at sequence seq; present iff at least one does
//   "c" <hash>                  block record: refcount (overlays referencing it), size and
//                               the sequence number its bytes are stored under
//   "b" <be64 sequence>         block bytes
//   "g" <hash>                  garbage marker: present iff the block's refcount is 0
//   "w" <be64 sequence>         journaled block (format 4 only, instead of "b"): a sealed
//                               journal header (overlay id, index, hash, bytes drawn from the
//                               reservation) followed by the block's bytes
// Leaves, chunks and references are keyed by the overlay's internal id, not its tree id, so
// finalize (a rename of the tree id) rewrites one record, not one per block. The bitmap lives
// in chunks so a put rewrites at most kBitmapChunkBits / 8 bytes of it, not the whole bitmap.
// Blocks are found by content (the hash names the block record) but their bytes are stored
// under a sequence number given in arrival order: an LSM backend then flushes the bulk of the
// data in key order and compacts it without rewriting it level after level, as it must for
// random (hash) keys. Measured on LevelDB (tests/bench/overlay_bench.cc, 64 KiB blocks): a
// bulk put wrote 452 KiB per block with hash keys, 193 KiB with sequence keys. The "b" tag sorts
// before every metadata tag, so new bytes never overlap older bytes tables in a compaction.
// References are keyed by the block's sequence, not its hash, for the same reason: a bulk put
// of new content appends them (on a B-tree, one tail page per commit instead of a random page
// of an ever larger reference region; on an LSM, no random keys to compact). SQLite, 64 KiB
// blocks, 256 MiB: 175 -> 172 KiB written per block (raw puts of the bytes alone: 147). Only
// the block record stays keyed by hash: content addressing needs one hash-keyed record.
// Journaled puts (format 4, OverlayStoreOptions::journal_puts_max > 0 when the store is created):
// a put of new content writes ONE record, "w" + sequence, holding the block's bytes and a header
// from which the put's metadata (leaf, bitmap chunk, reference, block record, quota) can be
// redone; the metadata itself stays in memory and is written with the next other write (at the
// latest every journal_puts_max puts). open() redoes the journal records at or above the meta
// record's next_block_sequence. "w" sorts after every metadata tag, so on an LSM a bulk put's
// flushed tables hold only ascending "w" keys, overlap nothing, and move down the levels without
// being rewritten; only the table holding a checkpoint mixes bytes with metadata. Measured on
// LevelDB: see tests/bench/overlay_bench.cc.
// Format: the meta record carries kFormatVersion (3) or kFormatJournaled (4). A store written by an older layout (session-2
// meta without sequences, session-3 references keyed by hash) has a meta record of another
// size and fails open() with Corruption saying so; there is no migration.
// Records end with a masked CRC32C of what precedes it; a bad record is Corruption naming
// its key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace tierkv::overlay_layout {

inline constexpr size_t kHashBytes = 32;              // SHA-256
inline constexpr uint32_t kBlockIndexMax = 1u << 24;  // 16M blocks: a 2 MiB bitmap at most
inline constexpr uint32_t kBitmapChunkBits = 1024;    // 128 bytes of bitmap per chunk record
inline constexpr uint32_t kFormatVersion = 3;         // in the meta record; see Format above
inline constexpr uint32_t kFormatJournaled = 4;       // format 3 with journaled puts (above)

enum class OverlayStatus : uint8_t {
  kStoring = 1,   // temporary, being uploaded; finalize() moves it to its real tree id
  kActive = 2,    // completed
  kFailure = 3,   // the upload failed; awaits its drop
  kDeleting = 4,  // a drop is (or was, before a crash) removing it; puts are refused
};
std::string_view overlay_status_name(OverlayStatus status);

struct MetaRecord {
  uint64_t used_bytes = 0;      // bytes of stored blocks (every "b" record)
  uint64_t reserved_bytes = 0;  // reserved by reserve(), not yet released
  uint64_t block_count = 0;     // number of stored blocks
  uint64_t next_overlay_id = 1;
  uint64_t next_block_sequence = 1;  // the key of the next new block's bytes
  uint32_t format = kFormatVersion;  // kFormatVersion or kFormatJournaled, fixed at creation
  friend bool operator==(const MetaRecord&, const MetaRecord&) = default;
};

struct OverlayRecord {
  uint64_t id = 0;
  uint64_t expiry_us = 0;
  OverlayStatus status = OverlayStatus::kActive;
  friend bool operator==(const OverlayRecord&, const OverlayRecord&) = default;
};

struct BlockRecord {
  uint64_t refcount = 0;  // overlays with at least one leaf naming this block
  uint64_t size_bytes = 0;
  uint64_t sequence = 0;  // the block's bytes are at block_bytes_key(sequence)
  friend bool operator==(const BlockRecord&, const BlockRecord&) = default;
};

// What a journaled put must redo: the rest (size, sequence) is the record's length and key.
struct JournalHeader {
  uint64_t id = 0;  // overlay id
  uint32_t index = 0;
  std::string hash;
  uint64_t from_reserved = 0;  // bytes the put drew from reserved_bytes
  friend bool operator==(const JournalHeader&, const JournalHeader&) = default;
};

// The SHA-256 of bytes (kHashBytes raw bytes).
std::string block_hash(std::string_view bytes);
// Lowercase hex, for messages.
std::string hex(std::string_view bytes);

std::string meta_key();
std::string overlay_key(std::string_view tree);
std::string overlay_prefix();
std::string leaf_key(uint64_t id, uint32_t index);
std::string leaf_prefix();
std::string chunk_key(uint64_t id, uint32_t chunk);
std::string chunk_prefix();
std::string reference_key(uint64_t id, uint64_t sequence);
std::string reference_prefix();
std::string block_record_key(std::string_view hash);
std::string block_record_prefix();
std::string block_bytes_key(uint64_t sequence);
std::string block_bytes_prefix();
std::string garbage_key(std::string_view hash);
std::string garbage_prefix();
std::string journal_key(uint64_t sequence);
std::string journal_prefix();
// The suffix of a key after its tag byte (tree id or hash). REQUIRES: key non-empty.
std::string_view key_suffix(std::string_view key);
// Decodes a leaf key; false if malformed.
bool parse_leaf_key(std::string_view key, uint64_t* id, uint32_t* index);
// Decodes a block bytes key; false if malformed.
bool parse_block_bytes_key(std::string_view key, uint64_t* sequence);
// Decodes a journal key; false if malformed.
bool parse_journal_key(std::string_view key, uint64_t* sequence);
// Decodes a chunk key; false if malformed.
bool parse_chunk_key(std::string_view key, uint64_t* id, uint32_t* chunk);
// Decodes a reference key; false if malformed.
bool parse_reference_key(std::string_view key, uint64_t* id, uint64_t* sequence);

// The meta record is sealed and starts with kFormatVersion; decode_meta gives Corruption
// naming the format for a record of another size or version (an older store).
std::string encode_meta(const MetaRecord& meta);
Result<MetaRecord> decode_meta(std::string_view bytes);
// A journal record: the sealed header, then the block's bytes.
std::string encode_journal(const JournalHeader& header, std::string_view bytes);
// The same record in two steps, so the block's bytes can be copied before the header is known
// (a put copies them before it takes the store's lock): journal_record_for(bytes) is
// kJournalHeaderBytes of room followed by bytes; seal_journal_header fills the room in.
inline constexpr size_t kJournalHeaderBytes = 8 + 4 + kHashBytes + 8 + 4;
std::string journal_record_for(std::string_view bytes);
// REQUIRES: record->size() >= kJournalHeaderBytes.
void seal_journal_header(const JournalHeader& header, std::string* record);
// Splits a journal record into its header and the block's bytes (a view into record);
// Corruption naming key if the header is bad. The bytes are not checked here (their hash is).
Result<std::pair<JournalHeader, std::string_view>> decode_journal(std::string_view record,
                                                                  std::string_view key);
std::string encode_overlay(const OverlayRecord& record);
Result<OverlayRecord> decode_overlay(std::string_view bytes, std::string_view tree);
std::string encode_block_record(const BlockRecord& record);
Result<BlockRecord> decode_block_record(std::string_view bytes, std::string_view hash);
// A reference record: the number of leaves (>= 1) of one overlay naming one block.
std::string encode_reference(uint64_t leaves);
Result<uint64_t> decode_reference(std::string_view bytes, std::string_view key);

// Bitmaps: bit i of byte i/8 = block index i is stored; canonical (no trailing zero byte).
// An overlay's bitmap is stored as chunk records of kBitmapChunkBits bits each.
// The chunk of bitmap holding index.
inline uint32_t chunk_of(uint32_t index) { return index / kBitmapChunkBits; }
// The stored form of one chunk of bitmap (its bytes, trimmed, sealed), or nullopt when the
// chunk has no bit set (the record is then deleted).
std::optional<std::string> encode_chunk(const std::string& bitmap, uint32_t chunk);
// Ors a stored chunk into *bitmap; Corruption naming key if bad.
Status decode_chunk_into(std::string_view bytes, std::string_view key, uint32_t chunk,
                         std::string* bitmap);

bool bit_is_set(const std::string& bitmap, uint32_t index);
void set_bit(std::string* bitmap, uint32_t index);
void clear_bit(std::string* bitmap, uint32_t index);
// Set indices, ascending, at most limit (0 = all).
std::vector<uint32_t> set_bits(const std::string& bitmap, size_t limit);
uint64_t count_bits(const std::string& bitmap);

}  // namespace tierkv::overlay_layout
