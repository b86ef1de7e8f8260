#include "engine/backends/leveldb_backend.h"

#include <cassert>
#include <optional>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "engine/backends/backend_util.h"
#include "engine/backends/leveldb_env_bridge.h"
#include "engine/core/crc32c.h"
#include "engine/io/env_util.h"

namespace tierkv {
namespace {

leveldb::Slice slice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
std::string_view view(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

bool is_table_file(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".ldb") || ends_with(".sst");
}

// Files a checkpoint leaves out: the lock and the info logs (this backend writes none).
bool is_skipped_file(const std::string& name) {
  return name == "LOCK" || name == "LOG" || name == "LOG.old";
}

// REQUIRES: !status.ok() (messages are built only for failures).
Status convert(const std::string& dir, const std::string& what, const leveldb::Status& status) {
  assert(!status.ok());
  std::string msg = "leveldb " + dir + ": " + what + ": " + status.ToString();
  if (status.IsNotFound()) return Status::not_found(std::move(msg));
  if (status.IsCorruption()) return Status::corruption(std::move(msg));
  if (status.IsInvalidArgument()) return Status::invalid_argument(std::move(msg));
  if (status.IsNotSupportedError()) return Status::not_supported(std::move(msg));
  return Status::io_error(std::move(msg));
}

// LevelDB's log format (its log_format.h), used by the MANIFEST: 32 KiB blocks of records, each
// a 7-byte header (masked CRC32C of type + payload, 16-bit little-endian length, type 1 full,
// 2 first, 3 middle, 4 last) and its payload; a block's last < 7 bytes are zero padding.
constexpr size_t kLogBlockBytes = 32768;
constexpr size_t kLogHeaderBytes = 7;

// The end of the valid record starting at offset, and its type; nullopt if none starts there.
std::optional<std::pair<size_t, uint8_t>> log_record_at(std::string_view log, size_t offset) {
  if (offset + kLogHeaderBytes > log.size()) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(log.data() + offset);
  const uint32_t stored = static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                          static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  const size_t length = static_cast<size_t>(p[4]) | static_cast<size_t>(p[5]) << 8;
  const uint8_t type = p[6];
  if (type < 1 || type > 4) return std::nullopt;
  if (offset % kLogBlockBytes + kLogHeaderBytes + length > kLogBlockBytes) return std::nullopt;
  if (offset + kLogHeaderBytes + length > log.size()) return std::nullopt;
  if (crc32c::unmask(stored) != crc32c::value(log.substr(offset + 6, 1 + length))) {
    return std::nullopt;
  }
  return std::make_pair(offset + kLogHeaderBytes + length, type);
}

}  // namespace

std::optional<uint64_t> leveldb_log_torn_tail(std::string_view log) {
  size_t offset = 0;
  size_t complete = 0;  // end of the last full or last-fragment record
  for (;;) {
    const size_t left_in_block = kLogBlockBytes - offset % kLogBlockBytes;
    if (left_in_block < kLogHeaderBytes) {
      offset += left_in_block;  // the writer's zero padding
      continue;
    }
    if (offset >= log.size()) return std::nullopt;  // every record checks out
    auto record = log_record_at(log, offset);
    if (!record) break;
    offset = record->first;
    if (record->second == 1 || record->second == 4) complete = offset;
  }
  // A MANIFEST becomes current only once its first record is synced: damage there is not a
  // torn append.
  if (complete == 0) return std::nullopt;
  // The first damaged byte is at offset: a torn tail only if no valid record starts after it
  // (one that does means damage inside the log, which is not cut).
  for (size_t at = offset + 1; at + kLogHeaderBytes <= log.size(); ++at) {
    if (log_record_at(log, at)) return std::nullopt;
  }
  return complete;
}

namespace {

// Cuts a torn tail off the MANIFEST named by dir/CURRENT (see leveldb_backend.h). Returns
// whether it cut anything.
Result<bool> cut_torn_manifest_tail(Env& env, const std::string& dir) {
  TIERKV_ASSIGN_OR_RETURN(std::string current, read_file_to_string(env, join_path(dir, "CURRENT")));
  if (current.empty() || current.back() != '\n') return false;
  current.pop_back();
  if (current.find('/') != std::string::npos || current.rfind("MANIFEST-", 0) != 0) return false;
  const std::string path = join_path(dir, current);
  TIERKV_ASSIGN_OR_RETURN(std::string manifest, read_file_to_string(env, path));
  const std::optional<uint64_t> keep = leveldb_log_torn_tail(manifest);
  if (!keep || *keep >= manifest.size()) return false;
  TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env.open_file(path, OpenMode::kReadWrite));
  TIERKV_RETURN_IF_ERROR(file->truncate(*keep));
  TIERKV_RETURN_IF_ERROR(file->sync());
  TIERKV_RETURN_IF_ERROR(file->close());
  return true;
}

}  // namespace

