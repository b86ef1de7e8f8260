// Truncation: truncate_before drops whole old segments (never the last) and leaves a suffix;
// truncate_after leaves exactly the records <= v and appends continue at v + 1. Both are
// crash-safe: a power cut after every possible number of completed operations leaves the old
// log or the truncated one (a suffix of segments / exactly <= v), never a hole or a mix.
#include <gtest/gtest.h>

#include "tests/wal/wal_test_util.h"

namespace tierkv::test {
namespace {

constexpr uint64_t kSegmentBytes = 256;

std::unique_ptr<Wal> log_of(SimWorld& world, uint64_t count) {
  auto wal = open_or_die(world.options(kSegmentBytes));
  for (uint64_t v = 1; v <= count; ++v) EXPECT_TRUE(wal->append_now(make_record(v)).ok());
  return wal;
}

// The log holds exactly the records first..last, each as appended.
void expect_exact(Wal& wal, uint64_t first, uint64_t last) {
  EXPECT_EQ(wal.first_version(), first);
  EXPECT_EQ(wal.last_version(), last);
  const auto records = read_all(wal);
  ASSERT_EQ(records.size(), last - first + 1);
  for (uint64_t v = first; v <= last; ++v) EXPECT_EQ(records[v - first], make_record(v));
}

TEST(WalTruncate, TruncateBeforeDropsWholeOldSegmentsOnly) {
  SimWorld world(1);
  auto wal = log_of(world, 60);
  const size_t segments_before = segment_paths(world.env).size();
  ASSERT_GE(segments_before, 5u);
  ASSERT_TRUE(wal->truncate_before(30).ok());
  const uint64_t first = wal->first_version();
  EXPECT_GT(first, 1u);
  EXPECT_LE(first, 30u) << "a segment holding version 30 was removed";
  expect_exact(*wal, first, 60);
  EXPECT_TRUE(wal->scan(1, 5, [](const WalRecord&) { return Status(); }).is_not_found());
  // Everything old: the last segment stays, so the next version is still known.
  ASSERT_TRUE(wal->truncate_before(1000).ok());
  EXPECT_EQ(segment_paths(world.env).size(), 1u);
  EXPECT_TRUE(wal->append_now(make_record(62)).is_invalid_argument());
  ASSERT_TRUE(wal->append_now(make_record(61)).ok());
  wal.reset();
  wal = open_or_die(world.options(kSegmentBytes));
  EXPECT_EQ(wal->last_version(), 61u);
}

TEST(WalTruncate, TruncateAfterKeepsExactlyThePrefixAndAppendsContinue) {
  for (uint64_t cut : {0ull, 1ull, 7ull, 33ull, 59ull, 60ull, 80ull}) {
    SimWorld world(cut + 2);
    auto wal = log_of(world, 60);
    ASSERT_TRUE(wal->truncate_after(cut).ok()) << cut;
    const uint64_t kept = std::min<uint64_t>(cut, 60);
    if (kept == 0) {
      EXPECT_EQ(wal->last_version(), 0u);
    } else {
      expect_exact(*wal, 1, kept);
    }
    ASSERT_TRUE(wal->append_now(make_record(kept + 1)).ok()) << cut;
    world.crash(&wal);
    wal = open_or_die(world.options(kSegmentBytes));
    expect_exact(*wal, kept == 0 ? kept + 1 : 1, kept + 1);
  }
}

TEST(WalTruncate, TruncateAfterIsRefusedWhileGroupCommitAppendsAreInFlight) {
  SimWorld world(9);
  auto wal = log_of(world, 5);
  bool done = false;
  world.executor.spawn([](Wal* w, bool* d) -> Task<void> {
    EXPECT_TRUE((co_await w->append(make_record(6))).ok());
    *d = true;
  }(wal.get(), &done));
  // Run until the group's write reached the Env: its sync and acknowledgement are still due.
  bool written = false;
  world.env.set_fault_hook([&written](const sim::SimOp& op) {
    if (op.kind == sim::SimOpKind::kAppend) written = true;
    return Status();
  });
  ASSERT_TRUE(world.executor.run_until([&] { return written; }));
  ASSERT_FALSE(done);
  Status s = wal->truncate_after(2);
  EXPECT_TRUE(s.is_busy()) << s.to_string();
  ASSERT_TRUE(world.executor.run_until([&] { return done; }));
}

// Runs op with a crash point after `ops` mutating operations, then a power cut and a reopen.
// Returns the reopened log, or null if op completed before the crash point was reached.
template <typename Op>
std::unique_ptr<Wal> crash_during(SimWorld& world, std::unique_ptr<Wal> wal, uint64_t ops, Op op,
                                  bool* completed) {
  world.env.set_crash_after_ops(ops);
  *completed = op(*wal).ok() && !world.env.crashed();
  world.env.clear_crash_point();
  world.crash(&wal);
  return open_or_die(world.options(kSegmentBytes));
}

TEST(WalTruncate, ACrashAtAnyStepOfTruncateAfterLeavesTheOldLogOrExactlyThePrefix) {
  for (bool torn : {false, true}) {
    bool completed = false;
    for (uint64_t ops = 0; !completed && ops < 200; ++ops) {
      SimWorld world(ops + 100, sim::SimEnvOptions{.torn_writes = torn});
      auto wal = log_of(world, 60);
      wal = crash_during(world, std::move(wal), ops,
                         [](Wal& w) { return w.truncate_after(17); }, &completed);
      ASSERT_NE(wal, nullptr) << "crash after " << ops << " ops";
      const uint64_t last = wal->last_version();
      ASSERT_TRUE(last == 60 || last == 17) << "crash after " << ops << " ops left " << last;
      expect_exact(*wal, 1, last);
      if (completed) {
        EXPECT_EQ(last, 17u);
      }
      // The intent is gone once a reopen finished it.
      EXPECT_FALSE(world.env.file_exists(std::string(kWalDir) + "/TRUNCATE_AFTER"));
    }
    EXPECT_TRUE(completed) << "truncate_after never completed within the crash sweep";
  }
}

TEST(WalTruncate, ACrashAtAnyStepOfTruncateBeforeLeavesASuffixWithoutAHole) {
  bool completed = false;
  for (uint64_t ops = 0; !completed && ops < 200; ++ops) {
    SimWorld world(ops + 300);
    auto wal = log_of(world, 60);
    wal = crash_during(world, std::move(wal), ops,
                       [](Wal& w) { return w.truncate_before(45); }, &completed);
    ASSERT_NE(wal, nullptr) << "crash after " << ops << " ops";
    const uint64_t first = wal->first_version();
    ASSERT_GE(first, 1u);
    ASSERT_LE(first, 45u);
    expect_exact(*wal, first, 60);
  }
  EXPECT_TRUE(completed);
}

}  // namespace
}  // namespace tierkv::test
