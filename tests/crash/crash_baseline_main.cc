// tierkv-crash-baseline: the crash test storage engines run without a simulator, kept as the
// baseline the simulator is measured against (issue 9).
//
// Each round forks a writer process that opens a VersionedStore (WAL + backend, PosixEnv) in
// --dir and commits puts as fast as it can, reporting every acknowledged put to the parent
// through a pipe. The parent SIGKILLs the writer after a random delay, reopens the store and
// checks every key: its value must be the last acknowledged one, or the single put that was in
// flight at the kill (never an older value, never one nobody wrote). Exit 0 when every round
// held, 1 on a violation (printed with the round, the key and the wall time it took to find),
// 2 on bad flags. --time-limit-seconds stops starting rounds after that much wall time (the
// canary script's --baseline mode uses it to bound time-to-detect), still exit 0 if all held.
//
// What it can and cannot see: SIGKILL keeps the OS page cache, so a missing fsync or a missing
// directory sync is invisible here (the simulator's power cuts catch those); it finds bugs in
// what the process writes, in which order, and in recovery.
//
//   tierkv-crash-baseline --dir /tmp/ct --backend leveldb --rounds 20 --seed 1
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "engine/backends/backend_factory.h"
#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"
#include "engine/versioned/versioned_store.h"
#include "sim/runtime/prng.h"

namespace tierkv {
namespace {

constexpr uint64_t kKeys = 64;

struct Flags {
  std::string dir;
  std::string backend = "leveldb";
  uint64_t rounds = 10;
  uint64_t seed = 1;
  uint64_t kill_after_ms_max = 300;
  double time_limit_seconds = 0;  // 0 = only --rounds bounds the run
};

std::string key_of(uint64_t n) { return "k" + std::to_string(n % kKeys); }
std::string value_of(uint64_t n) { return "v" + std::to_string(n); }

Result<std::unique_ptr<VersionedStore>> open_store(PosixEnv& env, const Flags& flags) {
  VersionedStoreOptions options;
  options.env = &env;
  options.dir = flags.dir;
  options.snapshot_interval_versions = 500;  // snapshots happen mid-run, so kills hit them
  options.open_backend = [&env, &flags](const std::string& dir) {
    BackendOptions backend_options;
    backend_options.env = &env;
    backend_options.dir = dir;
    return open_backend(flags.backend, backend_options);
  };
  return VersionedStore::open(std::move(options));
}

// The writer: commits put n for n = first, first + 1, ... and writes n to the pipe after each
// acknowledgement. Never returns.
[[noreturn]] void run_writer(const Flags& flags, uint64_t first, int pipe_fd) {
  PosixEnv env;
  auto store = open_store(env, flags);
  if (!store.ok()) {
    std::fprintf(stderr, "writer: open: %s\n", store.status().to_string().c_str());
    _exit(3);
  }
  for (uint64_t n = first;; ++n) {
    Status status = (*store)->put(key_of(n), value_of(n));
    if (!status.ok()) {
      std::fprintf(stderr, "writer: put %llu: %s\n", static_cast<unsigned long long>(n),
                   status.to_string().c_str());
      _exit(3);
    }
    if (write(pipe_fd, &n, sizeof(n)) != static_cast<ssize_t>(sizeof(n))) _exit(4);
  }
}

// Runs one round; returns the next put number, or an error describing the violation.
Result<uint64_t> run_round(const Flags& flags, uint64_t round, uint64_t first, sim::Prng& prng,
                           std::map<std::string, uint64_t>& acked) {
  int fds[2];
  if (pipe(fds) != 0) return Status::io_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) return Status::io_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    run_writer(flags, first, fds[1]);
  }
  close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1 + prng.uniform(flags.kill_after_ms_max)));
  kill(pid, SIGKILL);
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  if (!WIFSIGNALED(wait_status)) {
    close(fds[0]);
    return Status::aborted("round " + std::to_string(round) + ": writer exited by itself");
  }
  uint64_t n = 0, next = first;
  while (read(fds[0], &n, sizeof(n)) == static_cast<ssize_t>(sizeof(n))) {
    acked[key_of(n)] = n;
    next = n + 1;
  }
  close(fds[0]);
  // put `next` may have been in flight at the kill: either outcome is legal for its key.
  PosixEnv env;
  auto store = open_store(env, flags);
  if (!store.ok()) return store.status().with_context("round " + std::to_string(round) + " reopen");
  for (uint64_t k = 0; k < kKeys; ++k) {
    const std::string key = key_of(k);
    auto got = (*store)->get(key);
    std::optional<uint64_t> expected;
    if (auto it = acked.find(key); it != acked.end()) expected = it->second;
    const bool in_flight_key = key_of(next) == key;
    if (got.status().is_not_found()) {
      if (!expected) continue;
      return Status::corruption("round " + std::to_string(round) + ": key " + key +
                                " lost acknowledged value " + value_of(*expected));
    }
    if (!got.ok()) return got.status().with_context("round " + std::to_string(round));
    const bool legal = (expected && *got == value_of(*expected)) ||
                       (in_flight_key && *got == value_of(next));
    if (!legal) {
      return Status::corruption("round " + std::to_string(round) + ": key " + key + " holds " +
                                *got + ", expected " +
                                (expected ? value_of(*expected) : std::string("absent")) +
                                (in_flight_key ? " or " + value_of(next) : std::string()));
    }
    if (in_flight_key && *got == value_of(next)) acked[key] = next;
  }
  TIERKV_RETURN_IF_ERROR((*store)->close().with_context("round " + std::to_string(round)));
  return next + 1;  // a fresh number: `next` may or may not have been applied
}

