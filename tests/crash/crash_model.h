// The crash baseline's expected state (tierkv-crash-baseline, issue 9), after RocksDB
// db_stress's "expected state": what every acknowledged and every in-flight operation may have
// left behind, so a reopened store can be checked exactly.
//
// The writer process reports each operation on a pipe as one text line (one write(2) of less
// than PIPE_BUF bytes, so a SIGKILL never tears a line) *before* calling it and again when it
// is answered. Both processes feed the same lines to a CrashModel: the writer to check itself
// whenever its clients are quiescent (every operation answered: exactly one legal state), the
// parent to check the store it reopens after the kill (in-flight operations may or may not have
// been applied).
//
// Lines:
//   T <id> <n> (<key> <value|->){n}  tier write/remove/CAS/batch of n keys called (ids grow in
//                                     call order; a value is unique to its operation)
//   A <id> / N <id>                   that tier operation applied (OK) / refused (Conflict)
//   L <n> (<key> <value|->){n}        ledger commit_async called (versions follow call order)
//   M <version>                       ledger commit acknowledged with that version
//   B <version> / E <version>         ledger rollback to version begun / done
//   P <id> <tree> <index> <content>   overlay put called;  Q <id>: acknowledged OK
//   D <tree>                          overlay drop called
//   X <text>                          the writer found a violation itself (rest of line)
// Keys in lines are StoreKey::to_string() ("p/s/k"); ledger keys are plain words.
// Thread-safety: none (one thread per process).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/store_key.h"

namespace tierkv::crash {

using Value = std::optional<std::string>;  // nullopt = absent
using LedgerState = std::map<std::string, std::string>;
using LedgerBatch = std::vector<std::pair<std::string, Value>>;

// The TierStore workload's keys: durable ones in two namespace pairs and in ("", ""), plus the
// default ephemeral keys network_graph and scorer in ("", "").
std::vector<StoreKey> tier_keys();
bool is_ephemeral_key(const StoreKey& key);
// Bytes of overlay block content number c (shared between overlays on purpose).
std::string overlay_content(uint32_t content);
inline constexpr uint32_t kOverlayContents = 12;

class CrashModel {
 public:
  // Applies one event line. InvalidArgument naming the line if it is malformed.
  Status apply(const std::string& line);
  // The writer's own report of a violation (X line), if any.
  const std::optional<std::string>& writer_violation() const { return writer_violation_; }

  // Tier keys: the values a reopened store may hold for key: the last applied op's (in call
  // order), any in-flight op's called after it, and any batch's that was still unanswered when
  // that op was called (a batch may overtake later writes). Quiescent without racing batches:
  // exactly one.
  std::vector<Value> legal_values(const StoreKey& key) const;
  // After a check: the key's state is known again (drops its history).
  void settle(const StoreKey& key, Value value);
  uint64_t next_tier_id() const { return next_tier_id_; }

  // Ledger: Corruption naming the first differing key unless (version, state) is a state a
  // crash may leave (versions in [last acknowledged, last called], or an interrupted
  // rollback's target).
  Status check_ledger(uint64_t version, const LedgerState& state) const;
  void settle_ledger(uint64_t version, LedgerState state);
  uint64_t ledger_version_called() const { return ledger_base_version_ + ledger_calls_.size(); }
  // The ledger's state at version. REQUIRES: base version <= version <= last called.
  LedgerState ledger_state_at(uint64_t version) const;
  uint64_t ledger_base_version() const { return ledger_base_version_; }
  uint64_t ledger_rollbacks() const { return ledger_rollbacks_; }  // E lines seen

  // Overlay puts that must be readable: acknowledged, to a tree that never expires, no drop of
  // that tree called since the put was called. (tree, index) -> content number.
  const std::map<std::pair<std::string, uint32_t>, uint32_t>& durable_puts() const {
    return durable_puts_;
  }
  uint64_t next_overlay_id() const { return next_overlay_id_; }

 private:
  struct TierOp {
    uint64_t id = 0;
    Value value;
    enum class State : uint8_t { kInFlight, kApplied, kRefused } state = State::kInFlight;
    // A batch (n > 1 keys) takes its keys' locks one by one and is never skipped as stale, so
    // it may land after a single-key op called later (tier_store.h: only writes are ordered).
    bool batch = false;
    uint64_t call_line = 0;                          // position of its T line
    uint64_t answer_line = ~uint64_t{0};             // position of its A/N line
  };
  struct PendingPut {
    std::string tree;
    uint32_t index = 0;
    uint32_t content = 0;
    uint64_t drop_epoch = 0;
  };

  Status apply_tier_call(const std::vector<std::string>& words, const std::string& line);
  Status answer_tier(uint64_t id, TierOp::State state, const std::string& line);
  Status apply_ledger_call(const std::vector<std::string>& words, const std::string& line);

  std::map<StoreKey, std::vector<TierOp>> tier_ops_;  // per key, in call order
  uint64_t lines_ = 0;                                 // lines applied so far
  std::map<uint64_t, std::vector<StoreKey>> tier_pending_;  // in-flight id -> its keys
  uint64_t next_tier_id_ = 1;

  uint64_t ledger_base_version_ = 0;
  LedgerState ledger_base_;
  std::vector<LedgerBatch> ledger_calls_;  // version base + 1 + i
  uint64_t ledger_acked_version_ = 0;
  std::optional<uint64_t> ledger_rollback_;  // begun, not yet done
  uint64_t ledger_rollbacks_ = 0;

  std::map<std::pair<std::string, uint32_t>, uint32_t> durable_puts_;
  std::map<uint64_t, PendingPut> overlay_pending_;
  std::map<std::string, uint64_t> drop_epoch_;
  uint64_t next_overlay_id_ = 1;

  std::optional<std::string> writer_violation_;
};

// Line builders (the writer's side of the protocol).
std::string tier_call_line(uint64_t id, const std::vector<std::pair<StoreKey, Value>>& ops);
std::string ledger_call_line(const LedgerBatch& batch);

}  // namespace tierkv::crash
