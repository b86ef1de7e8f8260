// BackendKvStore's listing: list (key order), list_page (creation order, tokens) and
// list_namespaces.
#include <utility>

#include "engine/tier/backend_kv_store.h"

namespace tierkv {
namespace layout = backend_layout;

Task<Result<std::vector<std::string>>> BackendKvStore::list(std::string primary_namespace,
                                                            std::string secondary_namespace) {
  TIERKV_CO_RETURN_IF_ERROR(
      validate_namespace(primary_namespace, secondary_namespace).with_context("list"));
  const std::string prefix = layout::data_prefix(primary_namespace, secondary_namespace);
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  Result<std::vector<std::string>> keys = co_await scan_keys_locked(prefix_range(prefix), 0);
  if (!keys.ok()) co_return keys.status();
  for (std::string& key : *keys) {  // data keys -> the caller's keys, in place
    assert(key.size() > prefix.size());
    assert(key.compare(0, prefix.size(), prefix) == 0);
    key.erase(0, prefix.size());
  }
  co_return keys;
}

Task<Result<ListPage>> BackendKvStore::list_page(std::string primary_namespace,
                                                 std::string secondary_namespace,
                                                 std::optional<std::string> page_token) {
  TIERKV_CO_RETURN_IF_ERROR(
      validate_namespace(primary_namespace, secondary_namespace).with_context("list_page"));
  const std::string prefix = layout::creation_prefix(primary_namespace, secondary_namespace);
  KeyRange range = prefix_range(prefix);
  if (page_token.has_value()) {
    Result<uint64_t> after =
        layout::decode_page_token(*page_token, primary_namespace, secondary_namespace);
    if (!after.ok()) co_return after.status();
    range.start = layout::creation_key_after(primary_namespace, secondary_namespace, *after);
  }
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  // One entry more than a page tells whether another page follows.
  Result<std::vector<std::string>> rows = co_await scan_keys_locked(range, kListPageSizeMax + 1);
  if (!rows.ok()) co_return rows.status();
  ListPage page;
  uint64_t last_creation_seq = 0;
  for (size_t i = 0; i < rows->size() && i < kListPageSizeMax; ++i) {
    Result<layout::CreationEntry> entry = layout::decode_creation_key((*rows)[i], prefix);
    if (!entry.ok()) {
      co_return entry.status().with_context("list_page of " + primary_namespace + "/" +
                                            secondary_namespace);
    }
    assert(last_creation_seq == 0 || entry->creation_seq < last_creation_seq);
    last_creation_seq = entry->creation_seq;
    page.keys.push_back(std::move(entry->key));
  }
  if (rows->size() > kListPageSizeMax) {
    page.next_token =
        layout::encode_page_token(primary_namespace, secondary_namespace, last_creation_seq);
  }
  assert(page.keys.size() <= kListPageSizeMax);
  co_return page;
}

Task<Result<std::vector<NamespacePair>>> BackendKvStore::list_namespaces() {
  const std::string data_tag(1, layout::kDataTag);
  const KeyRange all_data = prefix_range(data_tag);
  std::vector<NamespacePair> pairs;
  AsyncMutexGuard backend_guard = co_await backend_mutex_.lock_guard();
  std::string start = all_data.start;
  // Bounded by the number of namespace pairs: each round skips past one pair's whole range.
  for (;;) {
    // A named range, moved in: g++ 12 destroys a braced temporary coroutine argument twice.
    KeyRange range{start, all_data.end};
    Result<std::vector<std::string>> rows = co_await scan_keys_locked(std::move(range), 1);
    if (!rows.ok()) co_return rows.status();
    if (rows->empty()) break;
    const std::string& key = rows->front();
    const size_t first_end = key.find('\0', 1);
    const size_t second_end = first_end == std::string::npos ? first_end : key.find('\0', first_end + 1);
    if (second_end == std::string::npos) {
      co_return Status::corruption("data record key of " + std::to_string(key.size()) +
                                   " bytes has no namespace pair");
    }
    NamespacePair pair{key.substr(1, first_end - 1),
                       key.substr(first_end + 1, second_end - first_end - 1)};
    start = prefix_range(layout::data_prefix(pair.primary_namespace, pair.secondary_namespace)).end;
    pairs.push_back(std::move(pair));
    if (start.empty()) break;  // the pair's range is unbounded above: nothing can follow it
  }
  co_return pairs;
}

}  // namespace tierkv
