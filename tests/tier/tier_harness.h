// Shared fixtures for the tier tests: a simulated executor, BackendKvStores over any backend
// (memory, leveldb, sqlite, lmdb: opened through engine/backends/backend_factory.h), a KvStore
// wrapper whose calls can be made to fail or wait at a gate (and that logs the mutations it
// applied), and a TierStore over three such tiers.
// Header-only: tests/CMakeLists.txt compiles only *_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends/backend_factory.h"
#include "engine/backends/memory_backend.h"
#include "engine/core/kv_store.h"
#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_store.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/sim_executor.h"
#include "tests/backends/backend_harness.h"

namespace tierkv::testing {

// Long seed loops only when TIERKV_LONG=1 is set in the environment; a fast subset otherwise.
inline bool long_tests() {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1";
}
inline uint64_t seed_count(uint64_t fast, uint64_t long_count) {
  return long_tests() ? long_count : fast;
}

struct SimRig {
  explicit SimRig(uint64_t seed, sim::SimExecutorOptions options = {})
      : prng(seed), executor(clock, prng, trace, options) {}
  sim::SimClock clock;
  sim::Prng prng;
  sim::TraceHash trace;
  sim::SimExecutor executor;

  template <typename T>
  T sync(Task<T> task) {
    return run_sync(executor, std::move(task));
  }
};

// A BackendKvStore over its own in-memory backend.
struct MemoryStore {
  explicit MemoryStore(Executor& executor)
      : backend(std::move(MemoryBackend::open(BackendOptions{}).value())),
        store(std::make_unique<BackendKvStore>(*backend, executor)) {}
  std::unique_ptr<MemoryBackend> backend;
  std::unique_ptr<BackendKvStore> store;
};

// Which backend each tier of a TierRig runs on (names of backend_names()).
struct TierBackends {
  std::string primary;
  std::string ephemeral;
  std::string backup;
  static TierBackends all(const std::string& name) { return TierBackends{name, name, name}; }
  std::string name() const {
    if (primary == ephemeral && primary == backup) return primary;
    return primary + "_" + ephemeral + "_" + backup;
  }
};

// A BackendKvStore over a backend opened by name in dir: leveldb and sqlite on the SimEnv,
// lmdb (which maps real files) under the real directory real_root. Aborts the test binary with
// the open error if the backend does not open (every later call would need it).
struct BackendStore {
  BackendStore(const std::string& backend_name, Executor& executor, sim::SimEnv& env,
               Clock& clock, const std::string& real_root, const std::string& dir)
      : backend(open_or_die(backend_name, env, clock, real_root, dir)),
        store(std::make_unique<BackendKvStore>(*backend, executor)) {}
  std::unique_ptr<Backend> backend;
  std::unique_ptr<BackendKvStore> store;

 private:
  static std::unique_ptr<Backend> open_or_die(const std::string& backend_name, sim::SimEnv& env,
                                              Clock& clock, const std::string& real_root,
                                              const std::string& dir) {
    BackendOptions options;
    options.env = &env;
    options.clock = &clock;
    options.dir = backend_name == "lmdb" ? real_root + dir : dir;
    options.sync = true;
    options.seed = 7;
    Result<std::unique_ptr<Backend>> opened = open_backend(backend_name, options);
    if (!opened.ok()) {
      ADD_FAILURE() << "opening " << backend_name << " in " << options.dir << ": "
                    << opened.status().to_string();
      std::abort();
    }
    return std::move(*opened);
  }
};

inline StoreKey skey(std::string primary, std::string secondary, std::string key) {
  return StoreKey{std::move(primary), std::move(secondary), std::move(key)};
}

// Spawns task and counts it in *finished when done.
template <typename T>
void spawn_into(Executor& executor, Task<T> task, std::optional<T>* out) {
  executor.spawn([](Task<T> t, std::optional<T>* o) -> Task<void> {
    o->emplace(co_await std::move(t));
  }(std::move(task), out));
}

// A gate coroutines wait at until open() is called (or pass straight through while open).
class Gate {
 public:
  explicit Gate(Executor&) {}
  Task<void> wait() {
    if (open_) co_return;
    co_await suspend_until_resumed([this](UniqueFunction resume) {
      waiters_.push_back(std::move(resume));
    });
  }
  void open() {
    open_ = true;
    std::vector<UniqueFunction> waiters = std::move(waiters_);
    waiters_.clear();
    for (UniqueFunction& resume : waiters) resume();
  }
  void close() { open_ = false; }
  size_t waiting() const { return waiters_.size(); }

