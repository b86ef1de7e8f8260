// BackendKvStore: the KvStore contract over a memory backend — validation before I/O, round
// trips, key-ordered list, creation-ordered pages with checked tokens, call order, record
// versions (CAS, atomic batches), persistence of the sequence counter, corrupt records, group
// commit of concurrent writers.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "engine/backends/fault_injecting_backend.h"
#include "engine/tier/backend_layout.h"
#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

class BackendKvStoreTest : public ::testing::Test {
 protected:
  SimRig rig{7};
  MemoryStore mem{rig.executor};
  BackendKvStore& store = *mem.store;

  Status write(const StoreKey& k, std::string v) { return rig.sync(store.write(k, std::move(v))); }
  Result<std::string> read(const StoreKey& k) { return rig.sync(store.read(k)); }
  std::vector<std::string> list(std::string p, std::string s) {
    Result<std::vector<std::string>> keys = rig.sync(store.list(std::move(p), std::move(s)));
    EXPECT_TRUE(keys.ok()) << keys.status().to_string();
    return keys.ok() ? *keys : std::vector<std::string>{};
  }
  // Every page of a walk, checking page bounds and that only the last page lacks a token.
  std::vector<std::vector<std::string>> walk(const std::string& p, const std::string& s) {
    std::vector<std::vector<std::string>> pages;
    std::optional<std::string> token;
    for (int round = 0; round < 1000; ++round) {
      Result<ListPage> page = rig.sync(store.list_page(p, s, token));
      EXPECT_TRUE(page.ok()) << page.status().to_string();
      if (!page.ok()) break;
      EXPECT_LE(page->keys.size(), kListPageSizeMax);
      pages.push_back(page->keys);
      if (!page->next_token) break;
      token = page->next_token;
    }
    return pages;
  }
};

TEST_F(BackendKvStoreTest, RoundTripReadMissingRemoveMissingAndUnknownNamespace) {
  const StoreKey k = skey("payments", "sub", "p1");
  EXPECT_TRUE(read(k).status().is_not_found());
  ASSERT_TRUE(write(k, "v1").ok());
  EXPECT_EQ(read(k).value(), "v1");
  ASSERT_TRUE(write(k, "v2").ok());
  EXPECT_EQ(read(k).value(), "v2");
  EXPECT_TRUE(rig.sync(store.remove(k, false)).ok());
  EXPECT_TRUE(read(k).status().is_not_found());
  EXPECT_TRUE(rig.sync(store.remove(k, true)).ok());  // removing a missing key succeeds
  EXPECT_TRUE(list("nobody", "here").empty());
  ASSERT_TRUE(write(skey("", "", "root"), "r").ok());
  EXPECT_EQ(list("", ""), std::vector<std::string>{"root"});
  EXPECT_EQ(store.lock_table_size(), 0u);
  EXPECT_EQ(store.pending_call_keys(), 0u);
}

