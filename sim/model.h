// Model: the simulator's oracle. It records every mutation a client issues (write, remove, CAS,
// each key of an atomic batch) with when it was issued, when it completed and how (acknowledged,
// failed, rejected, or in flight when the process crashed), and from that decides which values
// a store may legally show for a key.
//
// The rule (DESIGN.md invariant 1, per key): writes and removes of one key take effect in call
// order (TierStore's contract), so they are ordered by issue. Once a mutation M is
// acknowledged durably, the key may only show M's value or the value of a mutation issued
// after M that may have been applied (acknowledged, failed, or in flight) — never an older
// value, and never a value nobody wrote. CAS and atomic batches are conditional and applied in
// key-lock order (BackendKvStore's contract), so one issued before M that had not completed
// when M was issued may also show. Before any acknowledgement, the key's baseline (the
// value it settled to at the last quiescent point) is also allowed.
//
// Settling: at a quiescent point (nothing in flight; e.g. right after a restart) the runner
// reads the real value of each key, checks it is allowed, and calls settle(): the observed
// value becomes the key's baseline and its history is dropped. That keeps the model small
// and makes every later check relative to what the store really holds.
//
// Events are ordered by a logical tick (issue and completion each take one), not by simulated
// time, since many events share one simulated microsecond.
// Thread-safety: none; the simulator runs on one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/store_key.h"

namespace tierkv::sim {

enum class MutationState : uint8_t {
  kPending,   // issued, not completed
  kAcked,     // completed OK
  kFailed,    // completed with an error: may or may not have been applied
  kRejected,  // refused (Conflict, NotSupported, InvalidArgument): certainly not applied
  kCrashed,   // in flight when the process crashed: may or may not have been applied
};

std::string_view mutation_state_name(MutationState state);

struct Mutation {
  uint64_t id = 0;        // global issue order
  uint64_t op_index = 0;  // index of the scenario op that issued it
  uint32_t client = 0;
  std::string kind;       // "write", "remove", "cas", "atomic"
  StoreKey key;
  std::optional<std::string> value;  // nullopt = remove
  bool durable = true;               // routed to primary (+ backup), not ephemeral
  bool durable_on_ack = true;        // false for lazy removes: an ack promises no durability
  uint64_t issued_tick = 0;
  uint64_t completed_tick = 0;
  uint64_t issued_us = 0;
  uint64_t completed_us = 0;
  MutationState state = MutationState::kPending;
  std::string error;  // the Status text of a failure

  // "m12 op#40 c3 write app//k7 = op40.0:... [acked @1200us]"
  std::string describe() const;
};

// What is allowed for one key right now. The values point into the model's history: valid
// until the model next changes (a check reads them at once).
struct AllowedValues {
  bool absent_allowed = false;
  std::vector<const std::string*> values;
  bool allows(std::optional<std::string_view> observed) const;
};

class Model {
 public:
  Model() = default;
  Model(const Model&) = delete;  // index_ points into keys_
  Model& operator=(const Model&) = delete;

  // Records a mutation issued now; returns its id. The caller issues the store call right
  // after, before any suspension, so the model's issue order is the store's call order.
  uint64_t begin(uint64_t op_index, uint32_t client, std::string kind, StoreKey key,
                 std::optional<std::string> value, bool durable, bool durable_on_ack,
                 uint64_t now_us);

  // Records how mutation id completed: OK -> acked; Conflict, NotSupported or
  // InvalidArgument -> rejected (refused before any write); anything else -> failed. A
  // mutation marked crashed stays crashed: its completion came after the process died (the
  // runner lets a crashed world's calls fail out before tearing it down), so no client saw it.
  // REQUIRES: id is pending or crashed.
  void complete(uint64_t id, const Status& status, uint64_t now_us);

  // Every pending mutation becomes crashed (its coroutine was abandoned).
  void crash();

  // A tick for a non-mutating event (a read's issue or completion).
  uint64_t tick() { return ++tick_; }

