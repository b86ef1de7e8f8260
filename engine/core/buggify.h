// BUGGIFY points: named places where the simulator may push the engine onto its rare path
// (tiny batches, early rotation, an extra yield, a short timeout), after FoundationDB's BUGGIFY.
//
// Engine code writes `if (TIERKV_BUGGIFY("wal.rotate_early")) { ...rare path... }`.
//
// Contract:
//   - With no source installed (production, and every test that does not install one) the
//     macro is false and costs one load of a global pointer and a predictable branch; the
//     name is never looked at.
//   - A source is installed only by the simulator's runner (faults/buggify_source.h gives the
//     seeded one): it decides per seed which points are enabled and, at each evaluation of an
//     enabled point, whether it fires, from the run's seed only, so a run stays deterministic.
//   - The rare path taken when a point fires must itself be correct behaviour: BUGGIFY widens
//     what the checkers see; it never makes the engine lie.
//   - Names are string literals "<layer>.<what>" and stable: they appear in run statistics.
//
// Thread safety: install/uninstall are not synchronised. The simulator is single-threaded
// and production never installs a source; do not install one while real threads run engine
// code.
#pragma once

#include <string_view>

namespace tierkv {

// Decides whether the BUGGIFY point `name` fires now.
class BuggifySource {
 public:
  virtual ~BuggifySource() = default;
  virtual bool fire(std::string_view name) = 0;
};

// Installs `source` (not owned; nullptr uninstalls). Returns the previously installed one.
BuggifySource* install_buggify_source(BuggifySource* source);
BuggifySource* installed_buggify_source();

// Installs a source for the lifetime of the guard, then restores the previous one.
class ScopedBuggifySource {
 public:
  explicit ScopedBuggifySource(BuggifySource* source)
      : previous_(install_buggify_source(source)) {}
  ~ScopedBuggifySource() { install_buggify_source(previous_); }
  ScopedBuggifySource(const ScopedBuggifySource&) = delete;
  ScopedBuggifySource& operator=(const ScopedBuggifySource&) = delete;

 private:
  BuggifySource* previous_;
};

namespace buggify_detail {
extern BuggifySource* g_source;
// Out of line so that the fast path stays a single pointer test.
bool fire_slow(std::string_view name);
}  // namespace buggify_detail

}  // namespace tierkv

// True when a simulator installed a source and it makes point `name` fire now.
#define TIERKV_BUGGIFY(name)                                          \
  (__builtin_expect(::tierkv::buggify_detail::g_source != nullptr, 0) && \
   ::tierkv::buggify_detail::fire_slow(name))
