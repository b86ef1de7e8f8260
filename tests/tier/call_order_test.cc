// CallOrder: tickets ordered like the calls, staleness per key, entries only while tickets live
// (also when released entries' storage is reused for other keys).
#include "engine/tier/call_order.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tierkv {
namespace {

TEST(CallOrder, AnOlderCallIsStaleOnceANewerOneOnTheSameKeyCompleted) {
  CallOrder order;
  CallOrder::Ticket older = order.begin("p/s/k");
  CallOrder::Ticket newer = order.begin("p/s/k");
  CallOrder::Ticket other_key = order.begin("p/s/other");
  EXPECT_LT(older.sequence(), newer.sequence());
  EXPECT_LT(newer.sequence(), other_key.sequence());
  EXPECT_EQ(older.key(), "p/s/k");
  EXPECT_EQ(order.size(), 2u);
  EXPECT_FALSE(order.is_stale(older));
  order.complete(newer);
  EXPECT_TRUE(order.is_stale(older));
  EXPECT_FALSE(order.is_stale(newer));
  EXPECT_FALSE(order.is_stale(other_key));  // keys are independent
}

TEST(CallOrder, AFailedNewerCallMakesNothingStale) {
  CallOrder order;
  CallOrder::Ticket older = order.begin("k");
  {
    CallOrder::Ticket failed = order.begin("k");  // released without complete()
  }
  EXPECT_FALSE(order.is_stale(older));
  order.complete(older);
  EXPECT_FALSE(order.is_stale(older));
}

TEST(CallOrder, EntriesLiveOnlyWhileTheirTicketsDoAndStartAfreshWhenReused) {
  CallOrder order;
  // More keys at once than the store keeps spare entries for, twice over, so that the second
  // round runs on reused entries of other keys.
  for (int round = 0; round < 2; ++round) {
    std::vector<CallOrder::Ticket> tickets;
    for (int i = 0; i < 40; ++i) tickets.push_back(order.begin("key" + std::to_string(i)));
    EXPECT_EQ(order.size(), 40u);
    for (const CallOrder::Ticket& ticket : tickets) order.complete(ticket);
    // A later call on each key is not stale, whatever entry it got.
    for (int i = 0; i < 40; ++i) {
      CallOrder::Ticket later = order.begin("key" + std::to_string(i));
      EXPECT_EQ(later.key(), "key" + std::to_string(i));
      EXPECT_FALSE(order.is_stale(later));
    }
    EXPECT_EQ(order.size(), 40u);
    tickets.clear();
    EXPECT_EQ(order.size(), 0u);
  }
  // A key whose entry went away and came back: a new call on it is ordered after the old ones.
  CallOrder::Ticket first = order.begin("key7");
  CallOrder::Ticket second = order.begin("key7");
  order.complete(second);
  EXPECT_TRUE(order.is_stale(first));
  EXPECT_EQ(order.size(), 1u);
  CallOrder::Ticket moved = std::move(first);
  EXPECT_TRUE(order.is_stale(moved));
  moved.release();
  second.release();
  EXPECT_EQ(order.size(), 0u);
  EXPECT_EQ(order.last_sequence(), second.sequence());
}

}  // namespace
}  // namespace tierkv
