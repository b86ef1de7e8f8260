// Backend figures on PosixEnv in a temp directory (issue 4): sync writes/s, point reads/s and
// 100-key scans/s at 100k keys for every backend, and the cost of tierkv's Env bridge (LevelDB)
// and VFS (SQLite) against the same library on its own default Env / VFS with the same settings.
//
//   build/release/tests/tierkv-bench --benchmark_filter='Backend|Native'
//
// Values are 100 bytes; keys "key-%08u". Read and scan benchmarks preload 100k keys once per
// backend (unsynced batches of 1000), then draw keys from a fixed-seed PRNG. Sync puts are
// timed in wall-clock time (they wait on the disk, not the CPU).
#include <benchmark/benchmark.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "engine/backends/backend_factory.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "sim/runtime/prng.h"

namespace tierkv {
namespace {

constexpr uint64_t kPreloadKeys = 100'000;
constexpr size_t kValueBytes = 100;

std::string bench_key(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key-%08llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string bench_value(uint64_t n) { return std::string(kValueBytes, static_cast<char>('a' + n % 26)); }

PosixEnv& posix_env() {
  static PosixEnv env;
  return env;
}

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tierkv-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() { (void)remove_dir_recursive(posix_env(), path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
    range.start = bench_key(prng.uniform(kPreloadKeys - 100));
    auto rows = backend.scan(range, 100);
    if (!rows.ok() || rows->size() != 100) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(rows);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

// The same library on its own Env / VFS, same settings as LevelDbBackend / SqliteBackend.
std::unique_ptr<leveldb::DB> open_native_leveldb(const std::string& path) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.write_buffer_size = 4 * 1024 * 1024;  // LevelDbTuning's defaults
  options.max_file_size = 2 * 1024 * 1024;
  leveldb::DB* raw = nullptr;
  if (!leveldb::DB::Open(options, path, &raw).ok()) std::abort();
  return std::unique_ptr<leveldb::DB>(raw);
}

void BM_NativeLevelDbSyncPut(benchmark::State& state) {
  TempDir dir;
  std::unique_ptr<leveldb::DB> db = open_native_leveldb(dir.path() + "/db");
  leveldb::WriteOptions write_options;
  write_options.sync = true;
  uint64_t n = 0;
  for (auto _ : state) {
    if (!db->Put(write_options, bench_key(n), bench_value(n)).ok()) state.SkipWithError("put");
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_NativeLevelDbGet(benchmark::State& state) {
  static TempDir dir;
  static std::unique_ptr<leveldb::DB> db = [] {
    std::unique_ptr<leveldb::DB> opened = open_native_leveldb(dir.path() + "/db");
    for (uint64_t i = 0; i < kPreloadKeys; i += 1000) {
      leveldb::WriteBatch batch;
      for (uint64_t j = i; j < i + 1000; ++j) batch.Put(bench_key(j), bench_value(j));
      if (!opened->Write(leveldb::WriteOptions(), &batch).ok()) std::abort();
    }
    return opened;
  }();
  sim::Prng prng(42);
  std::string value;
  for (auto _ : state) {
    if (!db->Get(leveldb::ReadOptions(), bench_key(prng.uniform(kPreloadKeys)), &value).ok()) {
      state.SkipWithError("get");
    }
  }
  state.SetItemsProcessed(state.iterations());
}

sqlite3* open_native_sqlite(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) std::abort();
  for (const char* sql : {"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA journal_mode=WAL",
                          "PRAGMA synchronous=FULL", "PRAGMA temp_store=MEMORY",
                          "CREATE TABLE kv(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID"}) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
  }
  return db;
}

void BM_NativeSqliteSyncPut(benchmark::State& state) {
  TempDir dir;
  sqlite3* db = open_native_sqlite(dir.path() + "/kv.db");
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)", -1, &stmt,
                     nullptr);
  uint64_t n = 0;
  for (auto _ : state) {
    const std::string key = bench_key(n), value = bench_value(n);
    sqlite3_bind_blob(stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) != SQLITE_DONE) state.SkipWithError("insert");
    sqlite3_reset(stmt);
    ++n;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void register_backend_benchmarks() {
  for (const std::string& name : backend_names()) {
    benchmark::RegisterBenchmark(("BM_BackendSyncPut/" + name).c_str(), BM_BackendSyncPut, name)
        ->MinTime(1.0)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_BackendGet/" + name).c_str(), BM_BackendGet, name);
    benchmark::RegisterBenchmark(("BM_BackendScan100/" + name).c_str(), BM_BackendScan100, name);
  }
  benchmark::RegisterBenchmark("BM_NativeLevelDbSyncPut", BM_NativeLevelDbSyncPut)
      ->MinTime(1.0)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_NativeLevelDbGet", BM_NativeLevelDbGet);
  benchmark::RegisterBenchmark("BM_NativeSqliteSyncPut", BM_NativeSqliteSyncPut)
      ->MinTime(1.0)
      ->UseRealTime();
}

const bool registered = (register_backend_benchmarks(), true);

}  // namespace
}  // namespace tierkv
