// TierStore's listing: primary first (stale primary copies of ephemeral keys hidden), then the
// ephemeral tier's keys for namespace pairs an EphemeralRule covers.
//
// Page tokens (opaque to callers):
//   'p' + primary's own token                 — the walk is still in primary's pages;
//   'e' + hex(fixed32 crc32c(ns-pair) | last ephemeral key returned ("" = none yet) |
//             fixed32 masked crc32c of the bytes before it)
//                                             — primary is done; ephemeral keys ascending.
#include <algorithm>
#include <set>
#include <utility>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"
#include "engine/tier/backend_layout.h"
#include "engine/tier/tier_shared.h"

namespace tierkv {
namespace {

using tier_detail::Shared;
namespace layout = backend_layout;

constexpr char kPrimaryPhase = 'p';
constexpr char kEphemeralPhase = 'e';

std::string ephemeral_token(std::string_view p, std::string_view s, std::string_view after) {
  std::string raw;
  put_fixed32(&raw, crc32c::value(layout::namespace_pair(p, s)));
  raw.append(after);
  put_fixed32(&raw, crc32c::mask(crc32c::value(raw)));
  return std::string(1, kEphemeralPhase) + layout::to_hex(raw);
}

// The ephemeral key an 'e' token resumes after ("" = from the first).
Result<std::string> decode_ephemeral_token(std::string_view hex, std::string_view p,
                                           std::string_view s, const std::string& where) {
  std::optional<std::string> raw = layout::from_hex(hex);
  if (!raw || raw->size() < 8) return Status::invalid_argument(where + ": not hex or too short");
  std::string_view in(*raw);
  const std::string_view body = in.substr(0, in.size() - 4);
  if (crc32c::unmask(decode_fixed32(in.data() + body.size())) != crc32c::value(body)) {
    return Status::invalid_argument(where + ": checksum mismatch");
  }
  if (decode_fixed32(body.data()) != crc32c::value(layout::namespace_pair(p, s))) {
    return Status::invalid_argument(where + ": it belongs to another namespace pair");
  }
  std::string after(body.substr(4));
  if (!after.empty() && check_store_key_part(after) != KeyRule::kValid) {
    return Status::invalid_argument(where + ": the key it resumes after is not a valid key");
  }
  return after;
}

// Primary's keys minus stale copies of ephemeral keys (none outside the pairs a rule covers).
std::vector<std::string> durable_only(const Shared& s, const std::string& p, const std::string& sec,
                                      std::vector<std::string> keys) {
  if (!s.consults_ephemeral(p, sec)) return keys;
  std::erase_if(keys, [&](const std::string& k) { return s.is_ephemeral(p, sec, k); });
  return keys;
}

// The ephemeral tier's keys of the pair that the rules send there, ascending.
Task<Result<std::vector<std::string>>> ephemeral_keys(std::shared_ptr<Shared> s, std::string p,
                                                      std::string sec) {
  Result<std::vector<std::string>> keys = co_await s->tiers.ephemeral->list(p, sec);
  if (!keys.ok()) co_return keys.status().with_context("ephemeral tier");
  std::erase_if(*keys, [&](const std::string& k) { return !s->is_ephemeral(p, sec, k); });
  std::sort(keys->begin(), keys->end());
  co_return keys;
}

// Fills page with ephemeral keys after `after`, up to the page limit; sets the token if more
// remain.
Task<Result<ListPage>> append_ephemeral(std::shared_ptr<Shared> s, std::string p, std::string sec,
                                        std::string after, ListPage page) {
  Result<std::vector<std::string>> keys = co_await ephemeral_keys(s, p, sec);
  if (!keys.ok()) co_return keys.status().with_context("list_page of " + p + "/" + sec);
  auto next = std::upper_bound(keys->begin(), keys->end(), after);
  for (; next != keys->end() && page.keys.size() < kListPageSizeMax; ++next) {
    page.keys.push_back(*next);
    after = *next;
  }
  if (next != keys->end()) page.next_token = ephemeral_token(p, sec, after);
  co_return page;
}

}  // namespace

Task<Result<std::vector<std::string>>> TierStore::list(std::string primary_namespace,
                                                       std::string secondary_namespace) {
  std::shared_ptr<Shared> s = shared_;
  TIERKV_CO_RETURN_IF_ERROR(
      validate_namespace(primary_namespace, secondary_namespace).with_context("list"));
  Result<std::vector<std::string>> primary =
      co_await s->tiers.primary->list(primary_namespace, secondary_namespace);
  if (!primary.ok()) co_return primary.status().with_context("primary tier").with_context("list");
  std::vector<std::string> keys =
      durable_only(*s, primary_namespace, secondary_namespace, std::move(*primary));
  if (s->consults_ephemeral(primary_namespace, secondary_namespace)) {
    Result<std::vector<std::string>> ephemeral =
        co_await ephemeral_keys(s, primary_namespace, secondary_namespace);
    if (!ephemeral.ok()) co_return ephemeral.status().with_context("list");
    keys.insert(keys.end(), ephemeral->begin(), ephemeral->end());
  }
  if (!std::is_sorted(keys.begin(), keys.end())) std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  co_return keys;
}

Task<Result<ListPage>> TierStore::list_page(std::string primary_namespace,
                                            std::string secondary_namespace,
                                            std::optional<std::string> page_token) {
  std::shared_ptr<Shared> s = shared_;
  const std::string& p = primary_namespace;
  const std::string& sec = secondary_namespace;
  TIERKV_CO_RETURN_IF_ERROR(validate_namespace(p, sec).with_context("list_page"));
  const std::string where = "list_page of " + p + "/" + sec + ": page token of " +
                            std::to_string(page_token ? page_token->size() : 0) + " bytes";
  std::optional<std::string> primary_token;
  if (page_token) {
    if (page_token->empty()) co_return Status::invalid_argument(where + " is empty");
    const char phase = (*page_token)[0];
    const std::string_view rest = std::string_view(*page_token).substr(1);
    if (phase == kEphemeralPhase) {
      if (!s->consults_ephemeral(p, sec)) {
        co_return Status::invalid_argument(where + ": no ephemeral keys live in this namespace");
      }
      Result<std::string> after = decode_ephemeral_token(rest, p, sec, where + " is malformed");
      if (!after.ok()) co_return after.status();
      ListPage empty;  // named: g++ 12 mishandles braced temporaries as coroutine arguments
      co_return co_await append_ephemeral(s, p, sec, std::move(*after), std::move(empty));
    }
    if (phase != kPrimaryPhase) co_return Status::invalid_argument(where + " is malformed");
    primary_token = std::string(rest);
  }
  Result<ListPage> page = co_await s->tiers.primary->list_page(p, sec, std::move(primary_token));
  if (!page.ok()) co_return page.status().with_context("primary tier").with_context("list_page");
  page->keys = durable_only(*s, p, sec, std::move(page->keys));
  if (page->next_token) {
    page->next_token = std::string(1, kPrimaryPhase) + *page->next_token;
    co_return page;
  }
  if (!s->consults_ephemeral(p, sec)) co_return page;
  std::string from_first;
  co_return co_await append_ephemeral(s, p, sec, std::move(from_first), std::move(*page));
}

Task<Result<std::vector<NamespacePair>>> TierStore::list_namespaces() {
  std::shared_ptr<Shared> s = shared_;
  std::set<NamespacePair> pairs;
  for (KvStore* tier : {s->tiers.primary, s->tiers.ephemeral}) {
    if (tier == nullptr) continue;
    Result<std::vector<NamespacePair>> some = co_await tier->list_namespaces();
    if (!some.ok()) {
      co_return some.status().with_context(tier == s->tiers.primary ? "primary tier"
                                                                    : "ephemeral tier");
    }
    pairs.insert(some->begin(), some->end());
  }
  co_return std::vector<NamespacePair>(pairs.begin(), pairs.end());
}

}  // namespace tierkv
