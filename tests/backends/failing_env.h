// FailingEnv (test helper): forwards to any Env, and once armed fails the n-th file write
// (append or write_at) from then on and every later write, until disarmed, like a disk that
// died in the middle of a batch. Works over PosixEnv and SimEnv alike. Read-only mappings are
// forwarded (and counted), so LevelDB's mapped table reads run on PosixEnv under it too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/io/forwarding_env.h"

namespace tierkv::testing {

class FailingEnv final : public ForwardingEnv {
 public:
  explicit FailingEnv(Env* base) : ForwardingEnv(base) {}

  // The write_number-th write from now (1 = the next one) and all later ones fail.
  void arm(uint64_t write_number) {
    writes_until_failure_ = write_number;
    armed_ = true;
  }
  void disarm() { armed_ = false; }
  uint64_t failed_writes() const { return failed_writes_; }

  // Called by FailingFile before each write: OK or the injected error.
  Status before_write(const std::string& path) {
    if (!armed_) return Status();
    if (writes_until_failure_ > 1) {
      --writes_until_failure_;
      return Status();
    }
    ++failed_writes_;
    return Status::io_error("injected write failure on " + path);
  }

  Result<std::unique_ptr<ReadOnlyMapping>> map_read_only(const std::string& path) override {
    ++map_calls_;
    return ForwardingEnv::map_read_only(path);
  }
  // How many map_read_only calls reached this Env (mapped or refused).
  uint64_t map_calls() const { return map_calls_; }

 protected:
  std::unique_ptr<File> wrap_file(std::unique_ptr<File> file) override;

 private:
  bool armed_ = false;
  uint64_t writes_until_failure_ = 0;
  uint64_t failed_writes_ = 0;
  uint64_t map_calls_ = 0;
};

class FailingFile final : public ForwardingFile {
 public:
  FailingFile(FailingEnv* env, std::unique_ptr<File> base)
      : ForwardingFile(std::move(base)), env_(env) {}
  Status append(std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(env_->before_write(path()));
    return ForwardingFile::append(data);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(env_->before_write(path()));
    return ForwardingFile::write_at(offset, data);
  }

 private:
  FailingEnv* env_;
};

inline std::unique_ptr<File> FailingEnv::wrap_file(std::unique_ptr<File> file) {
  return std::make_unique<FailingFile>(this, std::move(file));
}

}  // namespace tierkv::testing
