// Crash loops and a stateful property test of the WAL on SimEnv.
//
// Crash loop: per seed, rounds of random appends (append_now and groups of concurrent
// group-commit appends), truncate_before and truncate_after run with a crash point armed at a
// random operation and torn writes on for half the seeds; then a power cut and a reopen. The
// recovered log must hold exactly the records that were appended (nothing garbled, nothing
// after a torn or corrupt record), contiguous, ending at or after the last acknowledged
// version and at or before the last attempted one; an interrupted truncate_after leaves the
// old end or exactly its target; truncate_before never removes a version >= its bound.
//
// Every record's content is a function of its version (make_record), so "as appended" is
// checked without storing what was written. TIERKV_LONG=1 runs 3000 seeds (~3 s); default 150.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <cstdlib>
#include <sstream>

#include "tests/wal/wal_test_util.h"

namespace tierkv::test {
namespace {

size_t payload_bytes_of(uint64_t version) { return 5 + (version * 37) % 90; }
WalRecord record_of(uint64_t version) { return make_record(version, payload_bytes_of(version)); }

// What the log must look like after the next reopen.
struct Expectation {
  uint64_t first = 1;           // lowest version that may still be present
  uint64_t first_bound = 1;     // truncate_before never removes versions >= this
  uint64_t acked_last = 0;      // every version <= this (and >= first) must survive
  uint64_t attempted_last = 0;  // no version above this may appear
  std::optional<uint64_t> truncating_to;  // an interrupted truncate_after(v)
};

std::string check_recovered(Wal& wal, const Expectation& e) {
  std::ostringstream why;
  const uint64_t first = wal.first_version();
  const uint64_t last = wal.last_version();
  bool last_ok = last >= e.acked_last && last <= e.attempted_last;
  if (e.truncating_to) last_ok = last == e.attempted_last || last == *e.truncating_to;
  if (!last_ok) {
    why << "recovered last version " << last << ", acked " << e.acked_last << ", attempted "
        << e.attempted_last;
    return why.str();
  }
  if (last == 0) return e.acked_last == 0 ? "" : "acknowledged records lost";
  if (first < e.first || first > std::max(e.first, e.first_bound)) {
    why << "recovered first version " << first << " outside [" << e.first << ", "
        << std::max(e.first, e.first_bound) << "]";
    return why.str();
  }
  uint64_t expected = first;
  Status s = wal.scan(first, last, [&](const WalRecord& r) {
    if (r != record_of(expected)) {
      return Status::corruption("version " + std::to_string(expected) + " differs");
    }
    ++expected;
    return Status();
  });
  if (!s.ok()) return "replay: " + s.to_string();
  if (expected != last + 1) return "replay stopped early";
  return "";
}

class WalCrashLoop {
 public:
  explicit WalCrashLoop(uint64_t seed)
      : rng_(seed * 0x9e3779b97f4a7c15ull + 1),
        world_(seed, sim::SimEnvOptions{.torn_writes = seed % 2 == 0}),
        segment_bytes_(rng_.range(128, 2048)) {}

  std::string run(int rounds) {
    for (int round = 0; round < rounds; ++round) {
      auto opened = Wal::open(world_.options(segment_bytes_));
      if (!opened.ok()) return "reopen failed: " + opened.status().to_string();
      wal_ = std::move(opened).value();
      if (std::string why = check_recovered(*wal_, e_); !why.empty()) return why;
      const uint64_t last = wal_->last_version();
      e_ = Expectation{.first = last == 0 ? e_.first : wal_->first_version(),
                       .first_bound = 0,
                       .acked_last = last,
                       .attempted_last = last,
                       .truncating_to = std::nullopt};
      world_.env.set_crash_after_ops(rng_.range(0, 80));
      for (int op = 0; op < 30 && step(); ++op) {
      }
      world_.env.clear_crash_point();
      world_.crash(&wal_);
    }
    return "";
  }

 private:
  uint64_t next_version() const { return wal_->last_version() + 1; }

