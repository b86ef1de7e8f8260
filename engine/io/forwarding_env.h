// ForwardingEnv / ForwardingFile: an Env and a File that pass every call to a base Env / File
// unchanged. Derive from them to write a decorator that changes only some calls (an Env that
// fails the n-th write in a test, one that kills its process at random file-system calls)
// without restating the rest of the interface.
//
// Contract: each method forwards its arguments to the base and returns its result as is; the
// wrapper adds no ordering, locking or state of its own. ForwardingEnv::open_file hands the
// base's file to wrap_file(), which by default returns it unwrapped; a decorator that needs its
// own File overrides wrap_file. REQUIRES: the base Env outlives the wrapper and its files.
// Thread safety: that of the base.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/io/env.h"

namespace tierkv {

class ForwardingFile : public File {
 public:
  explicit ForwardingFile(std::unique_ptr<File> base) : base_(std::move(base)) {}

  Status append(std::string_view data) override { return base_->append(data); }
  Status write_at(uint64_t offset, std::string_view data) override {
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

 protected:
  File& base() { return *base_; }

 private:
  std::unique_ptr<File> base_;
};

class ForwardingEnv : public Env {
 public:
  explicit ForwardingEnv(Env* base) : base_(base) {}

  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override {
    TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->open_file(path, mode));
    return wrap_file(std::move(file));
  }
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
    return base_->map_read_only(path);
  }

 protected:
  // The File handed to open_file's caller; the default returns the base Env's file itself.
  virtual std::unique_ptr<File> wrap_file(std::unique_ptr<File> file) { return file; }

 private:
  Env* base_;
};

}  // namespace tierkv
