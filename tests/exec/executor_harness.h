// The executors the exec tests run on. The AsyncMutex and KeyLockTable tests run once per
// executor in all_executor_kinds(), so production (AsioExecutor) and the simulator's executor
// are held to the same contract. Header-only: tests/CMakeLists.txt compiles only *_test.cc.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/exec/asio_executor.h"
#include "engine/exec/executor.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"

namespace tierkv::testing {

// Owns one executor and whatever it needs (a PRNG, a trace).
class ExecutorHarness {
 public:
  virtual ~ExecutorHarness() = default;
  virtual Executor& executor() = 0;
};

class AsioHarness final : public ExecutorHarness {
 public:
  Executor& executor() override { return executor_; }

 private:
  AsioExecutor executor_;
};

// The simulator's executor: the seed picks the latencies, hence the interleaving.
class SimHarness final : public ExecutorHarness {
 public:
  explicit SimHarness(uint64_t seed) : prng_(seed), executor_(clock_, prng_, trace_) {}
  Executor& executor() override { return executor_; }

 private:
  sim::SimClock clock_;
  sim::Prng prng_;
  sim::TraceHash trace_;
  sim::SimExecutor executor_;
};

inline std::vector<std::string> all_executor_kinds() { return {"asio", "sim"}; }

// REQUIRES: kind is one of all_executor_kinds(); seed varies simulated interleavings.
inline std::unique_ptr<ExecutorHarness> make_executor_harness(const std::string& kind,
                                                              uint64_t seed) {
  if (kind == "sim") return std::make_unique<SimHarness>(seed);
  assert(kind == "asio");
  return std::make_unique<AsioHarness>();
}

// Spawns every task and drives the loop until all finished. False if some never can.
inline bool run_all(Executor& executor, std::vector<Task<void>> tasks) {
  size_t finished = 0;
  const size_t total = tasks.size();
  for (Task<void>& task : tasks) {
    executor.spawn([](Task<void> t, size_t* done) -> Task<void> {
      co_await std::move(t);
      ++*done;
    }(std::move(task), &finished));
  }
  return executor.run_until([&] { return finished == total; });
}

}  // namespace tierkv::testing
