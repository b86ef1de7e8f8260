#include "reports/report_merge.h"

#include <algorithm>
#include <map>
#include <utility>

#include "engine/io/env_util.h"
#include "reports/report_html.h"
#include "reports/report_markdown.h"

namespace tierkv::reports {
namespace {

using SeedSpan = std::pair<uint64_t, uint64_t>;  // first, last (inclusive)

std::string span_text(const SeedSpan& span) {
  return std::to_string(span.first) + ".." + std::to_string(span.second);
}

std::string shard_text(const ReportConfig& c) {
  return std::to_string(c.shard_index) + "/" + std::to_string(c.shard_count);
}

Status check_same_generation(const ShardReport& base, const ShardReport& other) {
  const ReportConfig& a = base.summary.config;
  const ReportConfig& b = other.summary.config;
  auto differ = [&](const std::string& field, const std::string& x, const std::string& y) {
    return Status::invalid_argument("merge: " + other.source + ": config." + field + " is " + y +
                                    " but " + base.source + " has " + x +
                                    ": shards of one sweep must be generated alike");
  };
  if (a.backend != b.backend) return differ("backend", a.backend, b.backend);
  if (a.ops != b.ops) return differ("ops", std::to_string(a.ops), std::to_string(b.ops));
  if (a.faults != b.faults) return differ("faults", a.faults, b.faults);
  if (a.over_budget != b.over_budget) {
    return differ("over_budget", a.over_budget ? "true" : "false", b.over_budget ? "true" : "false");
  }
  return Status::ok_status();
}

// The shards of one seed range: same count, each index exactly once.
Status check_range_complete(const SeedSpan& span, const std::vector<const ShardReport*>& group) {
  const ShardReport& base = *group.front();
  const uint32_t count = base.summary.config.shard_count;
  std::map<uint32_t, const ShardReport*> by_index;
  for (const ShardReport* shard : group) {
    const ReportConfig& c = shard->summary.config;
    if (c.shard_count != count) {
      return Status::invalid_argument("merge: seeds " + span_text(span) + ": " + shard->source +
                                      " is shard " + shard_text(c) + " but " + base.source +
                                      " is shard " + shard_text(base.summary.config) +
                                      ": shard counts differ");
    }
    const auto [it, inserted] = by_index.emplace(c.shard_index, shard);
    if (!inserted) {
      return Status::invalid_argument("merge: shard " + shard_text(c) + " of seeds " +
                                      span_text(span) + " appears twice: " + it->second->source +
                                      " and " + shard->source + " (overlapping seeds)");
    }
  }
  for (uint32_t index = 0; index < count; ++index) {
    if (!by_index.contains(index)) {
      return Status::invalid_argument("merge: seeds " + span_text(span) + ": shard " +
                                      std::to_string(index) + "/" + std::to_string(count) +
                                      " is missing (its seeds would not be covered)");
    }
  }
  return Status::ok_status();
}

// Distinct seed ranges must tile one contiguous range.
Status check_ranges_tile(const std::map<SeedSpan, std::vector<const ShardReport*>>& groups) {
  const std::pair<const SeedSpan, std::vector<const ShardReport*>>* previous = nullptr;
  for (const auto& group : groups) {
    if (previous != nullptr) {
      const SeedSpan& a = previous->first;
      const SeedSpan& b = group.first;
      const std::string names =
          " (" + previous->second.front()->source + " and " + group.second.front()->source + ")";
      if (b.first <= a.second) {
        return Status::invalid_argument("merge: seed ranges " + span_text(a) + " and " +
                                        span_text(b) + " overlap" + names);
      }
      if (b.first != a.second + 1) {
        return Status::invalid_argument("merge: seeds " + span_text({a.second + 1, b.first - 1}) +
                                        " are not covered by any shard" + names);
      }
    }
    previous = &group;
  }
  return Status::ok_status();
}

Status check_disjoint_complete(const std::vector<ShardReport>& shards) {
  std::map<SeedSpan, std::vector<const ShardReport*>> groups;
  for (const ShardReport& shard : shards) {
    TIERKV_RETURN_IF_ERROR(check_same_generation(shards.front(), shard));
    const ReportConfig& c = shard.summary.config;
    groups[{c.seeds_first, c.seeds_last}].push_back(&shard);
  }
  for (const auto& [span, group] : groups) {
    TIERKV_RETURN_IF_ERROR(check_range_complete(span, group));
  }
  return check_ranges_tile(groups);
}

// Buckets have fixed power-of-two bounds (sim/sweep_observer.h): sum them bound by bound.
void add_latency(const SweepSummary& s, SweepSummary& m) {
  for (const auto& [kind, buckets] : s.latency_histogram_us) {
    std::map<uint64_t, uint64_t> sum;
    for (const LatencyBucket& b : m.latency_histogram_us[kind]) sum[b.le_us] += b.count;
    for (const LatencyBucket& b : buckets) sum[b.le_us] += b.count;
    std::vector<LatencyBucket>& out = m.latency_histogram_us[kind];
    out.clear();
    for (const auto& [le_us, count] : sum) out.push_back({le_us, count});
  }
}

// A shard's samples, tagged with the index of its entry in the merged `shards` (a merged
// input's own tags are shifted by where its shards land).
void add_samples(const SweepSummary& s, uint32_t first_shard_entry, SweepSummary& m) {
  for (ThroughputPoint p : s.throughput_samples) {
    p.shard = first_shard_entry + p.shard.value_or(0);
    m.throughput_samples.push_back(p);
  }
}

// Every input's per-seed outcomes placed at their seeds; "" unless every input has them.
std::string merge_seed_outcomes(const std::vector<ShardReport>& shards, const ReportConfig& m) {
  std::string out(shard_seed_count(m.seeds_first, m.seeds_last, 0, 1), kOutcomeNotRun);
  for (const ShardReport& shard : shards) {
    const SweepSummary& s = shard.summary;
    if (s.seed_outcomes.empty()) return "";
    for (uint64_t i = 0; i < s.seed_outcomes.size(); ++i) {
      out[shard_nth_seed(s.config, i) - m.seeds_first] = s.seed_outcomes[i];
    }
  }
  return out;
}

void add_shard_entries(const ShardReport& shard, std::vector<ReportShard>& out) {
  const SweepSummary& s = shard.summary;
  if (!s.shards.empty()) {  // an already merged report: keep its shards
    out.insert(out.end(), s.shards.begin(), s.shards.end());
    return;
  }
  out.push_back({shard.source, s.config.seeds_first, s.config.seeds_last, s.config.shard_index,
                 s.config.shard_count, s.seeds_run, s.failures.size(), s.wall_seconds,
                 s.seeds_per_second, s.ops_per_second});
}

void add_counts(const SweepSummary& s, SweepSummary& m) {
  m.config.jobs += s.config.jobs;
  m.config.time_budget_seconds = std::max(m.config.time_budget_seconds, s.config.time_budget_seconds);
  m.config.stop_on_violation = m.config.stop_on_violation || s.config.stop_on_violation;
  m.seeds_planned += s.seeds_planned;
  m.seeds_run += s.seeds_run;
  m.setup_errors += s.setup_errors;
  for (const auto& [kind, count] : s.faults_fired) m.faults_fired[kind] += count;
  for (const auto& [name, counts] : s.invariants) {
    m.invariants[name].checked += counts.checked;
    m.invariants[name].violated += counts.violated;
  }
  m.failures.insert(m.failures.end(), s.failures.begin(), s.failures.end());
  if (s.first_failure && (!m.first_failure ||
                          s.first_failure->wall_seconds < m.first_failure->wall_seconds)) {
    m.first_failure = s.first_failure;
  }
  m.wall_seconds = std::max(m.wall_seconds, s.wall_seconds);
  m.seeds_per_second += s.seeds_per_second;
  m.ops_issued += s.ops_issued;
  m.ops_per_second += s.ops_per_second;
  m.simulated_time_us += s.simulated_time_us;
}

}  // namespace

Result<SweepSummary> merge_reports(const std::vector<ShardReport>& shards) {
  if (shards.empty()) return Status::invalid_argument("merge: no shard reports given");
  TIERKV_RETURN_IF_ERROR(check_disjoint_complete(shards));
  SweepSummary m;
  m.config = shards.front().summary.config;
  m.config.jobs = 0;
  m.config.shard_index = 0;
  m.config.shard_count = 1;
  for (const ShardReport& shard : shards) {
    const SweepSummary& s = shard.summary;
    m.config.seeds_first = std::min(m.config.seeds_first, s.config.seeds_first);
    m.config.seeds_last = std::max(m.config.seeds_last, s.config.seeds_last);
    add_counts(s, m);
    if (!s.stop_reason.empty()) {
      m.stop_reason += (m.stop_reason.empty() ? "" : "; ") + shard.source + ": " + s.stop_reason;
    }
    add_latency(s, m);
    add_samples(s, static_cast<uint32_t>(m.shards.size()), m);
    add_shard_entries(shard, m.shards);
  }
  m.seed_outcomes = merge_seed_outcomes(shards, m.config);
  std::stable_sort(m.failures.begin(), m.failures.end(),
                   [](const ReportFailure& a, const ReportFailure& b) { return a.seed < b.seed; });
  m.simulated_to_real_ratio = m.wall_seconds > 0 ? m.simulated_time_us / 1e6 / m.wall_seconds : 0;
  assert(m.seeds_planned == shard_seed_count(m.config.seeds_first, m.config.seeds_last, 0, 1));
  return m;
}

Result<SweepSummary> merge_report_dirs(Env& env, const std::vector<std::string>& dirs,
                                       const std::string& out_dir) {
  std::vector<ShardReport> shards;
  for (const std::string& dir : dirs) {
    TIERKV_ASSIGN_OR_RETURN(SweepSummary summary, read_sweep_summary(env, dir));
    shards.push_back({dir, std::move(summary)});
  }
  TIERKV_ASSIGN_OR_RETURN(SweepSummary merged, merge_reports(shards));
  TIERKV_RETURN_IF_ERROR(create_dirs_durably(env, out_dir));
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env, join_path(out_dir, "report.json"),
                                               summary_to_json(merged).dump(2) + "\n"));
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env, join_path(out_dir, "summary.md"),
                                               render_summary_markdown(merged)));
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env, join_path(out_dir, "report.html"),
                                               render_summary_html(merged)));
  return merged;
}

}  // namespace tierkv::reports
