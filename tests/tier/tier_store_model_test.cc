// TierStore against a model (RapidCheck rc::state, issue 8): writes, removes, same-key races,
// backup outages and pagination walks on a random tier shape (with/without ephemeral tier,
// sync/async backup). The model is the value every key should read as; after each command the
// call-order table is empty, and at the end (outage healed, mirror flushed, reconcile run)
// backup equals primary and the lock table is empty.
// A failure prints RC_PARAMS="reproduce=..."; RC_PARAMS="max_success=1000" runs more cases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

struct Model {
  std::map<std::string, std::string> values;  // lock_key -> value of every present key
  bool outage = false;                        // backup refuses mutations
};

struct Sut {
  TierRig& rig;
  TierShape shape;
};

using Cmd = rc::state::Command<Model, Sut>;

StoreKey gen_key() {
  const auto ns = *rc::gen::element(std::pair<std::string, std::string>{"", ""},
                                    std::pair<std::string, std::string>{"a", ""},
                                    std::pair<std::string, std::string>{"a", "b"});
  const std::string key =
      *rc::gen::element<std::string>("k0", "k1", "k2", "network_graph", "scorer");
  return skey(ns.first, ns.second, key);
}

// Whether a failing backup makes this call fail: durable keys in sync mode.
bool backup_failure_visible(const Sut& s, const StoreKey& k) {
  if (!s.shape.backup || s.shape.mode == BackupMode::kAsync) return false;
  return !s.rig.store->is_ephemeral(k);
}

struct Mutate : Cmd {
  StoreKey key = gen_key();
  bool remove = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  std::string value = "v" + std::to_string(*rc::gen::inRange(0, 1000));

  void apply(Model& m) const override {
    // A backup failure is reported, but primary (what reads see) did apply it.
    if (remove) {
      m.values.erase(lock_key(key));
    } else {
      m.values[lock_key(key)] = value;
    }
  }
  void run(const Model& m, Sut& s) const override {
    Status st = remove ? s.rig.sync(s.rig.store->remove(key, false))
                       : s.rig.sync(s.rig.store->write(key, value));
    if (m.outage && backup_failure_visible(s, key)) {
      RC_ASSERT(st.is_unavailable());
      RC_ASSERT(st.message().find("backup") != std::string::npos);
    } else {
      RC_ASSERT(st.ok());
    }
    RC_ASSERT(s.rig.store->pending_call_keys() == 0u);
  }
  void show(std::ostream& os) const override {
    os << (remove ? "remove " : "write ") << key.to_string() << (remove ? "" : " = " + value);
  }
};

struct Read : Cmd {
  StoreKey key = gen_key();
  void run(const Model& m, Sut& s) const override {
    Result<std::string> r = s.rig.sync(s.rig.store->read(key));
    auto expected = m.values.find(lock_key(key));
    if (expected == m.values.end()) {
      RC_ASSERT(r.status().is_not_found());
    } else {
      RC_ASSERT(r.ok());
      RC_ASSERT(*r == expected->second);
    }
  }
  void show(std::ostream& os) const override { os << "read " << key.to_string(); }
};

// Two calls on one key started together: the later call decides, whatever runs first.
struct Race : Cmd {
  StoreKey key = gen_key();
  bool first_removes = *rc::gen::arbitrary<bool>();
  bool second_removes = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  std::string first_value = "r" + std::to_string(*rc::gen::inRange(0, 100));
  std::string second_value = "s" + std::to_string(*rc::gen::inRange(0, 100));

  void checkPreconditions(const Model& m) const override { RC_PRE(!m.outage); }
  void apply(Model& m) const override {
    if (second_removes) {
      m.values.erase(lock_key(key));
    } else {
      m.values[lock_key(key)] = second_value;
    }
  }
  bool second_runs_first = *rc::gen::arbitrary<bool>();  // else both run concurrently

