// TierStore listing: the seed's shared-namespace bug (("", "") listing only ephemeral keys)
// cannot come back, stale primary copies of ephemeral keys are hidden, an ephemeral outage only
// affects namespaces that can hold ephemeral keys, page walks equal list() with every key once
// (also under concurrent changes, RapidCheck on memory tiers), and malformed tokens are
// InvalidArgument. The example tests run with every tier on each of memory, leveldb and sqlite
// (SimEnv); lmdb joins them when TIERKV_LONG=1 is set (it fsyncs every write on the real disk:
// ~14 s for this suite alone; the contract matrix in tier_store_test.cc covers lmdb's list()).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/tier/tier_harness.h"

namespace tierkv::testing {
namespace {

const TierShape kEphemeralAndBackup{true, true, BackupMode::kSync};

// Each test runs with all three tiers on the backend named by the parameter.
class TierStoreList : public ::testing::TestWithParam<std::string> {
 protected:
  static TierBackends backends() { return TierBackends::all(GetParam()); }
};

struct Walk {
  std::vector<std::vector<std::string>> pages;
  std::vector<std::string> all() const {
    std::vector<std::string> keys;
    for (const auto& page : pages) keys.insert(keys.end(), page.begin(), page.end());
    return keys;
  }
};

Walk walk(TierRig& rig, const std::string& p, const std::string& s) {
  Walk w;
  std::optional<std::string> token;
  for (int round = 0; round < 1000; ++round) {
    Result<ListPage> page = rig.sync(rig.store->list_page(p, s, token));
    EXPECT_TRUE(page.ok()) << page.status().to_string();
    if (!page.ok()) break;
    EXPECT_LE(page->keys.size(), kListPageSizeMax);
    w.pages.push_back(page->keys);
    if (!page->next_token) break;
    token = page->next_token;
  }
  return w;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> list(TierRig& rig, const std::string& p, const std::string& s) {
  Result<std::vector<std::string>> keys = rig.sync(rig.store->list(p, s));
  EXPECT_TRUE(keys.ok()) << keys.status().to_string();
  return keys.ok() ? *keys : std::vector<std::string>{};
}

// Regression for the seed's listing bug: with an ephemeral tier, ("", "") returned only the
// ephemeral keys and durable keys of that shared namespace vanished from list and pages.
TEST_P(TierStoreList, SharedRootNamespaceListsDurableAndEphemeralKeys) {
  TierRig rig(1, kEphemeralAndBackup, TierRig::no_startup(), {}, backends());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "manager"), "m")).ok());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "network_graph"), "g")).ok());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "scorer"), "s")).ok());
  const std::vector<std::string> expected{"manager", "network_graph", "scorer"};
  EXPECT_EQ(list(rig, "", ""), expected);
  Walk w = walk(rig, "", "");
  ASSERT_EQ(w.pages.size(), 1u);
  EXPECT_EQ(w.pages[0].front(), "manager");  // primary first, ephemeral appended after it
  EXPECT_EQ(sorted(w.all()), expected);
}

TEST_P(TierStoreList, StalePrimaryCopiesOfEphemeralKeysAreHidden) {
  TierRig rig(2, kEphemeralAndBackup, TierRig::no_startup(), {}, backends());
  // Left in primary by a configuration without an ephemeral tier.
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->write(skey("", "", "network_graph"), "old")).ok());
  ASSERT_TRUE(rig.sync(rig.primary_raw.store->write(skey("", "", "scorer"), "old")).ok());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "scorer"), "new")).ok());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "chan"), "c")).ok());
  EXPECT_EQ(list(rig, "", ""), (std::vector<std::string>{"chan", "scorer"}));
  EXPECT_EQ(sorted(walk(rig, "", "").all()), (std::vector<std::string>{"chan", "scorer"}));
  EXPECT_EQ(rig.sync(rig.store->read(skey("", "", "scorer"))).value(), "new");
  EXPECT_TRUE(rig.sync(rig.store->read(skey("", "", "network_graph"))).status().is_not_found());
}

