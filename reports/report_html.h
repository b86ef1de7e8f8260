// report.json -> report.html: one self-contained page (inline CSS and inline SVG, no script, no
// network access, no external font) that a person would rather look at than read.
//
// Contract:
//   - The page shows: a summary line, the seed outcome grid, fault kinds fired next to the
//     invariants checked and violated, the failing seeds across the sweep with the first
//     failing run's details and reproduce command, the latency histogram in simulated time
//     (when the report has one), throughput (per shard when the report is a merge), and the
//     failures table. Plot ids are listed in reports/report_plots.h.
//   - Where report.json lacks data for a plot (per-run events, latency), the page says which
//     report field would be needed instead of drawing something made up.
//   - Malformed input: InvalidArgument naming the field (see report_model.h); nothing written.
//   - Same report.json, same bytes (no timestamps).
// Thread-safety: pure functions, except write_report_html which writes through the Env.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/core/status.h"
#include "engine/io/env.h"
#include "reports/report_model.h"

namespace tierkv::reports {

Result<std::string> render_report_html(const nlohmann::json& report);
std::string render_summary_html(const SweepSummary& summary);

// Reads dir/report.json and writes dir/report.html (atomically: a reader never sees half a
// page). Errors name the file and the field.
Status write_report_html(Env& env, const std::string& dir);

}  // namespace tierkv::reports