 private:
  bool open_ = true;
  std::vector<UniqueFunction> waiters_;
};

// Forwards to an inner KvStore; each call kind can be failed (Unavailable) and mutations can be
// held at a gate first. Counts the calls that reached it.
class FlakyKvStore final : public KvStore {
 public:
  FlakyKvStore(KvStore& inner, Executor& executor) : inner_(inner), gate_(executor) {}

  bool fail_mutations = false;
  bool fail_reads = false;
  bool fail_lists = false;
  uint64_t mutations_seen = 0;
  uint64_t reads_seen = 0;
  uint64_t lists_seen = 0;
  uint64_t batches_seen = 0;        // write_atomic calls
  std::vector<size_t> batch_sizes;  // ops of each write_atomic call, in call order
  // write_atomic answers NotSupported (after the gate), as a store without batches does.
  bool refuse_batches = false;
  Gate& gate() { return gate_; }

  Task<Result<std::string>> read(StoreKey key) override {
    ++reads_seen;
    if (fail_reads) co_return Status::unavailable("flaky store: read of " + key.to_string());
    co_return co_await inner_.read(std::move(key));
  }
  // Every mutation that succeeded here, in completion order: (lock key, value or "<removed>").
  std::vector<std::pair<std::string, std::string>> applied;

  Task<Status> write(StoreKey key, std::string value) override {
    // The inner call (and its call sequence) is taken now, in call order.
    ++mutations_seen;
    std::string entry = value;
    return gated(inner_.write(key, std::move(value)), "write of " + key.to_string(),
                 lock_key(key), std::move(entry));
  }
  Task<Status> remove(StoreKey key, bool lazy) override {
    ++mutations_seen;
    return gated(inner_.remove(key, lazy), "remove of " + key.to_string(), lock_key(key),
                 "<removed>");
  }
  Task<Result<std::vector<std::string>>> list(std::string p, std::string s) override {
    ++lists_seen;
    if (fail_lists) co_return Status::unavailable("flaky store: list of " + p + "/" + s);
    co_return co_await inner_.list(std::move(p), std::move(s));
  }
  Task<Result<ListPage>> list_page(std::string p, std::string s,
                                   std::optional<std::string> token) override {
    ++lists_seen;
    if (fail_lists) co_return Status::unavailable("flaky store: list_page of " + p + "/" + s);
    co_return co_await inner_.list_page(std::move(p), std::move(s), std::move(token));
  }
  Task<Result<VersionedValue>> read_versioned(StoreKey key) override {
    ++reads_seen;
    if (fail_reads) co_return Status::unavailable("flaky store: read of " + key.to_string());
    co_return co_await inner_.read_versioned(std::move(key));
  }
  Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected,
                                          std::string value) override {
    ++mutations_seen;
    if (fail_mutations) co_return Status::unavailable("flaky store: cas of " + key.to_string());
    co_return co_await inner_.compare_and_swap(std::move(key), expected, std::move(value));
  }
  // The inner call (and its call sequences) is taken now, as write's; the batch then waits at
  // the gate like any mutation, and its keys are logged in `applied` (key order) if it applies.
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override {
    ++mutations_seen;
    ++batches_seen;
    batch_sizes.push_back(ops.size());
    std::vector<std::pair<std::string, std::string>> entries;
    for (const AtomicOp& op : ops) {
      entries.emplace_back(lock_key(op.key), op.value.value_or("<removed>"));
    }
    std::sort(entries.begin(), entries.end());
    return [](FlakyKvStore* self, Task<AtomicResult> inner,
              std::vector<std::pair<std::string, std::string>> entries) -> Task<AtomicResult> {
      co_await self->gate_.wait();
      if (self->fail_mutations) co_return AtomicResult{Status::unavailable("flaky store: batch"), {}};
      if (self->refuse_batches) {
        co_return AtomicResult{Status::not_supported("flaky store: no write_atomic"), {}};
      }
      AtomicResult r = co_await std::move(inner);
      if (r.status.ok()) {
        for (auto& entry : entries) self->applied.push_back(std::move(entry));
      }
      co_return r;
    }(this, inner_.write_atomic(std::move(ops)), std::move(entries));
  }
  Task<Result<std::vector<NamespacePair>>> list_namespaces() override {
    ++lists_seen;
    if (fail_lists) co_return Status::unavailable("flaky store: list_namespaces");
    co_return co_await inner_.list_namespaces();
  }

 private:
  // Waits at the gate, then fails (dropping the inner task unstarted) or runs the inner task.
  Task<Status> gated(Task<Status> inner, std::string what, std::string key, std::string entry) {
    return [](FlakyKvStore* self, Task<Status> inner, std::string what, std::string key,
              std::string entry) -> Task<Status> {
      co_await self->gate_.wait();
      if (self->fail_mutations) co_return Status::unavailable("flaky store: " + what);
      Status st = co_await std::move(inner);
      if (st.ok()) self->applied.emplace_back(std::move(key), std::move(entry));
      co_return st;
    }(this, std::move(inner), std::move(what), std::move(key), std::move(entry));
  }

