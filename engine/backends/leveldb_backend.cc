#include "engine/backends/leveldb_backend.h"

#include <cassert>

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "engine/backends/backend_util.h"
#include "engine/backends/leveldb_env_bridge.h"
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
  write_failure_ = Status::io_error("leveldb " + options_.dir +
                                    " refuses calls until reopened: an earlier write failed "
                                    "and may still be applied on recovery (" +
                                    result.to_string() + ")");
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
