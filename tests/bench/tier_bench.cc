// TierStore overhead figures (issues 5 and 9): the same workload on several stacks, all on
// PosixEnv with synced LevelDB (default tuning) and the production AsioExecutor (4 blocking
// threads):
//
//   BareLevelDb      the LevelDbBackend itself: one synced put per write, one get per read, each
//                    through Executor::run_blocking, one call at a time (Backend's threading
//                    rule; an AsyncMutex serialises the clients). The baseline of the targets.
//   BareLevelDbPair  diagnostic: the work a synced backup cannot avoid, without TierStore. Each
//                    write is one synced put on each of two bare LevelDBs (two directories on
//                    the same disk), both in flight at once (two run_blocking calls joined by
//                    run_both, as sync mode does); reads go to the first.
//   PrimaryKvStore   BackendKvStore over that LevelDB: the primary tier alone (KvStore layout:
//                    read the old record, then record + creation index + sequence in one synced
//                    batch per write, in one run_blocking call). Writes that queue while another
//                    waits for the backend are group-committed (one synced batch for all of
//                    them), which the bare rows do not do: with 8 clients the KvStore rows sync
//                    ~4x less often than BareLevelDb (118 vs 516 fdatasyncs for 512 writes).
//   TierNoBackup     TierStore over that primary (routing, call order, per-key lock).
//   TierWithBackup   TierStore over a LevelDB primary + a LevelDB backup (separate directory),
//                    sync backup mode: primary and backup written concurrently per write. The
//                    figure the 1.2x target is about.
//   TierAsyncBackup  the same tiers in BackupMode::kAsync: a write returns once primary has it
//                    and the background mirror copies queued keys to backup, up to 64 distinct
//                    keys per synced backup write (write_atomic). The run ends when the mirror
//                    has drained (flush_backup after the reads, inside the timed region; its
//                    share is also shown as settle_ms), so deferring backup work past the clock
//                    does not make it look faster. Args add delay_us (async_batch_delay_us: how
//                    long the mirror waits for more keys before a batch that is not full).
//                    backup_calls = backup write calls per write (each one synced LevelDB
//                    write); for TierWithBackup it is 1 by construction.
//   DiskSync         diagnostic, the disk alone: 1 KiB append + fdatasync per round on one file
//                    (files:1) or on two files at once (files:2), through run_blocking.
//
// Where the backup's cost goes with one client (README "Measured figures"): both LevelDBs sync
// concurrently (every pair of fdatasyncs overlaps, `perf trace -e fdatasync`), but this VM's
// disk does not sync two files in parallel: ~200 us for one fdatasync alone, ~280-300 us from
// the first start to the last end of two at once. So BareLevelDbPair is already ~1.4-1.5x
// BareLevelDb, and TierWithBackup / BareLevelDbPair (~1.05x) is all that TierStore and
// the KvStore layout add.
//
// User-space instructions per write + read (callgrind, 1 client, synced, recipe below; the
// session-start build 4c9424f -> this one, 2026-12-06): BareLevelDb 22.4k -> 19.0k,
// BareLevelDbPair 39.0k -> 33.4k, PrimaryKvStore 48.8k -> 38.0k, TierNoBackup 53.3k -> 41.3k,
// TierWithBackup 92.0k -> 70.8k. What PrimaryKvStore still does beyond a bare put + get
// (~19k): the layout's work, which the simulator's traces pin (same backend calls, same bytes):
// reading the old record before each write (~3k), a 3-operation batch (record, creation
// index, sequence counter: ~4k more inside LevelDB than one put), copying the batch into
// LevelDB's own (~2k), encoding and checksumming the record on write, overwrite check and
// read (~3k); the rest (~6k) runs on the event loop: the per-key lock, call order, group
// commit and the backend mutex. TierStore adds ~3k there (validation, routing, its own call
// order and per-key lock).
//
// The async mirror's group commit (2026-12-06, 8444d50 -> this build; same recipe, the drain
// counted in both): TierAsyncBackup per write + read 103.9k -> 78.3k instructions at 1 client
// (delay 0 or 1000 us alike), 96.5k -> 75.7k at 8 clients. Backup write calls per write: 1 ->
// 0.58-0.70 with delay_us:0 (a batch forms only while the previous one is being written),
// 0.19-0.34 with the default 1000 us, 0.04-0.06 at 8 clients (loaded dev VM and callgrind
// runs). fdatasyncs per 256 writes + reads (strace -f -c, 1 client): BareLevelDb 260,
// TierWithBackup 520, TierAsyncBackup 520 -> 427 (delay 0) / 312 (1000 us); 8 clients, 512
// writes: BareLevelDb 516, TierAsyncBackup 127.
//
// Workload (one iteration): C clients run concurrently; each writes W/C distinct keys with
// 1 KiB values (seeded random bytes, distinct per key), then reads every key back and checks
// the value. Time = the whole run (writes + reads), wall clock; counters write_us / read_us are
// the wall time of each phase divided by its operation count (all clients together), cpu_us is
// the process CPU (user + system, every thread) per operation: the layers' own cost, far less
// noisy than fsync latency on a shared disk.
// Targets (issue 9): TierWithBackup / BareLevelDb <= 1.2x; TierNoBackup / BareLevelDb <= 1.05x,
// for synced writes (synced:1). synced:0 (no fsync) is a diagnostic only: it shows what the
// layers cost in CPU when the disk costs nothing.
//
//   build/<dir>/tests/tierkv-bench --benchmark_filter='Tier|BareLevelDb|PrimaryKvStore|DiskSync'
//       --benchmark_repetitions=7 --benchmark_enable_random_interleaving=true
//       --benchmark_report_aggregates_only=true
// (interleaved repetitions and medians: fsync latency on a shared machine drifts over minutes).
// Wall-clock ratios need a quiet machine; on a loaded one compare cpu_us, or user-space
// instructions (load-independent):
//   valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=cg <bench>
//       --benchmark_filter='<Row>/clients:1/writes:256/synced:1/'
// then per write + read = (inclusive Ir of time_workload in cg-01, the event loop, + the
// "summary:" of every other cg-NN, the blocking pool) / 256; open and clean-up are left out.
// Without --separate-threads, the difference between two rows' totals / 256 gives the same
// differences.
//
// Args: clients, writes (total over all clients), synced (1: BackendOptions::sync on every
// LevelDB, as the targets ask; 0: no fsync, diagnostic). A fresh temp directory under $TMPDIR or
// /tmp per iteration; open and clean-up are not timed. TIERKV_BENCH_BACKUP_DIR=<dir> puts the
// backup (and BareLevelDbPair's second LevelDB) there instead, e.g. on a second device; on a
// tmpfs (/dev/shm) the backup's fdatasync costs nothing: a diagnostic bound for a backup that
// does not share the primary's disk, never the target's figure.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/backend_factory.h"
#include "engine/exec/asio_executor.h"
#include "engine/exec/async_mutex.h"
#include "engine/io/env.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_join.h"
#include "engine/tier/tier_store.h"
#include "sim/runtime/prng.h"

