// The HTML report in a real browser: Debian's chromium (headless) loads report.html from disk
// and the DOM it builds holds every plot's <svg> with its marks, and it renders a screenshot.
// Chromium is a test dependency (scripts/setup.sh installs it): without it this test FAILS.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "engine/io/posix_env.h"
#include "reports/report_command.h"
#include "reports/report_plots.h"
#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

using testing::FakeSweep;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr int kBrowserTimeoutSeconds = 60;

// Runs a shell command and returns its stdout (stderr discarded) and exit status.
std::pair<std::string, int> run_capture(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {"", -1};
  std::array<char, 65536> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string chromium_command(const testing::TempDir& tmp, const std::string& action) {
  return std::string("timeout ") + std::to_string(kBrowserTimeoutSeconds) + " " + kChromium +
         " --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
         tmp.sub("profile") + " " + action + " file://" + tmp.sub("report/report.html") +
         " 2>/dev/null";
}

// Number of `<mark` elements inside <svg id="id"> of the browser's DOM; -1 if the svg is absent.
int marks_in_svg(const std::string& dom, const std::string& id, const std::string& mark) {
  const size_t start = dom.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return -1;
  const size_t end = dom.find("</svg>", start);
  int n = 0;
  for (size_t at = dom.find(mark, start); at != std::string::npos && at < end;
       at = dom.find(mark, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ReportBrowser, ChromiumRendersEveryPlotWithItsMarks) {
  ASSERT_TRUE(std::filesystem::exists(kChromium))
      << kChromium << " not found: the HTML report test needs Debian's chromium; run "
      << "scripts/setup.sh (as root) to install it";
  testing::TempDir tmp;
  FakeSweep sweep{.first = 0, .last = 36};
  sweep.failures = {{5, "recovery"}, {20, "process_abort"}, {33, "wal"}};
  sweep.faults = {{"crash", 9}, {"io_error", 4}, {"torn_write", 2}, {"bit_rot", 1}};
  sweep.invariants = {{"recovery", 37}, {"wal", 37}, {"pagination", 30}};
  sweep.extras = true;  // seed_outcomes, the failing runs' events, latency, throughput samples
  nlohmann::json report = sweep.to_json();
  report["latency_histogram_us"]["list"] = {{{"le", 100000}, {"count", 1}}};
  testing::write_text_file(tmp.sub("report/report.json"), report.dump());
  std::ostringstream out, err;
  ASSERT_EQ(run_report_command({tmp.sub("report")}, out, err), kReportExitOk) << err.str();

  const auto [dom, status] = run_capture(chromium_command(tmp, "--dump-dom"));
  ASSERT_EQ(status, 0) << "chromium --dump-dom failed or timed out";
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 500);
  EXPECT_EQ(marks_in_svg(dom, "seed-grid", "<rect"), 37);
  EXPECT_EQ(marks_in_svg(dom, "seed-grid", "class=\"cell fail\""), 2);
  EXPECT_EQ(marks_in_svg(dom, "seed-grid", "class=\"cell abort\""), 1);
  EXPECT_EQ(marks_in_svg(dom, "seed-grid", "class=\"cell pass\""), 34);
  EXPECT_EQ(marks_in_svg(dom, "faults-fired", "<rect"), 4);
  EXPECT_EQ(marks_in_svg(dom, "invariants-checked", "<rect"), 3);
  EXPECT_EQ(marks_in_svg(dom, "invariants-violated", "<rect"), 3);
  EXPECT_EQ(marks_in_svg(dom, "failure-timeline", "<circle class=\"failure\""), 3);
  // The first failing run (seed 5): 3 op spans, 2 faults, crash, recovery, violation lines.
  EXPECT_EQ(marks_in_svg(dom, "run-timeline", "<rect class=\"op "), 3);
  EXPECT_EQ(marks_in_svg(dom, "run-timeline", "<circle class=\"fault\""), 2);
  EXPECT_EQ(marks_in_svg(dom, "run-timeline", "<line class=\"crash\""), 1);
  EXPECT_EQ(marks_in_svg(dom, "run-timeline", "<line class=\"recovery\""), 1);
  EXPECT_EQ(marks_in_svg(dom, "run-timeline", "<line class=\"violation\""), 1);
  // Buckets 0, 64, 128 (read), 1024, 4096 (write), 100000 (list); then one chart per kind.
  EXPECT_EQ(marks_in_svg(dom, "latency-histogram", "<rect"), 6);
  EXPECT_EQ(marks_in_svg(dom, "latency-read", "<rect"), 3);
  EXPECT_EQ(marks_in_svg(dom, "latency-write", "<rect"), 2);
  EXPECT_EQ(marks_in_svg(dom, "latency-list", "<rect"), 1);
  EXPECT_EQ(marks_in_svg(dom, "throughput", "<rect"), 1);
  EXPECT_EQ(marks_in_svg(dom, "throughput-over-time", "<circle class=\"sample\""), 3);
  EXPECT_EQ(marks_in_svg(dom, "throughput-over-time", "<polyline class=\"series\""), 1);
  EXPECT_NE(dom.find("seed 20: process_abort"), std::string::npos);

  const auto [ignored, shot_status] = run_capture(
      chromium_command(tmp, "--window-size=1200,2400 --screenshot=" + tmp.sub("shot.png")));
  ASSERT_EQ(shot_status, 0) << "chromium --screenshot failed or timed out";
  const std::string png = testing::read_text_file(tmp.sub("shot.png"));
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace tierkv::reports
