// OverlayStore against a model (RapidCheck stateful test): random sequences of create, put
// (plain or from a reservation), finalize, mark_failed, drop, reserve, release and clock
// advance + maintenance, under a quota small enough to run out. After every command the status
// code equals the model's (NoSpace included), every overlay's status/expiry/block count and
// every block's bytes equal the model's, every block's refcount equals the overlays naming it,
// the quota's used bytes and block count equal the distinct contents still named, its reserved
// bytes equal the model's, and the consistency checker finds nothing. Drops run in batches of
// two leaves. (Zero executor latency, so time moves only when a command
// moves it and expiries are exact.)
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <map>
#include <set>

#include "engine/overlay/overlay_store.h"
#include "tests/overlay/overlay_harness.h"

namespace tierkv::testing {
namespace {

const std::vector<std::string> kTrees = {"a", "b", "c", "d"};

size_t content_size(uint64_t tag) { return 256 + tag * 64; }
std::string content(uint64_t tag) { return block_bytes(tag, content_size(tag)); }

struct ModelOverlay {
  OverlayStatus status = OverlayStatus::kActive;
  uint64_t expiry_us = 0;
  std::map<uint32_t, uint64_t> blocks;  // index -> content tag
};

// Small enough that reservations and new contents (256..704 bytes each) run out of room.
constexpr uint64_t kQuotaMaxBytes = 2500;

struct Model {
  std::map<std::string, ModelOverlay> overlays;
  uint64_t now_us = 0;
  uint64_t reserved_bytes = 0;
};

// The contents some overlay names: exactly the stored blocks (drops collect their garbage).
std::set<uint64_t> stored_tags(const Model& m) {
  std::set<uint64_t> tags;
  for (const auto& [tree, overlay] : m.overlays) {
    for (const auto& [index, tag] : overlay.blocks) tags.insert(tag);
  }
  return tags;
}

uint64_t used_bytes(const Model& m) {
  uint64_t used = 0;
  for (uint64_t tag : stored_tags(m)) used += content_size(tag);
  return used;
}

// Room left under the quota (0 when used + reserved already reach it).
uint64_t headroom_bytes(const Model& m) {
  const uint64_t committed = used_bytes(m) + m.reserved_bytes;
  return committed >= kQuotaMaxBytes ? 0 : kQuotaMaxBytes - committed;
}

// Drops in batches of two leaves: an overlay's references to one block span several batches.
OverlayStoreOptions small_drop_batches() {
  OverlayStoreOptions options;
  options.drop_batch_leaves_max = 2;
  options.quota_max_bytes = kQuotaMaxBytes;
  return options;
}

struct Sut {
  Sut() : rig(1, sim::SimExecutorOptions{0, 0}), ov(rig, small_drop_batches()) {}
  OverlayRig rig;
  MemoryOverlay ov;
};

using Cmd = rc::state::Command<Model, Sut>;

void expect_matches(const Model& m, Sut& sut) {
  OverlayStore& s = *sut.ov.store;
  RC_ASSERT(sut.rig.clock.now_us() == m.now_us);
  std::vector<OverlayInfo> infos = s.overlays();
  RC_ASSERT(infos.size() == m.overlays.size());
  std::set<uint64_t> live_tags;
  std::map<uint64_t, uint64_t> overlays_naming;  // tag -> overlays holding it (the refcount)
  for (const OverlayInfo& info : infos) {
    auto it = m.overlays.find(info.tree);
    RC_ASSERT(it != m.overlays.end());
    RC_ASSERT(info.status == it->second.status);
    RC_ASSERT(info.expiry_us == it->second.expiry_us);
    RC_ASSERT(info.block_count == it->second.blocks.size());
    for (const auto& [index, tag] : it->second.blocks) {
      Result<std::string> bytes = sut.rig.sync(s.read_block(info.tree, index));
      RC_ASSERT(bytes.ok());
      RC_ASSERT(*bytes == content(tag));
      live_tags.insert(tag);
    }
    std::set<uint64_t> tags;
    for (const auto& [index, tag] : it->second.blocks) tags.insert(tag);
    for (uint64_t tag : tags) overlays_naming[tag] += 1;
  }
  for (const auto& [tag, overlays] : overlays_naming) {
    Result<uint64_t> refcount = sut.rig.sync(s.block_refcount(content(tag)));
    RC_ASSERT(refcount.ok());
    RC_ASSERT(*refcount == overlays);
  }
  uint64_t live_bytes = 0;
  for (uint64_t tag : live_tags) live_bytes += content_size(tag);
  RC_ASSERT(s.quota().used_bytes == live_bytes);
  RC_ASSERT(s.quota().block_count == live_tags.size());
  RC_ASSERT(s.quota().reserved_bytes == m.reserved_bytes);
  Result<std::vector<std::string>> problems = sut.rig.sync(s.check_consistency());
  RC_ASSERT(problems.ok());
  RC_ASSERT(problems->empty());
  RC_ASSERT(s.underflow_count() == 0u);
}

// Runs the command's model transition on a copy, checks the SUT against it.
template <typename C>
void check_after(const C& cmd, const Model& before, Sut& sut, Status status, StatusCode expected) {
  RC_ASSERT(status.code() == expected);
  Model after = before;
  cmd.apply(after);
  expect_matches(after, sut);
}

struct Create : Cmd {
  std::string tree = *rc::gen::elementOf(kTrees);
  bool temporary = *rc::gen::arbitrary<bool>();
  uint64_t expiry_offset_us = *rc::gen::inRange<uint64_t>(0, 5) * 100;
  bool never = *rc::gen::inRange(0, 4) == 0;
  uint64_t expiry(const Model& m) const { return never ? kNoExpiry : m.now_us + expiry_offset_us; }
  void apply(Model& m) const override {
    auto it = m.overlays.find(tree);
    if (it != m.overlays.end()) {
      it->second.expiry_us = std::max(it->second.expiry_us, expiry(m));
      return;
    }
    m.overlays[tree] = {
        temporary ? OverlayStatus::kStoring : OverlayStatus::kActive, expiry(m), {}};
  }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->create_overlay(tree, expiry(m), temporary));
    check_after(*this, m, sut, s, StatusCode::kOk);
  }
  void show(std::ostream& os) const override {
    os << "create " << tree << (temporary ? " temp" : "") << " +" << expiry_offset_us
       << (never ? " never" : "");
  }
};

