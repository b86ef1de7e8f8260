// Parsing and checking of tierkv-sim's option values that CLI11 cannot check by itself: seed
// ranges, shards, fault lists, backends. Every error is InvalidArgument naming the flag and the
// bad value, so the command can print it and exit 2.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "sim/runner.h"

namespace tierkv::sim {

// Inclusive range of seeds: "A..B" (A <= B) or a single seed "A".
struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t size() const { return last - first + 1; }  // saturates never: last-first < 2^64
  friend bool operator==(const SeedRange&, const SeedRange&) = default;
};
Result<SeedRange> parse_seed_range(std::string_view text);

// Shard K of N (0 <= K < N): the seeds s of a range with (s - first) % N == K. The N shards of
// a range are disjoint and together cover it exactly, whatever the range.
struct Shard {
  uint32_t index = 0;
  uint32_t count = 1;
  friend bool operator==(const Shard&, const Shard&) = default;
};
Result<Shard> parse_shard(std::string_view text);
bool shard_contains(const SeedRange& range, const Shard& shard, uint64_t seed);
// How many seeds the shard holds, and its i-th seed (increasing in i): a sweep never has to
// materialise a range of billions of seeds.
uint64_t shard_size(const SeedRange& range, const Shard& shard);
uint64_t shard_seed_at(const SeedRange& range, const Shard& shard, uint64_t i);
// The shard's seeds in increasing order. REQUIRES: shard_size(range, shard) <= 2^32.
std::vector<uint64_t> shard_seeds(const SeedRange& range, const Shard& shard);

// memory | leveldb | sqlite | lmdb; InvalidArgument naming `flag` otherwise.
Status check_backend(std::string_view flag, std::string_view backend);

// The generation flags shared by run and sweep, validated as a whole.
struct GenerateFlags {
  std::string backend = "memory";
  uint64_t ops = 400;
  std::string faults;  // "" = swarm; "none"; or a comma-separated list of kinds
  bool over_budget = false;
  bool hybrid = false;  // every seed's world gets the HybridStore (GenerateOptions::hybrid)
  bool hybrid_primary = false;  // ... and a HybridKvStore primary (GenerateOptions)
  std::string hybrid_btree;     // "" (the seed picks), "sqlite" or "lmdb"
};
Result<GenerateOptions> make_generate_options(const GenerateFlags& flags);

// The command-line flags that make generate_scenario produce the same scenario again,
// e.g. "--backend leveldb --ops 200 --faults crash,io_error" (defaults omitted).
std::string generate_flags_to_args(const GenerateFlags& flags);

}  // namespace tierkv::sim