  // One random operation; false once one failed (the process is dead or the log poisoned).
  bool step() {
    const uint64_t kind = rng_.uniform(10);
    if (kind < 3) {
      const uint64_t v = e_.attempted_last + 1;
      e_.attempted_last = v;
      if (!wal_->append_now(record_of(v)).ok()) return false;
      e_.acked_last = v;
      return true;
    }
    if (kind < 7) return append_group(rng_.range(1, 12));
    const uint64_t first = wal_->first_version();
    const uint64_t last = wal_->last_version();
    if (last == 0) return true;
    const uint64_t v = rng_.range(first, last);
    if (kind < 9) {
      e_.first_bound = std::max(e_.first_bound, v);
      if (!wal_->truncate_before(v).ok()) return false;
      e_.first = wal_->first_version();
      e_.first_bound = 0;
      return true;
    }
    e_.truncating_to = v;
    if (!wal_->truncate_after(v).ok()) return false;
    e_.truncating_to.reset();
    e_.acked_last = e_.attempted_last = v;
    return true;
  }

  bool append_group(uint64_t count) {
    const uint64_t from = e_.attempted_last + 1;
    e_.attempted_last += count;
    std::vector<Status> results(count);
    uint64_t finished = 0;
    for (uint64_t i = 0; i < count; ++i) {
      world_.executor.spawn([](Wal* w, WalRecord r, Status* out, uint64_t* done) -> Task<void> {
        *out = co_await w->append(std::move(r));
        ++*done;
      }(wal_.get(), record_of(from + i), &results[i], &finished));
    }
    if (!world_.executor.run_until([&] { return finished == count; })) return false;
    for (uint64_t i = 0; i < count; ++i) {
      if (!results[i].ok()) return false;
      e_.acked_last = from + i;  // acknowledged in order: a prefix of the group
    }
    return true;
  }