int run(const Flags& flags) {
  PosixEnv env;
  if (env.dir_exists(flags.dir)) {
    std::fprintf(stderr, "error: --dir %s exists; give a fresh directory\n", flags.dir.c_str());
    return 2;
  }
  sim::Prng prng(flags.seed);
  std::map<std::string, uint64_t> acked;
  uint64_t next = 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_seconds = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  uint64_t rounds_done = 0;
  for (uint64_t round = 1; round <= flags.rounds; ++round) {
    if (flags.time_limit_seconds > 0 && elapsed_seconds() >= flags.time_limit_seconds) break;
    auto result = run_round(flags, round, next, prng, acked);
    if (!result.ok()) {
      std::printf("VIOLATION after %llu kill(s), %.2f s: %s\n",
                  static_cast<unsigned long long>(round), elapsed_seconds(),
                  result.status().to_string().c_str());
      std::printf("reproduce: tierkv-crash-baseline --dir <fresh dir> --backend %s --seed %llu "
                  "--rounds %llu\n",
                  flags.backend.c_str(), static_cast<unsigned long long>(flags.seed),
                  static_cast<unsigned long long>(flags.rounds));
      return 1;
    }
    next = *result;
    rounds_done = round;
    std::printf("round %llu/%llu: %llu puts acknowledged so far\n",
                static_cast<unsigned long long>(round),
                static_cast<unsigned long long>(flags.rounds), static_cast<unsigned long long>(next));
    std::fflush(stdout);
  }
  const double seconds = elapsed_seconds();
  std::printf("result: ok, %llu kills, %llu puts, %.1f s (%.2f kills/s)%s\n",
              static_cast<unsigned long long>(rounds_done), static_cast<unsigned long long>(next),
              seconds, static_cast<double>(rounds_done) / seconds,
              rounds_done < flags.rounds ? ", time limit reached" : "");
  return 0;
}

}  // namespace
}  // namespace tierkv

int main(int argc, char** argv) {
  tierkv::Flags flags;
  CLI::App app{"tierkv-crash-baseline: SIGKILL crash test of a VersionedStore on real files"};
  app.add_option("--dir", flags.dir, "fresh directory for the store")->required();
  app.add_option("--backend", flags.backend, "leveldb, sqlite or lmdb")
      ->check(CLI::IsMember({"leveldb", "sqlite", "lmdb"}));
  app.add_option("--rounds", flags.rounds, "kill/reopen/verify rounds")->check(CLI::Range(1, 1000000));
  app.add_option("--seed", flags.seed, "seed for the kill delays");
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
  return tierkv::run(flags);
}
