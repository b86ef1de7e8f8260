#include "reports/report_command.h"

#include <ostream>

#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "reports/report_compare.h"
#include "reports/report_html.h"
#include "reports/report_markdown.h"
#include "reports/report_merge.h"

namespace tierkv::reports {
namespace {

constexpr std::string_view kUsage =
    "usage: tierkv-sim report DIR                       write DIR/report.html and DIR/summary.md\n"
    "       tierkv-sim report BEFORE AFTER [--markdown]  compare two sweeps\n"
    "       tierkv-sim report --merge OUT DIR...         merge shard reports into OUT\n";

bool is_input_error(const Status& status) {
  return status.is_invalid_argument() || status.is_not_found() || status.is_corruption();
}

int fail(const Status& status, std::ostream& err) {
  err << "tierkv-sim report: " << status.message() << "\n";
  return is_input_error(status) ? kReportExitBadInput : kReportExitWriteFailed;
}

int usage_error(const std::string& what, std::ostream& err) {
  err << "tierkv-sim report: " << what << "\n" << kUsage;
  return kReportExitBadInput;
}

int merge_command(Env& env, const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err) {
  if (args.size() < 3) return usage_error("--merge needs OUT and at least one shard DIR", err);
  const std::vector<std::string> dirs(args.begin() + 2, args.end());
  Result<SweepSummary> merged = merge_report_dirs(env, dirs, args[1]);
  if (!merged.ok()) return fail(merged.status(), err);
  out << "merged " << dirs.size() << " shard reports: seeds " << merged->config.seeds_first
      << ".." << merged->config.seeds_last << ", " << merged->seeds_run << " run, "
      << merged->failures.size() << " failed -> " << join_path(args[1], "report.json") << ", "
      << join_path(args[1], "summary.md") << ", " << join_path(args[1], "report.html") << "\n";
  return kReportExitOk;
}

int compare_command(Env& env, const std::vector<std::string>& dirs, bool markdown,
                    std::ostream& out, std::ostream& err) {
  Result<SweepSummary> before = read_sweep_summary(env, dirs[0]);
  if (!before.ok()) return fail(before.status(), err);
  Result<SweepSummary> after = read_sweep_summary(env, dirs[1]);
  if (!after.ok()) return fail(after.status(), err);
  const ReportComparison comparison = compare_reports(*before, *after);
  out << (markdown ? comparison_markdown(comparison, dirs[0], dirs[1])
                   : comparison_text(comparison, dirs[0], dirs[1]));
  return kReportExitOk;
}

}  // namespace

Status write_report_files(Env& env, const std::string& dir) {
  TIERKV_ASSIGN_OR_RETURN(SweepSummary summary, read_sweep_summary(env, dir));
  TIERKV_RETURN_IF_ERROR(write_file_atomically(env, join_path(dir, "report.html"),
                                               render_summary_html(summary)));
  return write_file_atomically(env, join_path(dir, "summary.md"),
                               render_summary_markdown(summary));
}

int run_report_command(Env& env, const std::vector<std::string>& args, std::ostream& out,
                       std::ostream& err) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    out << kUsage;
    return kReportExitOk;
  }
  if (!args.empty() && args[0] == "--merge") return merge_command(env, args, out, err);
  std::vector<std::string> dirs;
  bool markdown = false;
  for (const std::string& arg : args) {
    if (arg == "--markdown") markdown = true;
    else if (arg.starts_with("-")) return usage_error("unknown option `" + arg + "`", err);
    else dirs.push_back(arg);
  }
  if (dirs.size() == 2) return compare_command(env, dirs, markdown, out, err);
  if (dirs.size() != 1) return usage_error("expected one report DIR or two to compare", err);
  if (markdown) return usage_error("--markdown applies to a comparison (two DIRs)", err);
  const Status status = write_report_files(env, dirs[0]);
  if (!status.ok()) return fail(status, err);
  out << "wrote " << join_path(dirs[0], "report.html") << " and "
      << join_path(dirs[0], "summary.md") << "\n";
  return kReportExitOk;
}

int run_report_command(std::vector<std::string> args, std::ostream& out, std::ostream& err) {
  PosixEnv env;
  return run_report_command(env, args, out, err);
}

}  // namespace tierkv::reports