  // Values key may show at a quiescent point. after_crash: only acks that promise durability
  // (not lazy removes) set the floor. wiped: the key's tier lost everything (ephemeral loss),
  // so absent is allowed too.
  AllowedValues allowed_now(const StoreKey& key, bool after_crash, bool wiped = false) const;

  // Values a read issued at issued_tick and completed at completed_tick may return: not older
  // than the last mutation acknowledged before issued_tick, not issued after completed_tick.
  AllowedValues allowed_for_read(const StoreKey& key, uint64_t issued_tick,
                                 uint64_t completed_tick) const;

  // The value the key must hold once every mutation has completed and nothing failed; nullopt
  // if the history is ambiguous (a failed or crashed mutation after the last ack).
  std::optional<std::optional<std::string>> settled_value(const StoreKey& key) const;

  // Makes observed the key's baseline and drops its history. REQUIRES: nothing pending on key.
  void settle(const StoreKey& key, std::optional<std::string> observed);

  // Values mutation id's key may show given that id was applied: its own value, or the value
  // of a mutation of that key that may have applied after it (issued later, or a CAS / batch
  // issued earlier that may land after it). Used to judge a batch as a unit.
  AllowedValues allowed_if_applied(uint64_t id) const;

  // The atomic batches in the history ("atomic" mutations), each as its mutation ids in issue
  // order, keyed by the op that issued it (one op issues one batch).
  std::map<uint64_t, std::vector<uint64_t>> batches() const;

  // Whether a mutation of key acknowledged with a durability promise (not a lazy remove) is in
  // its history since the baseline.
  bool has_durable_ack(const StoreKey& key) const;

  // Every key the model has seen, in key order; keys_in: those with that primary namespace.
  std::vector<StoreKey> keys() const;
  std::vector<StoreKey> keys_in(const std::string& primary_namespace) const;
  bool has_pending() const { return pending_ != 0; }
  uint64_t pending() const { return pending_; }
  // REQUIRES: id is in the history (issued, and its key not settled since).
  const Mutation& mutation(uint64_t id) const;

  // The key's baseline and mutations since, one per line (a violation's history).
  std::string history(const StoreKey& key) const;

  // Current value of every key whose history is unambiguous and present (for rollback points).
  // REQUIRES: settled: every key's history empty.
  std::map<StoreKey, std::string> settled_state() const;

 private:
  struct KeyState {
    std::optional<std::string> baseline;
    // The key's mutations in issue order, in mutations_ (a deque's elements never move;
    // settle empties them when it clears this list).
    std::vector<const Mutation*> mutations;
  };
  // Index in mutations of the last one acked durably (before_tick bounds the completion tick).
  static std::optional<size_t> last_ack(const std::vector<const Mutation*>& mutations,
                                        uint64_t before_tick, bool durable_only);

  static bool may_apply_after(const Mutation& m, const Mutation& later);
  AllowedValues allowed(const StoreKey& key, uint64_t ack_before_tick, bool durable_only,
                        uint64_t issued_before_tick, bool wiped) const;
  // The key's state, or null if the model never saw the key / creating it.
  const KeyState* find(const StoreKey& key) const;
  KeyState& state_of(const StoreKey& key);
  Mutation& at(uint64_t id);

  struct KeyHash {
    size_t operator()(const StoreKey& key) const noexcept;
  };
  std::map<StoreKey, KeyState> keys_;  // in key order: what keys() and settled_state() walk
  // Lookups by key (a hash and one comparison instead of a walk down keys_); never iterated.
  // Points at keys_'s nodes, which never move and are never erased.
  std::unordered_map<StoreKey, KeyState*, KeyHash> index_;
  // Every mutation still in a key's history, by id: mutations_[id - first_id_]. settle empties
  // its key's entries; empty entries at the front are dropped (first_id_ moves on).
  std::deque<std::optional<Mutation>> mutations_;
  uint64_t first_id_ = 0;
  uint64_t next_id_ = 0;
  uint64_t tick_ = 0;
  uint64_t pending_ = 0;
};

}  // namespace tierkv::sim
