#include "sim/cli_options.h"

#include <array>
#include <cassert>
#include <charconv>

#include "faults/swarm.h"

namespace tierkv::sim {
namespace {

constexpr uint64_t kOpsMax = 100'000'000;
constexpr uint64_t kShardSeedsMax = uint64_t{1} << 32;

bool parse_u64(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<SeedRange> parse_seed_range(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::invalid_argument("--seeds '" + std::string(text) + "': " + why);
  };
  const size_t dots = text.find("..");
  SeedRange range;
  if (dots == std::string_view::npos) {
    if (!parse_u64(text, &range.first)) return bad("expected A..B or a single seed");
    range.last = range.first;
    return range;
  }
  if (!parse_u64(text.substr(0, dots), &range.first) ||
      !parse_u64(text.substr(dots + 2), &range.last)) {
    return bad("expected A..B with unsigned integers A and B");
  }
  if (range.first > range.last) return bad("A must not exceed B");
  if (range.first == 0 && range.last == UINT64_MAX) return bad("range too large");
  return range;
}

Result<Shard> parse_shard(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::invalid_argument("--shard '" + std::string(text) + "': " + why);
  };
  const size_t slash = text.find('/');
  uint64_t index = 0;
  uint64_t count = 0;
  if (slash == std::string_view::npos || !parse_u64(text.substr(0, slash), &index) ||
      !parse_u64(text.substr(slash + 1), &count)) {
    return bad("expected K/N with unsigned integers");
  }
  if (count == 0 || count > UINT32_MAX) return bad("N must be between 1 and 4294967295");
  if (index >= count) return bad("K must be below N (shards are numbered 0..N-1)");
  return Shard{static_cast<uint32_t>(index), static_cast<uint32_t>(count)};
}

bool shard_contains(const SeedRange& range, const Shard& shard, uint64_t seed) {
  assert(shard.count > 0);
  if (seed < range.first || seed > range.last) return false;
  return (seed - range.first) % shard.count == shard.index;
}

uint64_t shard_size(const SeedRange& range, const Shard& shard) {
  assert(shard.index < shard.count);
  const uint64_t span = range.last - range.first;  // size - 1, cannot overflow
  if (shard.index > span) return 0;
  return (span - shard.index) / shard.count + 1;
}

uint64_t shard_seed_at(const SeedRange& range, const Shard& shard, uint64_t i) {
  assert(i < shard_size(range, shard));
  return range.first + shard.index + i * shard.count;
}

std::vector<uint64_t> shard_seeds(const SeedRange& range, const Shard& shard) {
  const uint64_t count = shard_size(range, shard);
  assert(count <= kShardSeedsMax);
  std::vector<uint64_t> seeds;
  seeds.reserve(count);
  for (uint64_t i = 0; i < count; ++i) seeds.push_back(shard_seed_at(range, shard, i));
  return seeds;
}

Status check_backend(std::string_view flag, std::string_view backend) {
  static constexpr std::array<std::string_view, 4> kBackends = {"memory", "leveldb", "sqlite",
                                                                "lmdb"};
  for (std::string_view known : kBackends) {
    if (known == backend) return Status::ok_status();
  }
  return Status::invalid_argument(std::string(flag) + ": unknown backend '" +
                                  std::string(backend) +
                                  "' (expected memory, leveldb, sqlite or lmdb)");
}

Result<GenerateOptions> make_generate_options(const GenerateFlags& flags) {
  TIERKV_RETURN_IF_ERROR(check_backend("--backend", flags.backend));
  if (flags.ops == 0 || flags.ops > kOpsMax) {
    return Status::invalid_argument("--ops " + std::to_string(flags.ops) +
                                    ": must be between 1 and " + std::to_string(kOpsMax));
  }
  GenerateOptions options;
  options.backend = flags.backend;
  options.ops = flags.ops;
  options.over_budget = flags.over_budget;
  options.hybrid = flags.hybrid;
  if (!flags.hybrid_btree.empty() && flags.hybrid_btree != "sqlite" &&
      flags.hybrid_btree != "lmdb") {
    return Status::invalid_argument("--hybrid-btree: unknown B-tree backend '" +
                                    flags.hybrid_btree + "' (expected sqlite or lmdb)");
  }
  if ((flags.hybrid || flags.hybrid_primary || !flags.hybrid_btree.empty()) &&
      flags.backend == "lmdb") {
    return Status::invalid_argument(
        std::string(flags.hybrid_primary ? "--hybrid-primary"
                    : flags.hybrid       ? "--hybrid"
                                         : "--hybrid-btree") +
        ": hybrid worlds do not run with --backend lmdb");
  }
  options.hybrid_primary = flags.hybrid_primary;
  options.hybrid_btree = flags.hybrid_btree;
  options.no_faults = flags.faults == "none";
  Result<std::vector<FaultKind>> kinds = faults::parse_fault_list(flags.faults);
  if (!kinds.ok()) return kinds.status().with_context("--faults");
  TIERKV_RETURN_IF_ERROR(faults::check_fault_kinds(*kinds, flags.over_budget).with_context("--faults"));
  options.fault_kinds = *kinds;
  return options;
}

std::string generate_flags_to_args(const GenerateFlags& flags) {
  const GenerateFlags defaults;
  std::string args;
  const auto add = [&args](const std::string& arg) { args += (args.empty() ? "" : " ") + arg; };
  if (flags.backend != defaults.backend) add("--backend " + flags.backend);
  if (flags.ops != defaults.ops) add("--ops " + std::to_string(flags.ops));
  if (!flags.faults.empty()) add("--faults " + flags.faults);
  if (flags.over_budget) add("--over-budget");
  if (flags.hybrid) add("--hybrid");
  if (flags.hybrid_primary) add("--hybrid-primary");
  if (!flags.hybrid_btree.empty()) add("--hybrid-btree " + flags.hybrid_btree);
  return args;
}

}  // namespace tierkv::sim
