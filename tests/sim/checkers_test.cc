// Every checker must fire on a crafted bad history and stay quiet on a good one: a checker
// that cannot fail proves nothing.
#include "sim/checkers.h"

#include <gtest/gtest.h>

namespace tierkv::sim {
namespace {

const StoreKey kKey{"app", "", "k1"};

class CheckersTest : public ::testing::Test {
 protected:
  uint64_t acked_write(std::string value) {
    const uint64_t id = model_.begin(0, 0, "write", kKey, std::move(value), true, true, 0);
    model_.complete(id, Status::ok_status(), 1);
    return id;
  }
  const Violation& only_violation(const char* invariant) {
    EXPECT_EQ(violations_.size(), 1u);
    EXPECT_EQ(violations_.back().invariant, invariant);
    return violations_.back();
  }

  Model model_;
  RunStats stats_;
  std::vector<Violation> violations_;
  Checkers checkers_{model_, &stats_, &violations_};
};

TEST_F(CheckersTest, RecoveryFiresOnAValueOlderThanAnAckedWrite) {
  acked_write("old");
  acked_write("new");
  EXPECT_TRUE(checkers_.recovered_value(kKey, std::string("new"), false));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.recovered_value(kKey, std::string("old"), false));
  const Violation& v = only_violation(kCheckRecovery);
  EXPECT_NE(v.message.find("'old'"), std::string::npos);
  EXPECT_NE(v.history.find("'new'"), std::string::npos);  // the history names the lost write
  EXPECT_EQ(stats_.invariants_checked.at(kCheckRecovery), 2u);
}

TEST_F(CheckersTest, RecoveryFiresOnALostWriteAndOnAPhantom) {
  acked_write("v");
  EXPECT_FALSE(checkers_.recovered_value(kKey, std::nullopt, false));
  EXPECT_FALSE(checkers_.recovered_value(kKey, std::string("nobody wrote this"), false));
  EXPECT_EQ(violations_.size(), 2u);
}

TEST_F(CheckersTest, RecoveryChecksVersionsAndLtHash) {
  EXPECT_TRUE(checkers_.version_monotonic(5, 5, "primary"));
  EXPECT_TRUE(checkers_.lt_hash_matches("ab", "ab", 5));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.version_monotonic(5, 4, "primary"));
  EXPECT_FALSE(checkers_.lt_hash_matches("ab", "cd", 5));
  EXPECT_EQ(violations_.size(), 2u);
}

TEST_F(CheckersTest, ReadsFireOnAStaleRead) {
  acked_write("a");
  const uint64_t issued = model_.tick();
  const uint64_t done = model_.tick();
  EXPECT_TRUE(checkers_.read_value(kKey, std::string("a"), issued, done, 7));
  EXPECT_FALSE(checkers_.read_value(kKey, std::nullopt, issued, done, 7));
  EXPECT_NE(only_violation(kCheckReads).message.find("op#7"), std::string::npos);
}

TEST_F(CheckersTest, WalPrefixFiresOnAnUnexplainedCutOrAStoreAheadOfItsLog) {
  EXPECT_TRUE(checkers_.wal_recovery({10, 0, "", 10, 10}, "db/wal"));
  EXPECT_TRUE(checkers_.wal_recovery({10, 17, "checksum mismatch", 10, 10}, "db/wal"));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.wal_recovery({10, 17, "", 10, 10}, "db/wal"));
  EXPECT_FALSE(checkers_.wal_recovery({10, 0, "", 12, 10}, "db/wal"));
  EXPECT_EQ(violations_.size(), 2u);
  EXPECT_EQ(violations_[0].invariant, kCheckWalPrefix);
}

TEST_F(CheckersTest, BackupPrimaryFiresOnABackupOlderThanPrimary) {
  acked_write("old");
  acked_write("new");
  EXPECT_TRUE(checkers_.backup_not_older(kKey, std::string("new")));
  EXPECT_TRUE(checkers_.backup_equals_primary(kKey, std::string("new"), std::string("new")));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.backup_not_older(kKey, std::string("old")));
  EXPECT_FALSE(checkers_.backup_equals_primary(kKey, std::string("new"), std::string("old")));
  EXPECT_EQ(violations_.size(), 2u);
  EXPECT_EQ(violations_[1].invariant, kCheckBackupPrimary);
}

TEST_F(CheckersTest, BackupMayLagTheBaselineUntilAWriteIsAcked) {
  model_.settle(kKey, std::string("primary-only"));  // e.g. right after a rollback
  EXPECT_TRUE(checkers_.backup_not_older(kKey, std::string("older")));
  EXPECT_TRUE(violations_.empty());
  acked_write("both");
  EXPECT_FALSE(checkers_.backup_not_older(kKey, std::string("older")));
  EXPECT_EQ(only_violation(kCheckBackupPrimary).invariant, kCheckBackupPrimary);
}

TEST_F(CheckersTest, OverlaysFiresOnAnInconsistentStoreOrAnUnderflow) {
  EXPECT_TRUE(checkers_.overlays({}, 0));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.overlays({"block ab12: refcount 2, 1 leaf names it"}, 0));
  EXPECT_NE(only_violation(kCheckOverlays).message.find("refcount 2"), std::string::npos);
  EXPECT_FALSE(checkers_.overlays({}, 1));
  EXPECT_EQ(violations_.size(), 2u);
  EXPECT_EQ(stats_.invariants_checked.at(kCheckOverlays), 3u);
}

