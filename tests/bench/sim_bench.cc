// Simulator throughput (issue 7 "Numbers"): whole runs of tierkv-sim's runner, every checker
// on, one seed per iteration (seeds 1, 2, 3, ...), single-threaded:
//   - sim_ops_per_s:      client operations issued per second of real time;
//   - sim_to_real_ratio:  simulated seconds per real second.
// Worlds: the memory backend under the native WAL store (VersionedStore: every durable tier
// sits on one, as the simulator builds it) with no faults, the same with the seed's swarm of
// faults (crashes, torn writes, EIO, outages...), and LevelDB on SimEnv with swarm faults.
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIERKV_BUILD_BENCH=ON
//   cmake --build build/bench --target tierkv-bench
//   build/bench/tests/tierkv-bench --benchmark_filter='Sim'
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "sim/runner.h"

namespace tierkv::sim {
namespace {

constexpr uint64_t kOpsPerRun = 400;

void run_seeds(benchmark::State& state, const std::string& backend, bool faults) {
  GenerateOptions options;
  options.ops = kOpsPerRun;
  options.backend = backend;
  options.no_faults = !faults;
  uint64_t seed = 0;
  uint64_t ops = 0;
  uint64_t simulated_us = 0;
  uint64_t violations = 0;
  for (auto _ : state) {
    const Scenario scenario = generate_scenario(++seed, options);
    const RunResult result = run_scenario(scenario);
    ops += result.stats.ops_issued;
    simulated_us += result.stats.simulated_time_us;
    violations += result.violations.size();
    benchmark::DoNotOptimize(result.trace_hex.data());
  }
  state.counters["sim_ops_per_s"] = benchmark::Counter(static_cast<double>(ops),
                                                       benchmark::Counter::kIsRate);
  state.counters["sim_to_real_ratio"] = benchmark::Counter(
      static_cast<double>(simulated_us) / 1e6, benchmark::Counter::kIsRate);
  state.counters["violations"] = static_cast<double>(violations);
}

void BM_SimMemoryVersionedNoFaults(benchmark::State& state) { run_seeds(state, "memory", false); }
void BM_SimMemoryVersionedSwarm(benchmark::State& state) { run_seeds(state, "memory", true); }
void BM_SimLevelDbSwarm(benchmark::State& state) { run_seeds(state, "leveldb", true); }

BENCHMARK(BM_SimMemoryVersionedNoFaults)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_SimMemoryVersionedSwarm)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_SimLevelDbSwarm)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
}  // namespace tierkv::sim
