// Shared fixtures for the VersionedStore tests: a simulated world (SimEnv + SimExecutor), the
// model of committed states, and a durable test backend.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/backends/backend_factory.h"
#include "engine/backends/memory_backend.h"
#include "engine/io/env_util.h"
#include "engine/versioned/lt_hash.h"
#include "engine/versioned/versioned_store.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"

namespace tierkv::test {

using State = std::map<std::string, std::string>;

// The LtHash a store must report for state (the seed's presence rule: empty values count as
// absent).
inline LtHash model_hash(const State& state) {
  LtHash hash;
  for (const auto& [key, value] : state) {
    if (!value.empty()) hash.mix_in_element(key, value);
  }
  return hash;
}

inline State apply_batch(State state, const WriteBatch& batch) {
  for (const BatchOp& op : batch.ops()) {
    if (op.kind == BatchOp::Kind::kPut) {
      state[op.key] = op.value;
    } else {
      state.erase(op.key);
    }
  }
  return state;
}

// history[v] = the state at version v; history[0] is empty.
struct Model {
  std::vector<State> history{State{}};
  uint64_t version() const { return history.size() - 1; }
  void commit(const WriteBatch& batch) { history.push_back(apply_batch(history.back(), batch)); }
  void rollback(uint64_t v) { history.resize(v + 1); }
};

// A MemoryBackend whose every write is also persisted (image written atomically): a durable
// working copy, like LevelDB's, so that tests can reach the seed's "working copy ahead" cases.
class PersistentMemoryBackend final : public Backend {
 public:
  static Result<std::unique_ptr<Backend>> open(Env* env, const std::string& dir) {
    TIERKV_ASSIGN_OR_RETURN(auto inner, MemoryBackend::open(BackendOptions{.env = env, .dir = dir}));
    return std::unique_ptr<Backend>(new PersistentMemoryBackend(env, dir, std::move(inner)));
  }
  std::string_view name() const override { return "persistent-memory"; }
  Result<std::string> get(std::string_view key) override { return inner_->get(key); }
  Status put(std::string_view key, std::string_view value) override {
    TIERKV_RETURN_IF_ERROR(inner_->put(key, value));
    return persist();
  }
  Status remove(std::string_view key) override {
    TIERKV_RETURN_IF_ERROR(inner_->remove(key));
    return persist();
  }
  Status write(const WriteBatch& batch) override {
    TIERKV_RETURN_IF_ERROR(inner_->write(batch));
    return persist();
  }
  Result<std::vector<KeyValue>> scan(const KeyRange& range, size_t limit) override {
    return inner_->scan(range, limit);
  }
  Status checkpoint(const std::string& dir) override { return inner_->checkpoint(dir); }
  Status close() override { return inner_->close(); }

 private:
  PersistentMemoryBackend(Env* env, std::string dir, std::unique_ptr<MemoryBackend> inner)
      : env_(env), dir_(std::move(dir)), inner_(std::move(inner)) {}
  Status persist() {
    TIERKV_ASSIGN_OR_RETURN(auto all, inner_->scan(KeyRange{}, 0));
    std::map<std::string, std::string, std::less<>> map;
    for (KeyValue& kv : all) map.emplace(std::move(kv.key), std::move(kv.value));
    return write_file_atomically(*env_, join_path(dir_, kMemoryImageName),
                                 encode_memory_image(map));
  }
  Env* env_;
  std::string dir_;
  std::unique_ptr<MemoryBackend> inner_;
};

// One simulated machine: disk, clock, scheduler, all from one seed.
struct World {
  explicit World(uint64_t seed, sim::SimEnvOptions env_options = {})
      : prng(seed), env(prng, trace, env_options), executor(clock, prng, trace) {}

  VersionedStoreOptions options(bool durable_working = false) {
    VersionedStoreOptions o;
    o.env = &env;
    o.executor = &executor;
    o.dir = "/store";
    Env* e = &env;
    if (durable_working) {
      o.open_backend = [e](const std::string& dir) { return PersistentMemoryBackend::open(e, dir); };
    } else {
      o.open_backend = [e](const std::string& dir) {
        return open_backend("memory", BackendOptions{.env = e, .dir = dir});
      };
    }
    return o;
  }

  // A power cut: abandons every coroutine, drops the store, keeps only what the disk holds.
  void crash(std::unique_ptr<VersionedStore>* store) {
    executor.shutdown();
    store->reset();
    env.crash();
    executor.shutdown();
  }

  sim::Prng prng;
  sim::TraceHash trace;
  sim::SimEnv env;
  sim::SimClock clock;
  sim::SimExecutor executor;
};

inline State store_state(VersionedStore& store) {
  State state;
  auto all = store.scan(KeyRange{}, 0);
  if (!all.ok()) return {{"<scan failed>", all.status().to_string()}};
  for (KeyValue& kv : *all) state.emplace(std::move(kv.key), std::move(kv.value));
  return state;
}

// TIERKV_LONG=1 runs the long seed loops; the default run keeps a fast subset.
inline bool long_run() {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1";
}

}  // namespace tierkv::test