  sim::Prng rng_;
  SimWorld world_;
  uint64_t segment_bytes_;
  std::unique_ptr<Wal> wal_;
  Expectation e_;
};

TEST(WalCrashLoop, RecoveredLogIsTheAppendedPrefixHoldingEveryAcknowledgedRecord) {
  // TIERKV_LONG=1: 3000 seeds; default 150.
  const bool long_run = std::getenv("TIERKV_LONG") != nullptr;
  const uint64_t seeds = long_run ? 3000 : 150;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    WalCrashLoop loop(seed);
    const std::string why = loop.run(4);
    ASSERT_EQ(why, "") << "seed " << seed;
  }
}

// ---- Stateful property: group appends, append_now, truncations, power cuts vs a model. ----

// truncate_before keeps whole segments, so the model knows the first version only as a range:
// at least first_lo (nothing below was ever there), at most first_hi (no truncate_before bound
// was above it).
struct WalModel {
  uint64_t first_lo = 0;  // 0: empty log
  uint64_t first_hi = 0;
  uint64_t last = 0;
  void append(uint64_t count) {
    if (first_lo == 0) first_lo = first_hi = last + 1;
    last += count;
  }
};

struct WalSut {
  explicit WalSut(uint64_t seed) : world(seed, sim::SimEnvOptions{.torn_writes = true}) {
    wal = std::move(Wal::open(world.options(kSegmentBytes))).value();
  }
  static constexpr uint64_t kSegmentBytes = 300;
  SimWorld world;
  std::unique_ptr<Wal> wal;
};

using WalCommand = rc::state::Command<WalModel, WalSut>;

void assert_matches(const WalModel& model, WalSut& sut) {
  RC_ASSERT(sut.wal->last_version() == model.last);
  if (model.last == 0) return;
  const uint64_t first = sut.wal->first_version();
  RC_ASSERT(first >= model.first_lo);
  RC_ASSERT(first <= model.first_hi);
  uint64_t expected = first;
  RC_ASSERT(sut.wal
                ->scan(first, model.last,
                       [&](const WalRecord& r) {
                         return r == record_of(expected++) ? Status()
                                                           : Status::corruption("differs");
                       })
                .ok());
  RC_ASSERT(expected == model.last + 1);
}

struct AppendGroupCommand : WalCommand {
  uint64_t count = *rc::gen::inRange<uint64_t>(1, 20);
  void apply(WalModel& model) const override { model.append(count); }
  void run(const WalModel& model, WalSut& sut) const override {
    uint64_t acked = 0;
    for (uint64_t i = 1; i <= count; ++i) {
      sut.world.executor.spawn([](Wal* w, WalRecord r, uint64_t* n) -> Task<void> {
        Status s = co_await w->append(std::move(r));
        if (s.ok()) ++*n;
      }(sut.wal.get(), record_of(model.last + i), &acked));
    }
    sut.world.executor.run_until_idle();
    RC_ASSERT(acked == count);
    WalModel next = model;
    apply(next);
    assert_matches(next, sut);
  }
  void show(std::ostream& os) const override { os << "AppendGroup(" << count << ")"; }
};

struct AppendNowCommand : WalCommand {
  void apply(WalModel& model) const override { model.append(1); }
  void run(const WalModel& model, WalSut& sut) const override {
    RC_ASSERT(sut.wal->append_now(record_of(model.last + 1)).ok());
  }
  void show(std::ostream& os) const override { os << "AppendNow"; }
};

struct TruncateAfterCommand : WalCommand {
  explicit TruncateAfterCommand(const WalModel& model)
      : version(*rc::gen::inRange<uint64_t>(model.first_hi, model.last + 1)) {}
  uint64_t version;
  void checkPreconditions(const WalModel& model) const override {
    RC_PRE(model.first_lo != 0 && version >= model.first_hi && version <= model.last);
  }
  void apply(WalModel& model) const override { model.last = version; }
  void run(const WalModel& model, WalSut& sut) const override {
    RC_ASSERT(sut.wal->truncate_after(version).ok());
    WalModel next = model;
    apply(next);
    assert_matches(next, sut);
  }
  void show(std::ostream& os) const override { os << "TruncateAfter(" << version << ")"; }
};

struct TruncateBeforeCommand : WalCommand {
  explicit TruncateBeforeCommand(const WalModel& model)
      : version(*rc::gen::inRange<uint64_t>(model.first_lo, model.last + 2)) {}
  uint64_t version;
  void checkPreconditions(const WalModel& model) const override {
    RC_PRE(model.first_lo != 0 && version >= model.first_lo);
  }
  void apply(WalModel& model) const override {
    model.first_hi = std::max(model.first_hi, std::min(version, model.last));
  }
  void run(const WalModel& model, WalSut& sut) const override {
    RC_ASSERT(sut.wal->truncate_before(version).ok());
    WalModel next = model;
    apply(next);
    assert_matches(next, sut);
  }
  void show(std::ostream& os) const override { os << "TruncateBefore(" << version << ")"; }
};

// Nothing is in flight, so a power cut must keep everything, with no torn tail to cut.
struct PowerCutCommand : WalCommand {
  void run(const WalModel& model, WalSut& sut) const override {
    const uint64_t first_before = sut.wal->first_version();
    sut.world.crash(&sut.wal);
    auto wal = Wal::open(sut.world.options(WalSut::kSegmentBytes));
    RC_ASSERT(wal.ok());
    sut.wal = std::move(wal).value();
    RC_ASSERT(sut.wal->recovery_report().truncated_bytes == 0u);
    RC_ASSERT(sut.wal->first_version() == first_before);
    assert_matches(model, sut);
  }
  void show(std::ostream& os) const override { os << "PowerCut"; }
};

RC_GTEST_PROP(WalStateful, MatchesTheModelAcrossPowerCuts, ()) {
  WalModel model;
  WalSut sut(*rc::gen::arbitrary<uint64_t>());
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<AppendGroupCommand, AppendNowCommand,
                                                     AppendGroupCommand, TruncateAfterCommand,
                                                     TruncateBeforeCommand, PowerCutCommand>());
}

}  // namespace
}  // namespace tierkv::test
