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

#include "engine/io/forwarding_env.h"
#include "sim/runtime/prng.h"

namespace tierkv::crash {

class KillPointEnv final : public ForwardingEnv {
 public:
  explicit KillPointEnv(Env* base) : ForwardingEnv(base) {}

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

  Status rename(const std::string& from, const std::string& to) override {
    maybe_die();
    return ForwardingEnv::rename(from, to);
  }
  Status link(const std::string& from, const std::string& to) override {
    maybe_die();
    return ForwardingEnv::link(from, to);
  }
  Status remove_file(const std::string& path) override {
    maybe_die();
    return ForwardingEnv::remove_file(path);
  }
  Status create_dir(const std::string& path) override {
    maybe_die();
    return ForwardingEnv::create_dir(path);
  }
  Status sync_dir(const std::string& path) override {
    maybe_die();
    return ForwardingEnv::sync_dir(path);
  }

 protected:
  std::unique_ptr<File> wrap_file(std::unique_ptr<File> file) override;

 private:
  uint64_t seed_ = 0;
  std::atomic<uint64_t> odds_{0};
  std::atomic<uint64_t> counter_{0};

  uint64_t next_random() {  // splitmix64 of (seed, call number)
    uint64_t x = seed_ + 0x9e3779b97f4a7c15ull * counter_.fetch_add(1);
    return sim::Prng::splitmix64(&x);
  }
};

class KillPointFile final : public ForwardingFile {
 public:
  KillPointFile(KillPointEnv* env, std::unique_ptr<File> base)
      : ForwardingFile(std::move(base)), env_(env) {}
  Status append(std::string_view data) override {
    if (env_->pick()) {
      if (data.size() > 1 && env_->pick_torn()) (void)base().append(data.substr(0, data.size() / 2));
      KillPointEnv::die();
    }
    return ForwardingFile::append(data);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    if (env_->pick()) {
      if (data.size() > 1 && env_->pick_torn()) {
        (void)base().write_at(offset, data.substr(0, data.size() / 2));
      }
      KillPointEnv::die();
    }
    return ForwardingFile::write_at(offset, data);
  }
  Status sync() override {
    env_->maybe_die();
    return ForwardingFile::sync();
  }
  Status truncate(uint64_t size_bytes) override {
    env_->maybe_die();
    return ForwardingFile::truncate(size_bytes);
  }
  Status close() override {
    env_->maybe_die();
    return ForwardingFile::close();
  }

 private:
  KillPointEnv* env_;
};

inline std::unique_ptr<File> KillPointEnv::wrap_file(std::unique_ptr<File> file) {
  return std::make_unique<KillPointFile>(this, std::move(file));
}

}  // namespace tierkv::crash
