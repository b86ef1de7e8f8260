// The CAS / atomic helpers (engine/overlay/atomic_ops.h) over a BackendKvStore on a memory
// backend, and the bounded retry helper (engine/core/cas_retry.h).
#include "engine/overlay/atomic_ops.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "engine/tier/backend_kv_store.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

StoreKey key(std::string k) { return StoreKey{"ds", "meta", std::move(k)}; }

struct KvRig : OverlayRig {
  KvRig()
      : OverlayRig(7),
        backend(std::move(MemoryBackend::open(BackendOptions{}).value())),
        store(*backend, executor) {}
  std::unique_ptr<MemoryBackend> backend;
  BackendKvStore store;

  uint64_t token(const std::string& k) {
    Result<VersionedValue> v = sync(store.read_versioned(key(k)));
    return v.ok() ? v->version : 0;
  }
  std::optional<std::string> value(const std::string& k) {
    Result<std::string> v = sync(store.read(key(k)));
    if (!v.ok()) return std::nullopt;
    return *v;
  }
};

TEST(PutWithToken, ZeroInsertsOnlyIfAbsentAndStaleTokenIsConflict) {
  KvRig rig;
  Result<uint64_t> first = rig.sync(put_with_token(&rig.store, key("a"), "v1", 0));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  Result<uint64_t> again = rig.sync(put_with_token(&rig.store, key("a"), "v2", 0));
  EXPECT_TRUE(again.status().is_conflict()) << again.status().to_string();
  Result<uint64_t> update = rig.sync(put_with_token(&rig.store, key("a"), "v3", *first));
  ASSERT_TRUE(update.ok()) << update.status().to_string();
  EXPECT_NE(*update, *first);
  Result<uint64_t> stale = rig.sync(put_with_token(&rig.store, key("a"), "v4", *first));
  EXPECT_TRUE(stale.status().is_conflict());
  EXPECT_EQ(rig.value("a"), "v3");
}

TEST(PutAtomic, ConflictWritesNothingAndNamesEveryConflictingKey) {
  KvRig rig;
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("b"), "old", 0)).ok());
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("c"), "old", 0)).ok());
  AtomicResult result = rig.sync(
      put_atomic(&rig.store, {{key("a"), "new", 0}, {key("b"), "new", 0}, {key("c"), "new", 999}}));
  EXPECT_TRUE(result.status.is_conflict()) << result.status.to_string();
  EXPECT_EQ(result.conflicts, (std::vector<StoreKey>{key("b"), key("c")}));
  EXPECT_EQ(rig.value("a"), std::nullopt);
  EXPECT_EQ(rig.value("b"), "old");
  AtomicResult ok =
      rig.sync(put_atomic(&rig.store, {{key("a"), "new", 0}, {key("b"), "new", rig.token("b")}}));
  ASSERT_TRUE(ok.status.ok()) << ok.status.to_string();
  EXPECT_EQ(rig.value("a"), "new");
  EXPECT_EQ(rig.value("b"), "new");
}

TEST(PutAtomic, DuplicateKeyIsInvalidArgumentNamingIt) {
  KvRig rig;
  AtomicResult result = rig.sync(put_atomic(&rig.store, {{key("a"), "1", 0}, {key("a"), "2", 0}}));
  EXPECT_TRUE(result.status.is_invalid_argument());
  EXPECT_NE(result.status.message().find("ds/meta/a"), std::string::npos)
      << result.status.message();
  EXPECT_EQ(rig.value("a"), std::nullopt);
}

TEST(DeleteAtomic, AllOrNothingWithTokens) {
  KvRig rig;
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("a"), "1", 0)).ok());
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("b"), "2", 0)).ok());
  AtomicResult bad =
      rig.sync(delete_atomic(&rig.store, {{key("a"), rig.token("a")}, {key("b"), 12345}}));
  EXPECT_TRUE(bad.status.is_conflict());
  EXPECT_EQ(bad.conflicts, std::vector<StoreKey>{key("b")});
  EXPECT_EQ(rig.value("a"), "1");
  AtomicResult good = rig.sync(delete_atomic(
      &rig.store,
      {{key("a"), rig.token("a")}, {key("b"), std::nullopt}, {key("zz"), std::nullopt}}));
  ASSERT_TRUE(good.status.ok()) << good.status.to_string();
  EXPECT_EQ(rig.value("a"), std::nullopt);
  EXPECT_EQ(rig.value("b"), std::nullopt);
}

TEST(MoveKeysAtomic, MovesAllOrNoneAndExistingDestinationIsConflict) {
  KvRig rig;
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("tmp1"), "x", 0)).ok());
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("tmp2"), "y", 0)).ok());
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("real2"), "taken", 0)).ok());
  AtomicResult blocked = rig.sync(
      move_keys_atomic(&rig.store, {{key("tmp1"), key("real1")}, {key("tmp2"), key("real2")}}));
  EXPECT_TRUE(blocked.status.is_conflict()) << blocked.status.to_string();
  EXPECT_EQ(blocked.conflicts, std::vector<StoreKey>{key("real2")});
  EXPECT_EQ(rig.value("tmp1"), "x");
  EXPECT_EQ(rig.value("real1"), std::nullopt);
  AtomicResult moved = rig.sync(
      move_keys_atomic(&rig.store, {{key("tmp1"), key("real1")}, {key("tmp2"), key("real3")}}));
  ASSERT_TRUE(moved.status.ok()) << moved.status.to_string();
  EXPECT_EQ(rig.value("real1"), "x");
  EXPECT_EQ(rig.value("real3"), "y");
  EXPECT_EQ(rig.value("tmp1"), std::nullopt);
  EXPECT_EQ(rig.value("tmp2"), std::nullopt);
}

