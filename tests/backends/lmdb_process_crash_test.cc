// LMDB's honest fault lanes: a real process crash (a forked child writing sync batches is
// SIGKILLed at an arbitrary moment, possibly mid-commit; the parent reopens), the one-open-
// per-process rule, and injected errors at the adapter boundary (FaultInjectingBackend).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "engine/backends/fault_injecting_backend.h"
#include "engine/backends/lmdb_backend.h"
#include "tests/backends/backend_contract.h"
#include "tests/backends/backend_harness.h"

namespace tierkv::testing {
namespace {

constexpr uint64_t kKeysPerBatch = 3;

WriteBatch crash_batch(uint64_t index) {
  WriteBatch batch;
  for (uint64_t k = 0; k < kKeysPerBatch; ++k) {
    const uint64_t n = index * kKeysPerBatch + k;
    batch.put(test_key(n), test_value(n, 500));
  }
  return batch;
}

// The child: writes batches forever, reporting each acknowledged batch index on the pipe.
[[noreturn]] void child_writer(const std::string& dir, int ack_fd) {
  BackendOptions options;
  options.dir = dir;
  Result<std::unique_ptr<LmdbBackend>> backend = LmdbBackend::open(options);
  if (!backend.ok()) _exit(2);
  for (uint64_t i = 0;; ++i) {
    if (!(*backend)->write(crash_batch(i)).ok()) _exit(3);
    if (::write(ack_fd, &i, sizeof(i)) != static_cast<ssize_t>(sizeof(i))) _exit(4);
  }
}

TEST(LmdbProcessCrash, EveryAcknowledgedBatchSurvivesSigkill) {
  const int rounds = long_run() ? 20 : 3;
  for (int round = 0; round < rounds; ++round) {
    TempDir temp;
    const std::string dir = temp.path() + "/db";
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      child_writer(dir, fds[1]);
    }
    ::close(fds[1]);
    const uint64_t kill_after = 5 + 7 * static_cast<uint64_t>(round);
    int64_t last_acked = -1;
    uint64_t index = 0;
    while (::read(fds[0], &index, sizeof(index)) == static_cast<ssize_t>(sizeof(index))) {
      last_acked = static_cast<int64_t>(index);
      if (index + 1 == kill_after) ::kill(child, SIGKILL);
    }
    ::close(fds[0]);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the child must die by SIGKILL, status "
                                          << wait_status;
    ASSERT_GE(last_acked, static_cast<int64_t>(kill_after) - 1);

    BackendOptions options;
    options.dir = dir;
    Result<std::unique_ptr<LmdbBackend>> reopened = LmdbBackend::open(options);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    Result<std::vector<KeyValue>> state = (*reopened)->scan(KeyRange{}, 0);
    ASSERT_TRUE(state.ok());
    // Acknowledged batches are all there; at most the one in flight after them, whole.
    Model acked;
    for (int64_t i = 0; i <= last_acked; ++i) {
      const WriteBatch batch = crash_batch(static_cast<uint64_t>(i));
      for (const BatchOp& op : batch.ops()) acked[op.key] = op.value;
    }
    Model with_next = acked;
    const WriteBatch next = crash_batch(static_cast<uint64_t>(last_acked + 1));
    for (const BatchOp& op : next.ops()) with_next[op.key] = op.value;
    EXPECT_TRUE(*state == model_scan(acked, KeyRange{}, 0) ||
                *state == model_scan(with_next, KeyRange{}, 0))
        << "round " << round << ": recovered " << state->size() << " keys, acknowledged "
        << acked.size();
  }
}

TEST(LmdbBackend, SecondOpenOfOneDirectoryInAProcessIsBusy) {
  TempDir temp;
  BackendOptions options;
  options.dir = temp.path() + "/db";
  Result<std::unique_ptr<LmdbBackend>> first = LmdbBackend::open(options);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->put("a/1", "x").ok());
  options.dir = temp.path() + "/./db";  // another spelling of the same directory
  Result<std::unique_ptr<LmdbBackend>> second = LmdbBackend::open(options);
  EXPECT_TRUE(second.status().is_busy()) << second.status().to_string();
  ASSERT_TRUE((*first)->close().ok());
  Result<std::unique_ptr<LmdbBackend>> third = LmdbBackend::open(options);
  ASSERT_TRUE(third.ok()) << "closing releases the directory";
  EXPECT_EQ(*(*third)->get("a/1"), "x");
}

TEST(LmdbBackend, KeysOutsideLmdbLimitsAreRejectedByName) {
  TempDir temp;
  BackendOptions options;
  options.dir = temp.path() + "/db";
  Result<std::unique_ptr<LmdbBackend>> backend = LmdbBackend::open(options);
  ASSERT_TRUE(backend.ok());
  Status empty = (*backend)->put("", "v");
  EXPECT_TRUE(empty.is_invalid_argument()) << empty.to_string();
  Status long_key = (*backend)->put(std::string(kLmdbKeyBytesMax + 1, 'k'), "v");
  EXPECT_TRUE(long_key.is_invalid_argument());
  EXPECT_NE(long_key.message().find("kkkk"), std::string::npos) << long_key.to_string();
  EXPECT_TRUE((*backend)->put(std::string(kLmdbKeyBytesMax, 'k'), "v").ok());
}

TEST(FaultInjectingBackend, InjectedErrorsReachTheCallerAndLeaveNoEffect) {
  TempDir temp;
  BackendOptions options;
  options.dir = temp.path() + "/db";
  Result<std::unique_ptr<LmdbBackend>> lmdb = LmdbBackend::open(options);
  ASSERT_TRUE(lmdb.ok());
  std::vector<std::string> seen;
  FaultInjectingBackend backend(std::move(*lmdb), [&](std::string_view op, std::string_view key) {
    seen.push_back(std::string(op) + ":" + std::string(key));
    if (key.find("fail") != std::string_view::npos) return Status::no_space("injected ENOSPC");
    return Status();
  });
  EXPECT_TRUE(backend.put("a/ok", "1").ok());
  EXPECT_TRUE(backend.put("a/fail", "1").is_no_space());
  WriteBatch batch;
  batch.put("a/fail-batch", "1");
  batch.put("a/other", "1");
  EXPECT_TRUE(backend.write(batch).is_no_space());
  EXPECT_TRUE(backend.get("a/fail").status().is_no_space());
  backend.set_hook({});
  EXPECT_TRUE(backend.get("a/fail").status().is_not_found());
  EXPECT_TRUE(backend.get("a/other").status().is_not_found());
  EXPECT_EQ(*backend.get("a/ok"), "1");
  EXPECT_EQ(backend.injected_failures(), 3u);
  EXPECT_EQ(seen.front(), "put:a/ok");
}

}  // namespace
}  // namespace tierkv::testing
