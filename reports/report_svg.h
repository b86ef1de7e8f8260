// Small building blocks for the HTML report: escaping and inline SVG bar charts.
//
// Contract:
//   - Every string that came from a report (kinds, invariants, messages, paths) goes through
//     html_escape before it reaches the page, so a report cannot inject markup or scripts.
//   - svg_bar_chart draws one `<rect class="bar ...">` per bar, in the order given, each with a
//     `<title>` tooltip; the svg element carries the given id. Bars are scaled to the largest
//     value; a positive value is never drawn thinner than 2 px, so rare events stay visible.
//   - The output depends only on the arguments (no clock, no randomness): same report, same bytes.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tierkv::reports {

std::string html_escape(std::string_view text);

// A number as people read it in a report: integers exactly, others with `digits` decimals.
std::string format_number(double value, int digits);

struct Bar {
  std::string label;
  double value = 0;
  std::string css_class;  // added to "bar", e.g. "fault" or "violated"
  std::string tooltip;
};

enum class BarDirection { kHorizontal, kVertical };

// The opening tag of an inline chart: <svg id="id" class="chart" ... width height viewBox>.
std::string svg_open(std::string_view id, int width, int height);

// An inline <svg id="id"> chart; `empty_text` is drawn instead of bars when there are none.
std::string svg_bar_chart(std::string_view id, const std::vector<Bar>& bars,
                          BarDirection direction, std::string_view empty_text);

}  // namespace tierkv::reports
