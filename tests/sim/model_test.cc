// The model (sim/model.h) decides which values a store may legally show; these tests pin the
// rules the recovery and read checkers rely on.
#include "sim/model.h"

#include <gtest/gtest.h>

namespace tierkv::sim {
namespace {

const StoreKey kKey{"app", "", "k1"};

uint64_t write(Model& model, std::string value, uint64_t op = 0) {
  return model.begin(op, 0, "write", kKey, std::move(value), true, true, 0);
}

TEST(ModelTest, UnknownKeyMayOnlyBeAbsent) {
  Model model;
  const AllowedValues allowed = model.allowed_now(kKey, true);
  EXPECT_TRUE(allowed.allows(std::nullopt));
  EXPECT_FALSE(allowed.allows(std::string("x")));
}

TEST(ModelTest, AckedWriteSetsTheFloorAfterACrash) {
  Model model;
  const uint64_t a = write(model, "a");
  model.complete(a, Status::ok_status(), 1);
  const uint64_t b = write(model, "b");
  model.crash();
  EXPECT_EQ(model.mutation(b).state, MutationState::kCrashed);
  const AllowedValues allowed = model.allowed_now(kKey, true);
  EXPECT_TRUE(allowed.allows(std::string("a")));
  EXPECT_TRUE(allowed.allows(std::string("b")));  // in flight: may have landed
  EXPECT_FALSE(allowed.allows(std::nullopt));     // older than the acked write
  EXPECT_FALSE(allowed.allows(std::string("c"))); // nobody wrote it
}

TEST(ModelTest, CallOrderNotCompletionOrderDecides) {
  Model model;
  const uint64_t a = write(model, "a");
  const uint64_t b = write(model, "b");
  model.complete(b, Status::ok_status(), 1);
  model.complete(a, Status::ok_status(), 2);  // the stale write acks later (skipped by the store)
  const AllowedValues allowed = model.allowed_now(kKey, true);
  EXPECT_TRUE(allowed.allows(std::string("b")));
  EXPECT_FALSE(allowed.allows(std::string("a")));
  EXPECT_EQ(model.settled_value(kKey), std::optional<std::string>("b"));
}

TEST(ModelTest, FailedWriteMayHaveLandedRejectedCasMayNot) {
  Model model;
  const uint64_t a = write(model, "a");
  model.complete(a, Status::ok_status(), 1);
  const uint64_t b = write(model, "b");
  model.complete(b, Status::io_error("backup down"), 2);
  const uint64_t c = model.begin(3, 0, "cas", kKey, std::string("c"), true, true, 3);
  model.complete(c, Status::conflict("version moved"), 4);
  const AllowedValues allowed = model.allowed_now(kKey, false);
  EXPECT_TRUE(allowed.allows(std::string("a")));
  EXPECT_TRUE(allowed.allows(std::string("b")));
  EXPECT_FALSE(allowed.allows(std::string("c")));
  EXPECT_FALSE(model.settled_value(kKey).has_value());  // ambiguous: b may or may not be there
}

TEST(ModelTest, LazyRemoveAckIsNoDurabilityFloor) {
  Model model;
  const uint64_t a = write(model, "a");
  model.complete(a, Status::ok_status(), 1);
  const uint64_t r = model.begin(1, 0, "remove", kKey, std::nullopt, true, false, 2);
  model.complete(r, Status::ok_status(), 3);
  EXPECT_TRUE(model.allowed_now(kKey, true).allows(std::string("a")));
  EXPECT_FALSE(model.allowed_now(kKey, false).allows(std::string("a")));
  EXPECT_TRUE(model.allowed_now(kKey, false).allows(std::nullopt));
}

TEST(ModelTest, ReadSeesNothingOlderThanAcksBeforeItNorWritesIssuedAfterIt) {
  Model model;
  const uint64_t a = write(model, "a");
  model.complete(a, Status::ok_status(), 1);
  const uint64_t read_issued = model.tick();
  const uint64_t b = write(model, "b");
  const uint64_t read_done = model.tick();
  const uint64_t c = write(model, "c");
  model.complete(b, Status::ok_status(), 2);
  model.complete(c, Status::ok_status(), 3);
  const AllowedValues allowed = model.allowed_for_read(kKey, read_issued, read_done);
  EXPECT_TRUE(allowed.allows(std::string("a")));
  EXPECT_TRUE(allowed.allows(std::string("b")));
  EXPECT_FALSE(allowed.allows(std::string("c")));
  EXPECT_FALSE(allowed.allows(std::nullopt));
}

TEST(ModelTest, SettleMakesTheObservedValueTheBaseline) {
  Model model;
  const uint64_t a = write(model, "a");
  model.complete(a, Status::io_error("x"), 1);
  model.settle(kKey, std::string("a"));
  EXPECT_EQ(model.settled_value(kKey), std::optional<std::string>("a"));
  EXPECT_FALSE(model.allowed_now(kKey, true).allows(std::nullopt));
  EXPECT_EQ(model.settled_state().at(kKey), "a");
}

// Settling drops a key's history (its mutations are gone) and leaves every other key's as it
// was, whatever order keys settle in.
TEST(ModelTest, SettlingOneKeyKeepsTheOthersHistories) {
  Model model;
  const StoreKey other{"mon", "x", "k2"};
  const uint64_t a = write(model, "a", 0);
  const uint64_t b = model.begin(1, 0, "write", other, std::string("b"), true, true, 0);
  const uint64_t c = write(model, "c", 2);
  for (uint64_t id : {a, b, c}) model.complete(id, Status::ok_status(), 1);
  model.settle(kKey, std::string("c"));
  EXPECT_EQ(model.mutation(b).value, "b");
  EXPECT_TRUE(model.allowed_now(kKey, true).allows(std::string("c")));
  EXPECT_FALSE(model.allowed_now(kKey, true).allows(std::string("a")));
  EXPECT_TRUE(model.allowed_now(other, true).allows(std::string("b")));
  EXPECT_FALSE(model.allowed_now(other, true).allows(std::nullopt));
  const uint64_t d = model.begin(3, 0, "write", other, std::string("d"), true, true, 2);
  model.complete(d, Status::ok_status(), 3);
  model.settle(other, std::string("d"));
  EXPECT_TRUE(model.allowed_now(other, true).allows(std::string("d")));
  EXPECT_FALSE(model.allowed_now(other, true).allows(std::string("b")));
  EXPECT_TRUE(model.batches().empty());
}

TEST(ModelTest, KeysInListsOnePrimaryNamespaceInKeyOrder) {
  Model model;
  for (const StoreKey& key : {StoreKey{"app", "", "k1"}, StoreKey{"@hybrid", "votes", "h1"},
                              StoreKey{"", "", "scorer"}, StoreKey{"@hybrid", "index", "h2"},
                              StoreKey{"@versioned", "", "k0"}, StoreKey{"app", "cfg", "k0"}}) {
    model.settle(key, std::nullopt);
  }
  EXPECT_EQ(model.keys_in("@hybrid"), (std::vector<StoreKey>{{"@hybrid", "index", "h2"},
                                                             {"@hybrid", "votes", "h1"}}));
  EXPECT_EQ(model.keys_in("app"),
            (std::vector<StoreKey>{{"app", "", "k1"}, {"app", "cfg", "k0"}}));
  EXPECT_EQ(model.keys_in(""), (std::vector<StoreKey>{{"", "", "scorer"}}));
  EXPECT_TRUE(model.keys_in("mon").empty());
  EXPECT_EQ(model.keys().size(), 6u);
}

TEST(ModelTest, WipedTierMayComeBackEmpty) {
  Model model;
  const StoreKey ephemeral{"", "", "scorer"};
  const uint64_t a = model.begin(0, 0, "write", ephemeral, std::string("s"), false, true, 0);
  model.complete(a, Status::ok_status(), 1);
  EXPECT_FALSE(model.allowed_now(ephemeral, true, false).allows(std::nullopt));
  EXPECT_TRUE(model.allowed_now(ephemeral, true, true).allows(std::nullopt));
}

TEST(ModelTest, RefusedCallsAreNeverCandidates) {
  Model model;
  const uint64_t a = model.begin(0, 0, "cas", kKey, std::string("a"), true, true, 0);
  model.complete(a, Status::not_supported("no CAS"), 1);
  const uint64_t b = model.begin(1, 0, "write", kKey, std::string("b"), true, true, 1);
  model.complete(b, Status::invalid_argument("bad key"), 2);
  EXPECT_FALSE(model.allowed_now(kKey, true).allows(std::string("a")));
  EXPECT_FALSE(model.allowed_now(kKey, true).allows(std::string("b")));
  EXPECT_TRUE(model.allowed_now(kKey, true).allows(std::nullopt));
}

TEST(ModelTest, AnEarlierBatchStillRunningMayLandAfterALaterWrite) {
  Model model;
  const uint64_t batch = model.begin(0, 0, "atomic", kKey, std::string("batch"), true, true, 0);
  const uint64_t later = write(model, "later");
  model.complete(later, Status::ok_status(), 2);
  model.complete(batch, Status::ok_status(), 3);
  EXPECT_TRUE(model.allowed_now(kKey, true).allows(std::string("batch")));
  EXPECT_TRUE(model.allowed_now(kKey, true).allows(std::string("later")));
  // A batch that completed before the later write was issued cannot land after it.
  Model ordered;
  const uint64_t done = ordered.begin(0, 0, "atomic", kKey, std::string("batch"), true, true, 0);
  ordered.complete(done, Status::ok_status(), 1);
  const uint64_t after = write(ordered, "later");
  ordered.complete(after, Status::ok_status(), 2);
  EXPECT_FALSE(ordered.allowed_now(kKey, true).allows(std::string("batch")));
}

}  // namespace
}  // namespace tierkv::sim