LevelDbBackend::LevelDbBackend(BackendOptions options) : options_(std::move(options)) {}

LevelDbBackend::~LevelDbBackend() { (void)close(); }

Result<std::unique_ptr<LevelDbBackend>> LevelDbBackend::open(const BackendOptions& options,
                                                             const LevelDbTuning& tuning) {
  if (options.env == nullptr) return Status::invalid_argument("leveldb backend needs an Env");
  if (options.dir.empty()) return Status::invalid_argument("leveldb backend needs a directory");
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(*options.env, options.dir));
  std::unique_ptr<LevelDbBackend> backend(new LevelDbBackend(options));
  backend->bridge_ = std::make_unique<LevelDbEnvBridge>(options.env, options.clock);
  leveldb::Options db_options;
  db_options.create_if_missing = true;
  db_options.env = backend->bridge_.get();
  db_options.write_buffer_size = tuning.write_buffer_size_bytes;
  db_options.max_file_size = tuning.max_file_size_bytes;
  leveldb::DB* db = nullptr;
  leveldb::Status status = leveldb::DB::Open(db_options, options.dir, &db);
  backend->drain();
  if (status.IsCorruption()) {
    Result<bool> cut = cut_torn_manifest_tail(*options.env, options.dir);
    if (cut.ok() && *cut) {  // (a failed Open leaves db null)
      status = leveldb::DB::Open(db_options, options.dir, &db);
      backend->drain();
    }
  }
  if (!status.ok()) {
    delete db;
    backend->drain();
    // Corruption stays Corruption (a damaged table or log is a detection, not an I/O error).
    return convert(options.dir, "open", status);
  }
  if (Status failed = backend->bridge_->sequential_read_error(); !failed.ok()) {
    delete db;  // (Open cannot persist anything after the failure; belt and braces)
    backend->drain();
    return Status::io_error("leveldb open " + options.dir + ": " + failed.to_string());
  }
  backend->db_.reset(db);
  backend->drain();
  return backend;
}

Status LevelDbBackend::check_open() const {
  if (db_ == nullptr) return Status::io_error("leveldb " + options_.dir + " is closed");
  return write_failure_;
}

void LevelDbBackend::drain() {
  if (bridge_ != nullptr) background_runs_ += bridge_->drain_background_work();
}

Result<std::string> LevelDbBackend::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(check_open());
  std::string value;
  leveldb::Status status = db_->Get(leveldb::ReadOptions(), slice(key), &value);
  drain();  // reads can schedule seek-triggered compactions
  if (status.ok()) return value;
  if (status.IsNotFound()) {
    // An absent key is a common answer (every first write of a key asks): one buffer.
    std::string msg;
    msg.reserve(64 + key.size() + options_.dir.size());
    msg += "key '";
    msg += printable_key(key);
    msg += "' not found in leveldb ";
    msg += options_.dir;
    return Status::not_found(std::move(msg));
  }
  return convert(options_.dir, "get '" + printable_key(key) + "'", status);
}