  void run(const Model&, Sut& s) const override {
    TierStore& store = *s.rig.store;
    std::optional<Status> a, b;
    Task<Status> first = first_removes ? store.remove(key, true) : store.write(key, first_value);
    Task<Status> second =
        second_removes ? store.remove(key, false) : store.write(key, second_value);
    if (second_runs_first) {
      b = s.rig.sync(std::move(second));
      a = s.rig.sync(std::move(first));
    } else {
      spawn_into(s.rig.executor(), std::move(first), &a);
      spawn_into(s.rig.executor(), std::move(second), &b);
    }
    RC_ASSERT(s.rig.sim.executor.run_until([&] { return a.has_value() && b.has_value(); }));
    RC_ASSERT(a->ok());
    RC_ASSERT(b->ok());
    RC_ASSERT(store.pending_call_keys() == 0u);
  }
  void show(std::ostream& os) const override {
    os << "race on " << key.to_string() << ": " << (first_removes ? "remove" : first_value)
       << " then " << (second_removes ? "remove" : second_value)
       << (second_runs_first ? " (the second runs first)" : " (concurrently)");
  }
};

struct Outage : Cmd {
  bool start = *rc::gen::arbitrary<bool>();
  void apply(Model& m) const override { m.outage = start; }
  void run(const Model&, Sut& s) const override { s.rig.backup.fail_mutations = start; }
  void show(std::ostream& os) const override {
    os << (start ? "backup outage starts" : "backup heals");
  }
};

// A page walk and list() both return exactly the model's keys of the namespace, each once.
struct Walk : Cmd {
  bool root = *rc::gen::arbitrary<bool>();
  void run(const Model& m, Sut& s) const override {
    const std::string p = root ? "" : "a";
    std::set<std::string> expected;
    for (const auto& [lock, value] : m.values) {
      if (lock.rfind(p + "//", 0) == 0) expected.insert(lock.substr(p.size() + 2));
    }
    std::multiset<std::string> seen;
    std::optional<std::string> token;
    for (int round = 0; round < 50; ++round) {
      Result<ListPage> page = s.rig.sync(s.rig.store->list_page(p, "", token));
      RC_ASSERT(page.ok());
      RC_ASSERT(page->keys.size() <= kListPageSizeMax);
      seen.insert(page->keys.begin(), page->keys.end());
      if (!page->next_token) break;
      token = page->next_token;
    }
    RC_ASSERT(std::set<std::string>(seen.begin(), seen.end()) == expected);
    RC_ASSERT(seen.size() == expected.size());
    Result<std::vector<std::string>> listed = s.rig.sync(s.rig.store->list(p, ""));
    RC_ASSERT(listed.ok());
    RC_ASSERT(std::set<std::string>(listed->begin(), listed->end()) == expected);
  }
  void show(std::ostream& os) const override { os << "walk " << (root ? "\"\"/\"\"" : "a/\"\""); }
};

RC_GTEST_PROP(TierStoreModel, MatchesTheModelThroughRacesOutagesAndWalks, ()) {
  TierShape shape;
  shape.ephemeral = *rc::gen::arbitrary<bool>();
  shape.backup = true;
  shape.mode = *rc::gen::arbitrary<bool>() ? BackupMode::kAsync : BackupMode::kSync;
  sim::SimExecutorOptions latencies;
  latencies.latency_us_max = *rc::gen::inRange<uint64_t>(0, 60);
  latencies.blocking_latency_us_max = *rc::gen::inRange<uint64_t>(0, 60);
  TierRig rig(*rc::gen::arbitrary<uint64_t>(), shape, TierRig::no_startup(), latencies);
  Sut sut{rig, shape};
  rc::state::check(Model{}, sut,
                   rc::state::gen::execOneOfWithArgs<Mutate, Mutate, Read, Race, Outage, Walk>());
  // Heal, drain, reconcile: backup equals primary, nothing is left in flight.
  rig.backup.fail_mutations = false;
  rig.sync(rig.store->flush_backup());
  RC_ASSERT(rig.sync(rig.store->reconcile()).ok());
  RC_ASSERT(rig.sync(dump_store(rig.backup_raw.store.get())) ==
            rig.sync(dump_store(rig.primary_raw.store.get())));
  if (shape.ephemeral) {  // routing: no ephemeral key ever reached primary or backup
    for (const char* name : {"network_graph", "scorer"}) {
      RC_ASSERT(rig.sync(rig.primary_raw.store->read(skey("", "", name))).status().is_not_found());
    }
  }
  RC_ASSERT(rig.store->idle());
  RC_ASSERT(rig.store->lock_table_size() == 0u);
}

}  // namespace
}  // namespace tierkv::testing
