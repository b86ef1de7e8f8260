// FaultInjectingBackend: wraps any Backend and fails calls with a Status chosen by a hook,
// before they reach the wrapped backend. The adapter-boundary fault lane for backends the
// simulator cannot put on SimEnv (LMDB), usable with every backend.
//
// Promises: before each get/put/remove/write/scan/checkpoint, hook(op, key) is asked; a non-OK
// answer is returned as is and the wrapped backend is not called (so an injected failure of
// write() leaves no op of the batch applied). op is "get", "put", "remove", "write", "scan" or
// "checkpoint"; key is the call's key (the first key of a batch, the range start of a scan,
// the directory of a checkpoint). No hook: a transparent wrapper. close() is never failed.
// Thread-safety: as the wrapped backend.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/backends/backend.h"

namespace tierkv {

class FaultInjectingBackend final : public Backend {
 public:
  using Hook = std::function<Status(std::string_view op, std::string_view key)>;

  // REQUIRES: inner != nullptr.
  explicit FaultInjectingBackend(std::unique_ptr<Backend> inner, Hook hook = {});

  void set_hook(Hook hook) { hook_ = std::move(hook); }
  uint64_t injected_failures() const { return injected_failures_; }
  Backend& inner() { return *inner_; }

  std::string_view name() const override { return inner_->name(); }
  Result<std::string> get(std::string_view key) override;
  Status put(std::string_view key, std::string_view value) override;
  Status remove(std::string_view key) override;
  Status write(const WriteBatch& batch) override;
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override;
  Status checkpoint(const std::string& dir) override;
  Status close() override { return inner_->close(); }

 private:
  Status ask(std::string_view op, std::string_view key);

  std::unique_ptr<Backend> inner_;
  Hook hook_;
  uint64_t injected_failures_ = 0;
};

}  // namespace tierkv