Status LevelDbBackend::put(std::string_view key, std::string_view value) {
  leveldb::WriteBatch& native = empty_native_batch();
  native.Put(slice(key), slice(value));
  return write_native(native, 1, key);
}

Status LevelDbBackend::remove(std::string_view key) {
  leveldb::WriteBatch& native = empty_native_batch();
  native.Delete(slice(key));
  return write_native(native, 1, key);
}

Status LevelDbBackend::write(const WriteBatch& batch) {
  if (batch.empty()) return check_open();
  leveldb::WriteBatch& native = empty_native_batch();
  for (const BatchOp& op : batch.ops()) {
    if (op.kind == BatchOp::Kind::kPut) {
      native.Put(slice(op.key), slice(op.value));
    } else {
      native.Delete(slice(op.key));
    }
  }
  return write_native(native, batch.size(), batch.ops().front().key);
}

leveldb::WriteBatch& LevelDbBackend::empty_native_batch() {
  // Its buffer keeps its capacity across writes (Clear() does not shrink it), so a write does
  // not regrow it op by op; a batch larger than this is not kept.
  constexpr size_t kKeptBatchBytesMax = 1 << 20;
  if (native_ == nullptr || native_->ApproximateSize() > kKeptBatchBytesMax) {
    native_ = std::make_unique<leveldb::WriteBatch>();
  }
  native_->Clear();
  return *native_;
}

Status LevelDbBackend::write_native(leveldb::WriteBatch& native, size_t ops,
                                    std::string_view first_key) {
  TIERKV_RETURN_IF_ERROR(check_open());
  leveldb::WriteOptions write_options;
  write_options.sync = options_.sync;
  leveldb::Status status = db_->Write(write_options, &native);
  drain();
  if (status.ok()) return Status();
  Status result = convert(options_.dir,
                          "write of " + std::to_string(ops) + " op(s) starting at key '" +
                              printable_key(first_key) + "'",
                          status);
  write_failure_ = refused_until_reopened("leveldb " + options_.dir, "write", result);
  return result;
}

Result<std::vector<KeyValue>> LevelDbBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(check_open());
  std::vector<KeyValue> out;
  leveldb::Status status;
  {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    for (it->Seek(slice(range.start)); it->Valid(); it->Next()) {
      if (!range.end.empty() && view(it->key()) >= range.end) break;
      if (limit != 0 && out.size() >= limit) break;
      out.push_back({it->key().ToString(), it->value().ToString()});
    }
    status = it->status();
  }
  drain();
  if (!status.ok()) {
    return convert(options_.dir, "scan from '" + printable_key(range.start) + "'", status);
  }
  return out;
}

Status LevelDbBackend::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(check_open());
  drain();
  Env& env = *options_.env;
  if (env.dir_exists(dir) || env.file_exists(dir)) {
    return Status::invalid_argument("leveldb checkpoint target " + dir + " already exists");
  }
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, dir));
  TIERKV_ASSIGN_OR_RETURN(std::vector<std::string> names, env.list_dir(options_.dir));
  for (const std::string& name : names) {
    if (is_skipped_file(name)) continue;
    const std::string from = join_path(options_.dir, name);
    const std::string to = join_path(dir, name);
    Status status = is_table_file(name) ? env.link(from, to) : copy_file_synced(env, from, to);
    if (!status.ok()) return status.with_context("leveldb checkpoint of " + from);
  }
  TIERKV_RETURN_IF_ERROR(env.sync_dir(dir));
  return env.sync_dir(parent_dir(dir));
}

Status LevelDbBackend::close() {
  if (db_ == nullptr) return Status();
  drain();
  db_.reset();  // REQUIRES: no background work queued (drained just above)
  drain();
  assert(!bridge_->has_background_work());
  bridge_.reset();
  return Status();
}

}  // namespace tierkv
