#include "sim/checkers.h"

#include <algorithm>
#include <cassert>

namespace tierkv::sim {
namespace {

constexpr size_t kPreviewBytes = 24;

std::string describe_allowed(const AllowedValues& allowed) {
  std::string out;
  if (allowed.absent_allowed) out = "<absent>";
  for (const std::string* value : allowed.values) {
    out += (out.empty() ? "" : " | ") + value_preview(*value);
  }
  return out.empty() ? "(nothing)" : out;
}

std::string ns_name(const std::string& primary, const std::string& secondary) {
  return "'" + primary + "/" + secondary + "'";
}

}  // namespace

std::string value_preview(std::optional<std::string_view> value) {
  if (!value) return "<absent>";
  if (value->size() <= kPreviewBytes) return "'" + std::string(*value) + "'";
  return "'" + std::string(value->substr(0, kPreviewBytes)) + "...'(" +
         std::to_string(value->size()) + "B)";
}

Checkers::Checkers(const Model& model, RunStats* stats, std::vector<Violation>* violations)
    : model_(model), stats_(stats), violations_(violations) {
  assert(stats_ != nullptr);
  assert(violations_ != nullptr);
}

void Checkers::note(uint64_t time_us, std::string text) {
  if (recent_.size() < kRecentEventsMax) {
    recent_.emplace_back(time_us, std::move(text));
  } else {
    recent_[recent_next_] = {time_us, std::move(text)};
  }
  recent_next_ = (recent_next_ + 1) % kRecentEventsMax;
}

std::string Checkers::recent_events() const {
  std::string out;
  const size_t n = recent_.size();
  const size_t first = n < kRecentEventsMax ? 0 : recent_next_;
  for (size_t i = 0; i < n; ++i) {
    const auto& [time_us, text] = recent_[(first + i) % n];
    out += "  @" + std::to_string(time_us) + "us " + text + "\n";
  }
  return out;
}

bool Checkers::count(const char* invariant, bool ok) {
  for (const auto& [name, counter] : counters_) {
    if (name == invariant) {
      ++*counter;
      return ok;
    }
  }
  uint64_t* counter = &stats_->invariants_checked[invariant];
  counters_.emplace_back(invariant, counter);
  ++*counter;
  return ok;
}

void Checkers::fail(const char* invariant, std::string message, std::string history) {
  std::string events = recent_events();
  if (!events.empty()) history += "recent run events:\n" + events;
  violations_->push_back(Violation{invariant, std::move(message), std::move(history)});
}

bool Checkers::recovered_value(const StoreKey& key, const std::optional<std::string>& observed,
                               bool wiped) {
  const AllowedValues allowed = model_.allowed_now(key, /*after_crash=*/true, wiped);
  if (count(kCheckRecovery, allowed.allows(observed))) return true;
  fail(kCheckRecovery,
       "after recovery " + key.to_string() + " holds " + value_preview(observed) +
           "; allowed: " + describe_allowed(allowed) +
           " (an acknowledged write was lost, or an older or phantom value came back)",
       model_.history(key));
  return false;
}

bool Checkers::version_monotonic(uint64_t version_before, uint64_t version_after,
                                 std::string_view what) {
  if (count(kCheckRecovery, version_after >= version_before)) return true;
  fail(kCheckRecovery,
       std::string(what) + " went back from version " + std::to_string(version_before) +
           " to " + std::to_string(version_after) + " across a restart",
       "");
  return false;
}

bool Checkers::lt_hash_matches(const std::string& maintained_hex,
                               const std::string& recomputed_hex, uint64_t version) {
  if (count(kCheckRecovery, maintained_hex == recomputed_hex)) return true;
  fail(kCheckRecovery,
       "LtHash at version " + std::to_string(version) + " is " + maintained_hex +
           " but the recovered state hashes to " + recomputed_hex,
       "");
  return false;
}

bool Checkers::read_value(const StoreKey& key, std::optional<std::string_view> observed,
                          uint64_t issued_tick, uint64_t completed_tick, uint64_t op_index) {
  const AllowedValues allowed = model_.allowed_for_read(key, issued_tick, completed_tick);
  if (count(kCheckReads, allowed.allows(observed))) return true;
  fail(kCheckReads,
       "read op#" + std::to_string(op_index) + " of " + key.to_string() + " returned " +
           value_preview(observed) + "; allowed: " + describe_allowed(allowed),
       model_.history(key));
  return false;
}

bool Checkers::wal_recovery(const WalRecoverySummary& summary, std::string_view dir) {
  const bool reason_given = summary.truncated_bytes == 0 || !summary.truncated_reason.empty();
  const bool not_ahead = summary.recovered_version <= summary.last_wal_version ||
                         summary.records == 0;
  if (count(kCheckWalPrefix, reason_given && not_ahead)) return true;
  std::string message = "WAL recovery of " + std::string(dir) + ": ";
  if (!reason_given) {
    message += "cut " + std::to_string(summary.truncated_bytes) + " bytes without a reason";
  } else {
    message += "store at version " + std::to_string(summary.recovered_version) +
               " is ahead of the log's last version " + std::to_string(summary.last_wal_version);
  }
  fail(kCheckWalPrefix, std::move(message), "");
  return false;
}

bool Checkers::backup_not_older(const StoreKey& key,
                                const std::optional<std::string>& backup_observed) {
  // The baseline is what primary showed at the last quiescent point; the backup may lag it
  // legitimately (a failed backup write, a rollback, awaiting reconcile). Only an ack since
  // then (both sides applied it, in sync mode) sets a floor for the backup.
  if (!model_.has_durable_ack(key)) return count(kCheckBackupPrimary, true);
  const AllowedValues allowed = model_.allowed_now(key, /*after_crash=*/true, /*wiped=*/false);
  if (count(kCheckBackupPrimary, allowed.allows(backup_observed))) return true;
  fail(kCheckBackupPrimary,
       "backup holds " + value_preview(backup_observed) + " for " + key.to_string() +
           ", older than (or unknown to) what was acknowledged; allowed: " +
           describe_allowed(allowed),
       model_.history(key));
  return false;
}

bool Checkers::backup_equals_primary(const StoreKey& key,
                                     const std::optional<std::string>& primary,
                                     const std::optional<std::string>& backup,
                                     std::string_view when) {
  if (count(kCheckBackupPrimary, primary == backup)) return true;
  fail(kCheckBackupPrimary,
       std::string(when) + ", primary holds " + value_preview(primary) + " for " + key.to_string() +
           " but backup holds " + value_preview(backup),
       model_.history(key));
  return false;
}

bool Checkers::routing(const StoreKey& key, bool is_ephemeral, bool in_primary, bool in_backup,
                       bool in_ephemeral) {
  bool ok = true;
  std::string message;
  if (is_ephemeral && (in_primary || in_backup)) {
    ok = false;
    message = "ephemeral key " + key.to_string() + " found in " +
              (in_primary ? std::string("primary") : std::string("backup"));
  } else if (!is_ephemeral && in_ephemeral) {
    ok = false;
    message = "durable key " + key.to_string() + " found in the ephemeral tier" +
              (in_primary ? "" : " and not in primary");
  }
  if (count(kCheckRouting, ok)) return true;
  fail(kCheckRouting, std::move(message), model_.history(key));
  return false;
}

bool Checkers::hybrid_side(const StoreKey& key, std::string_view routed_side,
                           std::string_view found_side) {
  if (count(kCheckRouting, routed_side == found_side)) return true;
  fail(kCheckRouting,
       "namespace pair " + ns_name(key.primary_namespace, key.secondary_namespace) +
           (key.key.empty() ? std::string() : " (key " + key.key + ")") +
           " found on the hybrid primary's " + std::string(found_side) +
           " side; its primary namespace routes to the " + std::string(routed_side) + " side",
       key.key.empty() ? std::string() : model_.history(key));
  return false;
}

bool Checkers::hybrid_namespaces(const std::vector<NamespacePair>& listed,
                                 const std::vector<NamespacePair>& on_sides) {
  if (count(kCheckRouting, listed == on_sides)) return true;
  const auto names = [](const std::vector<NamespacePair>& pairs) {
    std::string out;
    for (const NamespacePair& pair : pairs) {
      out += (out.empty() ? "" : ", ") + ns_name(pair.primary_namespace, pair.secondary_namespace);
    }
    return "[" + out + "]";
  };
  fail(kCheckRouting,
       "the hybrid primary's list_namespaces returned " + names(listed) +
           "; its lsm and btree sides together hold " + names(on_sides),
       std::string());
  return false;
}

bool Checkers::pagination(const std::string& primary_namespace,
                          const std::string& secondary_namespace,
                          const std::vector<std::vector<std::string>>& pages, bool complete,
                          const std::optional<std::vector<std::string>>& list) {
  std::string problem;
  size_t oversized = pages.size();  // the first page over the bound
  for (size_t p = 0; p < pages.size() && oversized == pages.size(); ++p) {
    if (pages[p].size() > kListPageSizeMax) oversized = p;
  }
  // The walk's keys sorted (ties in walk order); with list given, its distinct keys are
  // compared with list()'s and a key met twice is a problem.
  struct Paged {
    std::string_view key;
    size_t position;  // in the walk
    size_t page;
  };
  std::vector<Paged> paged;
  std::vector<std::string_view> seen;  // distinct, ascending
  const Paged* repeat = nullptr;       // the walk's first meeting of a key seen before
  if (list) {
    for (size_t p = 0; p < pages.size(); ++p) {
      for (const std::string& key : pages[p]) paged.push_back(Paged{key, paged.size(), p});
    }
    std::sort(paged.begin(), paged.end(), [](const Paged& a, const Paged& b) {
      return a.key != b.key ? a.key < b.key : a.position < b.position;
    });
    size_t first = 0;  // where the current key's run of occurrences starts
    for (size_t i = 0; i < paged.size(); ++i) {
      if (i == 0 || paged[i].key != paged[i - 1].key) {
        first = i;
        seen.push_back(paged[i].key);
      } else if (i == first + 1 && (repeat == nullptr || paged[i].position < repeat->position)) {
        repeat = &paged[i];  // the key's second occurrence
      }
    }
  }
  // Pages are judged in walk order: a repeat on or before the first oversized page comes first.
  if (repeat != nullptr && repeat->page <= oversized) {
    problem = "key '" + std::string(repeat->key) +
              "' appears twice in the page walk (again on page " + std::to_string(repeat->page) +
              ")";
  } else if (oversized < pages.size()) {
    problem = "page " + std::to_string(oversized) + " holds " +
              std::to_string(pages[oversized].size()) + " keys, over the page bound " +
              std::to_string(kListPageSizeMax);
  }
  if (problem.empty() && !complete) problem = "the page walk did not end within its bound";
  if (problem.empty() && list) {
    std::vector<std::string_view> listed(list->begin(), list->end());
    std::sort(listed.begin(), listed.end());
    listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
    if (listed != seen) {
      problem = "pages hold " + std::to_string(seen.size()) + " distinct keys but list() holds " +
                std::to_string(listed.size());
      for (std::string_view key : listed) {
        if (!std::binary_search(seen.begin(), seen.end(), key)) {
          problem += "; '" + std::string(key) + "' listed but never paged";
          break;
        }
      }
      for (std::string_view key : seen) {
        if (!std::binary_search(listed.begin(), listed.end(), key)) {
          problem += "; '" + std::string(key) + "' paged but not listed";
          break;
        }
      }
    }
  }
  if (count(kCheckPagination, problem.empty())) return true;
  fail(kCheckPagination,
       "list_page walk of " + ns_name(primary_namespace, secondary_namespace) + ": " + problem,
       "");
  return false;
}

bool Checkers::scan_order(const std::string& what, const std::string& prefix,
                          const std::vector<std::string>& keys) {
  std::string problem;
  for (size_t i = 0; i < keys.size() && problem.empty(); ++i) {
    if (!keys[i].starts_with(prefix)) {
      problem = "key '" + keys[i] + "' at position " + std::to_string(i) +
                " is outside the prefix '" + prefix + "'";
    } else if (i > 0 && !(keys[i - 1] < keys[i])) {
      problem = "key '" + keys[i] + "' at position " + std::to_string(i) +
                " does not follow '" + keys[i - 1] + "' in ascending order";
    }
  }
  if (count(kCheckPagination, problem.empty())) return true;
  fail(kCheckPagination, what + ": " + problem, "");
  return false;
}

bool Checkers::rollback_state(uint64_t version, const std::map<std::string, std::string>& expected,
                              const std::map<std::string, std::string>& actual) {
  if (count(kCheckVersioned, expected == actual)) return true;
  std::string detail;
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end() || it->second != value) {
      detail = "raw key of length " + std::to_string(key.size()) + " expected " +
               value_preview(value) + ", found " +
               value_preview(it == actual.end() ? std::nullopt
                                                : std::optional<std::string>(it->second));
      break;
    }
  }
  if (detail.empty()) {
    for (const auto& [key, value] : actual) {
      if (!expected.contains(key)) {
        detail = "a raw key absent at that version came back with " + value_preview(value);
        break;
      }
    }
  }
  fail(kCheckVersioned,
       "rollback to version " + std::to_string(version) + " does not yield the state recorded " +
           "at that version (" + std::to_string(expected.size()) + " vs " +
           std::to_string(actual.size()) + " raw entries): " + detail,
       "");
  return false;
}