namespace tierkv {
namespace {

constexpr size_t kTierValueBytes = 1024;
// Where the backup (and BareLevelDbPair's second LevelDB) lives: $TIERKV_BENCH_BACKUP_DIR if
// set (e.g. another device), else next to the primary.
constexpr const char* kBackupDirEnv = "TIERKV_BENCH_BACKUP_DIR";

PosixEnv& tier_bench_env() {
  static PosixEnv env;
  return env;
}

void tier_bench_check(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "tier_bench: %s: %s\n", what, status.to_string().c_str());
  std::abort();
}

// A fresh temp directory under $<base_env> (else $TMPDIR, else /tmp), removed with everything
// in it on destruction.
struct TierBenchDir {
  explicit TierBenchDir(const char* base_env = "TMPDIR") {
    const char* base = std::getenv(base_env);
    if (base == nullptr) base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tierkv-tier-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path = pattern;
  }
  ~TierBenchDir() { (void)remove_dir_recursive(tier_bench_env(), path); }
  std::string path;
};

std::unique_ptr<Backend> open_leveldb(const std::string& dir, bool synced) {
  BackendOptions options;
  options.env = &tier_bench_env();
  options.dir = dir;
  options.sync = synced;
  Result<std::unique_ptr<Backend>> opened = open_backend("leveldb", options);
  tier_bench_check(opened.status(), ("open leveldb in " + dir).c_str());
  return std::move(opened).value();
}

// The workload's keys and values: client c's i-th key and its 1 KiB value.
struct TierWorkload {
  TierWorkload(int clients_in, int writes) : clients(clients_in), per_client(writes / clients_in) {
    sim::Prng prng(42);
    values.resize(static_cast<size_t>(clients) * static_cast<size_t>(per_client));
    for (std::string& value : values) {
      value.resize(kTierValueBytes);
      for (char& ch : value) ch = static_cast<char>(prng.uniform(256));
    }
  }
  static std::string key(int client, int index) {
    return "c" + std::to_string(client) + "k" + std::to_string(index);
  }
  const std::string& value(int client, int index) const {
    return values[static_cast<size_t>(client * per_client + index)];
  }
  int clients;
  int per_client;
  std::vector<std::string> values;
};

// One operation of one client: write or read-and-check key (client, index).
using TierOp = std::function<Task<Status>(int client, int index)>;

Task<Status> client_loop(TierOp op, int client, int count) {
  for (int i = 0; i < count; ++i) {
    Status status = co_await op(client, i);
    if (!status.ok()) co_return status;
  }
  co_return Status();
}

// Runs op for every (client, index) with the clients concurrent; returns the wall seconds.
double run_phase(Executor& executor, const TierWorkload& work, const TierOp& op, const char* what) {
  std::vector<std::optional<Status>> results(static_cast<size_t>(work.clients));
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < work.clients; ++c) {
    executor.spawn([](TierOp o, int client, int count, std::optional<Status>* out) -> Task<void> {
      out->emplace(co_await client_loop(std::move(o), client, count));
    }(op, c, work.per_client, &results[static_cast<size_t>(c)]));
  }
  const bool done = executor.run_until([&results] {
    for (const std::optional<Status>& r : results) {
      if (!r.has_value()) return false;
    }
    return true;
  });
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (!done) std::abort();
  for (const std::optional<Status>& r : results) tier_bench_check(*r, what);
  return elapsed.count();
}