TEST_F(BackendKvStoreTest, InvalidKeysAreRefusedBeforeAnyIo) {
  const std::string part120(120, 'a');
  const std::string part121(121, 'a');
  const std::vector<StoreKey> bad = {skey("ns", "", "bad key"),   skey("n/s", "", "k"),
                                     skey("ns", "s.x", "k"),      skey(part121, "", "k"),
                                     skey("ns", part121, "k"),    skey("ns", "", part121),
                                     skey("ns", "", ""),          skey("", "sec", "k")};
  for (const StoreKey& k : bad) {
    EXPECT_TRUE(write(k, "v").is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(rig.sync(store.remove(k, false)).is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(read(k).status().is_invalid_argument()) << k.to_string();
    EXPECT_TRUE(rig.sync(store.compare_and_swap(k, 0, "v")).status().is_invalid_argument());
  }
  EXPECT_EQ(mem.backend->size(), 0u);  // nothing reached the backend
  for (auto [p, s] : std::vector<std::pair<std::string, std::string>>{
           {"", "sec"}, {part121, ""}, {"ns", part121}, {"n s", ""}}) {
    EXPECT_TRUE(rig.sync(store.list(p, s)).status().is_invalid_argument()) << p << "/" << s;
    EXPECT_TRUE(rig.sync(store.list_page(p, s, std::nullopt)).status().is_invalid_argument());
  }
  const StoreKey longest = skey(part120, part120, part120);
  ASSERT_TRUE(write(longest, "ok").ok());
  EXPECT_EQ(read(longest).value(), "ok");
  EXPECT_EQ(list(part120, part120), std::vector<std::string>{part120});
}

TEST_F(BackendKvStoreTest, ListIsKeyOrderedAndPagesAreNewestCreatedFirst) {
  for (const char* k : {"b", "c", "a"}) ASSERT_TRUE(write(skey("ns", "", k), k).ok());
  EXPECT_EQ(list("ns", ""), (std::vector<std::string>{"a", "b", "c"}));
  auto pages = walk("ns", "");
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0], (std::vector<std::string>{"a", "c", "b"}));
  ASSERT_TRUE(write(skey("ns", "", "b"), "updated").ok());  // an update keeps b's place
  EXPECT_EQ(walk("ns", "")[0], (std::vector<std::string>{"a", "c", "b"}));
  ASSERT_TRUE(rig.sync(store.remove(skey("ns", "", "b"), false)).ok());
  ASSERT_TRUE(write(skey("ns", "", "b"), "again").ok());  // re-created: newest
  EXPECT_EQ(walk("ns", "")[0], (std::vector<std::string>{"b", "a", "c"}));
}

TEST_F(BackendKvStoreTest, PagesHoldAtMostFiftyAndConcatenateToList) {
  for (int i = 0; i < 123; ++i) ASSERT_TRUE(write(skey("big", "x", "k" + std::to_string(i)), "v").ok());
  ASSERT_TRUE(write(skey("big", "y", "other"), "v").ok());  // another pair stays out
  auto pages = walk("big", "x");
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0].size(), 50u);
  EXPECT_EQ(pages[1].size(), 50u);
  EXPECT_EQ(pages[2].size(), 23u);
  std::multiset<std::string> seen;
  for (const auto& page : pages) seen.insert(page.begin(), page.end());
  std::vector<std::string> listed = list("big", "x");
  EXPECT_EQ(std::vector<std::string>(seen.begin(), seen.end()), listed);
  EXPECT_EQ(pages[0].front(), "k122");
  // Exactly 50 keys: one page, no token.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(write(skey("fifty", "", "k" + std::to_string(i)), "v").ok());
  Result<ListPage> one = rig.sync(store.list_page("fifty", "", std::nullopt));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->keys.size(), 50u);
  EXPECT_FALSE(one->next_token.has_value());
}

TEST_F(BackendKvStoreTest, TokensAreCheckedAndResumeAfterADeletedEntry) {
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(write(skey("ns", "", "k" + std::to_string(i)), "v").ok());
  Result<ListPage> first = rig.sync(store.list_page("ns", "", std::nullopt));
  ASSERT_TRUE(first.ok() && first->next_token);
  const std::string token = *first->next_token;
  // The token's own entry (the last key of page one) goes away: the walk resumes after it.
  ASSERT_TRUE(rig.sync(store.remove(skey("ns", "", first->keys.back()), false)).ok());
  Result<ListPage> second = rig.sync(store.list_page("ns", "", token));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->keys.size(), 10u);
  EXPECT_EQ(second->keys.front(), "k9");
  EXPECT_FALSE(second->next_token);

  std::string flipped = token;
  flipped[5] = flipped[5] == '0' ? '1' : '0';
  for (const std::string& bad : {std::string("garbage"), std::string(""), token + "00",
                                 token.substr(1), flipped, std::string("zz") + token.substr(2)}) {
    Result<ListPage> page = rig.sync(store.list_page("ns", "", bad));
    EXPECT_TRUE(page.status().is_invalid_argument()) << bad;
    EXPECT_NE(page.status().message().find("page token"), std::string::npos);
  }
  Result<ListPage> other = rig.sync(store.list_page("ns", "other", token));
  EXPECT_TRUE(other.status().is_invalid_argument());
  EXPECT_NE(other.status().message().find("another namespace pair"), std::string::npos);
}

