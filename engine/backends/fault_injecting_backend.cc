#include "engine/backends/fault_injecting_backend.h"

#include <cassert>

namespace tierkv {

FaultInjectingBackend::FaultInjectingBackend(std::unique_ptr<Backend> inner, Hook hook)
    : inner_(std::move(inner)), hook_(std::move(hook)) {
  assert(inner_ != nullptr);
}

Status FaultInjectingBackend::ask(std::string_view op, std::string_view key) {
  if (!hook_) return Status();
  Status status = hook_(op, key);
  if (!status.ok()) ++injected_failures_;
  return status;
}

Result<std::string> FaultInjectingBackend::get(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(ask("get", key));
  return inner_->get(key);
}

Status FaultInjectingBackend::put(std::string_view key, std::string_view value) {
  TIERKV_RETURN_IF_ERROR(ask("put", key));
  return inner_->put(key, value);
}

Status FaultInjectingBackend::remove(std::string_view key) {
  TIERKV_RETURN_IF_ERROR(ask("remove", key));
  return inner_->remove(key);
}

Status FaultInjectingBackend::write(const WriteBatch& batch) {
  TIERKV_RETURN_IF_ERROR(ask("write", batch.empty() ? std::string_view() : batch.ops()[0].key));
  return inner_->write(batch);
}

Result<std::vector<KeyValue>> FaultInjectingBackend::scan(const KeyRange& range, size_t limit) {
  TIERKV_RETURN_IF_ERROR(ask("scan", range.start));
  return inner_->scan(range, limit);
}

Status FaultInjectingBackend::checkpoint(const std::string& dir) {
  TIERKV_RETURN_IF_ERROR(ask("checkpoint", dir));
  return inner_->checkpoint(dir);
}

}  // namespace tierkv
