#include "sim/cli_outcome.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace tierkv::sim {
namespace {

using Json = nlohmann::json;

Json stats_to_json(const RunStats& s) {
  return Json{{"ops_issued", s.ops_issued},
              {"ops_acknowledged", s.ops_acknowledged},
              {"ops_failed", s.ops_failed},
              {"crashes", s.crashes},
              {"simulated_time_us", s.simulated_time_us},
              {"trace_events", s.trace_events},
              {"faults_fired", s.faults_fired},
              {"invariants_checked", s.invariants_checked}};
}

RunStats stats_from_json(const Json& j) {
  RunStats s;
  s.ops_issued = j.at("ops_issued").get<uint64_t>();
  s.ops_acknowledged = j.at("ops_acknowledged").get<uint64_t>();
  s.ops_failed = j.at("ops_failed").get<uint64_t>();
  s.crashes = j.at("crashes").get<uint64_t>();
  s.simulated_time_us = j.at("simulated_time_us").get<uint64_t>();
  s.trace_events = j.at("trace_events").get<uint64_t>();
  s.faults_fired = j.at("faults_fired").get<std::map<std::string, uint64_t>>();
  s.invariants_checked = j.at("invariants_checked").get<std::map<std::string, uint64_t>>();
  return s;
}

std::string read_all(int fd) {
  std::string data;
  char buffer[1 << 14];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return data;
    data.append(buffer, static_cast<size_t>(got));
  }
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  if (WIFEXITED(wait_status)) return "exited with code " + std::to_string(WEXITSTATUS(wait_status));
  return "stopped with wait status " + std::to_string(wait_status);
}

std::string format_seconds(uint64_t us) {
  std::ostringstream out;
  out.precision(3);
  out << std::fixed << static_cast<double>(us) / 1e6 << "s";
  return out.str();
}

}  // namespace

std::string RunOutcome::first_invariant() const {
  return violations.empty() ? std::string() : violations.front().invariant;
}

RunOutcome outcome_from_result(uint64_t seed, const RunResult& result) {
  RunOutcome outcome;
  outcome.seed = seed;
  outcome.trace_hex = result.trace_hex;
  outcome.violations = result.violations;
  outcome.stats = result.stats;
  if (!result.setup_error.ok()) outcome.setup_error = result.setup_error.to_string();
  return outcome;
}

std::string outcome_to_line(const RunOutcome& o) {
  Json violations = Json::array();
  for (const Violation& v : o.violations) {
    violations.push_back({{"invariant", v.invariant}, {"message", v.message}, {"history", v.history}});
  }
  const Json line = {{"seed", o.seed},          {"trace", o.trace_hex},
                     {"violations", violations}, {"stats", stats_to_json(o.stats)},
                     {"setup_error", o.setup_error}, {"scenario_file", o.scenario_file}};
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<RunOutcome> outcome_from_line(std::string_view line) {
  try {
    const Json j = Json::parse(line.begin(), line.end());
    RunOutcome o;
    o.seed = j.at("seed").get<uint64_t>();
    o.trace_hex = j.at("trace").get<std::string>();
    for (const Json& v : j.at("violations")) {
      o.violations.push_back({v.at("invariant").get<std::string>(), v.at("message").get<std::string>(),
                              v.at("history").get<std::string>()});
    }
    o.stats = stats_from_json(j.at("stats"));
    o.setup_error = j.at("setup_error").get<std::string>();
    o.scenario_file = j.at("scenario_file").get<std::string>();
    return o;
  } catch (const std::exception& e) {
    return Status::invalid_argument(std::string("malformed run outcome line: ") + e.what());
  }
}

RunOutcome run_isolated(const Scenario& scenario, const RunFn& run) {
  int fds[2];
  if (::pipe(fds) != 0) return outcome_from_result(scenario.seed, run(scenario));  // no isolation
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const RunOutcome outcome = outcome_from_result(scenario.seed, run(scenario));
    const bool sent = write_all(fds[1], outcome_to_line(outcome));
    ::_exit(sent ? 0 : 3);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return outcome_from_result(scenario.seed, run(scenario));
  }
  const std::string line = read_all(fds[0]);
  ::close(fds[0]);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  Result<RunOutcome> outcome = outcome_from_line(line);
  if (outcome.ok() && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) return *outcome;
  RunOutcome died;
  died.seed = scenario.seed;
  died.violations.push_back({std::string(kProcessAbortInvariant),
                             "the run's process " + describe_exit(wait_status) +
                                 " before reporting a result (an engine assert or a crash)",
                             ""});
  return died;
}

Result<Scenario> load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid_argument(path + ": cannot open scenario file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::invalid_argument(path + ": read error");
  Result<Scenario> scenario = scenario_from_json(text.str());
  if (!scenario.ok()) return scenario.status().with_context(path);
  return scenario;
}

