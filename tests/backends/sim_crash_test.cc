// Power cuts under SimEnv for the LevelDB and SQLite backends, and determinism of their runs.
//
// Each seed: a SimEnv (torn writes on for odd seeds, unsynced directory changes may survive),
// a backend opened on it, and a workload of sync puts, removes and batches. At a seeded
// mutating file operation the disk "dies" (that op and every later one fail, like a dead
// process), then SimEnv::crash() cuts the power and the backend is reopened on what survived.
// Checked: the recovered state is the acknowledged state, or that plus the one operation in
// flight (applied whole): every synced write is there, nothing unacknowledged appears out of
// order, no batch is half-applied, no deleted value comes back.
// A coverage check makes sure the fast subset crashes inside a LevelDB compaction/flush (a
// table file write) and inside a SQLite WAL checkpoint (a write to kv.db).
//
// Default: 40 seeds per backend. TIERKV_LONG=1: 2000 seeds per backend.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "engine/backends/leveldb_backend.h"
#include "engine/backends/sqlite_backend.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/trace.h"
#include "tests/backends/backend_contract.h"
#include "tests/backends/backend_harness.h"

namespace tierkv::testing {
namespace {

using Opener = std::function<Result<std::unique_ptr<Backend>>(const BackendOptions&)>;

Result<std::unique_ptr<Backend>> open_leveldb(const BackendOptions& options) {
  LevelDbTuning tuning;
  tuning.write_buffer_size_bytes = 64 * 1024;  // LevelDB's minimum: frequent flushes
  return as_backend(LevelDbBackend::open(options, tuning));
}

Result<std::unique_ptr<Backend>> open_sqlite(const BackendOptions& options) {
  SqliteTuning tuning;
  tuning.wal_autocheckpoint_pages = 8;  // frequent WAL checkpoints
  return as_backend(SqliteBackend::open(options, tuning));
}


void apply_to_model(const WriteBatch& batch, Model* model) {
  for (const BatchOp& op : batch.ops()) {
    if (op.kind == BatchOp::Kind::kPut) {
      (*model)[op.key] = op.value;
    } else {
      model->erase(op.key);
    }
  }
}

WriteBatch random_op(sim::Prng& prng, uint64_t step) {
  WriteBatch batch;
  const uint64_t ops = prng.chance(1, 3) ? prng.range(2, 8) : 1;
  for (uint64_t i = 0; i < ops; ++i) {
    const std::string key = test_key(prng.uniform(60));
    if (prng.chance(1, 5)) {
      batch.remove(key);
    } else {
      batch.put(key, "s" + std::to_string(step) + test_value(step * 8 + i, prng.range(200, 1500)));
    }
  }
  return batch;
}

struct CrashRun {
  uint64_t trace_hash = 0;
  std::string crashed_op_path;  // the file operation the disk died on ("" if none)
};

// One seeded crash-and-recover run; gtest failures name the seed.
CrashRun run_crash_seed(const Opener& opener, uint64_t seed) {
  sim::Prng prng(seed);
  sim::Prng env_prng = prng.fork();
  sim::TraceHash trace;
  sim::SimEnvOptions env_options;
  env_options.torn_writes = seed % 2 == 1;
  sim::SimEnv env(env_prng, trace, env_options);
  sim::SimClock clock;
  BackendOptions options{&env, &clock, "/db", /*sync=*/true, seed};
  CrashRun run;

  const uint64_t die_at = prng.range(1, 1500);  // mutating ops before the disk dies
  uint64_t mutating = 0;
  bool dead = false;
  env.set_fault_hook([&](const sim::SimOp& op) {
    if (op.mutating && !dead && ++mutating >= die_at) {
      dead = true;
      run.crashed_op_path = std::string(op.path);
    }
    return dead ? Status::io_error("simulated process crash") : Status();
  });

  Model acked;
  std::optional<WriteBatch> in_flight;
  {
    Result<std::unique_ptr<Backend>> backend = opener(options);
    for (uint64_t step = 0; backend.ok() && step < 400 && !dead; ++step) {
      WriteBatch batch = random_op(prng, step);
      Status status = (*backend)->write(batch);
      if (status.ok()) {
        apply_to_model(batch, &acked);
      } else {
        EXPECT_TRUE(dead) << "seed " << seed << ": " << status.to_string();
        in_flight = std::move(batch);
      }
    }
    dead = true;  // whatever the backend does while going away hits a dead disk
  }
  env.set_fault_hook({});
  env.crash();

  Result<std::unique_ptr<Backend>> reopened = opener(options);
  EXPECT_TRUE(reopened.ok()) << "seed " << seed << ": " << reopened.status().to_string();
  if (!reopened.ok()) return run;
  Result<std::vector<KeyValue>> state = (*reopened)->scan(KeyRange{}, 0);
  EXPECT_TRUE(state.ok()) << "seed " << seed;
  if (!state.ok()) return run;
  Model with_in_flight = acked;
  if (in_flight) apply_to_model(*in_flight, &with_in_flight);
  const bool is_acked = *state == model_scan(acked, KeyRange{}, 0);
  const bool is_with_in_flight = *state == model_scan(with_in_flight, KeyRange{}, 0);
  EXPECT_TRUE(is_acked || is_with_in_flight)
      << "seed " << seed << ": recovered " << state->size() << " keys, acknowledged "
      << acked.size() << " (+in flight: " << with_in_flight.size() << "); crashed on "
      << run.crashed_op_path;
  if (!is_acked && !is_with_in_flight) {
    const std::vector<KeyValue> want = model_scan(acked, KeyRange{}, 0);
    for (size_t i = 0; i < std::min(want.size(), state->size()); ++i) {
      if (want[i] == (*state)[i]) continue;
      ADD_FAILURE() << "first difference at " << want[i].key << ": want "
                    << want[i].value.substr(0, 6) << ", got " << (*state)[i].key << "="
                    << (*state)[i].value.substr(0, 6);
      break;
    }
  }
  run.trace_hash = trace.value();
  return run;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void sweep(const Opener& opener, std::string_view background_file_suffix) {
  const uint64_t seeds = long_run() ? 2000 : 40;
  uint64_t background_crashes = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    CrashRun run = run_crash_seed(opener, seed);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "reproduce: seed " << seed;
      return;
    }
    if (ends_with(run.crashed_op_path, background_file_suffix)) ++background_crashes;
  }
  EXPECT_GT(background_crashes, 0u)
      << "no seed crashed while writing a " << background_file_suffix << " file";
}

TEST(SimCrash, LevelDbKeepsEverySyncedWriteAcrossPowerCuts) { sweep(open_leveldb, ".ldb"); }

TEST(SimCrash, SqliteKeepsEverySyncedWriteAcrossPowerCuts) { sweep(open_sqlite, "/kv.db"); }

TEST(SimDeterminism, SameSeedSameTraceHash) {
  for (const Opener& opener : {Opener(open_leveldb), Opener(open_sqlite)}) {
    for (uint64_t seed : {3u, 4u, 11u}) {
      const CrashRun first = run_crash_seed(opener, seed);
      const CrashRun second = run_crash_seed(opener, seed);
      EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
      EXPECT_EQ(first.crashed_op_path, second.crashed_op_path) << "seed " << seed;
      EXPECT_NE(first.trace_hash, run_crash_seed(opener, seed + 100).trace_hash)
          << "different seeds should drive different runs";
    }
  }
}

}  // namespace
}  // namespace tierkv::testing
