// KillPointEnv (crash baseline only, real processes): forwards every call to a base Env (PosixEnv)
// and, once armed, SIGKILLs its own process at random file-system calls, like RocksDB's
// db_crash_test random kill points (TEST_KILL_RANDOM in its file writer, sync and rename paths).
//
// Kill points: append, write_at, sync, truncate, close, rename, link, remove_file, create_dir,
// sync_dir. At each, with probability 1 / odds, the process kills itself before the call
// reaches the base Env. An append or write_at of more than one byte that is picked dies half the
// time *after* writing a prefix of its data (a process killed between the write(2) calls of one
// logical record); a single write(2) is never torn by SIGKILL, so this models a writer that
// issues a record in pieces. SIGKILL keeps the OS page cache: unsynced data and directory
// entries survive (what a power cut would lose is out of this baseline's reach).
// Thread-safety: any thread (run_blocking pool threads call it); the random stream is an atomic
// counter hashed with the seed, so which call dies varies with thread timing (a real process).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/io/env.h"

namespace tierkv::crash {

class KillPointEnv final : public Env {
 public:
  explicit KillPointEnv(Env* base) : base_(base) {}

  // From now on every kill point dies with probability 1 / odds. REQUIRES: odds > 0.
  void arm(uint64_t seed, uint64_t odds) {
    seed_ = seed;
    odds_.store(odds);
  }
  // Whether this kill point fires now (false when disarmed).
  bool pick() {
    const uint64_t odds = odds_.load();
    return odds != 0 && next_random() % odds == 0;
  }
  // For a picked write: whether it dies after writing a prefix (half the time).
  bool pick_torn() { return next_random() % 2 == 0; }
  void maybe_die() {
    if (pick()) die();
  }
  [[noreturn]] static void die() {
    kill(getpid(), SIGKILL);
    for (;;) pause();
  }

  Result<std::unique_ptr<File>> open_file(const std::string& path, OpenMode mode) override;
  Status rename(const std::string& from, const std::string& to) override {
    maybe_die();
    return base_->rename(from, to);
  }
  Status link(const std::string& from, const std::string& to) override {
    maybe_die();
    return base_->link(from, to);
  }
  Status remove_file(const std::string& path) override {
    maybe_die();
    return base_->remove_file(path);
  }
  Status create_dir(const std::string& path) override {
    maybe_die();
    return base_->create_dir(path);
  }
  Status remove_dir(const std::string& path) override { return base_->remove_dir(path); }
  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    return base_->list_dir(path);
  }
  Status sync_dir(const std::string& path) override {
    maybe_die();
    return base_->sync_dir(path);
  }
  Result<std::unique_ptr<FileLock>> lock_file(const std::string& path) override {
    return base_->lock_file(path);
  }
  bool file_exists(const std::string& path) override { return base_->file_exists(path); }
  bool dir_exists(const std::string& path) override { return base_->dir_exists(path); }
  Result<uint64_t> file_size(const std::string& path) override { return base_->file_size(path); }
  Result<std::unique_ptr<ReadOnlyMapping>> map_read_only(const std::string& path) override {
    return base_->map_read_only(path);
  }

 private:
  Env* base_;
  uint64_t seed_ = 0;
  std::atomic<uint64_t> odds_{0};
  std::atomic<uint64_t> counter_{0};

  uint64_t next_random() {  // splitmix64 of (seed, call number)
    uint64_t z = seed_ + 0x9E3779B97F4A7C15ull * (counter_.fetch_add(1) + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

class KillPointFile final : public File {
 public:
  KillPointFile(KillPointEnv* env, std::unique_ptr<File> base)
      : env_(env), base_(std::move(base)) {}
  Status append(std::string_view data) override {
    if (env_->pick()) {
      if (data.size() > 1 && env_->pick_torn()) (void)base_->append(data.substr(0, data.size() / 2));
      KillPointEnv::die();
    }
    return base_->append(data);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    if (env_->pick()) {
      if (data.size() > 1 && env_->pick_torn()) {
        (void)base_->write_at(offset, data.substr(0, data.size() / 2));
      }
      KillPointEnv::die();
    }
    return base_->write_at(offset, data);
  }
  Result<size_t> read_at(uint64_t offset, size_t n, char* scratch) override {
    return base_->read_at(offset, n, scratch);
  }
  Status sync() override {
    env_->maybe_die();
    return base_->sync();
  }
  Status truncate(uint64_t size_bytes) override {
    env_->maybe_die();
    return base_->truncate(size_bytes);
  }
  Result<uint64_t> size() override { return base_->size(); }
  Status close() override {
    env_->maybe_die();
    return base_->close();
  }
  const std::string& path() const override { return base_->path(); }

 private:
  KillPointEnv* env_;
  std::unique_ptr<File> base_;
};

inline Result<std::unique_ptr<File>> KillPointEnv::open_file(const std::string& path,
                                                             OpenMode mode) {
  TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->open_file(path, mode));
  return std::unique_ptr<File>(new KillPointFile(this, std::move(file)));
}

}  // namespace tierkv::crash
