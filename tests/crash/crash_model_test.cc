// CrashModel (tests/crash/crash_model.h): the expected state the SIGKILL baseline checks a
// reopened store against. A wrong model makes the baseline miss bugs (too lenient) or report
// false ones (too strict), so its rules are pinned here.
#include "tests/crash/crash_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>

namespace tierkv::crash {
namespace {

const StoreKey kKey{"p", "a", "k1"};
const StoreKey kOther{"p", "a", "k4"};

void feed(CrashModel& model, std::initializer_list<const char*> lines) {
  for (const char* line : lines) ASSERT_TRUE(model.apply(line).ok()) << line;
}

bool legal(const CrashModel& model, const StoreKey& key, const Value& value) {
  const std::vector<Value> values = model.legal_values(key);
  return std::find(values.begin(), values.end(), value) != values.end();
}

TEST(CrashModel, AnAcknowledgedWriteMustSurvive) {
  CrashModel model;
  feed(model, {"T 1 1 p/a/k1 v1", "A 1"});
  EXPECT_EQ(model.legal_values(kKey), std::vector<Value>{Value("v1")});
  EXPECT_FALSE(legal(model, kKey, Value()));
}

TEST(CrashModel, AnInFlightWriteMayOrMayNotHaveLanded) {
  CrashModel model;
  feed(model, {"T 1 1 p/a/k1 v1", "A 1", "T 2 1 p/a/k1 -"});
  EXPECT_TRUE(legal(model, kKey, Value("v1")));
  EXPECT_TRUE(legal(model, kKey, Value()));  // the in-flight remove
  EXPECT_EQ(model.legal_values(kKey).size(), 2u);
}

TEST(CrashModel, AnOlderInFlightWriteCannotOvertakeAnAppliedLaterOne) {
  CrashModel model;
  feed(model, {"T 1 1 p/a/k1 v1", "T 2 1 p/a/k1 v2", "A 2"});
  EXPECT_EQ(model.legal_values(kKey), std::vector<Value>{Value("v2")});
}

TEST(CrashModel, ARefusedCasNeverLands) {
  CrashModel model;
  feed(model, {"T 1 1 p/a/k1 v1", "A 1", "T 2 1 p/a/k1 v2", "N 2"});
  EXPECT_EQ(model.legal_values(kKey), std::vector<Value>{Value("v1")});
}

TEST(CrashModel, ABatchStillRunningWhenALaterWriteWasCalledMayLandAfterIt) {
  CrashModel racing;
  feed(racing, {"T 1 2 p/a/k1 v1 p/a/k4 v1", "T 2 1 p/a/k1 v2", "A 2", "A 1"});
  EXPECT_TRUE(legal(racing, kKey, Value("v1")));
  EXPECT_TRUE(legal(racing, kKey, Value("v2")));
  EXPECT_EQ(racing.legal_values(kOther), std::vector<Value>{Value("v1")});
  CrashModel finished_first;
  feed(finished_first, {"T 1 2 p/a/k1 v1 p/a/k4 v1", "A 1", "T 2 1 p/a/k1 v2", "A 2"});
  EXPECT_EQ(finished_first.legal_values(kKey), std::vector<Value>{Value("v2")});
}

TEST(CrashModel, SettleMakesTheFoundValueTheOnlyLegalOne) {
  CrashModel model;
  feed(model, {"T 1 1 p/a/k1 v1", "A 1", "T 2 1 p/a/k1 v2"});
  model.settle(kKey, Value("v2"));
  EXPECT_EQ(model.legal_values(kKey), std::vector<Value>{Value("v2")});
  EXPECT_EQ(model.next_tier_id(), 3u);
}

TEST(CrashModel, TheLedgerMayStopBetweenTheLastAcknowledgedAndTheLastCalledVersion) {
  CrashModel model;
  feed(model, {"L 1 x0 w1", "L 2 x0 - x1 w2", "M 1"});
  EXPECT_TRUE(model.check_ledger(1, {{"x0", "w1"}}).ok());
  EXPECT_TRUE(model.check_ledger(2, {{"x1", "w2"}}).ok());
  Status lost = model.check_ledger(0, {});
  EXPECT_TRUE(lost.is_corruption());
  EXPECT_NE(lost.message().find("version 0"), std::string::npos) << lost.to_string();
  Status wrong = model.check_ledger(2, {{"x0", "w1"}, {"x1", "w2"}});
  EXPECT_TRUE(wrong.is_corruption());
  EXPECT_NE(wrong.message().find("ledger key x0"), std::string::npos) << wrong.to_string();
}

TEST(CrashModel, AnInterruptedLedgerRollbackLeavesTheOldStateOrExactlyItsTarget) {
  CrashModel model;
  feed(model, {"L 1 x0 w1", "L 1 x0 w2", "M 1", "M 2", "B 1"});
  EXPECT_TRUE(model.check_ledger(2, {{"x0", "w2"}}).ok());
  EXPECT_TRUE(model.check_ledger(1, {{"x0", "w1"}}).ok());
  feed(model, {"E 1"});
  EXPECT_EQ(model.ledger_rollbacks(), 1u);
  EXPECT_TRUE(model.check_ledger(1, {{"x0", "w1"}}).ok());
  EXPECT_FALSE(model.check_ledger(2, {{"x0", "w2"}}).ok());
}

TEST(CrashModel, AnAcknowledgedOverlayPutMustBeReadableUntilItsTreeIsDropped) {
  CrashModel model;
  feed(model, {"P 1 keep0 3 5", "Q 1", "P 2 keep0 4 6", "D keep0", "Q 2", "P 3 exp0 1 1", "Q 3"});
  EXPECT_TRUE(model.durable_puts().empty());  // dropped, acked after a drop, or expiring
  feed(model, {"P 4 keep1 2 7", "Q 4"});
  ASSERT_EQ(model.durable_puts().size(), 1u);
  EXPECT_EQ(model.durable_puts().begin()->second, 7u);
}

TEST(CrashModel, AMalformedLineIsRefusedNamingIt) {
  CrashModel model;
  for (const char* line : {"", "T x 1 p/a/k1 v1", "T 1 2 p/a/k1 v1", "A 99", "Z 1", "T 1 1 k1 v"}) {
    Status status = model.apply(line);
    EXPECT_TRUE(status.is_invalid_argument()) << "'" << line << "': " << status.to_string();
  }
  feed(model, {"X writer saw key p/a/k1 lost"});
  ASSERT_TRUE(model.writer_violation().has_value());
  EXPECT_EQ(*model.writer_violation(), "writer saw key p/a/k1 lost");
}

}  // namespace
}  // namespace tierkv::crash