struct Put : Cmd {
  std::string tree = *rc::gen::elementOf(kTrees);
  uint32_t index = *rc::gen::inRange<uint32_t>(0, 6);
  uint64_t tag = *rc::gen::inRange<uint64_t>(0, 8);
  bool from_reservation = *rc::gen::arbitrary<bool>();
  // Bytes a new content takes from the reservation (0 for stored content).
  uint64_t from_reserved(const Model& m) const {
    if (!from_reservation || stored_tags(m).contains(tag)) return 0;
    return std::min<uint64_t>(m.reserved_bytes, content_size(tag));
  }
  StatusCode expected(const Model& m) const {
    auto it = m.overlays.find(tree);
    if (it == m.overlays.end()) return StatusCode::kNotFound;
    if (it->second.status == OverlayStatus::kFailure) return StatusCode::kAborted;
    auto block = it->second.blocks.find(index);
    if (block != it->second.blocks.end()) {
      return block->second == tag ? StatusCode::kOk : StatusCode::kConflict;
    }
    if (stored_tags(m).contains(tag)) return StatusCode::kOk;  // a reference costs no quota
    if (content_size(tag) - from_reserved(m) > headroom_bytes(m)) return StatusCode::kNoSpace;
    return StatusCode::kOk;
  }
  void apply(Model& m) const override {
    if (expected(m) != StatusCode::kOk) return;
    m.reserved_bytes -= from_reserved(m);
    m.overlays[tree].blocks[index] = tag;
  }
  void run(const Model& m, Sut& sut) const override {
    Status s =
        sut.rig.sync(sut.ov.store->put_block(tree, index, content(tag), from_reservation));
    check_after(*this, m, sut, s, expected(m));
  }
  void show(std::ostream& os) const override {
    os << "put " << tree << "/" << index << " = " << tag
       << (from_reservation ? " from reservation" : "");
  }
};

