// OverlayStore bulk upload figures (issue 6): put N blocks of 64 KiB (distinct content) into one
// overlay on PosixEnv with a synced LevelDB or SQLite backend, against writing the same blocks
// straight to the same backend (one synced put per block, no overlay metadata, no hashing).
// The ratio OverlayBulkPut / RawBlockPut is the overlay's bookkeeping cost (target <= 1.3x; the
// seed's design cost 10x through per-block CAS round trips).
//
//   build/<dir>/tests/tierkv-bench --benchmark_filter='(OverlayBulkPut|RawBlockPut).*/4096'
//       --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true
// (interleaved repetitions: fsync latency on a shared machine drifts by 2x over minutes).
//
// Args: block count (4096 = 256 MiB, 16384 = 1 GiB). One iteration each (a fresh store in a
// fresh temp directory under $TMPDIR or /tmp); open and clean-up are not timed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/backends/backend_factory.h"
#include "engine/exec/asio_executor.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "engine/overlay/overlay_store.h"
#include "sim/runtime/prng.h"

namespace tierkv {
namespace {

constexpr size_t kOverlayBlockBytes = 64 * 1024;

PosixEnv& overlay_bench_env() {
  static PosixEnv env;
  return env;
}

// 64 KiB of seeded bytes with the block number in the first 8 bytes: distinct content per block.
std::string overlay_bench_block(uint64_t n) {
  static const std::string base = [] {
    sim::Prng prng(42);
    std::string bytes(kOverlayBlockBytes, '\0');
    for (char& c : bytes) c = static_cast<char>(prng.uniform(256));
    return bytes;
  }();
  std::string block = base;
  for (int i = 0; i < 8; ++i) block[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return block;
}

struct FreshBackend {
  FreshBackend(const std::string& name) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tierkv-overlay-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir = pattern;
    BackendOptions options;
    options.env = &overlay_bench_env();
    options.dir = join_path(dir, "db");
    options.sync = true;
    auto opened = open_backend(name, options);
    if (!opened.ok()) {
      std::fprintf(stderr, "open %s: %s\n", name.c_str(), opened.status().to_string().c_str());
      std::abort();
    }
    backend = std::move(opened).value();
  }
  ~FreshBackend() {
    backend.reset();
    (void)remove_dir_recursive(overlay_bench_env(), dir);
  }
  std::string dir;
  std::unique_ptr<Backend> backend;
};

void check(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.to_string().c_str());
  std::abort();
}

Task<Status> put_all(OverlayStore* store, uint64_t blocks) {
  for (uint64_t i = 0; i < blocks; ++i) {
    Status status =
        co_await store->put_block("bench", static_cast<uint32_t>(i), overlay_bench_block(i));
    if (!status.ok()) co_return status;
  }
  co_return Status();
}

void BM_OverlayBulkPut(benchmark::State& state, std::string backend_name) {
  const auto blocks = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto fresh = std::make_unique<FreshBackend>(backend_name);
    auto executor = std::make_unique<AsioExecutor>(AsioExecutorOptions{1});
    auto store = run_sync(*executor, OverlayStore::open(fresh->backend.get(), executor.get(), {}));
    check(store.status(), "open overlay store");
    check(run_sync(*executor, (*store)->create_overlay("bench", kNoExpiry, false)), "create");
    state.ResumeTiming();
    check(run_sync(*executor, put_all(store->get(), blocks)), "put_block");
    state.PauseTiming();
    state.counters["used_MiB"] = static_cast<double>((*store)->quota().used_bytes) / (1 << 20);
    store = Status::aborted("closed");
    executor.reset();
    fresh.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blocks * kOverlayBlockBytes));
}

void BM_RawBlockPut(benchmark::State& state, std::string backend_name) {
  const auto blocks = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto fresh = std::make_unique<FreshBackend>(backend_name);
    state.ResumeTiming();
    for (uint64_t i = 0; i < blocks; ++i) {
      std::string key = "b";
      key += std::to_string(i);
      check(fresh->backend->put(key, overlay_bench_block(i)), "raw put");
    }
    state.PauseTiming();
    fresh.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blocks * kOverlayBlockBytes));
}

// The same raw puts, each through Executor::run_blocking as the OverlayStore does: separates
// the cost of the thread-pool hop (large when the machine's cores are oversubscribed) from the
// overlay's bookkeeping.
Task<Status> raw_put_all(Executor* executor, Backend* backend, uint64_t blocks) {
  for (uint64_t i = 0; i < blocks; ++i) {
    std::string key = "b" + std::to_string(i);
    std::string block = overlay_bench_block(i);
    Status status = co_await blocking(*executor, [&] { return backend->put(key, block); });
    if (!status.ok()) co_return status;
  }
  co_return Status();
}

void BM_RawBlockPutViaExecutor(benchmark::State& state, std::string backend_name) {
  const auto blocks = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    auto fresh = std::make_unique<FreshBackend>(backend_name);
    auto executor = std::make_unique<AsioExecutor>(AsioExecutorOptions{1});
    state.ResumeTiming();
    check(run_sync(*executor, raw_put_all(executor.get(), fresh->backend.get(), blocks)), "put");
    state.PauseTiming();
    executor.reset();
    fresh.reset();
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blocks * kOverlayBlockBytes));
}

BENCHMARK_CAPTURE(BM_RawBlockPutViaExecutor, leveldb, std::string("leveldb"))
    ->Arg(4096)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_OverlayBulkPut, leveldb, std::string("leveldb"))
    ->Arg(4096)
    ->Arg(16384)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_RawBlockPut, leveldb, std::string("leveldb"))
    ->Arg(4096)
    ->Arg(16384)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_OverlayBulkPut, sqlite, std::string("sqlite"))
    ->Arg(4096)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_RawBlockPut, sqlite, std::string("sqlite"))
    ->Arg(4096)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tierkv
