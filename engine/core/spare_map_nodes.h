// SpareMapNodes: keeps the nodes of erased entries of a std::map<std::string, V, std::less<>>
// (up to kMax) and reuses them, key buffer included, for the next new key, so a table whose
// entries come and go per call (key locks, call-order tickets) allocates nothing once warm.
// Order and lookups are the map's own: nothing depends on which node a key gets.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace tierkv {

template <typename Map, size_t kMax = 16>
class SpareMapNodes {
 public:
  // key's entry; a new one (inserted = true) comes from a spare node if there is one, its
  // mapped value left as the erased entry had it (the caller resets what it needs), else it is
  // value-initialised.
  std::pair<typename Map::iterator, bool> find_or_insert(Map& map, std::string_view key) {
    const typename Map::iterator at = map.lower_bound(key);
    if (at != map.end() && at->first == key) return {at, false};
    if (spare_.empty()) return {map.try_emplace(at, std::string(key)), true};
    typename Map::node_type node = std::move(spare_.back());
    spare_.pop_back();
    node.key().assign(key);  // reuses the spare key's buffer
    return {map.insert(at, std::move(node)), true};
  }

  // Removes entry from map, keeping its node while fewer than kMax are kept.
  void erase(Map& map, typename Map::iterator entry) {
    if (spare_.size() < kMax) {
      spare_.push_back(map.extract(entry));
    } else {
      map.erase(entry);
    }
  }

 private:
  std::vector<typename Map::node_type> spare_;
};

}  // namespace tierkv
