#include "reports/report_html.h"

#include <sstream>

#include "engine/io/env_util.h"
#include "reports/report_plots.h"
#include "reports/report_svg.h"

namespace tierkv::reports {
namespace {

constexpr std::string_view kStyle = R"(
body { font-family: sans-serif; margin: 24px; color: #212121; max-width: 1100px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
.summary { background: #f5f5f5; padding: 10px 14px; border-radius: 4px; }
.ok { color: #2e7d32; font-weight: bold; } .bad { color: #c62828; font-weight: bold; }
.row { display: flex; flex-wrap: wrap; gap: 32px; }
.chart text { font-size: 12px; fill: #424242; } .chart .empty { fill: #757575; }
.cell.pass { fill: #43a047; } .cell.fail { fill: #e53935; }
.cell.abort { fill: #6a1b9a; } .cell.unknown { fill: #bdbdbd; }
.cell.setup-error { fill: #fdd835; } .cell.not-run { fill: #eeeeee; }
rect.op.ok { fill: #43a047; } rect.op.failed { fill: #fb8c00; }
rect.op.abandoned { fill: #9e9e9e; } rect.op.unobserved { fill: #bdbdbd; }
circle.fault { fill: #fb8c00; stroke: #212121; }
line.crash { stroke: #c62828; stroke-width: 2; } line.recovery { stroke: #1e88e5; stroke-width: 2; }
line.violation { stroke: #000; stroke-width: 3; stroke-dasharray: 4 2; }
polyline.series { fill: none; stroke: #5e35b1; stroke-width: 2; } circle.sample { fill: #5e35b1; }
.bar.fault { fill: #fb8c00; } .bar.checked { fill: #1e88e5; } .bar.violated { fill: #e53935; }
.bar.latency { fill: #00897b; } .bar.throughput { fill: #5e35b1; }
.axis { stroke: #616161; stroke-width: 2; }
circle.failure { fill: #e53935; } circle.first-failure { fill: #212121; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }
.note { color: #616161; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #e0e0e0; padding: 4px 8px; text-align: left; vertical-align: top; }
code { background: #f5f5f5; padding: 1px 4px; word-break: break-all; }
)";

std::string summary_section(const SweepSummary& s) {
  const ReportConfig& c = s.config;
  std::ostringstream html;
  html << "<h1>tierkv-sim sweep: seeds " << c.seeds_first << ".." << c.seeds_last;
  if (c.shard_count > 1) html << " (shard " << c.shard_index << "/" << c.shard_count << ")";
  html << "</h1><p class=\"summary\">";
  if (s.failures.empty()) {
    html << "<span class=\"ok\">all invariants held</span>";
  } else {
    html << "<span class=\"bad\">" << s.failures.size() << " failing seeds</span>";
  }
  html << " &middot; " << s.seeds_run << " of " << s.seeds_planned << " seeds run, "
       << s.setup_errors << " setup errors &middot; backend " << html_escape(c.backend)
       << ", " << c.ops << " ops per seed, faults " << html_escape(c.faults)
       << (c.over_budget ? " (over budget)" : "") << " &middot; "
       << format_number(s.seeds_per_second, 1) << " seeds/s, "
       << format_number(s.ops_per_second, 0) << " ops/s, simulated "
       << format_number(s.simulated_time_us / 1e6, 1) << " s";
  if (!s.shards.empty()) html << " &middot; merged from " << s.shards.size() << " shard reports";
  if (!s.stop_reason.empty()) html << "<br>stopped early: " << html_escape(s.stop_reason);
  html << "</p>";
  return html.str();
}

std::string grid_section(const SweepSummary& s) {
  std::ostringstream html;
  html << "<h2>Seed outcomes</h2><p class=\"legend\"><span style=\"background:#43a047\"></span>"
          "passed<span style=\"background:#e53935\"></span>invariant violated"
          "<span style=\"background:#6a1b9a\"></span>process aborted"
          "<span style=\"background:#fdd835\"></span>setup error"
          "<span style=\"background:#eeeeee\"></span>not run"
          "<span style=\"background:#bdbdbd\"></span>no violation reported (outcome unknown)</p>";
  const uint64_t per_cell = grid_seeds_per_cell(s.seeds_planned);
  if (per_cell > 1) {
    html << "<p class=\"note\">Each cell is " << per_cell
         << " consecutive seeds of the shard; hover for the seeds and what failed.</p>";
  }
  if (s.seed_outcomes.empty() && !every_seed_ran(s)) {
    html << "<p class=\"note\">Grey seeds: this report.json has no seed_outcomes and lists "
            "failures only, so a seed that did not fail may not have run (sweep stopped early) or "
            "had a setup error.</p>";
  }
  html << svg_seed_grid(s);
  return html.str();
}

std::string counts_section(const SweepSummary& s) {
  std::ostringstream html;
  html << "<h2>Fault kinds fired vs. invariants checked</h2><div class=\"row\"><div><h3>Faults "
          "fired</h3>"
       << svg_faults_fired(s) << "</div><div><h3>Invariants checked</h3>"
       << svg_invariants_checked(s) << "<h3>Invariants violated</h3>"
       << svg_invariants_violated(s) << "</div></div>";
  return html.str();
}

const ReportFailure* first_failing_run(const SweepSummary& s) {
  if (s.failures.empty()) return nullptr;
  if (s.first_failure) {
    for (const ReportFailure& f : s.failures) {
      if (f.seed == s.first_failure->seed) return &f;
    }
  }
  return &s.failures.front();
}

std::string timeline_section(const SweepSummary& s) {
  std::ostringstream html;
  html << "<h2>Failing runs</h2>" << svg_failure_timeline(s);
  if (s.failures.size() > kTimelineMarksMax) {
    html << "<p class=\"note\">First " << kTimelineMarksMax << " of " << s.failures.size()
         << " failing seeds shown.</p>";
  }
  const ReportFailure* f = first_failing_run(s);
  if (f == nullptr) return html.str() + "<p>No failing run in this sweep.</p>";
  html << "<div id=\"failing-run\"><p>Seed <b>" << f->seed << "</b> violated <b>"
       << html_escape(f->invariant) << "</b>: " << html_escape(f->message) << "</p><p>Reproduce: "
       << "<code>" << html_escape(f->reproduce) << "</code>";
  if (!f->scenario_file.empty()) {
    html << "<br>Scenario: <code>" << html_escape(f->scenario_file) << "</code>";
  }
  html << "</p>";
  const std::string timeline = svg_run_timeline(*f);
  if (timeline.empty()) {
    html << "<p id=\"run-timeline-missing\" class=\"note\">No events were recorded for this "
            "run (its process died, or the report predates event timelines); replay the "
            "scenario for its trace.</p></div>";
    return html.str();
  }
  html << "<h3>Timeline of seed " << f->seed << " (simulated time)</h3><p class=\"legend\">"
          "<span style=\"background:#43a047\"></span>op ok"
          "<span style=\"background:#fb8c00\"></span>op failed / fault"
          "<span style=\"background:#9e9e9e\"></span>abandoned at a crash"
          "<span style=\"background:#c62828\"></span>crash"
          "<span style=\"background:#1e88e5\"></span>recovery"
          "<span style=\"background:#000\"></span>violation detected</p>"
       << timeline;
  if (f->events_dropped > 0) {
    html << "<p class=\"note\">The run's first " << f->events_dropped
         << " events are not shown (only its last events are kept).</p>";
  }
  html << "</div>";
  return html.str();
}

std::string latency_section(const SweepSummary& s) {
  std::string svg = svg_latency_histogram(s);
  if (svg.empty()) {
    return "<h2>Latency (simulated time)</h2><p id=\"latency-histogram-missing\" "
           "class=\"note\">This report has no latency histogram (field "
           "<code>latency_histogram_us</code>).</p>";
  }
  std::string html = "<h2>Latency (simulated time, µs)</h2><p class=\"note\">Client operations, "
                     "issue to completion, in power-of-two buckets.</p><h3>All operations</h3>" +
                     svg + "<div class=\"row\">";
  for (const auto& [kind, buckets] : s.latency_histogram_us) {
    html += "<div><h3>" + html_escape(kind) + "</h3>" +
            svg_latency_buckets("latency-" + kind, buckets, kind + " ops") + "</div>";
  }
  return html + "</div>";
}

std::string throughput_section(const SweepSummary& s) {
  std::string note = s.shards.empty()
                         ? "<p class=\"note\">One sweep: ops/s over its wall time. A merged "
                           "report shows one bar per shard.</p>"
                         : "<p class=\"note\">ops/s per shard.</p>";
  std::string over_time = svg_throughput_over_time(s);
  if (over_time.empty()) {
    over_time = "<p id=\"throughput-over-time-missing\" class=\"note\">This report has no "
                "throughput samples (field <code>throughput_samples</code>).</p>";
  } else {
    over_time = "<h3>Over the sweep (seeds/s between samples)</h3>" + over_time;
  }
  return "<h2>Throughput</h2>" + svg_throughput(s) + note + over_time;
}

std::string failures_section(const SweepSummary& s) {
  if (s.failures.empty()) return "<h2>Failures</h2><p>None.</p>";
  std::ostringstream html;
  html << "<h2>Failures</h2><table id=\"failures\"><tr><th>seed</th><th>invariant</th>"
          "<th>message</th><th>reproduce</th></tr>";
  for (const ReportFailure& f : s.failures) {
    html << "<tr><td>" << f.seed << "</td><td>" << html_escape(f.invariant) << "</td><td>"
         << html_escape(f.message) << "</td><td><code>" << html_escape(f.reproduce)
         << "</code></td></tr>";
  }
  html << "</table>";
  return html.str();
}

}  // namespace

std::string render_summary_html(const SweepSummary& s) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tierkv-sim "
          "sweep "
       << s.config.seeds_first << ".." << s.config.seeds_last << "</title><style>" << kStyle
       << "</style></head><body>\n"
       << summary_section(s) << "\n"
       << grid_section(s) << "\n"
       << counts_section(s) << "\n"
       << timeline_section(s) << "\n"
       << latency_section(s) << "\n"
       << throughput_section(s) << "\n"
       << failures_section(s) << "\n</body></html>\n";
  return html.str();
}

Result<std::string> render_report_html(const nlohmann::json& report) {
  TIERKV_ASSIGN_OR_RETURN(SweepSummary summary, parse_sweep_summary(report));
  return render_summary_html(summary);
}

Status write_report_html(Env& env, const std::string& dir) {
  TIERKV_ASSIGN_OR_RETURN(SweepSummary summary, read_sweep_summary(env, dir));
  return write_file_atomically(env, join_path(dir, "report.html"), render_summary_html(summary));
}

}  // namespace tierkv::reports
