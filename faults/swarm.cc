#include "faults/swarm.h"

#include <algorithm>
#include <cassert>

namespace tierkv::faults {
namespace {

// Log-uniform in [lo, hi]: small rates are as likely to be explored as large ones.
uint32_t draw_rate_ppm(sim::Prng& prng, uint32_t lo, uint32_t hi) {
  assert(lo > 0);
  assert(lo <= hi);
  uint64_t octaves = 0;
  while ((uint64_t{lo} << (octaves + 1)) <= hi) ++octaves;
  const uint64_t low = uint64_t{lo} << prng.uniform(octaves + 1);
  const uint64_t high = std::min<uint64_t>(hi, low * 2);
  return static_cast<uint32_t>(prng.range(low, high));
}

KindPlan draw_kind(sim::Prng& prng, const FaultKindInfo& info) {
  KindPlan plan{info.kind};
  if (info.rate_ppm_max > 0) plan.rate_ppm = draw_rate_ppm(prng, info.rate_ppm_min, info.rate_ppm_max);
  switch (info.shape) {
    case FaultShape::kPoint:
      plan.count = static_cast<uint32_t>(
          prng.range(1, info.kind == FaultKind::kCrash ? kCrashesMax : kBitRotsMax));
      break;
    case FaultShape::kWindow:
      plan.count = static_cast<uint32_t>(prng.range(1, kWindowsMax));
      break;
    case FaultShape::kRate:
    case FaultShape::kWholeRun:
      plan.count = 1;
      break;
  }
  return plan;
}

// Which files a bit flip may hit: both kinds of durable file the engine must verify.
std::string_view bit_rot_target(sim::Prng& prng) { return prng.chance(1, 2) ? "wal" : "snapshot"; }

sim::Fault make_fault(const KindPlan& kind_plan, sim::Prng& prng, const SwarmOptions& options) {
  const FaultKindInfo& info = fault_info(kind_plan.kind);
  sim::Fault fault;
  fault.kind = kind_plan.kind;
  fault.over_budget = info.over_budget;
  fault.rate_ppm = kind_plan.rate_ppm;
  const uint64_t ops = std::max<uint64_t>(options.env_ops_horizon, 1);
  const uint64_t time_us = std::max<uint64_t>(options.simulated_us_horizon, 1);
  switch (info.shape) {
    case FaultShape::kPoint:
      fault.at = prng.range(1, ops);
      if (fault.kind == FaultKind::kBitRot) fault.target = bit_rot_target(prng);
      break;
    case FaultShape::kWindow:
      fault.at = prng.uniform(time_us);
      fault.duration = prng.range(1, std::max<uint64_t>(time_us / 4, 1));
      break;
    case FaultShape::kRate:
    case FaultShape::kWholeRun:
      break;
  }
  return fault;
}

}  // namespace

bool FaultPlan::is_enabled(FaultKind kind) const {
  return std::any_of(enabled.begin(), enabled.end(),
                     [kind](const KindPlan& plan) { return plan.kind == kind; });
}

std::string FaultPlan::describe() const {
  if (enabled.empty()) return "none";
  std::string out;
  for (const KindPlan& plan : enabled) {
    if (!out.empty()) out += ", ";
    const FaultKindInfo& info = fault_info(plan.kind);
    out += info.name;
    if (info.shape == FaultShape::kPoint || info.shape == FaultShape::kWindow) {
      out += " x" + std::to_string(plan.count);
    } else {
      out += " " + std::to_string(plan.rate_ppm) + "ppm";
    }
  }
  return out;
}

Result<std::vector<FaultKind>> parse_fault_list(std::string_view list) {
  std::vector<FaultKind> kinds;
  if (list.empty() || list == "none") return kinds;
  if (list == "all") {
    for (const FaultKindInfo& info : fault_catalog()) kinds.push_back(info.kind);
    return kinds;
  }
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, comma - start);
    if (name.empty()) return Status::invalid_argument("fault list '" + std::string(list) + "': empty entry");
    Result<FaultKind> kind = fault_kind_from_name(name);
    if (!kind.ok()) return kind.status();
    if (std::find(kinds.begin(), kinds.end(), *kind) == kinds.end()) kinds.push_back(*kind);
    start = comma + 1;
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

Status check_fault_kinds(const std::vector<FaultKind>& kinds, bool over_budget) {
  if (over_budget) return Status::ok_status();
  for (FaultKind kind : kinds) {
    const FaultKindInfo& info = fault_info(kind);
    if (info.over_budget) {
      return Status::invalid_argument("fault kind '" + std::string(info.name) +
                                      "' is over budget (corrupts durable data); it needs "
                                      "--over-budget");
    }
  }
  return Status::ok_status();
}

FaultPlan draw_fault_plan(sim::Prng& prng, const SwarmOptions& options) {
  assert(check_fault_kinds(options.kinds, options.over_budget).ok());
  FaultPlan plan;
  if (options.no_faults) return plan;
  const bool swarm = options.kinds.empty();
  for (const FaultKindInfo& info : fault_catalog()) {
    // Draw the on/off coin for every kind in every mode so rates do not shift between modes.
    const bool coin = prng.chance(1, 2);
    bool on = false;
    if (!swarm) {
      on = std::find(options.kinds.begin(), options.kinds.end(), info.kind) != options.kinds.end();
    } else if (info.over_budget) {
      on = options.over_budget;
    } else {
      on = coin;
    }
    KindPlan kind_plan = draw_kind(prng, info);
    if (on) plan.enabled.push_back(kind_plan);
  }
  return plan;
}

std::vector<sim::Fault> schedule_faults(const FaultPlan& plan, sim::Prng& prng,
                                        const SwarmOptions& options) {
  std::vector<sim::Fault> faults;
  for (const KindPlan& kind_plan : plan.enabled) {
    assert(options.over_budget || !fault_info(kind_plan.kind).over_budget);
    for (uint32_t i = 0; i < kind_plan.count; ++i) faults.push_back(make_fault(kind_plan, prng, options));
  }
  std::stable_sort(faults.begin(), faults.end(), [](const sim::Fault& a, const sim::Fault& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.at < b.at;
  });
  return faults;
}

std::vector<sim::Fault> draw_faults(sim::Prng& prng, const SwarmOptions& options) {
  const FaultPlan plan = draw_fault_plan(prng, options);
  return schedule_faults(plan, prng, options);
}

}  // namespace tierkv::faults
