// OverlayStore::check_consistency: the invariants every atomic batch preserves, checked against
// what the backend holds (and the in-memory cache against the backend).
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "engine/overlay/overlay_store.h"

namespace tierkv {

namespace layout = overlay_layout;

namespace {

struct DiskState {
  layout::MetaRecord meta;
  std::map<std::string, layout::OverlayRecord, std::less<>> overlays;  // by tree
  std::map<uint64_t, std::string> bitmaps;                             // by overlay id
  std::map<uint64_t, std::string> tree_of_id;
  std::set<std::pair<uint64_t, uint32_t>> leaves;
  std::map<std::pair<uint64_t, std::string>, uint64_t> leaves_naming;  // (id, hash) -> leaves
  std::map<std::string, uint64_t> references;  // hash -> overlays with a leaf naming it
  std::map<std::string, layout::BlockRecord> blocks;
  std::map<uint64_t, std::string> hash_of_sequence;  // where each block's bytes are stored
  std::set<std::string> garbage;
};

void check_overlays(DiskState* disk, std::vector<std::string>* problems) {
  for (const auto& [tree, record] : disk->overlays) {
    auto [it, inserted] = disk->tree_of_id.emplace(record.id, tree);
    if (!inserted) {
      problems->push_back("overlays " + it->second + " and " + tree + " share id " +
                          std::to_string(record.id));
    }
    if (record.id >= disk->meta.next_overlay_id) {
      problems->push_back("overlay " + tree + " has id " + std::to_string(record.id) +
                          " >= next_overlay_id " + std::to_string(disk->meta.next_overlay_id));
    }
  }
}

void check_leaf(DiskState* disk, const KeyValue& row, std::vector<std::string>* problems) {
  uint64_t id = 0;
  uint32_t index = 0;
  if (!layout::parse_leaf_key(row.key, &id, &index)) {
    problems->push_back("malformed leaf key " + layout::hex(row.key));
    return;
  }
  const std::string where = "leaf " + std::to_string(id) + "/" + std::to_string(index);
  disk->leaves.emplace(id, index);
  auto owner = disk->tree_of_id.find(id);
  if (owner == disk->tree_of_id.end()) {
    problems->push_back(where + " belongs to no overlay");
  } else if (auto bitmap = disk->bitmaps.find(id);
             bitmap == disk->bitmaps.end() || !layout::bit_is_set(bitmap->second, index)) {
    problems->push_back(where + " of overlay " + owner->second + " has its bit clear");
  }
  if (row.value.size() != layout::kHashBytes) {
    problems->push_back(where + " holds a " + std::to_string(row.value.size()) + "-byte hash");
    return;
  }
  if (disk->leaves_naming[{id, row.value}]++ == 0) disk->references[row.value] += 1;
}

void check_chunk(DiskState* disk, const KeyValue& row, std::vector<std::string>* problems) {
  uint64_t id = 0;
  uint32_t chunk = 0;
  if (!layout::parse_chunk_key(row.key, &id, &chunk)) {
    problems->push_back("malformed bitmap chunk key " + layout::hex(row.key));
    return;
  }
  if (!disk->tree_of_id.contains(id)) {
    problems->push_back("bitmap chunk " + std::to_string(id) + "/" + std::to_string(chunk) +
                        " belongs to no overlay");
  }
  Status decoded = layout::decode_chunk_into(row.value, row.key, chunk, &disk->bitmaps[id]);
  if (!decoded.ok()) problems->push_back(decoded.message());
}

// Every reference record counts exactly the leaves of its overlay naming its block.
void check_reference(DiskState* disk, const KeyValue& row, std::vector<std::string>* problems) {
  uint64_t id = 0;
  uint64_t sequence = 0;
  if (!layout::parse_reference_key(row.key, &id, &sequence)) {
    problems->push_back("malformed reference key " + layout::hex(row.key));
    return;
  }
  Result<uint64_t> recorded = layout::decode_reference(row.value, row.key);
  if (!recorded.ok()) {
    problems->push_back(recorded.status().message());
    return;
  }
  auto block = disk->hash_of_sequence.find(sequence);
  if (block == disk->hash_of_sequence.end()) {
    problems->push_back("reference of overlay id " + std::to_string(id) + " names sequence " +
                        std::to_string(sequence) + ", which holds no block");
    return;
  }
  const std::string& hash = block->second;
  auto it = disk->leaves_naming.find({id, hash});
  const uint64_t actual = it == disk->leaves_naming.end() ? 0 : it->second;
  if (*recorded != actual) {
    problems->push_back("reference of overlay id " + std::to_string(id) + " to block " +
                        layout::hex(hash) + " counts " + std::to_string(*recorded) + " leaves, " +
                        std::to_string(actual) + " name it");
  }
  if (it != disk->leaves_naming.end()) disk->leaves_naming.erase(it);  // matched
}

void check_bits(const DiskState& disk, std::vector<std::string>* problems) {
  for (const auto& [tree, record] : disk.overlays) {
    auto bitmap = disk.bitmaps.find(record.id);
    if (bitmap == disk.bitmaps.end()) continue;
    for (uint32_t index : layout::set_bits(bitmap->second, 0)) {
      if (!disk.leaves.contains({record.id, index})) {
        problems->push_back("overlay " + tree + " bit " + std::to_string(index) + " has no leaf");
      }
    }
  }
}

void check_blocks(const DiskState& disk, std::vector<std::string>* problems) {
  for (const auto& [hash, block] : disk.blocks) {
    const std::string name = "block " + layout::hex(hash);
    auto ref = disk.references.find(hash);
    const uint64_t references = ref == disk.references.end() ? 0 : ref->second;
    if (block.refcount != references) {
      problems->push_back(name + " has refcount " + std::to_string(block.refcount) + " but " +
                          std::to_string(references) + " overlays name it");
    }
    if ((block.refcount == 0) != disk.garbage.contains(hash)) {
      problems->push_back(
          name + " with refcount " + std::to_string(block.refcount) +
          (block.refcount == 0 ? " has no garbage marker" : " has a garbage marker"));
    }
  }
  for (const auto& [hash, count] : disk.references) {
    if (!disk.blocks.contains(hash)) {
      problems->push_back("block " + layout::hex(hash) + " is named by " + std::to_string(count) +
                          " leaves but not stored");
    }
  }
  for (const std::string& hash : disk.garbage) {
    if (!disk.blocks.contains(hash)) {
      problems->push_back("garbage marker for unknown block " + layout::hex(hash));
    }
  }
}

// Every block's bytes are stored under its record's sequence and match its hash and size; the
// quota counts exactly the stored blocks.
// Indexes the blocks by sequence: each has its own, below next_block_sequence.
void index_sequences(DiskState* disk, std::vector<std::string>* problems) {
  for (const auto& [hash, block] : disk->blocks) {
    auto [it, inserted] = disk->hash_of_sequence.emplace(block.sequence, hash);
    if (!inserted) {
      problems->push_back("blocks " + layout::hex(it->second) + " and " + layout::hex(hash) +
                          " share sequence " + std::to_string(block.sequence));
    }
    if (block.sequence >= disk->meta.next_block_sequence) {
      problems->push_back("block " + layout::hex(hash) + " has sequence " +
                          std::to_string(block.sequence) + " >= next_block_sequence " +
                          std::to_string(disk->meta.next_block_sequence));
    }
  }
}

// rows: the "b" records (format 3) or the "w" journal records (format 4).
void check_stored_bytes(const DiskState& disk, const std::vector<KeyValue>& rows,
                        std::vector<std::string>* problems) {
  const bool journaled = disk.meta.format == layout::kFormatJournaled;
  const std::map<uint64_t, std::string>& hash_of_sequence = disk.hash_of_sequence;
  uint64_t stored_bytes = 0;
  std::set<uint64_t> with_bytes;
  for (const KeyValue& row : rows) {
    uint64_t sequence = 0;
    if (!(journaled ? layout::parse_journal_key(row.key, &sequence)
                    : layout::parse_block_bytes_key(row.key, &sequence))) {
      problems->push_back("malformed block bytes key " + layout::hex(row.key));
      continue;
    }
    std::string_view bytes = row.value;
    std::optional<layout::JournalHeader> header;
    if (journaled) {
      Result<std::pair<layout::JournalHeader, std::string_view>> decoded =
          layout::decode_journal(row.value, row.key);
      if (!decoded.ok()) {
        problems->push_back(decoded.status().message());
        continue;
      }
      header = std::move(decoded->first);
      bytes = decoded->second;
    }
    stored_bytes += bytes.size();
    with_bytes.insert(sequence);
    auto owner = hash_of_sequence.find(sequence);
    if (owner == hash_of_sequence.end()) {
      problems->push_back("bytes at sequence " + std::to_string(sequence) +
                          " are stored without a block record");
      continue;
    }
    const std::string name = "block " + layout::hex(owner->second);
    const uint64_t size_bytes = disk.blocks.at(owner->second).size_bytes;
    if (layout::block_hash(bytes) != owner->second) problems->push_back(name + " fails its hash");
    if (header.has_value() && header->hash != owner->second) {
      problems->push_back(name + ": its journal record names block " + layout::hex(header->hash));
    }
    if (size_bytes != bytes.size()) {
      problems->push_back(name + " holds " + std::to_string(bytes.size()) +
                          " bytes, its record says " + std::to_string(size_bytes));
    }
  }
  uint64_t recorded_bytes = 0;
  for (const auto& [hash, block] : disk.blocks) {
    recorded_bytes += block.size_bytes;
    if (!with_bytes.contains(block.sequence)) {
      problems->push_back("block " + layout::hex(hash) + " has no bytes");
    }
  }
  if (disk.meta.used_bytes != recorded_bytes || disk.meta.used_bytes != stored_bytes) {
    problems->push_back("quota used_bytes " + std::to_string(disk.meta.used_bytes) +
                        " != bytes of stored blocks " + std::to_string(stored_bytes) +
                        " (records say " + std::to_string(recorded_bytes) + ")");
  }
  if (disk.meta.block_count != disk.blocks.size()) {
    problems->push_back("quota block_count " + std::to_string(disk.meta.block_count) +
                        " != " + std::to_string(disk.blocks.size()) + " stored blocks");
  }
}

}  // namespace

Task<Result<std::vector<std::string>>> OverlayStore::check_consistency() {
  AsyncMutexGuard guard = co_await mutex_.lock_guard();
  std::vector<std::string> problems;
  TIERKV_CO_RETURN_IF_ERROR(co_await check_locked(&problems));
  co_return problems;
}

Task<Status> OverlayStore::check_locked(std::vector<std::string>* problems) {
  // A journaled store's backend is whole only with its journal redone (the reload after a
  // failed write does that) and its pending metadata written: the checker reads the backend.
  if (journaled() && !loaded_) TIERKV_CO_RETURN_IF_ERROR(co_await load_locked());
  TIERKV_CO_RETURN_IF_ERROR(co_await flush_pending_locked());
  DiskState disk;
  TIERKV_CO_ASSIGN_OR_RETURN(std::optional<std::string> meta,
                             co_await get_locked(layout::meta_key()));
  if (meta.has_value()) {
    Result<layout::MetaRecord> decoded = layout::decode_meta(*meta);
    if (!decoded.ok()) problems->push_back(decoded.status().message());
    if (decoded.ok()) disk.meta = *decoded;
  } else {
    disk.meta.format = meta_.format;  // a new store: its format is written with its first record
  }
  TIERKV_CO_ASSIGN_OR_RETURN(std::vector<KeyValue> rows,
                             co_await scan_locked(layout::overlay_prefix(), 0));
  for (const KeyValue& row : rows) {
    std::string tree(layout::key_suffix(row.key));
    Result<layout::OverlayRecord> record = layout::decode_overlay(row.value, tree);
    if (!record.ok()) problems->push_back(record.status().message());
    if (record.ok()) disk.overlays.emplace(std::move(tree), std::move(*record));
  }
  check_overlays(&disk, problems);
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::chunk_prefix(), 0));
  for (const KeyValue& row : rows) check_chunk(&disk, row, problems);
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::leaf_prefix(), 0));
  for (const KeyValue& row : rows) check_leaf(&disk, row, problems);
  check_bits(disk, problems);
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::block_record_prefix(), 0));
  for (const KeyValue& row : rows) {
    std::string hash(layout::key_suffix(row.key));
    Result<layout::BlockRecord> block = layout::decode_block_record(row.value, hash);
    if (!block.ok()) problems->push_back(block.status().message());
    if (block.ok()) disk.blocks.emplace(std::move(hash), *block);
  }
  index_sequences(&disk, problems);
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::reference_prefix(), 0));
  for (const KeyValue& row : rows) check_reference(&disk, row, problems);
  for (const auto& [ref, leaves] : disk.leaves_naming) {
    problems->push_back(std::to_string(leaves) + " leaves of overlay id " +
                        std::to_string(ref.first) + " name block " + layout::hex(ref.second) +
                        " without a reference record");
  }
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(layout::garbage_prefix(), 0));
  for (const KeyValue& row : rows) disk.garbage.emplace(layout::key_suffix(row.key));
  check_blocks(disk, problems);
  // A named prefix: g++ 12 destroys a conditional's temporary twice inside co_await.
  std::string bytes_prefix = disk.meta.format == layout::kFormatJournaled
                                 ? layout::journal_prefix()
                                 : layout::block_bytes_prefix();
  TIERKV_CO_ASSIGN_OR_RETURN(rows, co_await scan_locked(std::move(bytes_prefix), 0));
  check_stored_bytes(disk, rows, problems);
  if (loaded_ && (meta_ != disk.meta || overlays_ != disk.overlays || bitmaps_ != disk.bitmaps)) {
    problems->push_back("the in-memory meta/overlay/bitmap cache differs from the backend");
  }
  for (const auto& [hash, block] : disk.blocks) {
    if (loaded_ && !block_filter_.may_contain(hash)) {
      problems->push_back("block " + layout::hex(hash) + " is missing from the block filter");
    }
  }
  co_return Status();
}

}  // namespace tierkv
