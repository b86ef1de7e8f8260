// Checkers: the invariants of DESIGN.md ("Invariants the checkers assert"), each under a stable
// name that run statistics and scenario files use:
//   recovery        (1) recovered values are legal for the model, versions never go back,
//                       the recovered LtHash equals the hash of the recovered state
//   reads               a read returns a value the model allows at that moment
//   wal_prefix      (2) recovery cut the log at the first bad record and said why
//   backup_primary  (3) backup never older than an acknowledged value; equal when quiescent
//   routing         (4) ephemeral keys never in primary/backup, durable never only ephemeral;
//                       with a hybrid primary, a namespace pair's records only on its side
//   pagination      (5) pages concatenated == list(), every key once, finite
//   overlays        (6) the OverlayStore's own consistency scan finds nothing (refcount ==
//                       leaves naming the block, no orphan or missing block, quota == bytes of
//                       live blocks) and no counter ever underflowed
//   versioned       (7) rollback(v) yields exactly the state recorded at v
//   liveness        (8) once faults heal, every pending operation finishes within a bound
//   atomicity       (1) an atomic batch shows as a unit: once one of its keys holds its value
//                       (or it was acknowledged), every key holds its value or a later one
// Each check counts itself in RunStats::invariants_checked and, when it fails, appends a
// Violation whose history holds the key's model history plus the most recent run events. A
// check builds its message and history text only when it fails.
// Thread-safety: none; the simulator runs on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/kv_store.h"
#include "engine/core/store_key.h"
#include "sim/model.h"
#include "sim/runner.h"

namespace tierkv::sim {

inline constexpr char kCheckRecovery[] = "recovery";
inline constexpr char kCheckReads[] = "reads";
inline constexpr char kCheckWalPrefix[] = "wal_prefix";
inline constexpr char kCheckBackupPrimary[] = "backup_primary";
inline constexpr char kCheckRouting[] = "routing";
inline constexpr char kCheckPagination[] = "pagination";
inline constexpr char kCheckVersioned[] = "versioned";
inline constexpr char kCheckOverlays[] = "overlays";
inline constexpr char kCheckLiveness[] = "liveness";
inline constexpr char kCheckAtomicity[] = "atomicity";

// How many recent run events a violation's history shows.
inline constexpr size_t kRecentEventsMax = 48;

// What a WAL recovery found, as the checker needs it (filled from WalRecoveryReport).
struct WalRecoverySummary {
  uint64_t records = 0;
  uint64_t truncated_bytes = 0;
  std::string truncated_reason;
  uint64_t recovered_version = 0;   // the store's version after open
  uint64_t last_wal_version = 0;    // last version in the log after open
};

class Checkers {
 public:
  // stats and violations must outlive the checkers; model is read for histories.
  Checkers(const Model& model, RunStats* stats, std::vector<Violation>* violations);

  // A run event (op issued/completed, fault, crash, restart) for violation histories. `text`
  // is built only by the caller; keep it short.
  void note(uint64_t time_us, std::string text);

