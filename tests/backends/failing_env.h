// FailingEnv (test helper): forwards to any Env, and once armed fails the n-th file write
// (append or write_at) from then on and every later write, until disarmed, like a disk that
// died in the middle of a batch. Works over PosixEnv and SimEnv alike. Read-only mappings are
// forwarded (and counted), so LevelDB's mapped table reads run on PosixEnv under it too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/io/env.h"

namespace tierkv::testing {

class FailingEnv final : public Env {
 public:
  explicit FailingEnv(Env* base) : base_(base) {}

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

  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Status rename(const std::string& from, const std::string& to) override {
    return base_->rename(from, to);
  }
  Status link(const std::string& from, const std::string& to) override {
    return base_->link(from, to);
  }
  Status remove_file(const std::string& path) override { return base_->remove_file(path); }
  Status create_dir(const std::string& path) override { return base_->create_dir(path); }
  Status remove_dir(const std::string& path) override { return base_->remove_dir(path); }
  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    return base_->list_dir(path);
  }
  Status sync_dir(const std::string& path) override { return base_->sync_dir(path); }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    return base_->lock_file(path);
  }
  bool file_exists(const std::string& path) override { return base_->file_exists(path); }
  bool dir_exists(const std::string& path) override { return base_->dir_exists(path); }
  Result<uint64_t> file_size(const std::string& path) override { return base_->file_size(path); }
  Result<std::unique_ptr<ReadOnlyMapping>> map_read_only(const std::string& path) override {
    ++map_calls_;
    return base_->map_read_only(path);
  }
  // How many map_read_only calls reached this Env (mapped or refused).
  uint64_t map_calls() const { return map_calls_; }

 private:
  Env* base_;
  bool armed_ = false;
  uint64_t writes_until_failure_ = 0;
  uint64_t failed_writes_ = 0;
  uint64_t map_calls_ = 0;
};

class FailingFile final : public File {
 public:
  FailingFile(FailingEnv* env, std::unique_ptr<File> base) : env_(env), base_(std::move(base)) {}
  Status append(std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(env_->before_write(base_->path()));
    return base_->append(data);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    TIERKV_RETURN_IF_ERROR(env_->before_write(base_->path()));
    return base_->write_at(offset, data);
  }
  Result<size_t> read_at(uint64_t offset, size_t n, char* scratch) override {
    return base_->read_at(offset, n, scratch);
  }
  Status sync() override { return base_->sync(); }
  Status truncate(uint64_t size_bytes) override { return base_->truncate(size_bytes); }
  Result<uint64_t> size() override { return base_->size(); }
  Status close() override { return base_->close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FailingEnv* env_;
  std::unique_ptr<File> base_;
};

inline Result<std::unique_ptr<File>> FailingEnv::open_file(const std::string& path,
                                                           OpenMode mode) {
  TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->open_file(path, mode));
  return std::unique_ptr<File>(new FailingFile(this, std::move(file)));
}

}  // namespace tierkv::testing
