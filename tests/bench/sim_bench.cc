// Simulator throughput (issue 7 "Numbers"): whole runs of tierkv-sim's runner, every checker
// on, one seed per iteration (seeds 1, 2, 3, ...), single-threaded. Counters (per second of
// the benchmark's CPU time, i.e. of one core, so a loaded machine skews them less):
//   - sim_ops_per_s:      client operations issued per CPU second;
//   - sim_to_real_ratio:  simulated seconds per CPU second;
//   - us_per_op:          CPU microseconds per client operation (the inverse of the first);
//   - events_per_op:      trace events (timer firings, SimEnv calls, restarts) per operation:
//                         how many scheduler/env steps one client operation costs.
// Worlds, each the seed's drawn tier layout (ephemeral / backup / overlay tiers, latencies):
//   - BM_SimMemory:              the headline world: every tier straight on the memory
//                                backend (WorldConfig::volatile_memory), no faults (nothing
//                                would survive a crash), snapshot/rollback ops dropped (they
//                                need a VersionedStore);
//   - BM_SimVersionedNoFaults:   the native WAL store: every durable tier a VersionedStore
//                                (WAL on SimEnv + LtHash per commit) over memory working
//                                copies, as tierkv-sim builds backend "memory", no faults;
//   - BM_SimVersionedSwarm:      the same with the seed's swarm of faults (crashes, torn
//                                writes, EIO, outages...);
//   - BM_SimLevelDbSwarm:        LevelDB on SimEnv with swarm faults.
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIERKV_BUILD_BENCH=ON
//   cmake --build build/bench --target tierkv-bench
//   build/bench/tests/tierkv-bench --benchmark_filter='Sim'
//
// On a shared, loaded machine the CPU-time rates above swing by +-20%. To compare two builds,
// count instructions per seed instead. The "/iterations:8" variants run exactly seeds 1..8
// once each (how many iterations the timed variants run depends on the machine's speed, so
// their dumps do not line up between builds), so dump k is seed k in every build; dump 1 also
// carries the process's one-time warm-up (~5M instructions), so compare seeds 2-8 or take
// seed 1 from a second run:
//   f='tierkv::sim::run_scenario(tierkv::sim::Scenario const&)'
//   valgrind --tool=callgrind --callgrind-out-file=cg.out --toggle-collect="$f"
//     --dump-after="$f" build/bench/tests/tierkv-bench
//     --benchmark_filter='BM_SimMemory/iterations:8'
//   (one command line)
//   grep -m1 '^summary:' cg.out.*    (instructions of each seed; cg.out.k is seed k)
// The same for one tierkv-sim run: valgrind --tool=callgrind --toggle-collect="$f"
//   build/release/sim/tierkv-sim run --seed S --backend memory --faults none
//   (BM_SimVersionedNoFaults' world for seed S).
//
// Measured (2026-12-05, g++ 12 -O2; the change: Task<T> is a coroutine type of tierkv's own
// instead of a Boost.Asio awaitable, the SimExecutor a ready queue of suspended coroutines
// plus its timer heap, AsyncMutex's waiter queue allocates nothing while empty; same order of
// events, same trace hashes as before). Instructions per seed (callgrind, warm):
//   BM_SimMemory, seeds 1-8:               168.9M -> 135.6M in all (-19.7%; 52.8k -> 42.4k per op)
//   BM_SimVersionedNoFaults world, 1-4:    579.9M -> 531.2M in all (-8.4%; LtHash dominates)
// CPU-time rates, both builds run alternately 3 times on the shared 2-core machine (load
// 4.4-5.6), medians: BM_SimMemory 83.8k -> 109.5k ops/s, 133x -> 174x simulated/real;
// BM_SimVersionedNoFaults 25.5k -> 28.1k ops/s, 51x -> 56x.
// Where the memory world's instructions went then (self cost, seeds 1-8): memcpy 9%,
// malloc/free 13%, op_value 4%, StoreKey compare/copy/to_string 5%, SQLite (hybrid seeds) and
// the engine's layers most of the rest; the executor itself (timers, ready queue, frames) ~5%.
//
// Measured (2026-12-06, g++ 12 -O2, callgrind, both builds on the same tree, commit 8c39f87,
// with and without the simulator-speed changes of that session; same trace hashes):
//   BM_SimMemory, seeds 1-8:               126.1M -> 116.9M (-7.3%; ~39k -> ~37k per op)
//   BM_SimVersionedNoFaults, seeds 1-8:    806.1M -> 593.3M (-26.4%)
// The changes: LtHash's element cache 256 -> 4096 slots (SHAKE-256 runs ~40% less often: a
// write mixes out a value mixed in hundreds of elements earlier) and vectorised lane adds;
// AsyncMutex/KeyLockTable locks as awaiters (no coroutine frame per lock); op_value with a
// letter table; SimInode writes/syncs without zero-filling first; StoreKey validation by table
// (a valid key builds no Status per part) and an inline ordering; the model's allowed values
// by pointer; uninitialised snapshot-copy buffers. callgrind counts each iteration (byte) of a
// `rep movsb`/`rep stosb` (large memcpy and memset) as an instruction, so cuts in big copies
// and fills weigh more here than in CPU time.
// Where the memory world's instructions go now (self cost): malloc/free ~13%, memcpy ~8%,
// std::string moves ~4.5%, StoreKey ordering/copies/to_string/validation ~9%, the executor
// (timers, ready queue, frames, blocking hops) ~7%, the model ~4%, op_value ~3%; the engine's
// BackendKvStore/TierStore layers most of the rest. In the VersionedStore world SHAKE-256 is
// ~34% (one run per distinct element now: the cache's floor) and the BLAKE2s checksum of the
// 2 KiB state logged with every commit ~16%.
//
// Measured (2026-12-06, session 8, g++ 12 -O2, callgrind, same trace hashes on 8 worlds x 150
// seeds): BM_SimMemory seeds 1-8 125.5M -> 90.2M (-28%; ~39k -> ~28k per op): the harness
// (check text built only on failure, the model's history as pointers into a deque of
// mutations, a hash index beside the ordered key map, pagination on sorted views) -17% alone,
// the engine layers on memory (keys and records built in one sized buffer, Backend::get_into
// and scan_keys, reused group-commit storage, BytewiseLess) -7%, the executor (run_blocking an
// awaiter with no std::function or frame, compile-time trace tags, lock-table and call-order
// node reuse, inline frame pools) -4.4%. BM_SimVersionedNoFaults 559.3M -> 523.9M (-6.3%).
// CPU-time rates, quiet machine, 3 repetitions: BM_SimMemory ~146k ops/s, ~231x;
// BM_SimVersionedNoFaults ~36.8k ops/s, ~74x. The engine alone under the same scheduler
// (engine_floor_bench.cc, BM_SimEngineFloor) is the ceiling: ~546k ops/s primary only,
// ~327k with a sync backup.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "sim/runner.h"

