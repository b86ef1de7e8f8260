// The engine's own floor under the simulator's scheduler (issue 7 "Numbers"): how many client
// operations per CPU second the tiered engine itself can run on the memory backend when
// nothing of the simulator's harness runs: no workload generator, no model, no checkers, no
// fault hooks, no restarts. The same TierStore / BackendKvStore / MemoryBackend code as the
// simulator's memory world (BM_SimMemory), on the same SimExecutor (seeded latencies, one
// thread), driven by plain client coroutines issuing the workload's op mix.
//
// It bounds what BM_SimMemory can reach: a simulated operation is one of these plus the
// harness's work (choosing it, recording it in the model, checking what it returned, the
// checks after each phase). If this floor is below a target, no harness work can meet it; the
// engine itself would have to get cheaper.
//
// Worlds (argument `tiers`):
//   0  primary only: TierStore over one BackendKvStore on MemoryBackend;
//   1  primary + sync backup, both on MemoryBackend;
//   2  primary + sync backup + ephemeral tier (the default ephemeral rules), all on memory.
// Op mix: the simulator's default weights for the kinds every world has (sim/workload.cc):
// read 20, write 30, remove 8, list 4, list walk 4, CAS 8, atomic batch of 3 keys 6; 4 clients,
// 64 keys over 2 namespace pairs, 100-byte values. Every result is checked against what the
// client expects where the op mix allows it without a model (a read of a key only its own
// client writes returns that client's last value), so a broken engine aborts the benchmark.
//
//   build/release/tests/tierkv-bench --benchmark_filter='EngineFloor'
// Counters: ops_per_s and us_per_op (per CPU second). Instructions: callgrind as in
// sim_bench.cc, toggling on run_floor (g++ 12 -O2 names it
// 'tierkv::(anonymous namespace)::run_floor(int, unsigned long, unsigned long) [clone
// .constprop.0]'), with --benchmark_filter='BM_SimEngineFloor/tiers:1/iterations:8' (3200 ops).
//
// Measured (2026-12-06, quiet 2-vCPU VM, 3 repetitions, medians), primary only / + sync backup
// / + ephemeral: the tree at the start of session 8 ~427k / ~264k / ~259k ops/s (23.6k
// instructions per op with a backup); after its engine and executor cuts ~546k / ~327k / ~308k
// (11.3k / 17.6k instructions per op).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/backends/memory_backend.h"
#include "engine/exec/executor.h"
#include "engine/tier/backend_kv_store.h"
#include "engine/tier/tier_store.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"

