#include "engine/backends/backend.h"

namespace tierkv {

KeyRange prefix_range(std::string_view prefix) {
  KeyRange range;
  range.start = std::string(prefix);
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  range.end = std::move(end);  // empty: unbounded
  return range;
}

Status Backend::get_into(std::string_view key, std::string* value) {
  Result<std::string> got = get(key);
  if (!got.ok()) return got.status();
  *value = std::move(*got);
  return Status();
}

Result<std::vector<std::string>> Backend::scan_keys(const KeyRange& range, size_t limit) {
  Result<std::vector<KeyValue>> rows = scan(range, limit);
  if (!rows.ok()) return rows.status();
  std::vector<std::string> keys;
  keys.reserve(rows->size());
  for (KeyValue& row : *rows) keys.push_back(std::move(row.key));
  return keys;
}

}  // namespace tierkv
