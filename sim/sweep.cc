#include "sim/sweep.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tierkv::sim {
namespace {

using WallClock = std::chrono::steady_clock;  // the sweep driver only; never the simulation

struct Worker {
  pid_t pid = -1;
  int task_fd = -1;    // parent writes "<seed>\n"
  int result_fd = -1;  // worker writes one outcome line per seed
  std::string buffer;
  std::optional<uint64_t> in_flight;
};

// Reads '\n'-terminated lines from a blocking fd.
bool read_line(int fd, std::string& buffer, std::string* line) {
  for (;;) {
    const size_t newline = buffer.find('\n');
    if (newline != std::string::npos) {
      *line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      return true;
    }
    char chunk[256];
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
}

SeedRecord run_one_seed(uint64_t seed, const SweepConfig& config, const SimDriver& driver) {
  const Scenario scenario = driver.generate(seed, config.options);
  SeedRecord record = run_recorded(scenario, driver);
  RunOutcome& outcome = record.outcome;
  if (outcome.violated()) {
    Result<std::string> path = save_failure(config.failures_dir, scenario, outcome.first_invariant());
    if (path.ok()) {
      outcome.scenario_file = *path;
    } else {
      outcome.violations.front().message += " [scenario file not written: " + path.status().to_string() + "]";
    }
  }
  return record;
}

[[noreturn]] void worker_main(int task_fd, int result_fd, const SweepConfig& config,
                              const SimDriver& driver) {
  std::string buffer;
  std::string line;
  while (read_line(task_fd, buffer, &line)) {
    const SeedRecord record = run_one_seed(std::stoull(line), config, driver);
    if (!write_all(result_fd, seed_record_to_line(record) + "\n")) ::_exit(3);
  }
  ::_exit(0);
}

Worker spawn_worker(const SweepConfig& config, const SimDriver& driver,
                    const std::vector<Worker>& others) {
  int task[2];
  int result[2];
  if (::pipe(task) != 0 || ::pipe(result) != 0) {
    std::perror("tierkv-sim sweep: pipe");
    std::abort();
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("tierkv-sim sweep: fork");
    std::abort();
  }
  if (pid == 0) {
    for (const Worker& other : others) {  // keep only our own pipes
      if (other.task_fd >= 0) ::close(other.task_fd);
      if (other.result_fd >= 0) ::close(other.result_fd);
    }
    ::close(task[1]);
    ::close(result[0]);
    worker_main(task[0], result[1], config, driver);
  }
  ::close(task[0]);
  ::close(result[1]);
  Worker worker;
  worker.pid = pid;
  worker.task_fd = task[1];
  worker.result_fd = result[0];
  return worker;
}

std::string reproduce_run_command(uint64_t seed, const GenerateFlags& flags) {
  const std::string args = generate_flags_to_args(flags);
  return "tierkv-sim run --seed " + std::to_string(seed) + (args.empty() ? "" : " " + args);
}

class SweepDriver {
 public:
  SweepDriver(const SweepConfig& config, const SimDriver& driver, std::ostream& progress)
      : config_(config), driver_(driver), progress_(progress),
        seeds_planned_(shard_size(config.seeds, config.shard)), start_(WallClock::now()) {
    report_.config = config;
    report_.seeds_planned = seeds_planned_;
    if (seeds_planned_ <= kSeedOutcomesTrackedMax) {
      report_.seed_outcomes.assign(seeds_planned_, kSeedNotRun);
    }
  }

  SweepReport run() {
    const uint32_t jobs = static_cast<uint32_t>(std::min<uint64_t>(config_.jobs, seeds_planned_));
    for (uint32_t i = 0; i < jobs; ++i) start_worker();
    while (std::any_of(workers_.begin(), workers_.end(), [](const Worker& w) { return w.pid > 0; })) {
      poll_workers();
      maybe_print_progress(false);
    }
    maybe_print_progress(true);
    report_.wall_seconds = elapsed_seconds();
    std::sort(report_.failures.begin(), report_.failures.end(),
              [](const SweepFailure& a, const SweepFailure& b) { return a.seed < b.seed; });
    return report_;
  }

 private:
  double elapsed_seconds() const {
    return std::chrono::duration<double>(WallClock::now() - start_).count();
  }

  bool stopping() {
    if (!report_.stop_reason.empty()) return true;
    if (config_.time_budget_seconds > 0 && elapsed_seconds() >= config_.time_budget_seconds) {
      report_.stop_reason = "time budget reached";
    } else if (config_.stop_on_violation && !report_.failures.empty()) {
      report_.stop_reason = "stopped at the first violation";
    }
    return !report_.stop_reason.empty();
  }

  void start_worker() {
    workers_.push_back(spawn_worker(config_, driver_, workers_));
    dispatch(workers_.back());
  }

  // Hands the worker its next seed, or closes its task pipe so that it exits.
  void dispatch(Worker& worker) {
    worker.in_flight.reset();
    if (next_ < seeds_planned_ && !stopping()) {
      const uint64_t seed = shard_seed_at(config_.seeds, config_.shard, next_++);
      if (write_all(worker.task_fd, std::to_string(seed) + "\n")) {
        worker.in_flight = seed;
        return;
      }
      --next_;  // the worker is gone; its EOF is handled by poll_workers
      return;
    }
    if (worker.task_fd >= 0) ::close(worker.task_fd);
    worker.task_fd = -1;
  }

  void poll_workers() {
    std::vector<pollfd> fds;
    std::vector<size_t> owners;
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (workers_[i].pid <= 0) continue;
      fds.push_back({workers_[i].result_fd, POLLIN, 0});
      owners.push_back(i);
    }
    if (::poll(fds.data(), fds.size(), 250) <= 0) return;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      char chunk[1 << 14];
      const ssize_t got = ::read(fds[k].fd, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        reap(owners[k]);
        continue;
      }
      workers_[owners[k]].buffer.append(chunk, static_cast<size_t>(got));
      take_lines(workers_[owners[k]]);
    }
  }

