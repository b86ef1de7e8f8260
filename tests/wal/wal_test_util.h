// Shared fixtures for the WAL tests: a simulated world (SimEnv + SimExecutor on one seed) and
// helpers to open a log, read all its records and build records. Header-only:
// tests/CMakeLists.txt compiles only *_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/env_util.h"
#include "engine/wal/segment_manager.h"
#include "engine/wal/wal.h"
#include "sim/runtime/prng.h"
#include "sim/runtime/sim_clock.h"
#include "sim/runtime/sim_env.h"
#include "sim/runtime/sim_executor.h"
#include "sim/runtime/trace.h"

namespace tierkv::test {

inline constexpr char kWalDir[] = "/db/wal";

struct SimWorld {
  explicit SimWorld(uint64_t seed, sim::SimEnvOptions env_options = {})
      : prng(seed), env_prng(seed ^ 0x5eed), env(env_prng, trace, env_options),
        executor(clock, prng, trace) {}

  WalOptions options(uint64_t segment_size_bytes = 1024) {
    return WalOptions{.env = &env,
                      .executor = &executor,
                      .dir = kWalDir,
                      .segment_size_bytes = segment_size_bytes,
                      .group_commit_bytes_max = 4ull << 20};
  }

  // A power cut with the recipe of sim_executor.h; wal is destroyed in between.
  void crash(std::unique_ptr<Wal>* wal) {
    executor.shutdown();
    wal->reset();
    env.crash();
    executor.shutdown();
  }

  sim::Prng prng;
  sim::Prng env_prng;
  sim::TraceHash trace;
  sim::SimClock clock;
  sim::SimEnv env;
  sim::SimExecutor executor;
};

inline WalRecord make_record(uint64_t version, size_t payload_bytes = 20) {
  std::string payload;
  for (size_t i = 0; i < payload_bytes; ++i) {
    payload.push_back(static_cast<char>('a' + (version * 7 + i) % 26));
  }
  return WalRecord{.type = static_cast<uint8_t>(version % 3 + 1), .version = version,
                   .payload = std::move(payload)};
}

inline std::unique_ptr<Wal> open_or_die(const WalOptions& options) {
  auto wal = Wal::open(options);
  EXPECT_TRUE(wal.ok()) << wal.status().to_string();
  if (!wal.ok()) return nullptr;
  return std::move(wal).value();
}

// Every record of the log, in order (scan over [first, last]).
inline std::vector<WalRecord> read_all(Wal& wal) {
  std::vector<WalRecord> out;
  if (wal.last_version() == 0) return out;
  Status s = wal.scan(wal.first_version(), wal.last_version(), [&](const WalRecord& r) {
    out.push_back(r);
    return Status();
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

// Segment file paths in the WAL dir, ascending.
inline std::vector<std::string> segment_paths(Env& env) {
  std::vector<std::string> out;
  auto names = env.list_dir(kWalDir);
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    if (parse_wal_segment_name(name)) out.push_back(join_path(kWalDir, name));
  }
  return out;
}

}  // namespace tierkv::test