TEST_P(TierStoreList, AnEphemeralOutageOnlyAffectsNamespacesThatCanHoldEphemeralKeys) {
  TierRig rig(3, kEphemeralAndBackup, TierRig::no_startup(), {}, backends());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("payments", "", "p1"), "v")).ok());
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "manager"), "m")).ok());
  rig.ephemeral.fail_lists = true;
  rig.ephemeral.fail_reads = true;
  EXPECT_EQ(list(rig, "payments", ""), std::vector<std::string>{"p1"});
  EXPECT_EQ(walk(rig, "payments", "").all(), std::vector<std::string>{"p1"});
  Result<std::vector<std::string>> root = rig.sync(rig.store->list("", ""));
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.status().message().find("ephemeral"), std::string::npos)
      << root.status().to_string();
  EXPECT_EQ(rig.sync(rig.store->read(skey("", "", "manager"))).value(), "m");
  EXPECT_EQ(rig.backup.lists_seen + rig.backup.reads_seen, 0u);
}

TEST_P(TierStoreList, PagesConcatenateToListWithEphemeralKeysOnTheLastPages) {
  for (int durable : {0, 1, 49, 50, 51, 120}) {
    TierRig rig(4 + durable, kEphemeralAndBackup, TierRig::no_startup(), {}, backends());
    std::vector<std::string> expected{"network_graph", "scorer"};
    for (int i = 0; i < durable; ++i) {
      const std::string name = "k" + std::to_string(i);
      ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", name), "v")).ok());
      expected.push_back(name);
    }
    ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "scorer"), "s")).ok());
    ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "network_graph"), "g")).ok());
    Walk w = walk(rig, "", "");
    std::vector<std::string> all = w.all();
    EXPECT_EQ(sorted(all), sorted(expected)) << durable << " durable keys";
    EXPECT_EQ(sorted(list(rig, "", "")), sorted(expected));
    ASSERT_GE(all.size(), 2u);
    // The ephemeral keys come last, ascending; primary's newest-created first before them.
    EXPECT_EQ(all[all.size() - 2], "network_graph");
    EXPECT_EQ(all.back(), "scorer");
    if (durable > 0) {
      EXPECT_EQ(all.front(), "k" + std::to_string(durable - 1));
    }
  }
}

TEST_P(TierStoreList, ManyEphemeralKeysPageInTheEphemeralPhase) {
  TierStoreOptions options = TierRig::no_startup();
  options.ephemeral_rules.clear();
  for (int i = 0; i < 70; ++i) options.ephemeral_rules.push_back({"cache", "", "e" + std::to_string(i)});
  TierRig rig(5, kEphemeralAndBackup, options, {}, backends());
  std::vector<std::string> expected;
  for (int i = 0; i < 70; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(skey("cache", "", "e" + std::to_string(i)), "v")).ok());
    expected.push_back("e" + std::to_string(i));
  }
  ASSERT_TRUE(rig.sync(rig.store->write(skey("cache", "", "durable"), "d")).ok());
  expected.push_back("durable");
  EXPECT_EQ(rig.sync(rig.primary_raw.store->list("cache", "")).value(),
            std::vector<std::string>{"durable"});
  Walk w = walk(rig, "cache", "");
  ASSERT_EQ(w.pages.size(), 2u);
  EXPECT_EQ(w.pages[0].size(), kListPageSizeMax);
  EXPECT_EQ(sorted(w.all()), sorted(expected));
  EXPECT_EQ(w.all().size(), expected.size());  // each once
}

