// tierkv-crash-baseline: the crash test storage engines run without a simulator (RocksDB's
// db_crash_test + db_stress style), kept as the baseline the simulator is measured against
// (issue 9).
//
// Each round forks a writer process (crash_writer.h) that opens the whole stack (crash_stack.h:
// TierStore over VersionedStore primary + backup + ephemeral tier, OverlayStore, a pipelined
// VersionedStore ledger; real files, AsioExecutor) in --dir and runs a varied concurrent
// workload, reporting every operation before the call and at its answer (crash_model.h), and
// checking the whole stack itself whenever its clients are quiescent. The round is killed one
// of two ways, chosen at random per round: the parent SIGKILLs the writer after a random delay
// (up to --kill-after-ms-max), or the writer arms random kill points (kill_point_env.h: it
// SIGKILLs itself inside a file append, sync, rename, ... with odds 1/100, 1/1000 or 1/10000
// per call; the parent's timer stays armed at 5x the delay as a backstop). The parent then
// reopens the stack and checks every tier key (an acknowledged write never lost, never
// overtaken, no value nobody wrote; backup too), listings and page walks, overlay consistency
// and every acknowledged overlay put, and the ledger (a version between the last acknowledged
// and the last called, exactly that version's data, LtHash matching), then starts the next
// round from exactly what it found.
//
// Exit 0 when every round held, 1 on a violation (printed with the round, what is wrong and the
// wall time it took to find; a writer that reports a violation or dies by itself counts), 2 on
// bad flags. --time-limit-seconds stops starting rounds after that much wall time (the canary
// script's --sigkill-baseline mode uses it to bound time-to-detect), still exit 0 if all held.
//
// What it can and cannot see: SIGKILL keeps the OS page cache, so a missing fsync or a missing
// directory sync is invisible here (the simulator's power cuts catch those); it finds bugs in
// what the process writes, in which order, in concurrency, and in recovery.
//
//   tierkv-crash-baseline --dir /tmp/ct --backend leveldb --rounds 20 --seed 1
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "engine/io/posix_env.h"
#include "sim/runtime/prng.h"
#include "tests/crash/crash_model.h"
#include "tests/crash/crash_stack.h"
#include "tests/crash/crash_verify.h"
#include "tests/crash/crash_writer.h"

namespace tierkv::crash {
namespace {

constexpr uint64_t kKillPointOdds[] = {100, 1000, 10000};

struct Flags {
  std::string dir;
  std::string backend = "leveldb";
  uint64_t rounds = 10;
  uint64_t seed = 1;
  uint64_t kill_after_ms_max = 1000;
  double time_limit_seconds = 0;  // 0 = only --rounds bounds the run
};

using SteadyClock = std::chrono::steady_clock;

// Feeds complete lines of buffer to model; keeps a trailing partial line in buffer.
Status feed_lines(std::string& buffer, CrashModel& model) {
  size_t start = 0;
  for (size_t end; (end = buffer.find('\n', start)) != std::string::npos; start = end + 1) {
    TIERKV_RETURN_IF_ERROR(model.apply(buffer.substr(start, end - start)));
  }
  buffer.erase(0, start);
  return Status();
}

// Reads the writer's lines until it dies or deadline passes (then kills it); returns how the
// writer ended (a waitpid status).
Result<int> watch_writer(pid_t pid, int fd, SteadyClock::time_point deadline, CrashModel& model) {
  std::string buffer;
  char chunk[65536];
  bool killed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - SteadyClock::now()).count();
    if (left <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd poll_fd{fd, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, killed ? 1000 : static_cast<int>(left));
    if (ready <= 0) continue;
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0) break;  // every copy of the write end is closed: the writer is gone
    buffer.append(chunk, static_cast<size_t>(n));
    TIERKV_RETURN_IF_ERROR(feed_lines(buffer, model));
  }
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  return wait_status;
}

// Reopens the stack the writer left, checks it against model and settles model to it.
Status reopen_and_check(const Flags& flags, CrashModel& model) {
  PosixEnv env;
  TIERKV_ASSIGN_OR_RETURN(std::unique_ptr<CrashStack> stack,
                          CrashStack::open(env, flags.dir, flags.backend));
  TIERKV_RETURN_IF_ERROR(check_tiers_raw(*stack, model));
  for (const StoreKey& key : tier_keys()) {
    if (is_ephemeral_key(key)) model.settle(key, std::nullopt);  // the cache died with it
  }
  stack->start_tiers();
  TIERKV_RETURN_IF_ERROR(check_stack(*stack, model, true));
  return stack->close();
}