TEST(MoveKeysAtomic, MissingSourceIsNotFoundAndSelfMoveIsInvalid) {
  KvRig rig;
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("a"), "x", 0)).ok());
  AtomicResult missing =
      rig.sync(move_keys_atomic(&rig.store, {{key("a"), key("b")}, {key("ghost"), key("c")}}));
  EXPECT_TRUE(missing.status.is_not_found()) << missing.status.to_string();
  EXPECT_NE(missing.status.message().find("ghost"), std::string::npos);
  EXPECT_EQ(rig.value("a"), "x");
  EXPECT_EQ(rig.value("b"), std::nullopt);
  AtomicResult self = rig.sync(move_keys_atomic(&rig.store, {{key("a"), key("a")}}));
  EXPECT_TRUE(self.status.is_invalid_argument());
}

TEST(DropPrefix, RemovesOnlyMatchingKeysAndIsIdempotent) {
  KvRig rig;
  for (std::string k : {"ov1-a", "ov1-b", "ov2-a"}) {
    ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key(k), "v", 0)).ok());
  }
  ASSERT_TRUE(rig.sync(drop_prefix(&rig.store, "ds", "meta", "ov1-")).ok());
  EXPECT_EQ(rig.value("ov1-a"), std::nullopt);
  EXPECT_EQ(rig.value("ov1-b"), std::nullopt);
  EXPECT_EQ(rig.value("ov2-a"), "v");
  EXPECT_TRUE(rig.sync(drop_prefix(&rig.store, "ds", "meta", "ov1-")).ok());
  EXPECT_TRUE(rig.sync(drop_prefix(&rig.store, "bad/ns", "", "x")).is_invalid_argument());
}

TEST(CasRetry, RetriesConflictsUntilSuccess) {
  OverlayRig rig(1);
  uint32_t calls = 0;
  std::vector<uint32_t> resolved;
  Status status = rig.sync(cas_retry(
      {4, "bump"},
      [&](uint32_t attempt) -> Task<Status> {
        ++calls;
        co_return attempt < 2 ? Status::conflict("raced") : Status();
      },
      [&](const Status&, uint32_t attempt) {
        resolved.push_back(attempt);
        return ConflictDecision::kRetry;
      }));
  EXPECT_TRUE(status.ok()) << status.to_string();
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(resolved, (std::vector<uint32_t>{0, 1}));
}

TEST(CasRetry, GivesUpWithRetryExhaustedAfterTheBound) {
  OverlayRig rig(1);
  uint32_t calls = 0;
  Status status = rig.sync(cas_retry({3, "bump counter"},
                                     [&](uint32_t) -> Task<Status> {
                                       ++calls;
                                       co_return Status::conflict("raced");
                                     },
                                     {}));
  EXPECT_EQ(status.code(), StatusCode::kRetryExhausted) << status.to_string();
  EXPECT_NE(status.message().find("bump counter"), std::string::npos);
  EXPECT_EQ(calls, 3u);
}

TEST(CasRetry, ResolverCanGiveUpAndOtherErrorsAreNotRetried) {
  OverlayRig rig(1);
  uint32_t calls = 0;
  Status gave_up = rig.sync(cas_retry(
      {8, "x"},
      [&](uint32_t) -> Task<Status> {
        ++calls;
        co_return Status::conflict("someone else did it");
      },
      [](const Status&, uint32_t) { return ConflictDecision::kGiveUp; }));
  EXPECT_TRUE(gave_up.is_conflict());
  EXPECT_EQ(calls, 1u);
  Status io = rig.sync(cas_retry({8, "x"},
                                 [&](uint32_t) -> Task<Status> {
                                   ++calls;
                                   co_return Status::io_error("disk");
                                 },
                                 {}));
  EXPECT_TRUE(io.is_io_error());
  EXPECT_EQ(calls, 2u);
}

// A read-modify-write counter bumped by concurrent coroutines through cas_retry: no lost update.
TEST(CasRetry, ConcurrentIncrementsThroughCasLoseNothing) {
  KvRig rig;
  ASSERT_TRUE(rig.sync(put_with_token(&rig.store, key("n"), "0", 0)).ok());
  constexpr int kWriters = 8;
  std::vector<std::optional<Status>> results(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    spawn_into(rig.executor,
               cas_retry({64, "increment"},
                         [&rig](uint32_t) -> Task<Status> {
                           Result<VersionedValue> cur = co_await rig.store.read_versioned(key("n"));
                           if (!cur.ok()) co_return cur.status();
                           co_await rig.executor.yield();  // let the others race
                           const int next = std::stoi(cur->value) + 1;
                           co_return (co_await rig.store.compare_and_swap(key("n"), cur->version,
                                                                          std::to_string(next)))
                               .status();
                         },
                         {}),
               &results[w]);
  }
  rig.executor.run_until_idle();
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->ok()) << r->to_string();
  }
  EXPECT_EQ(rig.value("n"), std::to_string(kWriters));
}

}  // namespace
}  // namespace tierkv::testing