namespace tierkv::sim {
namespace {

constexpr uint64_t kOpsPerRun = 400;

enum class WorldKind { kMemory, kVersioned };

Scenario make_scenario(uint64_t seed, const std::string& backend, WorldKind kind, bool faults) {
  GenerateOptions options;
  options.ops = kOpsPerRun;
  options.backend = backend;
  options.no_faults = !faults;
  Scenario scenario = generate_scenario(seed, options);
  if (kind == WorldKind::kMemory) {
    scenario.world.volatile_memory = true;
    scenario.world.versioned_primary = false;
    scenario.world.hybrid_primary = false;  // every tier on memory (a hybrid primary is not)
    std::erase_if(scenario.ops, [](const Op& op) {
      return op.kind == OpKind::kSnapshot || op.kind == OpKind::kRollback;
    });
  }
  return scenario;
}

void run_seeds(benchmark::State& state, const std::string& backend, WorldKind kind,
               bool faults) {
  uint64_t seed = 0;
  uint64_t ops = 0;
  uint64_t simulated_us = 0;
  uint64_t violations = 0;
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();  // generating the scenario is not simulation
    const Scenario scenario = make_scenario(++seed, backend, kind, faults);
    state.ResumeTiming();
    const RunResult result = run_scenario(scenario);
    ops += result.stats.ops_issued;
    simulated_us += result.stats.simulated_time_us;
    violations += result.violations.size();
    events += result.stats.trace_events;
    benchmark::DoNotOptimize(result.trace_hex.data());
  }
  state.counters["sim_ops_per_s"] = benchmark::Counter(static_cast<double>(ops),
                                                       benchmark::Counter::kIsRate);
  state.counters["sim_to_real_ratio"] = benchmark::Counter(
      static_cast<double>(simulated_us) / 1e6, benchmark::Counter::kIsRate);
  state.counters["us_per_op"] =
      benchmark::Counter(static_cast<double>(ops) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events_per_op"] =
      ops == 0 ? 0.0 : static_cast<double>(events) / static_cast<double>(ops);
  state.counters["violations"] = static_cast<double>(violations);
}

void BM_SimMemory(benchmark::State& state) {
  run_seeds(state, "memory", WorldKind::kMemory, false);
}
void BM_SimVersionedNoFaults(benchmark::State& state) {
  run_seeds(state, "memory", WorldKind::kVersioned, false);
}
void BM_SimVersionedSwarm(benchmark::State& state) {
  run_seeds(state, "memory", WorldKind::kVersioned, true);
}
void BM_SimLevelDbSwarm(benchmark::State& state) {
  run_seeds(state, "leveldb", WorldKind::kVersioned, true);
}

BENCHMARK(BM_SimMemory)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_SimMemory)->Unit(benchmark::kMillisecond)->Iterations(8);
BENCHMARK(BM_SimVersionedNoFaults)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_SimVersionedNoFaults)->Unit(benchmark::kMillisecond)->Iterations(8);
BENCHMARK(BM_SimVersionedSwarm)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_SimLevelDbSwarm)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
}  // namespace tierkv::sim