bool Checkers::batch_atomic(const std::vector<uint64_t>& ids,
                            const std::map<StoreKey, std::optional<std::string>>& observed) {
  assert(!ids.empty());
  const Mutation& first = model_.mutation(ids.front());
  if (first.state == MutationState::kRejected) return true;  // refused whole: nothing to see
  // What proves the batch applied: its acknowledgement, or the first of its keys (in issue
  // order) that holds its batch value.
  const bool acked = first.state == MutationState::kAcked;
  const Mutation* shown = nullptr;
  for (size_t i = 0; i < ids.size() && !acked && shown == nullptr; ++i) {
    const Mutation& m = model_.mutation(ids[i]);
    auto it = observed.find(m.key);
    if (m.value && it != observed.end() && it->second == m.value) shown = &m;
  }
  if (!acked && shown == nullptr) return count(kCheckAtomicity, true);  // none of it shows
  std::string problem;
  for (uint64_t id : ids) {
    const Mutation& m = model_.mutation(id);
    auto it = observed.find(m.key);
    if (it == observed.end()) continue;
    const AllowedValues allowed = model_.allowed_if_applied(id);
    if (allowed.allows(it->second)) continue;
    problem += "; " + m.key.to_string() + " holds " + value_preview(it->second) +
               " (allowed once the batch applied: " + describe_allowed(allowed) + ")";
  }
  if (count(kCheckAtomicity, problem.empty())) return true;
  // The violation's text, built only now that the batch failed.
  std::string keys;
  std::string history;
  for (uint64_t id : ids) {
    const Mutation& m = model_.mutation(id);
    keys += (keys.empty() ? "" : ", ") + m.key.to_string();
    history += model_.history(m.key);
  }
  const std::string applied =
      acked ? "it was acknowledged" : shown->key.to_string() + " holds its batch value";
  fail(kCheckAtomicity,
       "atomic batch op#" + std::to_string(first.op_index) + " [" +
           std::string(mutation_state_name(first.state)) + "] of " +
           std::to_string(ids.size()) + " keys (" + keys + ") is half-applied: " + applied +
           problem,
       std::move(history));
  return false;
}

bool Checkers::liveness(bool finished, uint64_t bound_us, const std::vector<std::string>& pending) {
  if (count(kCheckLiveness, finished)) return true;
  std::string history;
  for (const std::string& line : pending) history += "  still pending: " + line + "\n";
  fail(kCheckLiveness,
       std::to_string(pending.size()) + " operations still pending " + std::to_string(bound_us) +
           "us after faults healed",
       std::move(history));
  return false;
}

bool Checkers::overlays(const std::vector<std::string>& problems, uint64_t underflows) {
  if (count(kCheckOverlays, problems.empty() && underflows == 0)) return true;
  std::string message = "the OverlayStore is inconsistent:";
  for (const std::string& problem : problems) message += " " + problem + ";";
  if (underflows > 0) message += " " + std::to_string(underflows) + " counter underflow(s)";
  fail(kCheckOverlays, std::move(message), "");
  return false;
}

}  // namespace tierkv::sim
