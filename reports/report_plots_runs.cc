// The plots over time: one failing run's timeline (simulated time) and the sweep's throughput
// (wall time). Element ids and classes: reports/report_plots.h.
#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "reports/report_plots.h"
#include "reports/report_svg.h"

namespace tierkv::reports {
namespace {

constexpr int kChartWidthPx = 900;
constexpr int kLaneLabelPx = 90;
constexpr int kRightMarginPx = 20;
constexpr int kLaneHeightPx = 18;
constexpr int kAxisHeightPx = 26;
constexpr double kOpWidthPxMin = 1.5;
constexpr int kThroughputHeightPx = 220;
constexpr int kThroughputMarginPx = 50;

// Maps [from, to] onto the plot's x range.
class XScale {
 public:
  XScale(double from, double to, int left_px, int right_px)
      : from_(from), span_(std::max(to - from, 1e-9)), left_px_(left_px),
        width_px_(right_px - left_px) {}
  double operator()(double value) const { return left_px_ + (value - from_) / span_ * width_px_; }

 private:
  double from_;
  double span_;
  int left_px_;
  int width_px_;
};

std::string op_class(const std::string& status) {
  if (status == "OK") return "ok";
  if (status == "abandoned" || status == "unobserved") return status;
  return "failed";
}

std::string micros_text(uint64_t us) { return format_number(us / 1000.0, 3) + " ms"; }

std::string event_tooltip(const ReportEvent& e) {
  if (e.type == "op") {
    return "op #" + std::to_string(e.op) + " " + e.kind + " (client " + std::to_string(e.client) +
           "): " + micros_text(e.start_us) + " .. " + micros_text(e.end_us) + ", " + e.status;
  }
  if (e.type == "fault") {
    return "fault " + e.kind + (e.count > 1 ? " x" + std::to_string(e.count) : "") + " at " +
           micros_text(e.start_us);
  }
  return e.type + " (" + e.kind + ") at " + micros_text(e.start_us);
}

void draw_lane_labels(std::ostringstream& svg, const std::map<uint32_t, int>& lane_of_client) {
  svg << "<text class=\"label\" x=\"4\" y=\"" << kLaneHeightPx - 5 << "\">faults</text>";
  for (const auto& [client, lane] : lane_of_client) {
    svg << "<text class=\"label\" x=\"4\" y=\"" << (lane + 1) * kLaneHeightPx - 5 << "\">client "
        << client << "</text>";
  }
}

void draw_event(std::ostringstream& svg, const ReportEvent& e, const XScale& x, int lane,
                int height_px) {
  const std::string title = "<title>" + html_escape(event_tooltip(e)) + "</title>";
  const double x0 = x(static_cast<double>(e.start_us));
  if (e.type == "op") {
    const double width = std::max(kOpWidthPxMin, x(static_cast<double>(e.end_us)) - x0);
    svg << "<rect class=\"op " << op_class(e.status) << "\" x=\"" << format_number(x0, 1)
        << "\" y=\"" << lane * kLaneHeightPx + 3 << "\" width=\"" << format_number(width, 1)
        << "\" height=\"" << kLaneHeightPx - 6 << "\">" << title << "</rect>";
  } else if (e.type == "fault") {
    svg << "<circle class=\"fault\" cx=\"" << format_number(x0, 1) << "\" cy=\""
        << kLaneHeightPx / 2 << "\" r=\"4\">" << title << "</circle>";
  } else {
    svg << "<line class=\"" << html_escape(e.type) << "\" x1=\"" << format_number(x0, 1)
        << "\" y1=\"0\" x2=\"" << format_number(x0, 1) << "\" y2=\"" << height_px << "\">"
        << title << "</line>";
  }
}

// Seeds/s between consecutive samples of one series, as (wall seconds, rate, ops/s).
struct RatePoint {
  double wall_seconds = 0;
  double seeds_per_second = 0;
  double ops_per_second = 0;
};

std::vector<RatePoint> rates(const std::vector<ThroughputPoint>& series) {
  std::vector<RatePoint> out;
  ThroughputPoint previous;
  for (const ThroughputPoint& p : series) {
    const double dt = p.wall_seconds - previous.wall_seconds;
    if (dt > 0) {
      out.push_back({p.wall_seconds, (p.seeds_run - previous.seeds_run) / dt,
                     (p.ops_issued - previous.ops_issued) / dt});
    }
    previous = p;
  }
  return out;
}

}  // namespace

std::string svg_run_timeline(const ReportFailure& f) {
  if (f.events.empty()) return "";
  std::map<uint32_t, int> lane_of_client;  // lane 0 is the faults lane
  uint64_t from_us = f.events.front().start_us;
  uint64_t to_us = 0;
  for (const ReportEvent& e : f.events) {
    if (e.type == "op") lane_of_client.emplace(e.client, 0);
    from_us = std::min(from_us, e.start_us);
    to_us = std::max(to_us, e.end_us);
  }
  int lane = 1;
  for (auto& [client, lane_index] : lane_of_client) lane_index = lane++;
  const int lanes_height_px = lane * kLaneHeightPx;
  const XScale x(static_cast<double>(from_us), static_cast<double>(to_us), kLaneLabelPx,
                 kChartWidthPx - kRightMarginPx);
  std::ostringstream svg;
  svg << svg_open("run-timeline", kChartWidthPx, lanes_height_px + kAxisHeightPx);
  draw_lane_labels(svg, lane_of_client);
  for (const ReportEvent& e : f.events) {
    draw_event(svg, e, x, e.type == "op" ? lane_of_client.at(e.client) : 0, lanes_height_px);
  }
  svg << "<text class=\"label\" x=\"" << kLaneLabelPx << "\" y=\"" << lanes_height_px + 18
      << "\">" << micros_text(from_us) << "</text><text class=\"label\" x=\""
      << kChartWidthPx - kRightMarginPx << "\" y=\"" << lanes_height_px + 18
      << "\" text-anchor=\"end\">" << micros_text(to_us) << " (simulated)</text></svg>";
  return svg.str();
}

std::string svg_throughput_over_time(const SweepSummary& s) {
  if (s.throughput_samples.empty()) return "";
  std::map<uint32_t, std::vector<ThroughputPoint>> series;  // by shard entry (0 for one sweep)
  for (const ThroughputPoint& p : s.throughput_samples) series[p.shard.value_or(0)].push_back(p);
  std::map<uint32_t, std::vector<RatePoint>> rate_series;
  double wall_max = 0;
  double rate_max = 0;
  for (const auto& [shard, points] : series) {
    rate_series[shard] = rates(points);
    for (const RatePoint& r : rate_series[shard]) {
      wall_max = std::max(wall_max, r.wall_seconds);
      rate_max = std::max(rate_max, r.seeds_per_second);
    }
  }
  const XScale x(0, wall_max, kThroughputMarginPx, kChartWidthPx - kRightMarginPx);
  const int plot_bottom_px = kThroughputHeightPx - kAxisHeightPx;
  auto y = [&](double rate) {
    return plot_bottom_px - (rate_max > 0 ? rate / rate_max : 0) * (plot_bottom_px - 10);
  };
  std::ostringstream svg;
  svg << svg_open("throughput-over-time", kChartWidthPx, kThroughputHeightPx);
  svg << "<line class=\"axis\" x1=\"" << kThroughputMarginPx << "\" y1=\"" << plot_bottom_px
      << "\" x2=\"" << kChartWidthPx - kRightMarginPx << "\" y2=\"" << plot_bottom_px << "\"/>";
  svg << "<text class=\"label\" x=\"4\" y=\"14\">" << format_number(rate_max, 1)
      << " seeds/s</text><text class=\"label\" x=\"" << kChartWidthPx - kRightMarginPx
      << "\" y=\"" << kThroughputHeightPx - 6 << "\" text-anchor=\"end\">"
      << format_number(wall_max, 1) << " s (wall)</text>";
  for (const auto& [shard, points] : rate_series) {
    std::ostringstream polyline;
    for (const RatePoint& r : points) {
      polyline << format_number(x(r.wall_seconds), 1) << "," << format_number(y(r.seeds_per_second), 1)
               << " ";
    }
    svg << "<polyline class=\"series\" data-shard=\"" << shard << "\" points=\"" << polyline.str()
        << "\"/>";
    for (const RatePoint& r : points) {
      svg << "<circle class=\"sample\" cx=\"" << format_number(x(r.wall_seconds), 1) << "\" cy=\""
          << format_number(y(r.seeds_per_second), 1) << "\" r=\"3\"><title>"
          << (s.shards.empty() ? std::string() : "shard entry " + std::to_string(shard) + ": ")
          << format_number(r.wall_seconds, 1) << " s: " << format_number(r.seeds_per_second, 1)
          << " seeds/s, " << format_number(r.ops_per_second, 0) << " ops/s</title></circle>";
    }
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace tierkv::reports
