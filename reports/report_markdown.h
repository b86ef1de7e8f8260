// report.json -> Markdown: the sweep summary for people and CI job summaries
// (`cat DIR/summary.md >> "$GITHUB_STEP_SUMMARY"`).
//
// Contract: the same sections as sim's summary.md (config, result, throughput, faults fired,
// invariants, failures with reproduce commands), plus a per-shard table when the report is a
// merge. Report strings are written inside code spans or table cells with `|` escaped.
// Same summary, same text. Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "reports/report_model.h"

namespace tierkv::reports {

std::string render_summary_markdown(const SweepSummary& summary);

// Escapes text for a Markdown table cell (`|` and newlines).
std::string markdown_cell(std::string_view text);

}  // namespace tierkv::reports