struct Finalize : Cmd {
  std::string temp = *rc::gen::elementOf(kTrees);
  std::string tree = *rc::gen::elementOf(kTrees);
  StatusCode expected(const Model& m) const {
    if (temp == tree) return StatusCode::kInvalidArgument;
    auto it = m.overlays.find(temp);
    if (it == m.overlays.end()) return StatusCode::kNotFound;
    if (it->second.status != OverlayStatus::kStoring) return StatusCode::kAborted;
    return StatusCode::kOk;
  }
  void apply(Model& m) const override {
    if (expected(m) != StatusCode::kOk) return;
    ModelOverlay moved = m.overlays[temp];
    m.overlays.erase(temp);
    auto dest = m.overlays.find(tree);
    if (dest == m.overlays.end()) {
      moved.status = OverlayStatus::kActive;
      m.overlays[tree] = moved;
    } else {
      dest->second.expiry_us = std::max(dest->second.expiry_us, moved.expiry_us);
    }
  }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->finalize(temp, tree));
    check_after(*this, m, sut, s, expected(m));
  }
  void show(std::ostream& os) const override { os << "finalize " << temp << " -> " << tree; }
};

struct MarkFailed : Cmd {
  std::string tree = *rc::gen::elementOf(kTrees);
  void apply(Model& m) const override {
    auto it = m.overlays.find(tree);
    if (it != m.overlays.end()) it->second.status = OverlayStatus::kFailure;
  }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->mark_failed(tree));
    check_after(*this, m, sut, s,
                m.overlays.contains(tree) ? StatusCode::kOk : StatusCode::kNotFound);
  }
  void show(std::ostream& os) const override { os << "mark_failed " << tree; }
};

struct Drop : Cmd {
  std::string tree = *rc::gen::elementOf(kTrees);
  void apply(Model& m) const override { m.overlays.erase(tree); }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->drop(tree));
    check_after(*this, m, sut, s, StatusCode::kOk);
  }
  void show(std::ostream& os) const override { os << "drop " << tree; }
};

struct Reserve : Cmd {
  uint64_t bytes = *rc::gen::inRange<uint64_t>(0, 6) * 200;
  StatusCode expected(const Model& m) const {
    return bytes > headroom_bytes(m) ? StatusCode::kNoSpace : StatusCode::kOk;
  }
  void apply(Model& m) const override {
    if (expected(m) == StatusCode::kOk) m.reserved_bytes += bytes;
  }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->reserve(bytes));
    check_after(*this, m, sut, s, expected(m));
  }
  void show(std::ostream& os) const override { os << "reserve " << bytes; }
};

struct Release : Cmd {
  uint64_t bytes = *rc::gen::inRange<uint64_t>(0, 6) * 150;
  StatusCode expected(const Model& m) const {
    return bytes > m.reserved_bytes ? StatusCode::kInvalidArgument : StatusCode::kOk;
  }
  void apply(Model& m) const override {
    if (expected(m) == StatusCode::kOk) m.reserved_bytes -= bytes;
  }
  void run(const Model& m, Sut& sut) const override {
    Status s = sut.rig.sync(sut.ov.store->release(bytes));
    check_after(*this, m, sut, s, expected(m));
  }
  void show(std::ostream& os) const override { os << "release " << bytes; }
};

struct AdvanceAndMaintain : Cmd {
  uint64_t advance_us = *rc::gen::inRange<uint64_t>(0, 4) * 100;
  void apply(Model& m) const override {
    m.now_us += advance_us;
    std::erase_if(m.overlays,
                  [&](const auto& entry) { return entry.second.expiry_us <= m.now_us; });
  }
  void run(const Model& m, Sut& sut) const override {
    sut.rig.executor.run_for(advance_us);
    Result<MaintenanceReport> report = sut.rig.sync(sut.ov.store->maintenance());
    RC_ASSERT(report.ok());
    RC_ASSERT(!report->more_pending);
    check_after(*this, m, sut, Status(), StatusCode::kOk);
  }
  void show(std::ostream& os) const override { os << "advance " << advance_us << " + maintenance"; }
};

RC_GTEST_PROP(OverlayModel, StoreMatchesTheModelAfterEveryCommand, ()) {
  Model model;
  Sut sut;
  rc::state::check(model, sut,
                   rc::state::gen::execOneOfWithArgs<Create, Put, Put, Put, Finalize, MarkFailed,
                                                     Drop, Reserve, Release, AdvanceAndMaintain>());
}

}  // namespace
}  // namespace tierkv::testing