  // (1) A key after a crash + recovery (wiped: its tier was legitimately lost).
  bool recovered_value(const StoreKey& key, const std::optional<std::string>& observed,
                       bool wiped);
  // (1) The store's version after recovery against the one before (never backwards).
  bool version_monotonic(uint64_t version_before, uint64_t version_after, std::string_view what);
  // (1) The LtHash the store maintains against one recomputed from a full scan of its state.
  bool lt_hash_matches(const std::string& maintained_hex, const std::string& recomputed_hex,
                       uint64_t version);
  // A read's result against the model (issued/completed ticks from Model::tick()).
  bool read_value(const StoreKey& key, std::optional<std::string_view> observed,
                  uint64_t issued_tick, uint64_t completed_tick, uint64_t op_index);
  // (2) A WAL recovery report: a cut tail must say why; the store must not be ahead of the log.
  bool wal_recovery(const WalRecoverySummary& summary, std::string_view dir);
  // (3) The backup's value of key after a crash (sync backup mode): never older than the last
  // durable ack since the baseline (no constraint without one: the backup may lag the
  // baseline, which came from primary).
  bool backup_not_older(const StoreKey& key, const std::optional<std::string>& backup_observed);
  // (3) When quiescent: backup == primary. when says at which point (after a reconcile, or
  // after the async mirror said it was drained with no reconcile since).
  bool backup_equals_primary(const StoreKey& key, const std::optional<std::string>& primary,
                             const std::optional<std::string>& backup,
                             std::string_view when = "when quiescent");
  // (4) Where a key was found.
  bool routing(const StoreKey& key, bool is_ephemeral, bool in_primary, bool in_backup,
               bool in_ephemeral);
  // (4) A hybrid primary (HybridKvStore): key (or, with an empty key part, its namespace pair)
  // was found on found_side, and its primary namespace routes to routed_side; ok when equal.
  bool hybrid_side(const StoreKey& key, std::string_view routed_side, std::string_view found_side);
  // (4) A hybrid primary's list_namespaces() against the pairs its two sides list (merged,
  // ascending, each once): ok when equal.
  bool hybrid_namespaces(const std::vector<NamespacePair>& listed,
                         const std::vector<NamespacePair>& on_sides);
  // (5) A page walk of one namespace pair. complete: the walk reached a page without a token
  // (false = it hit the page bound: not finite). list: list() of the same namespace taken when
  // nothing changed in between (nullopt during concurrent mutation: only the walk's own rules
  // are checked).
  bool pagination(const std::string& primary_namespace, const std::string& secondary_namespace,
                  const std::vector<std::vector<std::string>>& pages, bool complete,
                  const std::optional<std::vector<std::string>>& list);
  // (5) An ordered scan (e.g. HybridStore's merge of its two sides): keys strictly ascending
  // (so no key twice) and every key starts with prefix.
  bool scan_order(const std::string& what, const std::string& prefix,
                  const std::vector<std::string>& keys);
  // (6) The OverlayStore's consistency problems (empty = consistent) and underflow count.
  bool overlays(const std::vector<std::string>& problems, uint64_t underflows);
  // (7) A rollback to version: the raw state found against the one recorded at that version.
  bool rollback_state(uint64_t version, const std::map<std::string, std::string>& expected,
                      const std::map<std::string, std::string>& actual);
  // (1) One atomic batch (its mutation ids, Model::batches) against what its keys hold now
  // (observed: key -> value; keys missing from it were not read). A value of the batch on any
  // key (values are unique per op and part) or its acknowledgement proves it applied; then
  // every key must hold its batch value or one written after it. A batch in flight at a crash
  // may show all or none of itself, never part.
  bool batch_atomic(const std::vector<uint64_t>& ids,
                    const std::map<StoreKey, std::optional<std::string>>& observed);
  // (8) End of run: did everything finish within the bound?
  bool liveness(bool finished, uint64_t bound_us, const std::vector<std::string>& pending);

  size_t violations() const { return violations_->size(); }

 private:
  // Counts one check of `invariant`; returns ok.
  bool count(const char* invariant, bool ok);
  void fail(const char* invariant, std::string message, std::string history);
  std::string recent_events() const;

  const Model& model_;
  RunStats* stats_;
  std::vector<Violation>* violations_;
  std::vector<std::pair<uint64_t, std::string>> recent_;  // a ring of kRecentEventsMax
  size_t recent_next_ = 0;
  // count()'s counters in stats_->invariants_checked by name pointer (the kCheck* constants),
  // so a check does not build a string and search the map each time. Map nodes never move.
  std::vector<std::pair<const char*, uint64_t*>> counters_;
  // Counters kept in a flat array and flushed into stats_ lazily would be faster; a map
  // lookup per check is fine at the simulator's check rate.
};

// "<absent>" or a short preview of value, for messages.
std::string value_preview(std::optional<std::string_view> value);

}  // namespace tierkv::sim
