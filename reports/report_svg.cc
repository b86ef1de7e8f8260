#include "reports/report_svg.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace tierkv::reports {
namespace {

constexpr int kLabelWidthPx = 180;
constexpr int kPlotWidthPx = 420;
constexpr int kRowHeightPx = 22;
constexpr int kColumnWidthPx = 34;
constexpr int kPlotHeightPx = 180;
constexpr double kBarPxMin = 2;

double bar_length_px(double value, double value_max, int length_max_px) {
  if (value <= 0 || value_max <= 0) return 0;
  return std::max(kBarPxMin, value / value_max * length_max_px);
}

void append_rect(std::ostringstream& svg, const Bar& bar, double x, double y, double width,
                 double height) {
  svg << "<rect class=\"bar" << (bar.css_class.empty() ? "" : " " + html_escape(bar.css_class))
      << "\" x=\"" << format_number(x, 1) << "\" y=\"" << format_number(y, 1) << "\" width=\""
      << format_number(width, 1) << "\" height=\"" << format_number(height, 1) << "\"><title>"
      << html_escape(bar.tooltip.empty() ? bar.label : bar.tooltip) << "</title></rect>";
}

void horizontal_bars(std::ostringstream& svg, const std::vector<Bar>& bars, double value_max) {
  for (size_t i = 0; i < bars.size(); ++i) {
    const double y = static_cast<double>(i) * kRowHeightPx;
    const double width = bar_length_px(bars[i].value, value_max, kPlotWidthPx - 80);
    svg << "<text class=\"label\" x=\"" << kLabelWidthPx - 6 << "\" y=\"" << y + 15
        << "\" text-anchor=\"end\">" << html_escape(bars[i].label) << "</text>";
    append_rect(svg, bars[i], kLabelWidthPx, y + 3, width, kRowHeightPx - 6);
    svg << "<text class=\"value\" x=\"" << format_number(kLabelWidthPx + width + 4, 1)
        << "\" y=\"" << y + 15 << "\">" << format_number(bars[i].value, 1) << "</text>";
  }
}

void vertical_bars(std::ostringstream& svg, const std::vector<Bar>& bars, double value_max) {
  constexpr int kTopPx = 16;
  for (size_t i = 0; i < bars.size(); ++i) {
    const double x = 8 + static_cast<double>(i) * kColumnWidthPx;
    const double height = bar_length_px(bars[i].value, value_max, kPlotHeightPx);
    append_rect(svg, bars[i], x, kTopPx + kPlotHeightPx - height, kColumnWidthPx - 6, height);
    svg << "<text class=\"label\" x=\"" << x + (kColumnWidthPx - 6) / 2.0 << "\" y=\""
        << kTopPx + kPlotHeightPx + 14 << "\" text-anchor=\"middle\">"
        << html_escape(bars[i].label) << "</text>";
  }
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double value, int digits) {
  assert(digits >= 0);
  std::ostringstream out;
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    out << static_cast<int64_t>(value);
  } else {
    out << std::fixed << std::setprecision(digits) << value;
  }
  return out.str();
}

std::string svg_bar_chart(std::string_view id, const std::vector<Bar>& bars,
                          BarDirection direction, std::string_view empty_text) {
  double value_max = 0;
  for (const Bar& bar : bars) value_max = std::max(value_max, bar.value);
  const bool horizontal = direction == BarDirection::kHorizontal;
  const size_t n = std::max<size_t>(bars.size(), 1);
  const int width = horizontal ? kLabelWidthPx + kPlotWidthPx
                               : std::max(kPlotWidthPx, 16 + static_cast<int>(n) * kColumnWidthPx);
  const int height = horizontal ? static_cast<int>(n) * kRowHeightPx : kPlotHeightPx + 40;
  std::ostringstream svg;
  svg << "<svg id=\"" << html_escape(id) << "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
      << " width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
      << height << "\" role=\"img\">";
  if (bars.empty()) {
    svg << "<text class=\"empty\" x=\"8\" y=\"16\">" << html_escape(empty_text) << "</text>";
  } else if (horizontal) {
    horizontal_bars(svg, bars, value_max);
  } else {
    vertical_bars(svg, bars, value_max);
  }
  svg << "</svg>";
  return svg.str();
}

std::string svg_open(std::string_view id, int width, int height) {
  std::ostringstream svg;
  svg << "<svg id=\"" << id << "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\""
      << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height
      << "\" role=\"img\">";
  return svg.str();
}

}  // namespace tierkv::reports