Status value_check(const Result<std::string>& read, const std::string& expected,
                   const std::string& key) {
  if (!read.ok()) return read.status();
  if (*read != expected) return Status::corruption("read back a different value for " + key);
  return Status();
}

// User + system CPU of the whole process (every thread), in microseconds.
double process_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Times the write phase then the read phase; reports write_us / read_us / cpu_us per operation.
// settle (if set) runs after the read phase and is timed with them (the async mirror's drain:
// work a store defers is still the workload's); its wall time is also the settle_ms counter.
void time_workload(benchmark::State& state, Executor& executor, const TierWorkload& work,
                   const TierOp& write_op, const TierOp& read_op,
                   const std::function<void()>& settle = nullptr) {
  const double cpu_us_start = process_cpu_us();
  const double write_s = run_phase(executor, work, write_op, "write");
  const double read_s = run_phase(executor, work, read_op, "read");
  double settle_s = 0;
  if (settle) {
    const auto start = std::chrono::steady_clock::now();
    settle();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    settle_s = elapsed.count();
    state.counters["settle_ms"] = settle_s * 1e3;
  }
  state.SetIterationTime(write_s + read_s + settle_s);
  const double ops = static_cast<double>(work.clients) * work.per_client;
  state.counters["write_us"] = write_s * 1e6 / ops;
  state.counters["read_us"] = read_s * 1e6 / ops;
  state.counters["cpu_us"] = (process_cpu_us() - cpu_us_start) / (2 * ops);
}

// --- BareLevelDb -------------------------------------------------------------------------

Task<Status> bare_put(Executor* executor, Backend* backend, AsyncMutex* mutex, std::string key,
                      const std::string* value) {
  AsyncMutexGuard guard = co_await mutex->lock_guard();
  co_return co_await blocking(*executor,
                              [backend, &key, value] { return backend->put(key, *value); });
}

Task<Status> bare_get(Executor* executor, Backend* backend, AsyncMutex* mutex, std::string key,
                      const std::string* expected) {
  AsyncMutexGuard guard = co_await mutex->lock_guard();
  Result<std::string> read =
      co_await blocking(*executor, [backend, &key] { return backend->get(key); });
  co_return value_check(read, *expected, key);
}

void BM_BareLevelDb(benchmark::State& state) {
  const TierWorkload work(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    TierBenchDir dir;
    std::unique_ptr<Backend> backend =
        open_leveldb(join_path(dir.path, "primary"), state.range(2) != 0);
    AsioExecutor executor;
    AsyncMutex mutex;
    const TierOp write_op = [&](int c, int i) {
      return bare_put(&executor, backend.get(), &mutex, "bench/" + TierWorkload::key(c, i),
                      &work.value(c, i));
    };
    const TierOp read_op = [&](int c, int i) {
      return bare_get(&executor, backend.get(), &mutex, "bench/" + TierWorkload::key(c, i),
                      &work.value(c, i));
    };
    time_workload(state, executor, work, write_op, read_op);
  }
}

// --- BareLevelDbPair ---------------------------------------------------------------------

