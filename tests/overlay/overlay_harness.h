// Shared fixtures for the overlay tests: a seeded simulated executor and an OverlayStore over
// a memory backend. Header-only: tests/CMakeLists.txt compiles only *_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/memory_backend.h"
#include "engine/overlay/overlay_store.h"
#include "sim/runtime/sim_executor.h"

namespace tierkv::testing {

// Long seed loops run only when TIERKV_LONG=1 is set in the environment; a fast subset otherwise.
inline uint64_t overlay_seed_count(uint64_t fast, uint64_t long_count) {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1" ? long_count : fast;
}

struct OverlayRig {
  explicit OverlayRig(uint64_t seed, sim::SimExecutorOptions executor_options = {})
      : prng(seed), executor(clock, prng, trace, executor_options) {}
  sim::SimClock clock;
  sim::Prng prng;
  sim::TraceHash trace;
  sim::SimExecutor executor;

  template <typename T>
  T sync(Task<T> task) {
    return run_sync(executor, std::move(task));
  }
};

// Forwards to a MemoryBackend and counts the calls: what a put or a drop costs in backend
// round trips.
class CountingBackend final : public Backend {
 public:
  CountingBackend() : inner_(std::move(MemoryBackend::open(BackendOptions{}).value())) {}
  uint64_t gets = 0;
  uint64_t writes = 0;
  uint64_t scans = 0;
  std::string_view name() const override { return "counting"; }
  Result<std::string> get(std::string_view key) override {
    ++gets;
    return inner_->get(key);
  }
  Status put(std::string_view key, std::string_view value) override {
    ++writes;
    return inner_->put(key, value);
  }
  Status remove(std::string_view key) override {
    ++writes;
    return inner_->remove(key);
  }
  Status write(const WriteBatch& batch) override {
    ++writes;
    return inner_->write(batch);
  }
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override {
    ++scans;
    return inner_->scan(range, limit);
  }
  Status checkpoint(const std::string& dir) override { return inner_->checkpoint(dir); }
  Status close() override { return inner_->close(); }

 private:
  std::unique_ptr<MemoryBackend> inner_;
};

// An OverlayStore over its own (counting) memory backend, on rig's executor.
struct MemoryOverlay {
  explicit MemoryOverlay(OverlayRig& rig, OverlayStoreOptions options = {})
      : backend(std::make_unique<CountingBackend>()) {
    Result<std::unique_ptr<OverlayStore>> opened =
        rig.sync(OverlayStore::open(backend.get(), &rig.executor, options));
    EXPECT_TRUE(opened.ok()) << opened.status().to_string();
    store = std::move(opened).value();
  }
  std::unique_ptr<CountingBackend> backend;
  std::unique_ptr<OverlayStore> store;
};

// Deterministic block content: `size_bytes` bytes derived from tag.
inline std::string block_bytes(uint64_t tag, size_t size_bytes = 4096) {
  std::string out(size_bytes, '\0');
  uint64_t x = tag * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < size_bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x & 0xff);
  }
  return out;
}

// Spawns task detached; its result lands in *out.
template <typename T>
void spawn_into(Executor& executor, Task<T> task, std::optional<T>* out) {
  executor.spawn([](Task<T> t, std::optional<T>* o) -> Task<void> {
    o->emplace(co_await std::move(t));
  }(std::move(task), out));
}

inline std::string join_problems(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) out += "\n  " + p;
  return out;
}

// Asserts the store is consistent (gtest failure listing every problem).
inline void expect_consistent(OverlayRig& rig, OverlayStore& store, const std::string& context) {
  Result<std::vector<std::string>> problems = rig.sync(store.check_consistency());
  ASSERT_TRUE(problems.ok()) << context << ": " << problems.status().to_string();
  EXPECT_TRUE(problems->empty()) << context << ":" << join_problems(*problems);
}

}  // namespace tierkv::testing