// Runs one round; an error describes the violation.
Status run_round(const Flags& flags, sim::Prng& prng, CrashModel& model) {
  WriterConfig config{flags.dir, flags.backend, prng.next_u64(), 0};
  uint64_t delay_ms = 1 + prng.uniform(flags.kill_after_ms_max);
  if (prng.uniform(2) == 0) {
    config.kill_point_odds = kKillPointOdds[prng.uniform(3)];
    delay_ms = 5 * flags.kill_after_ms_max;
  }
  int fds[2];
  if (pipe(fds) != 0) return Status::io_error("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::io_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    run_writer(config, model, fds[1]);
  }
  close(fds[1]);
  Result<int> ended = watch_writer(
      pid, fds[0], SteadyClock::now() + std::chrono::milliseconds(delay_ms), model);
  close(fds[0]);
  if (!ended.ok()) return ended.status();
  if (model.writer_violation()) return Status::corruption("writer: " + *model.writer_violation());
  if (!WIFSIGNALED(*ended) || WTERMSIG(*ended) != SIGKILL) {
    return Status::aborted(WIFSIGNALED(*ended)
                               ? "writer died by signal " + std::to_string(WTERMSIG(*ended))
                               : "writer exited with status " + std::to_string(WEXITSTATUS(*ended)));
  }
  return reopen_and_check(flags, model).with_context(
      config.kill_point_odds ? "after a kill point (odds 1/" +
                                   std::to_string(config.kill_point_odds) + ")"
                             : "after a kill at " + std::to_string(delay_ms) + " ms");
}

int run(const Flags& flags) {
  PosixEnv env;
  if (env.dir_exists(flags.dir)) {
    std::fprintf(stderr, "error: --dir %s exists; give a fresh directory\n", flags.dir.c_str());
    return 2;
  }
  sim::Prng prng(flags.seed);
  CrashModel model;
  const auto start = SteadyClock::now();
  auto elapsed_seconds = [&start] {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
  };
  uint64_t rounds_done = 0;
  for (uint64_t round = 1; round <= flags.rounds; ++round) {
    if (flags.time_limit_seconds > 0 && elapsed_seconds() >= flags.time_limit_seconds) break;
    Status result = run_round(flags, prng, model);
    if (!result.ok()) {
      std::printf("VIOLATION after %llu kill(s), %.2f s: round %llu: %s\n",
                  static_cast<unsigned long long>(round), elapsed_seconds(),
                  static_cast<unsigned long long>(round), result.to_string().c_str());
      std::printf("reproduce (timing-dependent, may need several runs): tierkv-crash-baseline "
                  "--dir <fresh dir> --backend %s --seed %llu --rounds %llu\n",
                  flags.backend.c_str(), static_cast<unsigned long long>(flags.seed),
                  static_cast<unsigned long long>(flags.rounds));
      return 1;
    }
    rounds_done = round;
    std::printf("round %llu/%llu: %llu tier ops, ledger at version %llu, %llu rollbacks\n",
                static_cast<unsigned long long>(round),
                static_cast<unsigned long long>(flags.rounds),
                static_cast<unsigned long long>(model.next_tier_id() - 1),
                static_cast<unsigned long long>(model.ledger_base_version()),
                static_cast<unsigned long long>(model.ledger_rollbacks()));
    std::fflush(stdout);
  }
  const double seconds = elapsed_seconds();
  std::printf("result: ok, %llu kills, %llu ops, %.1f s (%.2f kills/s)%s\n",
              static_cast<unsigned long long>(rounds_done),
              static_cast<unsigned long long>(model.next_tier_id() - 1), seconds,
              static_cast<double>(rounds_done) / seconds,
              rounds_done < flags.rounds ? ", time limit reached" : "");
  return 0;
}

}  // namespace
}  // namespace tierkv::crash

int main(int argc, char** argv) {
  tierkv::crash::Flags flags;
  CLI::App app{"tierkv-crash-baseline: SIGKILL crash test of the tierkv stack on real files"};
  app.add_option("--dir", flags.dir, "fresh directory for the stores")->required();
  app.add_option("--backend", flags.backend, "leveldb, sqlite or lmdb")
      ->check(CLI::IsMember({"leveldb", "sqlite", "lmdb"}));
  app.add_option("--rounds", flags.rounds, "kill/reopen/verify rounds")->check(CLI::Range(1, 1000000));
  app.add_option("--seed", flags.seed, "seed for kill delays, kill points and the workload");
  app.add_option("--kill-after-ms-max", flags.kill_after_ms_max, "longest delay before a kill")
      ->check(CLI::Range(1, 60000));
  app.add_option("--time-limit-seconds", flags.time_limit_seconds,
                 "start no round after this much wall time (0 = no limit)")
      ->check(CLI::Range(0.0, 86400.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return tierkv::crash::run(flags);
}
