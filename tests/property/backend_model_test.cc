// RapidCheck stateful tests (rc::state) of the Backend contract (engine/backends/backend.h)
// against an ordered-map model, one property per backend kind and Env the contract suite runs
// on: puts, removes, atomic batches, gets and bounded scans over keys with 0x00 and 0xFF
// bytes; close + reopen (every acknowledged write survives); checkpoint (opens to exactly the
// state at checkpoint time); and on SimEnv power cuts, between operations (sync = true: nothing
// acknowledged is lost) and in the middle of a put or batch (all or nothing, nothing else
// touched). A failure prints the shrunk command sequence and RC_PARAMS="reproduce=...";
// RC_PARAMS="max_success=500" runs more sequences; TIERKV_LONG=1 full-length LMDB sequences.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "tests/backends/backend_harness.h"

namespace tierkv::testing {
namespace {

using Model = std::map<std::string, std::string>;

// TIERKV_LONG=1: the long run (see check_backend).
bool long_run() {
  const char* value = std::getenv("TIERKV_LONG");
  return value != nullptr && std::string(value) == "1";
}

template <typename Harness>
struct BackendSut {
  // Power cuts need a SimEnv; LMDB maps real files.
  static constexpr bool kCanCrash = !std::is_same_v<Harness, LmdbHarness> && Harness::kDurable;

  BackendSut() { open_main(); }
  void open_main() {
    Result<std::unique_ptr<Backend>> opened = harness.open(harness.path("db"));
    RC_ASSERT(opened.ok());
    backend = std::move(*opened);
  }
  Harness harness;
  std::unique_ptr<Backend> backend;
  int checkpoints = 0;
};

std::vector<KeyValue> model_scan(const Model& model, const KeyRange& range, size_t limit) {
  std::vector<KeyValue> out;
  for (auto it = model.lower_bound(range.start); it != model.end(); ++it) {
    if (!range.end.empty() && it->first >= range.end) break;
    if (limit != 0 && out.size() == limit) break;
    out.push_back({it->first, it->second});
  }
  return out;
}

void assert_state(Backend& backend, const Model& model) {
  Result<std::vector<KeyValue>> all = backend.scan(KeyRange{}, 0);
  RC_ASSERT(all.ok());
  RC_ASSERT(*all == model_scan(model, KeyRange{}, 0));
}

// Few keys, so commands collide; bytes at the ordering edges (0x00, 0xFF, prefixes).
std::string gen_key() {
  return *rc::gen::element<std::string>("a", "ab", "b", std::string("b\0c", 3), "b\xff",
                                        "\xff", "k1", "k2", "k3");
}
std::string gen_value() {
  return *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 40),
                                          rc::gen::arbitrary<char>());
}

template <typename Harness>
using Command = rc::state::Command<Model, BackendSut<Harness>>;

template <typename Harness>
struct Put : Command<Harness> {
  std::string key = gen_key();
  std::string value = gen_value();
  void apply(Model& m) const override { m[key] = value; }
  void run(const Model&, BackendSut<Harness>& sut) const override {
    RC_ASSERT(sut.backend->put(key, value).ok());
  }
  void show(std::ostream& os) const override { os << "put " << key << " (" << value.size() << "B)"; }
};

template <typename Harness>
struct Remove : Command<Harness> {
  std::string key = gen_key();
  void apply(Model& m) const override { m.erase(key); }
  void run(const Model&, BackendSut<Harness>& sut) const override {
    RC_ASSERT(sut.backend->remove(key).ok());
  }
  void show(std::ostream& os) const override { os << "remove " << key; }
};

WriteBatch gen_batch() {
  WriteBatch batch;
  const size_t size = *rc::gen::inRange<size_t>(1, 6);
  for (size_t i = 0; i < size; ++i) {
    if (*rc::gen::arbitrary<bool>()) {
      batch.put(gen_key(), gen_value());
    } else {
      batch.remove(gen_key());
    }
  }
  return batch;
}

void apply_batch(const WriteBatch& batch, Model* m) {
  for (const BatchOp& op : batch.ops()) {
    if (op.kind == BatchOp::Kind::kPut) {
      (*m)[op.key] = op.value;
    } else {
      m->erase(op.key);
    }
  }
}

template <typename Harness>
struct Batch : Command<Harness> {
  WriteBatch batch = gen_batch();
  void apply(Model& m) const override { apply_batch(batch, &m); }
  void run(const Model&, BackendSut<Harness>& sut) const override {
    RC_ASSERT(sut.backend->write(batch).ok());
  }
  void show(std::ostream& os) const override { os << "batch of " << batch.size(); }
};

template <typename Harness>
struct Get : Command<Harness> {
  std::string key = gen_key();
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    Result<std::string> got = sut.backend->get(key);
    auto it = m.find(key);
    if (it == m.end()) {
      RC_ASSERT(got.status().code() == StatusCode::kNotFound);
    } else {
      RC_ASSERT(got.ok());
      RC_ASSERT(*got == it->second);
    }
  }
  void show(std::ostream& os) const override { os << "get " << key; }
};

