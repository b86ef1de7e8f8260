// Test harnesses: one per (backend kind, Env) pair the typed contract suite runs on. Each gives
// a fresh root (a SimEnv directory or a real temp dir removed afterwards), opens its backend on
// a directory under that root wrapped in a FaultInjectingBackend, and knows how to make the
// next batch fail half-way (the lane that reaches deepest into that backend).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/backends/backend.h"
#include "engine/backends/fault_injecting_backend.h"
#include "engine/backends/leveldb_backend.h"
#include "engine/backends/lmdb_backend.h"
#include "engine/backends/memory_backend.h"
#include "engine/backends/sqlite_backend.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"
#include "tests/backends/failing_env.h"
#if __has_include("engine/io/posix_env.h")
#include "engine/io/posix_env.h"
#define TIERKV_HAVE_POSIX_ENV 1
#else
#define TIERKV_HAVE_POSIX_ENV 0
#endif

namespace tierkv::testing {

// A real directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tierkv-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

enum class EnvKind { kSim, kPosix };
// How a harness makes a batch fail half-way: the n-th file write fails (deep: inside the
// library's commit), the adapter hook refuses it, or an op the library rejects mid-transaction.
enum class FailureLane { kEnvWrite, kAdapterHook, kInvalidKey };

class HarnessBase {
 public:
  explicit HarnessBase(EnvKind env_kind) {
    if (env_kind == EnvKind::kSim) {
      sim_env_ = std::make_unique<sim::SimEnv>(prng_, trace_);
      root_ = "/t";
      base_env_ = sim_env_.get();
    } else {
#if TIERKV_HAVE_POSIX_ENV
      posix_env_ = std::make_unique<PosixEnv>();
      base_env_ = posix_env_.get();
#endif
      root_ = temp_.path();
    }
    failing_env_ = std::make_unique<FailingEnv>(base_env_);
  }
  virtual ~HarnessBase() = default;

  Env* env() { return failing_env_.get(); }
  sim::SimEnv* sim_env() { return sim_env_.get(); }
  std::string path(const std::string& name) const { return root_ + "/" + name; }

  Result<std::unique_ptr<Backend>> open(const std::string& dir) {
    BackendOptions options;
    options.env = env();
    options.clock = &clock_;
    options.dir = dir;
    options.sync = true;
    options.seed = 7;
    TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, open_raw(options));
    return std::unique_ptr<Backend>(new FaultInjectingBackend(
        std::move(backend), [this](std::string_view op, std::string_view) {
          if (adapter_fault_ && op == "write") return Status::io_error("injected adapter fault");
          return Status();
        }));
  }

  void inject_batch_failure(WriteBatch* batch) {
    switch (lane()) {
      case FailureLane::kEnvWrite: failing_env_->arm(2); break;
      case FailureLane::kAdapterHook: adapter_fault_ = true; break;
      case FailureLane::kInvalidKey: batch->put(std::string(kLmdbKeyBytesMax + 1, 'z'), "v"); break;
    }
  }
  void clear_failure() {
    failing_env_->disarm();
    adapter_fault_ = false;
  }

 protected:
  virtual Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& options) = 0;
  virtual FailureLane lane() const = 0;

 private:
  TempDir temp_;
  sim::Prng prng_{42};
  sim::TraceHash trace_;
  sim::SimClock clock_;
  std::unique_ptr<sim::SimEnv> sim_env_;
#if TIERKV_HAVE_POSIX_ENV
  std::unique_ptr<PosixEnv> posix_env_;
#endif
  Env* base_env_ = nullptr;
  std::unique_ptr<FailingEnv> failing_env_;
  std::string root_;
  bool adapter_fault_ = false;
};

template <typename B>
Result<std::unique_ptr<Backend>> as_backend(Result<std::unique_ptr<B>> opened) {
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<Backend>(std::move(*opened));
}

struct MemoryHarness : HarnessBase {
  static constexpr bool kDurable = false;  // volatile until checkpointed
  static constexpr bool kNotFoundNamesKey = false;  // MemoryBackend's message is generic
  MemoryHarness() : HarnessBase(EnvKind::kSim) {}
  Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& o) override {
    return as_backend(MemoryBackend::open(o));
  }
  FailureLane lane() const override { return FailureLane::kAdapterHook; }
};

template <EnvKind kEnv>
struct LevelDbHarness : HarnessBase {
  static constexpr bool kDurable = true;
  static constexpr bool kNotFoundNamesKey = true;
  LevelDbHarness() : HarnessBase(kEnv) {}
  Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& o) override {
    LevelDbTuning tuning;
    tuning.write_buffer_size_bytes = 256 * 1024;  // flushes and compactions happen in tests
    return as_backend(LevelDbBackend::open(o, tuning));
  }
  FailureLane lane() const override { return FailureLane::kEnvWrite; }
};

template <EnvKind kEnv>
struct SqliteHarness : HarnessBase {
  static constexpr bool kDurable = true;
  static constexpr bool kNotFoundNamesKey = true;
  SqliteHarness() : HarnessBase(kEnv) {}
  Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& o) override {
    SqliteTuning tuning;
    tuning.wal_autocheckpoint_pages = 64;  // WAL checkpoints happen in tests
    return as_backend(SqliteBackend::open(o, tuning));
  }
  FailureLane lane() const override { return FailureLane::kEnvWrite; }
};

// LMDB maps real files: a real temp dir; the Env passed in is not used by it.
struct LmdbHarness : HarnessBase {
  static constexpr bool kDurable = true;
  static constexpr bool kNotFoundNamesKey = true;
  LmdbHarness() : HarnessBase(EnvKind::kPosix) {}
  Result<std::unique_ptr<Backend>> open_raw(const BackendOptions& o) override {
    LmdbTuning tuning;
    tuning.map_size_bytes = size_t{256} << 20;
    return as_backend(LmdbBackend::open(o, tuning));
  }
  FailureLane lane() const override { return FailureLane::kInvalidKey; }
};

using LevelDbSimHarness = LevelDbHarness<EnvKind::kSim>;
using SqliteSimHarness = SqliteHarness<EnvKind::kSim>;
using LevelDbPosixHarness = LevelDbHarness<EnvKind::kPosix>;
using SqlitePosixHarness = SqliteHarness<EnvKind::kPosix>;

}  // namespace tierkv::testing
