// Backend figures on PosixEnv in a temp directory (issue 4): sync writes/s, point reads/s and
// 100-key scans/s at 100k keys for every backend, through the Backend interface (what tierkv's
// stores see). The bridge's own cost against each library's default Env / VFS is measured by
// bridge_bench.cc.
//
//   build/perf/tests/tierkv-bench --benchmark_filter='^BM_Backend'
//       --benchmark_repetitions=6 --benchmark_enable_random_interleaving=true   (one line)
//
// Values are 100 bytes; keys "key-%08u". Read and scan benchmarks preload 100k keys once per
// backend (unsynced batches of 1000), then draw keys from a fixed-seed PRNG. Sync puts are
// timed in wall-clock time (they wait on the disk, not the CPU).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "engine/backends/backend_factory.h"
#include "engine/io/env_util.h"
#include "sim/runtime/prng.h"
#include "tests/bench/backend_bench_util.h"

namespace tierkv::bench {
namespace {

struct OpenBackend {
  TempDir dir;
  std::unique_ptr<Backend> backend;
};

std::unique_ptr<OpenBackend> open_fresh(const std::string& name, bool sync) {
  auto out = std::make_unique<OpenBackend>();
  BackendOptions options;
  options.env = &posix_env();
  options.dir = join_path(out->dir.path(), "db");
  options.sync = sync;
  auto backend = open_backend(name, options);
  if (!backend.ok()) {
    std::fprintf(stderr, "open %s: %s\n", name.c_str(), backend.status().to_string().c_str());
    std::abort();
  }
  out->backend = std::move(backend).value();
  return out;
}

// One preloaded store per backend, shared by the read and scan benchmarks.
Backend& preloaded(const std::string& name) {
  static std::map<std::string, std::unique_ptr<OpenBackend>> stores;
  auto& slot = stores[name];
  if (!slot) {
    slot = open_fresh(name, /*sync=*/false);
    for (uint64_t i = 0; i < kPreloadKeys; i += 1000) {
      WriteBatch batch;
      for (uint64_t j = i; j < i + 1000; ++j) batch.put(bench_key(j), bench_value(j));
      if (!slot->backend->write(batch).ok()) std::abort();
    }
  }
  return *slot->backend;
}

void BM_BackendSyncPut(benchmark::State& state, std::string name) {
  auto store = open_fresh(name, /*sync=*/true);
  uint64_t n = 0;
  for (auto _ : state) {
    if (!store->backend->put(bench_key(n), bench_value(n)).ok()) state.SkipWithError("put failed");
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_BackendGet(benchmark::State& state, std::string name) {
  Backend& backend = preloaded(name);
  sim::Prng prng(42);
  for (auto _ : state) {
    auto value = backend.get(bench_key(prng.uniform(kPreloadKeys)));
    if (!value.ok()) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BackendScan100(benchmark::State& state, std::string name) {
  Backend& backend = preloaded(name);
  sim::Prng prng(7);
  for (auto _ : state) {
    KeyRange range;
    range.start = bench_key(prng.uniform(kPreloadKeys - kScanRows));
    auto rows = backend.scan(range, kScanRows);
    if (!rows.ok() || rows->size() != kScanRows) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(rows);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kScanRows));
}

void register_backend_benchmarks() {
  for (const std::string& name : backend_names()) {
    benchmark::RegisterBenchmark(("BM_BackendSyncPut/" + name).c_str(), BM_BackendSyncPut, name)
        ->MinTime(1.0)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_BackendGet/" + name).c_str(), BM_BackendGet, name);
    benchmark::RegisterBenchmark(("BM_BackendScan100/" + name).c_str(), BM_BackendScan100, name);
  }
}

const bool registered = (register_backend_benchmarks(), true);

}  // namespace
}  // namespace tierkv::bench