TEST_F(BackendKvStoreTest, ANewerCompletedWriteIsNeverOverwrittenByAnOlderOne) {
  const StoreKey k = skey("ns", "", "hot");
  Task<Status> a = store.write(k, "A");  // called first
  Task<Status> b = store.write(k, "B");  // called second, run first
  EXPECT_TRUE(rig.sync(std::move(b)).ok());
  EXPECT_TRUE(rig.sync(std::move(a)).ok());  // stale: OK, not applied
  EXPECT_EQ(read(k).value(), "B");
  EXPECT_EQ(store.stale_skipped(), 1u);

  Task<Status> r = store.remove(k, false);
  Task<Status> w = store.write(k, "W");
  EXPECT_TRUE(rig.sync(std::move(w)).ok());
  EXPECT_TRUE(rig.sync(std::move(r)).ok());
  EXPECT_EQ(read(k).value(), "W");  // the remove came first in call order: the write wins
  ASSERT_TRUE(rig.sync(store.remove(k, false)).ok());
  ASSERT_TRUE(write(k, "after-remove").ok());
  EXPECT_EQ(read(k).value(), "after-remove");
  EXPECT_EQ(store.lock_table_size(), 0u);
  EXPECT_EQ(store.pending_call_keys(), 0u);
}

// Concurrent writes/removes on a few hot keys, run with seeded latencies: each key ends as the
// last call made on it left it, and the lock table and call-order table end empty.
RC_GTEST_PROP(BackendKvStoreProperty, ConcurrentCallsTakeEffectInCallOrder, ()) {
  const auto seed = *rc::gen::arbitrary<uint64_t>();
  const auto ops = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(-1, 5)));
  SimRig rig(seed);
  MemoryStore mem(rig.executor);
  std::map<int, int> expected;  // key -> value; -1 removes
  std::vector<std::optional<Status>> results(ops.size());
  std::vector<Task<Status>> tasks;
  for (const auto& [key, value] : ops) {
    const StoreKey k = skey("hot", "", "k" + std::to_string(key));
    tasks.push_back(value < 0 ? mem.store->remove(k, false)
                              : mem.store->write(k, "v" + std::to_string(value)));
    expected[key] = value;
  }
  // Spawned in a seeded shuffle, so later calls often start first.
  std::vector<size_t> order(tasks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rig.prng.uniform(i)]);
  for (size_t i : order) spawn_into(rig.executor, std::move(tasks[i]), &results[i]);
  rig.executor.run_until_idle();
  for (const auto& r : results) RC_ASSERT(r.has_value() && r->ok());
  for (const auto& [key, value] : expected) {
    Result<std::string> got = rig.sync(mem.store->read(skey("hot", "", "k" + std::to_string(key))));
    if (value < 0) {
      RC_ASSERT(got.status().is_not_found());
    } else {
      RC_ASSERT(got.ok() && *got == "v" + std::to_string(value));
    }
  }
  RC_ASSERT(mem.store->lock_table_size() == 0u);
  RC_ASSERT(mem.store->pending_call_keys() == 0u);
}


