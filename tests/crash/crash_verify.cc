#include "tests/crash/crash_verify.h"

#include <algorithm>
#include <set>

#include "engine/versioned/lt_hash.h"

namespace tierkv::crash {
namespace {

std::string show(const Value& value) { return value ? *value : std::string("(absent)"); }

Result<Value> read_value(Executor& executor, KvStore& store, const StoreKey& key) {
  Result<std::string> got = run_sync(executor, store.read(key));
  if (got.status().is_not_found()) return Value();
  if (!got.ok()) return got.status().with_context("reading " + key.to_string());
  return Value(std::move(*got));
}

Status check_legal(const CrashModel& model, const StoreKey& key, const Value& got,
                   const std::string& where) {
  const std::vector<Value> legal = model.legal_values(key);
  if (std::find(legal.begin(), legal.end(), got) != legal.end()) return Status();
  std::string expected;
  for (const Value& value : legal) expected += (expected.empty() ? "" : " or ") + show(value);
  return Status::corruption(where + ": key " + key.to_string() + " holds " + show(got) +
                            ", expected " + expected);
}

// list() and a list_page walk of one namespace pair must both be exactly `present`.
Status check_listing(Executor& executor, KvStore& store, const std::string& primary,
                     const std::string& secondary, const std::vector<std::string>& present) {
  const std::string where = "namespace " + primary + "/" + secondary;
  Result<std::vector<std::string>> listed = run_sync(executor, store.list(primary, secondary));
  if (!listed.ok()) return listed.status().with_context("list of " + where);
  if (*listed != present) {
    return Status::corruption("list of " + where + " returned " + std::to_string(listed->size()) +
                              " keys, " + std::to_string(present.size()) + " are present");
  }
  std::vector<std::string> walked;
  std::optional<std::string> token;
  for (int page = 0;; ++page) {
    if (page > 100) return Status::corruption("page walk of " + where + " does not end");
    Result<ListPage> got = run_sync(executor, store.list_page(primary, secondary, token));
    if (!got.ok()) return got.status().with_context("list_page of " + where);
    walked.insert(walked.end(), got->keys.begin(), got->keys.end());
    if (!got->next_token) break;
    token = got->next_token;
  }
  std::sort(walked.begin(), walked.end());
  if (walked != present) {
    return Status::corruption("page walk of " + where + " returned " +
                              std::to_string(walked.size()) + " keys, " +
                              std::to_string(present.size()) + " are present");
  }
  return Status();
}

Status check_tier_keys(CrashStack& stack, CrashModel& model) {
  Executor& executor = stack.executor();
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> present;
  for (const StoreKey& key : tier_keys()) {
    TIERKV_ASSIGN_OR_RETURN(Value got, read_value(executor, stack.tiers(), key));
    TIERKV_RETURN_IF_ERROR(check_legal(model, key, got, "TierStore"));
    if (!is_ephemeral_key(key)) {
      TIERKV_ASSIGN_OR_RETURN(Value primary, read_value(executor, stack.primary(), key));
      TIERKV_ASSIGN_OR_RETURN(Value backup, read_value(executor, stack.backup(), key));
      if (primary != got || backup != primary) {
        return Status::corruption("quiescent tiers disagree on key " + key.to_string() +
                                  ": TierStore " + show(got) + ", primary " + show(primary) +
                                  ", backup " + show(backup));
      }
    }
    std::vector<std::string>& keys = present[{key.primary_namespace, key.secondary_namespace}];
    if (got) keys.push_back(key.key);
    model.settle(key, got);
  }
  for (auto& [pair, keys] : present) {
    std::sort(keys.begin(), keys.end());
    TIERKV_RETURN_IF_ERROR(
        check_listing(executor, stack.tiers(), pair.first, pair.second, keys));
  }
  return Status();
}

Status check_overlays(CrashStack& stack, const CrashModel& model) {
  Executor& executor = stack.executor();
  OverlayStore& overlays = stack.overlays();
  Result<std::vector<std::string>> problems = run_sync(executor, overlays.check_consistency());
  if (!problems.ok()) return problems.status().with_context("overlay consistency check");
  if (!problems->empty()) {
    return Status::corruption("overlay store inconsistent (" + std::to_string(problems->size()) +
                              " problems), first: " + problems->front());
  }
  for (const auto& [where, content] : model.durable_puts()) {
    const std::string name = "overlay " + where.first + " block " + std::to_string(where.second);
    Result<std::string> bytes = run_sync(executor, overlays.read_block(where.first, where.second));
    if (!bytes.ok()) return bytes.status().with_context("acknowledged put of " + name);
    if (*bytes != overlay_content(content)) {
      return Status::corruption(name + " does not hold content " + std::to_string(content));
    }
  }
  const QuotaUsage quota = overlays.quota();
  if (quota.used_bytes + quota.reserved_bytes > quota.max_bytes) {
    return Status::corruption("overlay quota used " + std::to_string(quota.used_bytes) +
                              " bytes exceeds its maximum " + std::to_string(quota.max_bytes));
  }
  return Status();
}

Status check_ledger(CrashStack& stack, CrashModel& model, bool settle) {
  VersionedStore& ledger = stack.ledger();
  Result<std::vector<KeyValue>> rows = ledger.scan(prefix_range(""), 100000);
  if (!rows.ok()) return rows.status().with_context("scan of the ledger");
  LedgerState state;
  LtHash hash;
  for (const KeyValue& row : *rows) {
    state[row.key] = row.value;
    hash.mix_in_element(row.key, row.value);
  }
  TIERKV_RETURN_IF_ERROR(model.check_ledger(ledger.version(), state));
  if (!(hash == ledger.lt_hash())) {
    return Status::corruption("ledger LtHash at version " + std::to_string(ledger.version()) +
                              " differs from the LtHash of its data");
  }
  if (settle) model.settle_ledger(ledger.version(), std::move(state));
  return Status();
}

}  // namespace

Status check_tiers_raw(CrashStack& stack, const CrashModel& model) {
  for (const StoreKey& key : tier_keys()) {
    for (BackendKvStore* tier : {&stack.primary(), &stack.backup()}) {
      const std::string where = tier == &stack.primary() ? "recovered primary" : "recovered backup";
      TIERKV_ASSIGN_OR_RETURN(Value got, read_value(stack.executor(), *tier, key));
      if (is_ephemeral_key(key)) {
        if (got) return Status::corruption(where + " holds ephemeral key " + key.to_string());
        continue;
      }
      TIERKV_RETURN_IF_ERROR(check_legal(model, key, got, where));
    }
  }
  return Status();
}

Status check_stack(CrashStack& stack, CrashModel& model, bool settle_ledger) {
  run_sync(stack.executor(), stack.tier_store().flush_backup());
  TIERKV_RETURN_IF_ERROR(check_tier_keys(stack, model));
  TIERKV_RETURN_IF_ERROR(check_overlays(stack, model));
  return check_ledger(stack, model, settle_ledger);
}

}  // namespace tierkv::crash
