// WAL figures on PosixEnv in a temp directory (issue 3):
//   - acknowledged appends/s through group commit with 1, 8, 32 and 64 concurrent appenders
//     (AsioExecutor: one event loop, fsync on its blocking pool); every append is durable
//     (fsync'ed) when it is acknowledged;
//   - recovery of a 256 MiB log, in MB/s of log, with the files in the page cache: Wal::open
//     alone (read + CRC of every record, index built), and open plus a full replay through
//     scan() (which reads and checks every record a second time). Recovery is single-threaded
//     CPU work on cached files, so its MB/s is over CPU time (robust on a shared machine);
//     appends wait on fsync, so theirs is over real time.
//
//   cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DTIERKV_BUILD_BENCH=ON
//   cmake --build build/bench --target tierkv-bench
//   build/bench/tests/tierkv-bench --benchmark_filter='Wal'
//
// Records carry a 100-byte payload in the append benchmark and 64 KiB in the recovery one.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "engine/exec/asio_executor.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "engine/wal/wal.h"

namespace tierkv {
namespace {

PosixEnv& wal_bench_env() {
  static PosixEnv env;
  return env;
}

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class WalBenchDir {
 public:
  WalBenchDir() {
    const char* base = std::getenv("TMPDIR");
    path_ = std::string(base != nullptr ? base : "/tmp") + "/tierkv-wal-bench-XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) std::abort();
  }
  ~WalBenchDir() { (void)remove_dir_recursive(wal_bench_env(), path_); }
  WalBenchDir(const WalBenchDir&) = delete;
  WalBenchDir& operator=(const WalBenchDir&) = delete;
  std::string wal_dir() const { return join_path(path_, "wal"); }

 private:
  std::string path_;
};

std::unique_ptr<Wal> open_wal_or_abort(Executor* executor, const std::string& dir) {
  auto wal = Wal::open(WalOptions{.env = &wal_bench_env(), .executor = executor, .dir = dir});
  if (!wal.ok()) {
    std::fprintf(stderr, "Wal::open(%s): %s\n", dir.c_str(), wal.status().to_string().c_str());
    std::abort();
  }
  return std::move(wal).value();
}

// Appends until `*next` passes `end`, taking versions in call order (append is called before
// the coroutine first suspends, so versions reach the log in order).
Task<void> appender(Wal* wal, uint64_t* next, uint64_t end, const std::string* payload,
                    uint64_t* failures) {
  while (*next < end) {
    // Named first: g++ 12 double-destroys a braced temporary inside co_await (see task.h).
    WalRecord record{.type = 1, .version = (*next)++, .payload = *payload};
    Status s = co_await wal->append(std::move(record));
    if (!s.ok()) ++*failures;
  }
}

void BM_WalGroupCommitAppends(benchmark::State& state) {
  const int appenders = static_cast<int>(state.range(0));
  constexpr uint64_t kAppendsPerIteration = 512;
  const std::string payload(100, 'p');
  WalBenchDir dir;
  AsioExecutor executor;
  auto wal = open_wal_or_abort(&executor, dir.wal_dir());
  uint64_t next = 1;
  uint64_t failures = 0;
  for (auto _ : state) {
    const uint64_t end = next + kAppendsPerIteration;
    int finished = 0;
    for (int i = 0; i < appenders; ++i) {
      executor.spawn([](Wal* w, uint64_t* n, uint64_t e, const std::string* p, uint64_t* f,
                        int* done) -> Task<void> {
        co_await appender(w, n, e, p, f);
        ++*done;
      }(wal.get(), &next, end, &payload, &failures, &finished));
    }
    if (!executor.run_until([&] { return finished == appenders; })) std::abort();
  }
  if (failures != 0) state.SkipWithError("appends failed");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kAppendsPerIteration));
  state.counters["appenders"] = appenders;
}
BENCHMARK(BM_WalGroupCommitAppends)->Arg(1)->Arg(8)->Arg(32)->Arg(64)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Writes a WAL of at least kRecoveryLogBytes once per process (64 KiB payloads).
constexpr uint64_t kRecoveryLogBytes = 256ull << 20;
const std::string& recovery_log_dir() {
  static WalBenchDir dir;  // destroyed (and removed) at exit; shared by the benchmarks
  static const std::string path = [] {
    AsioExecutor executor;
    auto wal = open_wal_or_abort(&executor, dir.wal_dir());
    const std::string payload(64 << 10, 'r');
    for (uint64_t v = 1; wal->size_bytes() < kRecoveryLogBytes; ++v) {
      if (!wal->append_now(WalRecord{.type = 1, .version = v, .payload = payload}).ok()) {
        std::abort();
      }
    }
    return dir.wal_dir();
  }();
  return path;
}

// Wal::open alone: every record read and CRC-checked, the version index built.
void BM_WalRecoveryOpen(benchmark::State& state) {
  const std::string& dir = recovery_log_dir();
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto wal = open_wal_or_abort(nullptr, dir);
    bytes += wal->recovery_report().bytes_scanned;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_WalRecoveryOpen)->Unit(benchmark::kMillisecond);

// Wal::open plus a replay of every record through scan() (what a store's catch-up does).
void BM_WalRecoveryReplay(benchmark::State& state) {
  const std::string& dir = recovery_log_dir();
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto wal = open_wal_or_abort(nullptr, dir);
    uint64_t replayed = 0;
    Status s = wal->scan(wal->first_version(), wal->last_version(), [&](const WalRecord& r) {
      replayed += r.payload.size();
      return Status();
    });
    if (!s.ok()) state.SkipWithError(s.to_string().c_str());
    benchmark::DoNotOptimize(replayed);
    bytes += wal->size_bytes();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_WalRecoveryReplay)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tierkv
