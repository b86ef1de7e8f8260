#include "reports/report_markdown.h"

#include <sstream>

#include "reports/report_svg.h"

namespace tierkv::reports {
namespace {

void write_header(const SweepSummary& s, std::ostringstream& md) {
  const ReportConfig& c = s.config;
  md << "# tierkv-sim sweep\n\n- seeds: " << c.seeds_first << ".." << c.seeds_last << " shard "
     << c.shard_index << "/" << c.shard_count << " (" << s.seeds_run << " of " << s.seeds_planned
     << " run" << (s.stop_reason.empty() ? "" : "; " + s.stop_reason) << ")\n"
     << "- backend: " << c.backend << ", ops per seed: " << c.ops << ", faults: " << c.faults
     << (c.over_budget ? " (over budget)" : "") << "\n- result: **"
     << (s.failures.empty() ? "all invariants held"
                            : std::to_string(s.failures.size()) + " failing seeds")
     << "**\n- throughput: " << format_number(s.seeds_per_second, 1) << " seeds/s, "
     << format_number(s.ops_per_second, 0) << " ops/s, simulated/real "
     << format_number(s.simulated_to_real_ratio, 1) << "x over "
     << format_number(s.wall_seconds, 1) << " s\n";
  if (!s.shards.empty()) md << "- merged from " << s.shards.size() << " shard reports\n";
  md << "\n";
}

void write_shards(const SweepSummary& s, std::ostringstream& md) {
  if (s.shards.empty()) return;
  md << "## Shards\n\n| shard | seeds | run | failed | wall s | seeds/s | ops/s | source |\n"
        "|---|---|---:|---:|---:|---:|---:|---|\n";
  for (const ReportShard& shard : s.shards) {
    md << "| " << shard.shard_index << "/" << shard.shard_count << " | " << shard.seeds_first
       << ".." << shard.seeds_last << " | " << shard.seeds_run << " | " << shard.failed << " | "
       << format_number(shard.wall_seconds, 1) << " | "
       << format_number(shard.seeds_per_second, 1) << " | "
       << format_number(shard.ops_per_second, 0) << " | " << markdown_cell(shard.source)
       << " |\n";
  }
  md << "\n";
}

}  // namespace

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string render_summary_markdown(const SweepSummary& s) {
  std::ostringstream md;
  write_header(s, md);
  write_shards(s, md);
  md << "## Faults fired\n\n| fault | fired |\n|---|---:|\n";
  for (const auto& [kind, count] : s.faults_fired) {
    md << "| " << markdown_cell(kind) << " | " << count << " |\n";
  }
  md << "\n## Invariants\n\n| invariant | checked | violated |\n|---|---:|---:|\n";
  for (const auto& [name, counts] : s.invariants) {
    md << "| " << markdown_cell(name) << " | " << counts.checked << " | " << counts.violated
       << " |\n";
  }
  md << "\n## Failures\n\n";
  if (s.failures.empty()) md << "None.\n";
  for (const ReportFailure& f : s.failures) {
    md << "- seed " << f.seed << " — `" << markdown_cell(f.invariant)
       << "`: " << markdown_cell(f.message) << "\n  - reproduce: `" << f.reproduce << "`\n";
  }
  return md.str();
}

}  // namespace tierkv::reports