template <typename Harness>
struct Scan : Command<Harness> {
  KeyRange range{gen_key(), *rc::gen::arbitrary<bool>() ? std::string() : gen_key()};
  size_t limit = *rc::gen::inRange<size_t>(0, 4);
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    Result<std::vector<KeyValue>> got = sut.backend->scan(range, limit);
    RC_ASSERT(got.ok());
    RC_ASSERT(*got == model_scan(m, range, limit));
  }
  void show(std::ostream& os) const override {
    os << "scan [" << range.start << ", " << range.end << ") limit " << limit;
  }
};

template <typename Harness>
struct Reopen : Command<Harness> {
  void checkPreconditions(const Model&) const override { RC_PRE(Harness::kDurable); }
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    RC_ASSERT(sut.backend->close().ok());
    sut.backend.reset();
    sut.open_main();
    assert_state(*sut.backend, m);
  }
  void show(std::ostream& os) const override { os << "close + reopen"; }
};

// Power cut between operations, then reopen: with sync = true nothing acknowledged is lost.
template <typename Harness>
struct Crash : Command<Harness> {
  void checkPreconditions(const Model&) const override { RC_PRE(BackendSut<Harness>::kCanCrash); }
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    sut.harness.sim_env()->crash();
    sut.backend.reset();  // a dead process closes nothing
    sut.open_main();
    assert_state(*sut.backend, m);
  }
  void show(std::ostream& os) const override { os << "power cut + reopen"; }
};

// A batch cut by a process crash after `env_ops` more Env operations, then a power cut and
// reopen: the recovered state is the state before or after the whole batch (acknowledged:
// after). Then the batch is written again, so the state is the model's "after".
template <typename Harness>
struct CrashInBatch : Command<Harness> {
  WriteBatch batch = gen_batch();
  uint64_t env_ops = *rc::gen::inRange<uint64_t>(0, 12);
  void checkPreconditions(const Model&) const override { RC_PRE(BackendSut<Harness>::kCanCrash); }
  void apply(Model& m) const override { apply_batch(batch, &m); }
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    Model after = m;
    apply_batch(batch, &after);
    sim::SimEnv* env = sut.harness.sim_env();
    env->set_crash_after_ops(env_ops);
    const bool acknowledged = sut.backend->write(batch).ok();
    env->clear_crash_point();
    env->crash();
    sut.backend.reset();
    sut.open_main();
    Result<std::vector<KeyValue>> all = sut.backend->scan(KeyRange{}, 0);
    RC_ASSERT(all.ok());
    const bool is_after = *all == model_scan(after, KeyRange{}, 0);
    RC_ASSERT(is_after || (!acknowledged && *all == model_scan(m, KeyRange{}, 0)));
    if (!is_after) RC_ASSERT(sut.backend->write(batch).ok());
  }
  void show(std::ostream& os) const override {
    os << "batch of " << batch.size() << " cut after " << env_ops << " env ops + power cut";
  }
};

// A checkpoint opens (as the same backend kind) to exactly the state at checkpoint time, also
// after a power cut right after it; the live store carries on unchanged.
template <typename Harness>
struct Checkpoint : Command<Harness> {
  bool crash_after = *rc::gen::arbitrary<bool>();
  void run(const Model& m, BackendSut<Harness>& sut) const override {
    const std::string dir = sut.harness.path("checkpoint" + std::to_string(sut.checkpoints++));
    RC_ASSERT(sut.backend->checkpoint(dir).ok());
    const bool crash = crash_after && BackendSut<Harness>::kCanCrash;
    if (crash) {
      sut.harness.sim_env()->crash();
      sut.backend.reset();
    }
    {
      Result<std::unique_ptr<Backend>> copy = sut.harness.open(dir);
      RC_ASSERT(copy.ok());
      assert_state(**copy, m);
    }
    if (crash) sut.open_main();
    assert_state(*sut.backend, m);
  }
  void show(std::ostream& os) const override {
    os << "checkpoint" << (crash_after ? " + power cut" : "") << " + open it";
  }
};

// length_scale < 1 shortens the command sequences (LMDB fsyncs real files: ~0.5 s per full
// sequence). TIERKV_LONG=1 runs full-length sequences everywhere.
template <typename Harness>
void check_backend(double length_scale = 1.0) {
  if (long_run()) length_scale = 1.0;
  BackendSut<Harness> sut;
  const auto commands = *rc::gen::scale(
      length_scale,
      rc::state::gen::commands(
          Model{}, rc::state::gen::execOneOfWithArgs<
                       Put<Harness>, Remove<Harness>, Batch<Harness>, Get<Harness>,
                       Scan<Harness>, Reopen<Harness>, Crash<Harness>, CrashInBatch<Harness>,
                       Checkpoint<Harness>>()));
  rc::state::runAll(commands, Model{}, sut);
  RC_ASSERT(sut.backend->close().ok());
}

RC_GTEST_PROP(BackendModel, Memory, ()) { check_backend<MemoryHarness>(); }
RC_GTEST_PROP(BackendModel, LevelDbOnSimEnv, ()) { check_backend<LevelDbSimHarness>(); }
RC_GTEST_PROP(BackendModel, SqliteOnSimEnv, ()) { check_backend<SqliteSimHarness>(); }
RC_GTEST_PROP(BackendModel, LmdbOnRealFiles, ()) { check_backend<LmdbHarness>(0.1); }

}  // namespace
}  // namespace tierkv::testing