  void take_lines(Worker& worker) {
    for (size_t newline; (newline = worker.buffer.find('\n')) != std::string::npos;) {
      Result<SeedRecord> seed = seed_record_from_line(worker.buffer.substr(0, newline));
      worker.buffer.erase(0, newline + 1);
      assert(seed.ok());
      record(*seed);
      dispatch(worker);
    }
  }

  // A worker's result pipe closed: it exited (no seeds left) or died mid-seed.
  void reap(size_t index) {
    Worker& worker = workers_[index];
    int wait_status = 0;
    while (::waitpid(worker.pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    ::close(worker.result_fd);
    if (worker.task_fd >= 0) ::close(worker.task_fd);
    worker.pid = -1;
    worker.result_fd = worker.task_fd = -1;
    if (!worker.in_flight) return;
    const uint64_t seed = *worker.in_flight;
    SeedRecord record_of_death;
    RunOutcome& died = record_of_death.outcome;
    died.seed = seed;
    std::ostringstream why;
    why << "worker died while running seed " << seed << " ("
        << (WIFSIGNALED(wait_status) ? "signal " + std::to_string(WTERMSIG(wait_status))
                                     : "exit " + std::to_string(WEXITSTATUS(wait_status)))
        << "): an engine assert or a crash";
    died.violations.push_back({std::string(kProcessAbortInvariant), why.str(), ""});
    Result<std::string> path = save_failure(config_.failures_dir, driver_.generate(seed, config_.options),
                                            std::string(kProcessAbortInvariant));
    if (path.ok()) died.scenario_file = *path;
    record(record_of_death);
    if (next_ < seeds_planned_ && !stopping()) start_worker();
  }

  void record(const SeedRecord& seed) {
    const RunOutcome& outcome = seed.outcome;
    add_seed_record(report_, seed);
    if (!outcome.violated()) return;
    SweepFailure& failure = report_.failures.back();
    if (failure.reproduce.empty()) failure.reproduce = reproduce_run_command(outcome.seed, config_.flags);
    if (!report_.first_failure_seconds) {
      report_.first_failure_seconds = elapsed_seconds();
      report_.first_failure_seeds_run = report_.seeds_run;
      report_.first_failure_seed = outcome.seed;
    }
  }

  void maybe_print_progress(bool final_line) {
    const double now = elapsed_seconds();
    if (!final_line && now - last_progress_seconds_ < 1.0) return;
    last_progress_seconds_ = now;
    sample_throughput(now, final_line);
    progress_ << "progress: " << report_.seeds_run << "/" << report_.seeds_planned << " seeds, "
              << static_cast<uint64_t>(now > 0 ? report_.seeds_run / now : 0) << " seeds/s, "
              << report_.failures.size() << " violations" << std::endl;
  }

  // Every sample_every_ progress ticks (and at the end); halves the samples when full.
  void sample_throughput(double now, bool final_line) {
    if (!final_line && ++ticks_ % sample_every_ != 0) return;
    auto& samples = report_.throughput_samples;
    samples.push_back({now, report_.seeds_run, report_.ops_issued});
    if (samples.size() < kThroughputSamplesMax) return;
    std::vector<ThroughputSample> kept;
    for (size_t i = 0; i < samples.size(); i += 2) kept.push_back(samples[i]);
    samples = std::move(kept);
    sample_every_ *= 2;
  }

  const SweepConfig& config_;
  const SimDriver& driver_;
  std::ostream& progress_;
  const uint64_t seeds_planned_;
  const WallClock::time_point start_;
  uint64_t next_ = 0;
  std::vector<Worker> workers_;
  SweepReport report_;
  double last_progress_seconds_ = 0;
  uint64_t ticks_ = 0;
  uint64_t sample_every_ = 1;
};

char seed_outcome_char(const RunOutcome& outcome) {
  if (!outcome.setup_error.empty()) return kSeedSetupError;
  if (!outcome.violated()) return kSeedPassed;
  return outcome.first_invariant() == kProcessAbortInvariant ? kSeedAborted : kSeedViolated;
}

}  // namespace

void add_outcome(SweepReport& report, const RunOutcome& outcome) {
  ++report.seeds_run;
  const SweepConfig& c = report.config;
  if (!report.seed_outcomes.empty() && shard_contains(c.seeds, c.shard, outcome.seed)) {
    const uint64_t position = (outcome.seed - c.seeds.first) / c.shard.count;
    assert(position < report.seed_outcomes.size());
    report.seed_outcomes[position] = seed_outcome_char(outcome);
  }
  if (!outcome.setup_error.empty()) ++report.setup_errors;
  report.ops_issued += outcome.stats.ops_issued;
  report.simulated_time_us += outcome.stats.simulated_time_us;
  for (const auto& [kind, count] : outcome.stats.faults_fired) report.faults_fired[kind] += count;
  for (const auto& [name, count] : outcome.stats.invariants_checked) {
    report.invariants[name].checked += count;
  }
  for (const Violation& violation : outcome.violations) ++report.invariants[violation.invariant].violated;
  if (!outcome.violated()) return;
  SweepFailure failure;
  failure.seed = outcome.seed;
  failure.invariant = outcome.first_invariant();
  failure.message = outcome.violations.front().message;
  failure.scenario_file = outcome.scenario_file;
  if (!failure.scenario_file.empty()) failure.reproduce = "tierkv-sim replay " + failure.scenario_file;
  report.failures.push_back(failure);
}

void add_seed_record(SweepReport& report, const SeedRecord& record) {
  add_outcome(report, record.outcome);
  add_latency(report.latency_histogram_us, record.latency);
  if (!record.outcome.violated()) return;
  SweepFailure& failure = report.failures.back();
  failure.events = record.events;
  failure.events_dropped = record.events_dropped;
}

std::string seed_record_to_line(const SeedRecord& record) {
  // The outcome's own line, a tab (never inside compact JSON), then what the recorder saw.
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (const RunEvent& event : record.events) events.push_back(run_event_to_json(event));
  const nlohmann::ordered_json extra = {{"latency", latency_to_json(record.latency)},
                                        {"events", events},
                                        {"events_dropped", record.events_dropped}};
  return outcome_to_line(record.outcome) + "\t" +
         extra.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<SeedRecord> seed_record_from_line(std::string_view line) {
  const size_t tab = line.find('\t');
  if (tab == std::string_view::npos) {
    return Status::invalid_argument("malformed seed record line: no tab after the outcome");
  }
  SeedRecord record;
  TIERKV_ASSIGN_OR_RETURN(record.outcome, outcome_from_line(line.substr(0, tab)));
  const std::string_view rest = line.substr(tab + 1);
  const nlohmann::json extra = nlohmann::json::parse(rest.begin(), rest.end(), nullptr, false);
  if (extra.is_discarded() || !extra.is_object() || !extra.contains("latency") ||
      !extra.contains("events") || !extra.contains("events_dropped")) {
    return Status::invalid_argument("malformed seed record line: bad recorder fields");
  }
  TIERKV_ASSIGN_OR_RETURN(record.latency, latency_from_json(extra["latency"]));
  for (const nlohmann::json& event : extra["events"]) {
    TIERKV_ASSIGN_OR_RETURN(RunEvent parsed, run_event_from_json(event));
    record.events.push_back(std::move(parsed));
  }
  record.events_dropped = extra["events_dropped"].get<uint64_t>();
  return record;
}

SeedRecord run_recorded(const Scenario& scenario, const SimDriver& driver) {
  SweepRecorder recorder;
  RunResult result;
  {
    ScopedRunObserver scope(&recorder);
    result = driver.run(scenario);
  }
  recorder.finish_run(result);
  SeedRecord record;
  record.outcome = outcome_from_result(scenario.seed, result);
  record.latency = recorder.latency();
  if (record.outcome.violated()) {
    record.events = recorder.events();
    record.events_dropped = recorder.events_dropped();
  }
  return record;
}

SweepReport run_sweep(const SweepConfig& config, const SimDriver& driver, std::ostream& progress) {
  assert(config.jobs >= 1 && config.jobs <= kJobsMax);
  // A worker that died must not take the parent down when it is handed its next seed.
  const auto previous = std::signal(SIGPIPE, SIG_IGN);
  SweepDriver sweep(config, driver, progress);
  SweepReport report = sweep.run();
  std::signal(SIGPIPE, previous);
  return report;
}

}  // namespace tierkv::sim