TEST_P(TierStoreList, MalformedOrForeignTokensAreInvalidArgument) {
  TierRig rig(6, kEphemeralAndBackup, TierRig::no_startup(), {}, backends());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "k" + std::to_string(i)), "v")).ok());
    ASSERT_TRUE(rig.sync(rig.store->write(skey("other", "", "k" + std::to_string(i)), "v")).ok());
  }
  ASSERT_TRUE(rig.sync(rig.store->write(skey("", "", "scorer"), "s")).ok());
  Result<ListPage> first = rig.sync(rig.store->list_page("", "", std::nullopt));
  ASSERT_TRUE(first.ok() && first->next_token.has_value());
  Result<ListPage> other_first = rig.sync(rig.store->list_page("other", "", std::nullopt));
  ASSERT_TRUE(other_first.ok() && other_first->next_token.has_value());
  std::vector<std::string> bad = {"", "x", "zzz", "p", "pnothex", "e", "e00", "enothex",
                                  *other_first->next_token};  // another namespace's token
  std::string flipped = *first->next_token;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  bad.push_back(flipped);
  // An ephemeral-phase token: take a walk of ("", "") with a full primary last page.
  for (const std::string& token : bad) {
    Result<ListPage> page = rig.sync(rig.store->list_page("", "", token));
    EXPECT_TRUE(page.status().is_invalid_argument()) << "token '" << token << "': "
                                                     << page.status().to_string();
  }
  // An 'e' token is scoped to its namespace pair and refused where no ephemeral keys live.
  TierStoreOptions options = TierRig::no_startup();
  options.ephemeral_rules = {{"", std::nullopt, "scorer"}, {"other", std::nullopt, "e0"}};
  TierRig eph(7, kEphemeralAndBackup, options, {}, backends());
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(eph.sync(eph.store->write(skey("", "", "k" + std::to_string(i)), "v")).ok());
  }
  ASSERT_TRUE(eph.sync(eph.store->write(skey("", "", "scorer"), "s")).ok());
  Result<ListPage> full = eph.sync(eph.store->list_page("", "", std::nullopt));
  ASSERT_TRUE(full.ok() && full->next_token && (*full->next_token)[0] == 'e');
  EXPECT_TRUE(eph.sync(eph.store->list_page("other", "", full->next_token))
                  .status().is_invalid_argument());
  EXPECT_TRUE(eph.sync(eph.store->list_page("nothing", "", full->next_token))
                  .status().is_invalid_argument());
  Result<ListPage> rest = eph.sync(eph.store->list_page("", "", full->next_token));
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->keys, std::vector<std::string>{"scorer"});
  EXPECT_FALSE(rest->next_token.has_value());
}

std::vector<std::string> list_backends() {
  std::vector<std::string> names;
  for (const std::string& name : backend_names()) {
    if (name != "lmdb" || long_tests()) names.push_back(name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(EveryBackend, TierStoreList, ::testing::ValuesIn(list_backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Random key sets (durable and ephemeral) and a page walk with random writes and removes
// between pages: no key twice, every key present for the whole walk exactly once, and without
// changes the walk equals list().
RC_GTEST_PROP(TierStoreListProperty, PageWalksReturnEachStableKeyExactlyOnce, ()) {
  const int initial = *rc::gen::inRange(0, 130);
  const auto changes = *rc::gen::container<std::vector<std::pair<int, int>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::inRange(0, 160)));
  const bool with_ephemeral = *rc::gen::arbitrary<bool>();
  TierRig rig(static_cast<uint64_t>(initial) + 1, TierShape{true, true, BackupMode::kSync});
  auto name_of = [](int i) {
    return i == 0 ? std::string("network_graph") : i == 1 ? std::string("scorer")
                                                          : "k" + std::to_string(i);
  };
  std::set<std::string> present;
  for (int i = with_ephemeral ? 0 : 2; i < initial; ++i) {
    RC_ASSERT(rig.sync(rig.store->write(skey("", "", name_of(i)), "v")).ok());
    present.insert(name_of(i));
  }
  Walk still = walk(rig, "", "");
  RC_ASSERT(sorted(still.all()) == std::vector<std::string>(present.begin(), present.end()));
  RC_ASSERT(sorted(still.all()) == list(rig, "", ""));
  std::set<std::string> stable = present;
  std::multiset<std::string> seen;
  std::optional<std::string> token;
  size_t change = 0;
  for (int round = 0; round < 100; ++round) {
    Result<ListPage> page = rig.sync(rig.store->list_page("", "", token));
    RC_ASSERT(page.ok());
    RC_ASSERT(page->keys.size() <= kListPageSizeMax);
    seen.insert(page->keys.begin(), page->keys.end());
    if (!page->next_token) break;
    token = page->next_token;
    for (int i = 0; i < 9 && change < changes.size(); ++i, ++change) {
      const std::string name = name_of(changes[change].second);
      stable.erase(name);
      const StoreKey k = skey("", "", name);
      if (changes[change].first == 0) {
        RC_ASSERT(rig.sync(rig.store->remove(k, false)).ok());
      } else {
        RC_ASSERT(rig.sync(rig.store->write(k, "w")).ok());
      }
    }
  }
  for (const std::string& key : seen) RC_ASSERT(seen.count(key) == 1u);
  for (const std::string& key : stable) RC_ASSERT(seen.count(key) == 1u);
  RC_ASSERT(rig.store->idle());
}

}  // namespace
}  // namespace tierkv::testing
