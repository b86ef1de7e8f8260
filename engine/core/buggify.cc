#include "engine/core/buggify.h"

#include <cassert>

namespace tierkv {

namespace buggify_detail {
BuggifySource* g_source = nullptr;

bool fire_slow(std::string_view name) {
  assert(g_source != nullptr);
  assert(!name.empty());
  return g_source->fire(name);
}
}  // namespace buggify_detail

BuggifySource* install_buggify_source(BuggifySource* source) {
  BuggifySource* previous = buggify_detail::g_source;
  buggify_detail::g_source = source;
  return previous;
}

BuggifySource* installed_buggify_source() { return buggify_detail::g_source; }

}  // namespace tierkv
