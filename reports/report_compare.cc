#include "reports/report_compare.h"

#include <set>
#include <sstream>
#include <utility>

#include "reports/report_markdown.h"
#include "reports/report_svg.h"

namespace tierkv::reports {
namespace {

using FailureKey = std::pair<uint64_t, std::string>;

std::set<FailureKey> failure_keys(const SweepSummary& s) {
  std::set<FailureKey> keys;
  for (const ReportFailure& f : s.failures) keys.emplace(f.seed, f.invariant);
  return keys;
}

// Whether `s` is known to have run `seed` (so the absence of a failure there means something).
bool ran_seed(const SweepSummary& s, const std::set<FailureKey>& keys, uint64_t seed) {
  const auto it = keys.lower_bound({seed, std::string()});
  if (it != keys.end() && it->first == seed) return true;
  return every_seed_ran(s) && shard_holds_seed(s.config, seed);
}

void compare_config(const ReportConfig& a, const ReportConfig& b, std::vector<std::string>& out) {
  if (a.backend != b.backend) out.push_back("backend: " + a.backend + " -> " + b.backend);
  if (a.ops != b.ops) {
    out.push_back("ops: " + std::to_string(a.ops) + " -> " + std::to_string(b.ops));
  }
  if (a.faults != b.faults) out.push_back("faults: " + a.faults + " -> " + b.faults);
  if (a.over_budget != b.over_budget) {
    out.push_back(std::string("over_budget: ") + (a.over_budget ? "true" : "false") + " -> " +
                  (b.over_budget ? "true" : "false"));
  }
}

std::string percent(double before, double after) {
  const double change = relative_change(before, after) * 100;
  return (change >= 0 ? "+" : "") + format_number(change, 1) + "%";
}

void list_text(std::ostringstream& out, const char* title, const std::vector<ReportFailure>& list,
               bool with_reproduce) {
  out << title << ": " << list.size() << "\n";
  for (const ReportFailure& f : list) {
    out << "  seed " << f.seed << ": " << f.invariant << ": " << f.message << "\n";
    if (with_reproduce) out << "    reproduce: " << f.reproduce << "\n";
  }
}

void list_markdown(std::ostringstream& out, const char* title,
                   const std::vector<ReportFailure>& list, bool with_reproduce) {
  out << "\n## " << title << " (" << list.size() << ")\n\n";
  if (list.empty()) out << "None.\n";
  for (const ReportFailure& f : list) {
    out << "- seed " << f.seed << " — `" << markdown_cell(f.invariant)
        << "`: " << markdown_cell(f.message) << "\n";
    if (with_reproduce) out << "  - reproduce: `" << f.reproduce << "`\n";
  }
}

}  // namespace

double relative_change(double before, double after) {
  return before > 0 ? after / before - 1 : 0;
}

ReportComparison compare_reports(const SweepSummary& before, const SweepSummary& after) {
  ReportComparison c;
  const std::set<FailureKey> before_keys = failure_keys(before);
  const std::set<FailureKey> after_keys = failure_keys(after);
  for (const ReportFailure& f : after.failures) {
    if (before_keys.contains({f.seed, f.invariant})) c.still_failing.push_back(f);
    else if (ran_seed(before, before_keys, f.seed)) c.new_failures.push_back(f);
    else c.not_comparable.push_back(f);
  }
  for (const ReportFailure& f : before.failures) {
    if (after_keys.contains({f.seed, f.invariant})) continue;
    if (ran_seed(after, after_keys, f.seed)) c.fixed.push_back(f);
    else c.not_comparable.push_back(f);
  }
  compare_config(before.config, after.config, c.config_differences);
  c.ops_per_second_before = before.ops_per_second;
  c.ops_per_second_after = after.ops_per_second;
  c.seeds_per_second_before = before.seeds_per_second;
  c.seeds_per_second_after = after.seeds_per_second;
  return c;
}

std::string comparison_text(const ReportComparison& c, const std::string& before_name,
                            const std::string& after_name) {
  std::ostringstream out;
  out << "compare: " << before_name << " -> " << after_name << "\n";
  for (const std::string& d : c.config_differences) {
    out << "warning: configs differ (" << d << "): the same seed runs a different scenario\n";
  }
  list_text(out, "new failures", c.new_failures, true);
  list_text(out, "fixed", c.fixed, false);
  list_text(out, "still failing", c.still_failing, false);
  list_text(out, "not comparable (seed not run by the other sweep)", c.not_comparable, false);
  out << "throughput: " << format_number(c.ops_per_second_before, 0) << " -> "
      << format_number(c.ops_per_second_after, 0) << " ops/s ("
      << percent(c.ops_per_second_before, c.ops_per_second_after) << "), "
      << format_number(c.seeds_per_second_before, 1) << " -> "
      << format_number(c.seeds_per_second_after, 1) << " seeds/s ("
      << percent(c.seeds_per_second_before, c.seeds_per_second_after) << ")\n";
  return out.str();
}

std::string comparison_markdown(const ReportComparison& c, const std::string& before_name,
                                const std::string& after_name) {
  std::ostringstream out;
  out << "# tierkv-sim sweep comparison\n\n`" << before_name << "` → `" << after_name
      << "`: **" << c.new_failures.size() << " new failures**, " << c.fixed.size() << " fixed, "
      << c.still_failing.size() << " still failing\n";
  for (const std::string& d : c.config_differences) {
    out << "\n> **Configs differ** (" << markdown_cell(d)
        << "): the same seed runs a different scenario.\n";
  }
  out << "\n| throughput | before | after | change |\n|---|---:|---:|---:|\n| ops/s | "
      << format_number(c.ops_per_second_before, 0) << " | "
      << format_number(c.ops_per_second_after, 0) << " | "
      << percent(c.ops_per_second_before, c.ops_per_second_after) << " |\n| seeds/s | "
      << format_number(c.seeds_per_second_before, 1) << " | "
      << format_number(c.seeds_per_second_after, 1) << " | "
      << percent(c.seeds_per_second_before, c.seeds_per_second_after) << " |\n";
  list_markdown(out, "New failures", c.new_failures, true);
  list_markdown(out, "Fixed", c.fixed, false);
  list_markdown(out, "Still failing", c.still_failing, false);
  list_markdown(out, "Not comparable", c.not_comparable, false);
  return out.str();
}

}  // namespace tierkv::reports
