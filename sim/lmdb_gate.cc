#include "sim/lmdb_gate.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace tierkv::sim {

RealScratchDir::RealScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/tierkv-sim-lmdb-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    status_ = Status::io_error("cannot create a scratch directory like " + pattern +
                               " for the lmdb backend");
    return;
  }
  path_ = pattern;
}

RealScratchDir::~RealScratchDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

EnvGatedBackend::EnvGatedBackend(std::unique_ptr<Backend> inner, SimEnv& env,
                                 std::string logical_path)
    : inner_(std::move(inner)), env_(env), logical_path_(std::move(logical_path)) {}

Status EnvGatedBackend::gate(SimOpKind kind, uint64_t size_bytes) {
  const bool mutating = kind != SimOpKind::kRead;
  return env_.begin_op(SimOp{kind, logical_path_, {}, 0, size_bytes, mutating});
}

Result<std::string> EnvGatedBackend::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(gate(SimOpKind::kRead, key.size()));
  return inner_->get(key);
}

Status EnvGatedBackend::put(std::string_view key, std::string_view value) {
  TIERKV_RETURN_IF_ERROR(gate(SimOpKind::kWriteAt, key.size() + value.size()));
  return inner_->put(key, value);
}

Status EnvGatedBackend::remove(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(gate(SimOpKind::kWriteAt, key.size()));
  return inner_->remove(key);
}

Status EnvGatedBackend::write(const WriteBatch& batch) {
  uint64_t bytes = 0;
  for (const BatchOp& op : batch.ops()) bytes += op.key.size() + op.value.size();
  TIERKV_RETURN_IF_ERROR(gate(SimOpKind::kWriteAt, bytes));
  return inner_->write(batch);
}

Result<std::vector<KeyValue>> EnvGatedBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(gate(SimOpKind::kRead, range.start.size() + range.end.size()));
  return inner_->scan(range, limit);
}

Status EnvGatedBackend::checkpoint(const std::string& dir) {
  return Status::not_supported("checkpoint of " + logical_path_ + " into " + dir +
                               ": lmdb in the simulator has no SimEnv checkpoints");
}

}  // namespace tierkv::sim