// The work sync backup mode cannot avoid: every write is one synced put on each of two bare
// LevelDBs (two directories on the same disk), both in flight at once through run_blocking
// (each backend one call at a time, its own AsyncMutex); reads go to the first.
struct BarePairSide {
  Backend* backend;
  AsyncMutex* mutex;
};

Task<Status> bare_pair_put(Executor* executor, BarePairSide first, BarePairSide second,
                           std::string key, const std::string* value) {
  Task<Status> to_first = bare_put(executor, first.backend, first.mutex, key, value);
  Task<Status> to_second = bare_put(executor, second.backend, second.mutex, key, value);
  std::pair<Status, Status> both =
      co_await run_both(*executor, std::move(to_first), std::move(to_second));
  if (!both.first.ok()) co_return both.first;
  co_return both.second;
}

void BM_BareLevelDbPair(benchmark::State& state) {
  const TierWorkload work(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    TierBenchDir dir;
    TierBenchDir backup_dir(kBackupDirEnv);
    std::unique_ptr<Backend> first =
        open_leveldb(join_path(dir.path, "primary"), state.range(2) != 0);
    std::unique_ptr<Backend> second =
        open_leveldb(join_path(backup_dir.path, "backup"), state.range(2) != 0);
    AsioExecutor executor;
    AsyncMutex first_mutex;
    AsyncMutex second_mutex;
    const TierOp write_op = [&](int c, int i) {
      return bare_pair_put(&executor, BarePairSide{first.get(), &first_mutex},
                           BarePairSide{second.get(), &second_mutex},
                           "bench/" + TierWorkload::key(c, i), &work.value(c, i));
    };
    const TierOp read_op = [&](int c, int i) {
      return bare_get(&executor, first.get(), &first_mutex, "bench/" + TierWorkload::key(c, i),
                      &work.value(c, i));
    };
    time_workload(state, executor, work, write_op, read_op);
  }
}

// --- DiskSync ------------------------------------------------------------------------------

// The disk alone: each of 256 rounds appends 1 KiB to each of `files` files (PosixEnv) and syncs
// it, the files' calls in flight at once (run_blocking, joined by run_both) as in
// BareLevelDbPair. sync_us = wall time per round: what one synced store pays (files:1) and
// what two pay when they sync together (files:2; on the dev VM ~1.3-1.4x files:1).
Task<Status> append_and_sync(Executor* executor, File* file, const std::string* bytes) {
  co_return co_await blocking(*executor, [file, bytes] {
    Status appended = file->append(*bytes);
    return appended.ok() ? file->sync() : appended;
  });
}

void BM_DiskSync(benchmark::State& state) {
  const bool two = state.range(0) == 2;
  constexpr int kRounds = 256;
  const std::string bytes(kTierValueBytes, 'x');
  for (auto _ : state) {
    TierBenchDir dir;
    TierBenchDir backup_dir(kBackupDirEnv);
    auto open = [](const std::string& path) {
      Result<std::unique_ptr<File>> file =
          tier_bench_env().open_file(path, OpenMode::kCreateTruncate);
      tier_bench_check(file.status(), ("open " + path).c_str());
      return std::move(file).value();
    };
    std::unique_ptr<File> first = open(join_path(dir.path, "first"));
    std::unique_ptr<File> second = open(join_path(backup_dir.path, "second"));
    AsioExecutor executor;
    const auto round = [&]() -> Task<Status> {
      if (!two) return append_and_sync(&executor, first.get(), &bytes);
      return [](Executor* ex, File* a, File* b, const std::string* data) -> Task<Status> {
        Task<Status> to_first = append_and_sync(ex, a, data);
        Task<Status> to_second = append_and_sync(ex, b, data);
        std::pair<Status, Status> both =
            co_await run_both(*ex, std::move(to_first), std::move(to_second));
        co_return both.first.ok() ? both.second : both.first;
      }(&executor, first.get(), second.get(), &bytes);
    };
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) tier_bench_check(run_sync(executor, round()), "sync");
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(elapsed.count());
    state.counters["sync_us"] = elapsed.count() * 1e6 / kRounds;
  }
}

BENCHMARK(BM_DiskSync)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("files")
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// --- KvStore stacks (PrimaryKvStore, TierNoBackup, TierWithBackup) ----------------------------

Task<Status> kv_get(KvStore* store, StoreKey key, const std::string* expected) {
  const std::string name = key.to_string();
  Result<std::string> read = co_await store->read(std::move(key));
  co_return value_check(read, *expected, name);
}