Status save_scenario_file(const std::string& path, const Scenario& scenario) {
  std::error_code error;
  const std::filesystem::path target(path);
  // The file is written beside the target and renamed over it, which would replace a device,
  // FIFO or socket (`-o /dev/null` run as root) with a regular file: refuse those instead.
  const std::filesystem::file_status existing = std::filesystem::status(target, error);
  if (std::filesystem::exists(existing) && !std::filesystem::is_regular_file(existing)) {
    return Status::invalid_argument(path + ": not a regular file; a scenario is saved as a file " +
                                    "(written beside it, then renamed over it)");
  }
  error.clear();
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  if (error) return Status::io_error(path + ": cannot create directory: " + error.message());
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << scenario_to_json(scenario);
    out.flush();
    if (!out) return Status::io_error(temporary + ": write failed");
  }
  std::filesystem::rename(temporary, target, error);
  if (error) return Status::io_error(path + ": rename failed: " + error.message());
  return Status::ok_status();
}

Result<std::string> save_failure(const std::string& dir, Scenario scenario,
                                 const std::string& invariant) {
  scenario.expected_violation = invariant;
  const std::string path = (std::filesystem::path(dir) /
                            ("seed-" + std::to_string(scenario.seed) + "-" + invariant + ".json"))
                               .string();
  TIERKV_RETURN_IF_ERROR(save_scenario_file(path, scenario));
  return path;
}

std::string describe_scenario(const Scenario& s) {
  const WorldConfig& w = s.world;
  std::ostringstream out;
  out << "options: seed=" << s.seed << " backend=" << w.backend << (w.hybrid ? "+hybrid" : "")
      << (w.hybrid && w.hybrid_btree != "sqlite" ? "(" + w.hybrid_btree + ")" : "")
      << " primary="
      << (w.hybrid_primary ? "hybrid(leveldb+" + w.hybrid_btree + ")"
                           : (w.versioned_primary ? "versioned" : "plain"))
      << " backup=" << (w.backup_tier ? (w.async_backup ? "async" : "sync") : "off")
      << (w.backup_tier && w.async_backup
              ? "(batch " + std::to_string(w.async_batch_max_keys) + " keys, delay " +
                    std::to_string(w.async_batch_delay_us) + "us)"
              : "")
      << " ephemeral=" << (w.ephemeral_tier ? "on" : "off")
      << " overlays=" << (w.overlay_store ? "on" : "off")
      << (w.overlay_journal_puts > 0 ? "(journal " + std::to_string(w.overlay_journal_puts) + ")"
                                     : "")
      << " clients=" << s.clients
      << " ops=" << s.ops.size() << " hot_keys=" << (s.hot_keys ? "on" : "off")
      << " snapshot_every=" << w.snapshot_interval_versions << " faults=";
  std::map<std::string, std::pair<uint64_t, uint32_t>> by_kind;  // name -> (count, rate)
  for (const Fault& fault : s.faults) {
    auto& entry = by_kind[std::string(fault_kind_name(fault.kind))];
    ++entry.first;
    entry.second = std::max(entry.second, fault.rate_ppm);
  }
  if (by_kind.empty()) out << "none";
  bool first = true;
  for (const auto& [name, entry] : by_kind) {
    out << (first ? "" : ",") << name;
    if (entry.first > 1) out << "x" << entry.first;
    if (entry.second > 0) out << "@" << entry.second << "ppm";
    first = false;
  }
  if (s.over_budget) out << " over_budget";
  return out.str();
}

std::string result_line(const RunOutcome& o) {
  std::ostringstream out;
  if (!o.setup_error.empty()) return "result: SETUP ERROR " + o.setup_error;
  uint64_t checks = 0;
  for (const auto& [name, count] : o.stats.invariants_checked) checks += count;
  out << "result: " << (o.ok() ? "ok" : "VIOLATION " + o.first_invariant()) << " (ops "
      << o.stats.ops_issued << " issued, " << o.stats.ops_acknowledged << " acked, "
      << o.stats.ops_failed << " failed; crashes " << o.stats.crashes << "; simulated "
      << format_seconds(o.stats.simulated_time_us) << "; checks " << checks;
  if (o.violations.size() > 1) out << "; violations " << o.violations.size();
  out << ")";
  if (o.violated()) out << ": " << o.violations.front().message;
  return out.str();
}

void print_violations(const RunOutcome& outcome, std::ostream& out) {
  for (const Violation& v : outcome.violations) {
    out << "violation: " << v.invariant << ": " << v.message << "\n";
    if (!v.history.empty()) out << "history:\n" << v.history << (v.history.back() == '\n' ? "" : "\n");
  }
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace tierkv::sim