namespace tierkv {
namespace {

constexpr uint32_t kClients = 4;
constexpr uint32_t kKeysPerClient = 16;
constexpr uint32_t kValueBytes = 100;

struct MemoryTier {
  std::unique_ptr<MemoryBackend> backend;
  std::unique_ptr<BackendKvStore> store;
};

MemoryTier open_memory_tier(Executor& executor) {
  MemoryTier tier;
  Result<std::unique_ptr<MemoryBackend>> opened = MemoryBackend::open(BackendOptions{});
  if (!opened.ok()) std::abort();
  tier.backend = std::move(*opened);
  tier.store = std::make_unique<BackendKvStore>(*tier.backend, executor);
  return tier;
}

// Keys of client c: its own, so a read after its write has one right answer. Clients 0 and 1
// share namespace pair ("floor", "a"), 2 and 3 ("floor", "b"), so lists and walks see others'.
StoreKey client_key(uint32_t client, uint64_t index) {
  return StoreKey{"floor", client < 2 ? "a" : "b",
                  "c" + std::to_string(client) + "-k" + std::to_string(index % kKeysPerClient)};
}

std::string value_of(uint64_t op, uint32_t client) {
  std::string value(kValueBytes, 'v');
  const std::string tag = std::to_string(op) + "/" + std::to_string(client);
  value.replace(0, tag.size(), tag);
  return value;
}

void expect(bool holds) {
  if (!holds) std::abort();  // the engine returned something a correct store cannot
}

// One client: ops_per_client operations drawn from the workload's weights. Tracks what it
// wrote to its own keys (nullopt = removed or never written) and checks its reads against it.
Task<void> floor_client(KvStore* store, sim::Prng* prng, uint32_t client, uint64_t ops_per_client,
                        uint64_t* done) {
  std::vector<std::optional<std::string>> mine(kKeysPerClient);
  for (uint64_t op = 0; op < ops_per_client; ++op) {
    const uint64_t index = prng->range(0, kKeysPerClient - 1);
    StoreKey key = client_key(client, index);
    const uint64_t roll = prng->range(0, 79);  // 20 + 30 + 8 + 4 + 4 + 8 + 6 = 80
    if (roll < 20) {
      Result<std::string> read = co_await store->read(std::move(key));
      if (mine[index].has_value()) {
        expect(read.ok() && *read == *mine[index]);
      } else {
        expect(read.status().is_not_found());
      }
    } else if (roll < 50) {
      std::string value = value_of(op, client);
      Status written = co_await store->write(std::move(key), value);
      expect(written.ok());
      mine[index] = std::move(value);
    } else if (roll < 58) {
      Status removed = co_await store->remove(std::move(key), false);
      expect(removed.ok());
      mine[index].reset();
    } else if (roll < 62) {
      std::string primary = key.primary_namespace;
      std::string secondary = key.secondary_namespace;
      Result<std::vector<std::string>> listed =
          co_await store->list(std::move(primary), std::move(secondary));
      expect(listed.ok());
    } else if (roll < 66) {
      std::optional<std::string> token;
      uint32_t pages = 0;
      do {
        std::string primary = key.primary_namespace;
        std::string secondary = key.secondary_namespace;
        Result<ListPage> page =
            co_await store->list_page(std::move(primary), std::move(secondary), token);
        expect(page.ok() && ++pages <= 2 * kClients * kKeysPerClient);
        token = std::move(page->next_token);
      } while (token.has_value());
    } else if (roll < 74) {
      StoreKey read_key = key;
      Result<VersionedValue> current = co_await store->read_versioned(std::move(read_key));
      const uint64_t expected = current.ok() ? current->version : 0;
      std::string value = value_of(op, client);
      Result<uint64_t> swapped =
          co_await store->compare_and_swap(std::move(key), expected, value);
      expect(swapped.ok());  // only this client writes this key
      mine[index] = std::move(value);
    } else {
      std::vector<AtomicOp> batch;
      std::vector<uint64_t> indexes;
      for (uint64_t i = 0; i < 3; ++i) {
        const uint64_t k = (index + i) % kKeysPerClient;
        indexes.push_back(k);
        batch.push_back(AtomicOp{client_key(client, k), value_of(op, client), std::nullopt});
      }
      AtomicResult applied = co_await store->write_atomic(std::move(batch));
      expect(applied.status.ok());
      for (uint64_t k : indexes) mine[k] = value_of(op, client);
    }
    ++*done;
  }
}

// Runs kClients clients of ops_per_client ops each over a fresh world; returns the ops done.
uint64_t run_floor(int tiers, uint64_t seed, uint64_t ops_per_client) {
  sim::SimClock clock;
  sim::Prng prng(seed);
  sim::TraceHash trace;
  sim::SimExecutor executor(clock, prng, trace);
  MemoryTier primary = open_memory_tier(executor);
  MemoryTier backup;
  MemoryTier ephemeral;
  TierStoreTiers layout{primary.store.get(), nullptr, nullptr};
  if (tiers >= 1) {
    backup = open_memory_tier(executor);
    layout.backup = backup.store.get();
  }
  if (tiers >= 2) {
    ephemeral = open_memory_tier(executor);
    layout.ephemeral = ephemeral.store.get();
  }
  TierStore store(executor, layout);
  run_sync(executor, store.flush_backup());  // the (empty) start-up reconcile
  uint64_t done = 0;
  std::vector<sim::Prng> client_prngs;
  for (uint32_t c = 0; c < kClients; ++c) client_prngs.push_back(prng.fork());
  for (uint32_t c = 0; c < kClients; ++c) {
    executor.spawn(floor_client(&store, &client_prngs[c], c, ops_per_client, &done));
  }
  executor.run_until_idle();
  expect(done == kClients * ops_per_client);
  return done;
}

void BM_SimEngineFloor(benchmark::State& state) {
  const int tiers = static_cast<int>(state.range(0));
  uint64_t ops = 0;
  uint64_t seed = 0;
  for (auto _ : state) ops += run_floor(tiers, ++seed, 100);  // 400 ops, as a simulator seed
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.counters["us_per_op"] =
      benchmark::Counter(static_cast<double>(ops) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_SimEngineFloor)->Arg(0)->Arg(1)->Arg(2)->ArgName("tiers")->MinTime(2.0);
BENCHMARK(BM_SimEngineFloor)->Arg(0)->Arg(1)->Arg(2)->ArgName("tiers")->Iterations(8);

}  // namespace
}  // namespace tierkv
