// The cost of tierkv's Env bridge (LevelDB) and VFS (SQLite) on PosixEnv (issue 4): the same
// library, the same calls and settings, once on its own default Env / VFS ("native") and once
// on tierkv's ("bridge"). Nothing else differs: no Backend layer, no key checks.
//
//   build/perf/tests/tierkv-bench --benchmark_filter='^BM_(LevelDb|Sqlite)'
//       --benchmark_repetitions=6 --benchmark_enable_random_interleaving=true   (one line)
//
// Sync puts (one synced write per put) are timed in wall-clock time; point reads and 100-row
// scans in CPU time, over 100k preloaded keys (batches of 1000, then the DB is reopened so both
// variants read the same on-disk shape; the LevelDB label shows the table files per level).
#include <benchmark/benchmark.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sqlite3.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "engine/backends/leveldb_env_bridge.h"
#include "engine/backends/sqlite_backend.h"
#include "engine/backends/sqlite_vfs.h"
#include "sim/runtime/prng.h"
#include "tests/bench/backend_bench_util.h"

namespace tierkv::bench {
namespace {

// ---- LevelDB ----------------------------------------------------------------------------

// A raw leveldb::DB on the default Env (bridge == false) or on LevelDbEnvBridge over PosixEnv.
class LevelDbUnderTest {
 public:
  explicit LevelDbUnderTest(bool bridge) {
    if (bridge) bridge_ = std::make_unique<LevelDbEnvBridge>(&posix_env(), nullptr);
    open();
  }
  ~LevelDbUnderTest() { close(); }

  void open() {
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 4 * 1024 * 1024;  // LevelDbTuning's defaults
    options.max_file_size = 2 * 1024 * 1024;
    if (bridge_) options.env = bridge_.get();
    leveldb::DB* raw = nullptr;
    if (!leveldb::DB::Open(options, dir_.path() + "/db", &raw).ok()) std::abort();
    db_.reset(raw);
    drain();
  }
  void close() {
    drain();
    db_.reset();
    drain();
  }
  // The bridge queues background work (LevelDbBackend drains after every call; so do we).
  void drain() {
    if (bridge_) bridge_->drain_background_work();
  }
  leveldb::DB& db() { return *db_; }
  bool bridged() const { return bridge_ != nullptr; }

  std::string shape() {
    std::string out;
    for (int level = 0; level < 3; ++level) {
      std::string files;
      db_->GetProperty("leveldb.num-files-at-level" + std::to_string(level), &files);
      out += "L" + std::to_string(level) + "=" + files + " ";
    }
    return out;
  }

 private:
  TempDir dir_;
  std::unique_ptr<LevelDbEnvBridge> bridge_;  // destroyed after db_
  std::unique_ptr<leveldb::DB> db_;
};

LevelDbUnderTest& preloaded_leveldb(bool bridge) {
  static std::map<bool, std::unique_ptr<LevelDbUnderTest>> dbs;
  auto& slot = dbs[bridge];
  if (!slot) {
    slot = std::make_unique<LevelDbUnderTest>(bridge);
    for (uint64_t i = 0; i < kPreloadKeys; i += 1000) {
      leveldb::WriteBatch batch;
      for (uint64_t j = i; j < i + 1000; ++j) batch.Put(bench_key(j), bench_value(j));
      if (!slot->db().Write(leveldb::WriteOptions(), &batch).ok()) std::abort();
      slot->drain();
    }
    slot->close();
    slot->open();
    // The native Env compacts on its own thread: give it time to settle.
    if (!bridge) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return *slot;
}

void BM_LevelDbSyncPut(benchmark::State& state, bool bridge) {
  LevelDbUnderTest db(bridge);
  leveldb::WriteOptions write_options;
  write_options.sync = true;
  uint64_t n = 0;
  for (auto _ : state) {
    if (!db.db().Put(write_options, bench_key(n), bench_value(n)).ok()) state.SkipWithError("put");
    db.drain();
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_LevelDbGet(benchmark::State& state, bool bridge) {
  LevelDbUnderTest& db = preloaded_leveldb(bridge);
  sim::Prng prng(42);
  std::string value;
  for (auto _ : state) {
    if (!db.db().Get(leveldb::ReadOptions(), bench_key(prng.uniform(kPreloadKeys)), &value).ok()) {
      state.SkipWithError("get");
    }
    db.drain();
  }
  state.SetLabel(db.shape());
  state.SetItemsProcessed(state.iterations());
}

void BM_LevelDbScan100(benchmark::State& state, bool bridge) {
  LevelDbUnderTest& db = preloaded_leveldb(bridge);
  sim::Prng prng(7);
  for (auto _ : state) {
    std::unique_ptr<leveldb::Iterator> it(db.db().NewIterator(leveldb::ReadOptions()));
    size_t rows = 0;
    for (it->Seek(bench_key(prng.uniform(kPreloadKeys - kScanRows))); it->Valid() && rows < kScanRows;
         it->Next()) {
      benchmark::DoNotOptimize(it->value().data());
      ++rows;
    }
    if (rows != kScanRows) state.SkipWithError("scan");
    it.reset();
    db.drain();
  }
  state.SetLabel(db.shape());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kScanRows));
}

// ---- SQLite -----------------------------------------------------------------------------

// A raw sqlite3 connection with SqliteBackend's settings on the default VFS (bridge == false)
// or on SqliteVfs over PosixEnv, plus the three statements the benchmarks step.
class SqliteUnderTest {
 public:
  explicit SqliteUnderTest(bool bridge) {
    if (bridge) {
      auto vfs = SqliteVfs::create(&posix_env(), nullptr, /*seed=*/1, dir_.path());
      if (!vfs.ok()) std::abort();
      vfs_ = std::move(*vfs);
    }
    const std::string path = dir_.path() + "/kv.db";
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        vfs_ ? vfs_->name() : nullptr) != SQLITE_OK) {
      std::abort();
    }
    for (const char* sql : {"PRAGMA locking_mode=EXCLUSIVE", "PRAGMA journal_mode=WAL",
                            "PRAGMA synchronous=FULL", "PRAGMA temp_store=MEMORY",
                            kSqliteSchemaSql}) {
      if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
    }
    prepare(&put_, "INSERT OR REPLACE INTO kv(key, value) VALUES(?1, ?2)");
    prepare(&get_, "SELECT value FROM kv WHERE key = ?1");
    prepare(&scan_, "SELECT key, value FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2");
  }
  ~SqliteUnderTest() {
    for (sqlite3_stmt* stmt : {put_, get_, scan_}) sqlite3_finalize(stmt);
    sqlite3_close(db_);
    vfs_.reset();  // after the connection is closed
  }