// A store over a memory backend whose write() calls are counted and can be made to fail.
struct GroupRig {
  explicit GroupRig(uint64_t seed)
      : rig(seed),
        backend(std::move(MemoryBackend::open(BackendOptions{}).value()),
                [this](std::string_view op, std::string_view) {
                  if (op != "write") return Status();
                  ++backend_writes;
                  return fail_writes ? Status::io_error("injected write failure") : Status();
                }),
        store(backend, rig.executor) {}
  // Runs one write per key (and the given removes) concurrently; returns each call's status.
  std::vector<Status> run_concurrently(const std::vector<std::string>& writes,
                                       const std::vector<std::string>& removes = {}) {
    std::vector<std::optional<Status>> done(writes.size() + removes.size());
    for (size_t i = 0; i < writes.size(); ++i) {
      spawn_into(rig.executor, store.write(skey("g", "", writes[i]), "v-" + writes[i]), &done[i]);
    }
    for (size_t i = 0; i < removes.size(); ++i) {
      spawn_into(rig.executor, store.remove(skey("g", "", removes[i]), false),
                 &done[writes.size() + i]);
    }
    EXPECT_TRUE(rig.executor.run_until([&] {
      for (const std::optional<Status>& d : done) {
        if (!d.has_value()) return false;
      }
      return true;
    }));
    std::vector<Status> statuses;
    for (const std::optional<Status>& d : done) statuses.push_back(d.value_or(Status()));
    return statuses;
  }

  SimRig rig;
  uint64_t backend_writes = 0;
  bool fail_writes = false;
  FaultInjectingBackend backend;
  BackendKvStore store;
};

// Writers that arrive while another waits for the backend share one atomic backend write; each
// is acknowledged, and every value (and the remove) is there afterwards. A lone writer still
// gets a backend write of its own.
TEST(BackendKvStoreGroupCommit, ConcurrentWritesShareBackendWritesAndAllTakeEffect) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GroupRig g(seed);
    ASSERT_TRUE(g.rig.sync(g.store.write(skey("g", "", "solo"), "s")).ok());
    EXPECT_EQ(g.backend_writes, 1u);
    const std::vector<std::string> keys = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
    for (const Status& st : g.run_concurrently(keys, {"solo"})) {
      EXPECT_TRUE(st.ok()) << st.to_string();
    }
    // The first caller finds the backend free and writes alone; the rest queue behind it.
    EXPECT_GE(g.backend_writes - 1, 2u);
    EXPECT_LT(g.backend_writes - 1, 9u) << "nine concurrent calls, one backend write each";
    for (const std::string& key : keys) {
      EXPECT_EQ(g.rig.sync(g.store.read(skey("g", "", key))).value(), "v-" + key);
    }
    EXPECT_TRUE(g.rig.sync(g.store.read(skey("g", "", "solo"))).status().is_not_found());
    EXPECT_EQ(g.store.lock_table_size(), 0u);
    EXPECT_EQ(g.store.pending_call_keys(), 0u);
  }
}

// A group whose backend write fails fails every member (each naming its own key) and applies
// none of them; the failed calls never completed, so later calls on those keys apply.
TEST(BackendKvStoreGroupCommit, AFailedGroupWriteFailsEveryMemberAndAppliesNone) {
  GroupRig g(3);
  g.fail_writes = true;
  const std::vector<std::string> keys = {"a", "b", "c", "d", "e"};
  const std::vector<Status> statuses = g.run_concurrently(keys);
  EXPECT_LT(g.backend_writes, keys.size()) << "the writes were not grouped";
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_TRUE(statuses[i].is_io_error()) << statuses[i].to_string();
    EXPECT_NE(statuses[i].message().find("write of g//" + keys[i]), std::string::npos)
        << statuses[i].to_string();
    EXPECT_TRUE(g.rig.sync(g.store.read(skey("g", "", keys[i]))).status().is_not_found());
  }
  g.fail_writes = false;
  for (const Status& st : g.run_concurrently(keys)) EXPECT_TRUE(st.ok()) << st.to_string();
  for (const std::string& key : keys) {
    EXPECT_EQ(g.rig.sync(g.store.read(skey("g", "", key))).value(), "v-" + key);
  }
  EXPECT_EQ(g.store.lock_table_size(), 0u);
  EXPECT_EQ(g.store.pending_call_keys(), 0u);
}

}  // namespace
}  // namespace tierkv::testing