TEST_F(CheckersTest, RoutingFiresOnAnEphemeralKeyInPrimaryOrADurableKeyInEphemeral) {
  const StoreKey scorer{"", "", "scorer"};
  EXPECT_TRUE(checkers_.routing(scorer, true, false, false, true));
  EXPECT_TRUE(checkers_.routing(kKey, false, true, true, false));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.routing(scorer, true, true, false, true));
  EXPECT_FALSE(checkers_.routing(scorer, true, false, true, true));
  EXPECT_FALSE(checkers_.routing(kKey, false, false, false, true));
  EXPECT_EQ(violations_.size(), 3u);
  EXPECT_EQ(violations_[0].invariant, kCheckRouting);
}

TEST_F(CheckersTest, PaginationFiresOnARepeatedKeyAMissingKeyOrAnEndlessWalk) {
  const std::vector<std::string> list = {"a", "b", "c"};
  EXPECT_TRUE(checkers_.pagination("app", "", {{"c", "b"}, {"a"}}, true, list));
  EXPECT_TRUE(violations_.empty());
  EXPECT_FALSE(checkers_.pagination("app", "", {{"c", "b"}, {"b", "a"}}, true, list));
  EXPECT_NE(violations_.back().message.find("'b' appears twice"), std::string::npos);
  EXPECT_FALSE(checkers_.pagination("app", "", {{"c", "b"}}, true, list));
  EXPECT_NE(violations_.back().message.find("'a' listed but never paged"), std::string::npos);
  EXPECT_FALSE(checkers_.pagination("app", "", {{"c"}, {"b"}}, false, std::nullopt));
  EXPECT_EQ(violations_.size(), 3u);
  EXPECT_EQ(violations_[0].invariant, kCheckPagination);
}

TEST_F(CheckersTest, PaginationFiresOnAnOversizedPage) {
  std::vector<std::string> page;
  for (size_t i = 0; i <= kListPageSizeMax; ++i) page.push_back("k" + std::to_string(i));
  EXPECT_FALSE(checkers_.pagination("app", "", {page}, true, page));
  EXPECT_NE(only_violation(kCheckPagination).message.find("page bound"), std::string::npos);
}

// Which problem a walk reports, word for word: the first key met again in walk order (not in
// key order), unless a page before it is over the bound; then the key sets against list().
TEST_F(CheckersTest, PaginationNamesTheFirstProblemOfTheWalk) {
  const auto message = [this](const std::vector<std::vector<std::string>>& pages, bool complete,
                              const std::optional<std::vector<std::string>>& list) {
    const size_t before = violations_.size();
    checkers_.pagination("app", "cfg", pages, complete, list);
    return violations_.size() == before ? std::string("(ok)") : violations_.back().message;
  };
  const std::string walk = "list_page walk of 'app/cfg': ";
  EXPECT_EQ(message({{"b", "c"}, {"c", "b"}}, true, std::vector<std::string>{"b", "c"}),
            walk + "key 'c' appears twice in the page walk (again on page 1)");
  // Without list() (concurrent mutation) a key may legitimately move between pages.
  EXPECT_EQ(message({{"b", "c"}, {"c", "b"}}, true, std::nullopt), "(ok)");
  std::vector<std::string> big;
  for (size_t i = 0; i <= kListPageSizeMax; ++i) big.push_back("k" + std::to_string(i));
  EXPECT_EQ(message({big, {"k0"}}, true, big),
            walk + "page 0 holds " + std::to_string(big.size()) + " keys, over the page bound " +
                std::to_string(kListPageSizeMax));
  std::vector<std::string> big_repeating = big;
  big_repeating.push_back("a");
  EXPECT_EQ(message({{"a"}, big_repeating}, true, big_repeating),
            walk + "key 'a' appears twice in the page walk (again on page 1)");
  EXPECT_EQ(message({{"a"}, {"b"}}, false, std::nullopt),
            walk + "the page walk did not end within its bound");
  EXPECT_EQ(message({{"a", "d"}}, true, std::vector<std::string>{"e", "c", "b", "a", "c"}),
            walk + "pages hold 2 distinct keys but list() holds 4; 'b' listed but never paged; "
                   "'d' paged but not listed");
  EXPECT_EQ(message({{"a"}, {"c", "e"}}, true, std::vector<std::string>{"e", "c", "a"}), "(ok)");
}

TEST_F(CheckersTest, VersionedFiresWhenRollbackDiffersFromTheRecordedState) {
  const std::map<std::string, std::string> at_v = {{"k1", "a"}, {"k2", "b"}};
  EXPECT_TRUE(checkers_.rollback_state(4, at_v, at_v));
  EXPECT_FALSE(checkers_.rollback_state(4, at_v, {{"k1", "a"}, {"k2", "B"}}));
  EXPECT_FALSE(checkers_.rollback_state(4, at_v, {{"k1", "a"}, {"k2", "b"}, {"k3", "c"}}));
  EXPECT_EQ(violations_.size(), 2u);
  EXPECT_EQ(violations_[0].invariant, kCheckVersioned);
}

TEST_F(CheckersTest, LivenessFiresWhenOperationsNeverFinish) {
  EXPECT_TRUE(checkers_.liveness(true, 1000, {}));
  EXPECT_FALSE(checkers_.liveness(false, 1000, {"op#3 write app//k1"}));
  EXPECT_NE(only_violation(kCheckLiveness).history.find("op#3"), std::string::npos);
}

TEST_F(CheckersTest, HistoryCarriesRecentRunEvents) {
  for (int i = 0; i < 100; ++i) checkers_.note(i, "event " + std::to_string(i));
  acked_write("v");
  EXPECT_FALSE(checkers_.recovered_value(kKey, std::nullopt, false));
  const std::string& history = violations_.back().history;
  EXPECT_NE(history.find("event 99"), std::string::npos);
  EXPECT_EQ(history.find("event 10\n"), std::string::npos);  // bounded: old events dropped
}

}  // namespace
}  // namespace tierkv::sim