  bool put(const std::string& key, const std::string& value) {
    bind(put_, 1, key);
    bind(put_, 2, value);
    return step_once(put_) == SQLITE_DONE;
  }
  bool get(const std::string& key) {
    bind(get_, 1, key);
    const int rc = sqlite3_step(get_);
    if (rc == SQLITE_ROW) benchmark::DoNotOptimize(sqlite3_column_blob(get_, 0));
    sqlite3_reset(get_);
    return rc == SQLITE_ROW;
  }
  size_t scan(const std::string& start, size_t rows_max) {
    bind(scan_, 1, start);
    sqlite3_bind_int64(scan_, 2, static_cast<sqlite3_int64>(rows_max));
    size_t rows = 0;
    while (sqlite3_step(scan_) == SQLITE_ROW) {
      benchmark::DoNotOptimize(sqlite3_column_blob(scan_, 1));
      ++rows;
    }
    sqlite3_reset(scan_);
    return rows;
  }
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
  }

 private:
  void prepare(sqlite3_stmt** stmt, const char* sql) {
    if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) std::abort();
  }
  static void bind(sqlite3_stmt* stmt, int index, const std::string& bytes) {
    sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
  }
  static int step_once(sqlite3_stmt* stmt) {
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
  }

  TempDir dir_;
  std::unique_ptr<SqliteVfs> vfs_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
};

SqliteUnderTest& preloaded_sqlite(bool bridge) {
  static std::map<bool, std::unique_ptr<SqliteUnderTest>> dbs;
  auto& slot = dbs[bridge];
  if (!slot) {
    slot = std::make_unique<SqliteUnderTest>(bridge);
    for (uint64_t i = 0; i < kPreloadKeys; i += 1000) {
      slot->exec("BEGIN");
      for (uint64_t j = i; j < i + 1000; ++j) {
        if (!slot->put(bench_key(j), bench_value(j))) std::abort();
      }
      slot->exec("COMMIT");
    }
    slot->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  return *slot;
}

void BM_SqliteSyncPut(benchmark::State& state, bool bridge) {
  SqliteUnderTest db(bridge);
  uint64_t n = 0;
  for (auto _ : state) {
    if (!db.put(bench_key(n), bench_value(n))) state.SkipWithError("put");
    ++n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_SqliteGet(benchmark::State& state, bool bridge) {
  SqliteUnderTest& db = preloaded_sqlite(bridge);
  sim::Prng prng(42);
  for (auto _ : state) {
    if (!db.get(bench_key(prng.uniform(kPreloadKeys)))) state.SkipWithError("get");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SqliteScan100(benchmark::State& state, bool bridge) {
  SqliteUnderTest& db = preloaded_sqlite(bridge);
  sim::Prng prng(7);
  for (auto _ : state) {
    if (db.scan(bench_key(prng.uniform(kPreloadKeys - kScanRows)), kScanRows) != kScanRows) {
      state.SkipWithError("scan");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kScanRows));
}

void register_bridge_benchmarks() {
  for (bool bridge : {false, true}) {
    const std::string variant = bridge ? "/bridge" : "/native";
    benchmark::RegisterBenchmark(("BM_LevelDbSyncPut" + variant).c_str(), BM_LevelDbSyncPut, bridge)
        ->MinTime(1.0)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_LevelDbGet" + variant).c_str(), BM_LevelDbGet, bridge);
    benchmark::RegisterBenchmark(("BM_LevelDbScan100" + variant).c_str(), BM_LevelDbScan100, bridge);
    benchmark::RegisterBenchmark(("BM_SqliteSyncPut" + variant).c_str(), BM_SqliteSyncPut, bridge)
        ->MinTime(1.0)->UseRealTime();
    benchmark::RegisterBenchmark(("BM_SqliteGet" + variant).c_str(), BM_SqliteGet, bridge);
    benchmark::RegisterBenchmark(("BM_SqliteScan100" + variant).c_str(), BM_SqliteScan100, bridge);
  }
}

const bool registered = (register_bridge_benchmarks(), true);

}  // namespace
}  // namespace tierkv::bench