  KvStore& inner_;
  Gate gate_;
};

// Which tiers a TierStore test assembles.
struct TierShape {
  bool ephemeral = false;
  bool backup = false;
  BackupMode mode = BackupMode::kSync;
  std::string name() const {
    std::string n = "primary";
    if (ephemeral) n += "_ephemeral";
    if (backup) n += mode == BackupMode::kSync ? "_syncbackup" : "_asyncbackup";
    return n;
  }
};

// A backend-by-tier combination and a tier shape: one case of the contract matrix.
struct TierCase {
  TierBackends backends;
  TierShape shape;
  std::string name() const { return backends.name() + "_" + shape.name(); }
};

// A TierStore over three tiers (memory-backed unless backends says otherwise), each behind a
// FlakyKvStore. The start-up reconcile and the mirror's batch delay are off unless the options
// ask for them, so call counts start at 0. Every tier gets its own directory (/primary, /ephemeral, /backup) on one SimEnv
// (lmdb: under one real temp dir).
struct TierRig {
  explicit TierRig(uint64_t seed, TierShape shape, TierStoreOptions options = no_startup(),
                   sim::SimExecutorOptions exec = {},
                   const TierBackends& backends = TierBackends::all("memory"))
      : sim(seed, exec),
        env(sim.prng, sim.trace),
        primary_raw(backends.primary, sim.executor, env, sim.clock, real_dir.path(), "/primary"),
        ephemeral_raw(backends.ephemeral, sim.executor, env, sim.clock, real_dir.path(),
                      "/ephemeral"),
        backup_raw(backends.backup, sim.executor, env, sim.clock, real_dir.path(), "/backup"),
        primary(*primary_raw.store, sim.executor),
        ephemeral(*ephemeral_raw.store, sim.executor),
        backup(*backup_raw.store, sim.executor) {
    options.backup_mode = shape.mode;
    TierStoreTiers tiers{&primary, shape.ephemeral ? &ephemeral : nullptr,
                         shape.backup ? &backup : nullptr};
    store = std::make_unique<TierStore>(sim.executor, tiers, std::move(options));
  }
  // Abandons coroutines still pending (a failed ASSERT can leave some) while every tier they
  // reference is still alive.
  ~TierRig() { sim.executor.shutdown(); }
  TierRig(const TierRig&) = delete;
  TierRig& operator=(const TierRig&) = delete;

  // Also without the async mirror's batch delay, so tests step the mirror call by call
  // (tier_store_mirror_test.cc tests the delay).
  static TierStoreOptions no_startup() {
    TierStoreOptions o;
    o.reconcile_at_start = false;
    o.async_batch_delay_us = 0;
    return o;
  }
  template <typename T>
  T sync(Task<T> task) {
    return sim.sync(std::move(task));
  }
  Executor& executor() { return sim.executor; }

  SimRig sim;
  sim::SimEnv env;   // leveldb and sqlite tiers live here
  TempDir real_dir;  // lmdb tiers live here (removed after the backends closed)
  BackendStore primary_raw, ephemeral_raw, backup_raw;
  FlakyKvStore primary, ephemeral, backup;  // the raw tiers are *_raw.store
  std::unique_ptr<TierStore> store;
};

// Every (namespace pair -> key -> value) of a store, for equality checks between tiers.
using StoreDump = std::map<NamespacePair, std::map<std::string, std::string>>;

inline Task<StoreDump> dump_store(KvStore* store) {
  StoreDump dump;
  Result<std::vector<NamespacePair>> pairs = co_await store->list_namespaces();
  EXPECT_TRUE(pairs.ok()) << pairs.status().to_string();
  if (!pairs.ok()) co_return dump;
  for (const NamespacePair& pair : *pairs) {
    Result<std::vector<std::string>> keys =
        co_await store->list(pair.primary_namespace, pair.secondary_namespace);
    EXPECT_TRUE(keys.ok()) << keys.status().to_string();
    if (!keys.ok()) continue;
    for (const std::string& key : *keys) {
      // Named, then moved: g++ 12 destroys a braced temporary coroutine argument twice.
      StoreKey store_key{pair.primary_namespace, pair.secondary_namespace, key};
      Result<std::string> value = co_await store->read(std::move(store_key));
      EXPECT_TRUE(value.ok()) << value.status().to_string();
      if (value.ok()) dump[pair][key] = *value;
    }
  }
  co_return dump;
}

}  // namespace tierkv::testing