void time_kv_store(benchmark::State& state, Executor& executor, KvStore& store,
                   const TierWorkload& work, const std::function<void()>& settle = nullptr) {
  const TierOp write_op = [&](int c, int i) {
    StoreKey key{"bench", "", TierWorkload::key(c, i)};
    return store.write(std::move(key), work.value(c, i));
  };
  const TierOp read_op = [&](int c, int i) {
    StoreKey key{"bench", "", TierWorkload::key(c, i)};
    return kv_get(&store, std::move(key), &work.value(c, i));
  };
  time_workload(state, executor, work, write_op, read_op, settle);
}

enum class TierStack { kPrimaryOnly, kTierNoBackup, kTierWithBackup, kTierAsyncBackup };

void run_kv_stack(benchmark::State& state, TierStack stack) {
  const TierWorkload work(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    TierBenchDir dir;
    AsioExecutor executor;
    std::unique_ptr<Backend> primary_db =
        open_leveldb(join_path(dir.path, "primary"), state.range(2) != 0);
    BackendKvStore primary(*primary_db, executor);
    if (stack == TierStack::kPrimaryOnly) {
      time_kv_store(state, executor, primary, work);
      continue;
    }
    TierBenchDir backup_dir(kBackupDirEnv);
    std::unique_ptr<Backend> backup_db;
    std::unique_ptr<BackendKvStore> backup;
    if (stack != TierStack::kTierNoBackup) {
      backup_db = open_leveldb(join_path(backup_dir.path, "backup"), state.range(2) != 0);
      backup = std::make_unique<BackendKvStore>(*backup_db, executor);
    }
    TierStoreOptions options;
    if (stack == TierStack::kTierAsyncBackup) {
      options.backup_mode = BackupMode::kAsync;
      options.async_batch_delay_us = static_cast<uint64_t>(state.range(3));
    }
    TierStore tier(executor, TierStoreTiers{&primary, nullptr, backup.get()}, options);
    run_sync(executor, tier.flush_backup());  // the (empty) start-up reconcile, untimed
    const TierStoreMetrics before = tier.metrics();
    std::function<void()> settle;
    if (stack == TierStack::kTierAsyncBackup) {
      settle = [&] { run_sync(executor, tier.flush_backup()); };
    }
    time_kv_store(state, executor, tier, work, settle);
    if (!tier.idle()) std::abort();
    if (backup != nullptr) {
      const TierStoreMetrics after = tier.metrics();
      const uint64_t calls = stack == TierStack::kTierAsyncBackup
                                 ? after.backup_batches - before.backup_batches
                                 : after.backup_writes - before.backup_writes;
      state.counters["backup_calls"] =
          static_cast<double>(calls) / (static_cast<double>(work.clients) * work.per_client);
    }
  }
}

void BM_PrimaryKvStore(benchmark::State& state) { run_kv_stack(state, TierStack::kPrimaryOnly); }
void BM_TierNoBackup(benchmark::State& state) { run_kv_stack(state, TierStack::kTierNoBackup); }
void BM_TierWithBackup(benchmark::State& state) { run_kv_stack(state, TierStack::kTierWithBackup); }
void BM_TierAsyncBackup(benchmark::State& state) {
  run_kv_stack(state, TierStack::kTierAsyncBackup);
}

#define TIERKV_TIER_BENCH(fn)                     \
  BENCHMARK(fn)                                   \
      ->Args({1, 256, 1})                         \
      ->Args({8, 512, 1})                         \
      ->Args({8, 8192, 0})                        \
      ->ArgNames({"clients", "writes", "synced"}) \
      ->Iterations(1)                             \
      ->UseManualTime()                           \
      ->Unit(benchmark::kMillisecond)

TIERKV_TIER_BENCH(BM_BareLevelDb);
TIERKV_TIER_BENCH(BM_BareLevelDbPair);
TIERKV_TIER_BENCH(BM_PrimaryKvStore);
TIERKV_TIER_BENCH(BM_TierNoBackup);
TIERKV_TIER_BENCH(BM_TierWithBackup);
BENCHMARK(BM_TierAsyncBackup)
    ->Args({1, 256, 1, 1000})  // the default delay
    ->Args({1, 256, 1, 0})
    ->Args({1, 256, 1, 5000})  // a longer wait: fewer backup syncs fighting primary's
    ->Args({8, 512, 1, 1000})
    ->Args({8, 8192, 0, 1000})
    ->ArgNames({"clients", "writes", "synced", "delay_us"})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tierkv
