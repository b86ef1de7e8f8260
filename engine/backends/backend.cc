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

}  // namespace tierkv
