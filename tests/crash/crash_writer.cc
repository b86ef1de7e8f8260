#include "tests/crash/crash_writer.h"

#include <unistd.h>

#include <cstdio>
#include <functional>

#include "engine/io/posix_env.h"
#include "sim/runtime/prng.h"
#include "tests/crash/crash_stack.h"
#include "tests/crash/crash_verify.h"
#include "tests/crash/kill_point_env.h"

namespace tierkv::crash {
namespace {

constexpr int kTierClients = 4;
constexpr int kOverlayClients = 2;
constexpr int kLedgerCommitsPerEpoch = 6;
constexpr int kOpsPerClient = 12;
constexpr const char* kTrees[] = {"keep0", "keep1", "exp0", "exp1"};

class Writer {
 public:
  Writer(CrashStack& stack, CrashModel model, int pipe_fd, uint64_t seed)
      : stack_(stack), model_(std::move(model)), pipe_fd_(pipe_fd), prng_(seed) {}

  [[noreturn]] void run() {
    for (uint64_t epoch = 1;; ++epoch) {
      run_epoch();
      fail_if(check_stack(stack_, model_, false), "check after epoch " + std::to_string(epoch));
      if (prng_.uniform(2) == 0) rollback_ledger();
    }
  }

  // Reports a violation (or an engine error) and exits 5.
  void fail_if(const Status& status, const std::string& what) {
    if (status.ok()) return;
    emit("X " + what + ": " + status.to_string());
    _exit(5);
  }

 private:
  void emit(const std::string& line) {
    const Status applied = model_.apply(line);
    if (!applied.ok()) {
      std::fprintf(stderr, "writer: %s\n", applied.to_string().c_str());
      _exit(6);
    }
    const std::string text = line.substr(0, 4000) + "\n";
    if (write(pipe_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(4);
  }

  void run_epoch() {
    int running = 0;
    auto spawn = [this, &running](std::function<Task<void>()> client) {
      ++running;
      stack_.executor().spawn([](std::function<Task<void>()> body, int* left) -> Task<void> {
        co_await body();
        --*left;
      }(std::move(client), &running));
    };
    for (int c = 0; c < kTierClients; ++c) spawn([this] { return tier_client(); });
    for (int c = 0; c < kOverlayClients; ++c) spawn([this] { return overlay_client(); });
    for (int c = 0; c < kLedgerCommitsPerEpoch; ++c) spawn([this] { return ledger_commit(); });
    if (!stack_.executor().run_until([&running] { return running == 0; })) {
      fail_if(Status::aborted("clients stopped making progress"), "epoch");
    }
  }

  const StoreKey& random_key() {
    static const std::vector<StoreKey> keys = tier_keys();
    return keys[prng_.uniform(keys.size())];
  }
  Value new_value(uint64_t id) {
    return prng_.uniform(8) == 0 ? Value() : Value("v" + std::to_string(id));
  }

  Task<void> tier_client() {
    for (int op = 0; op < kOpsPerClient; ++op) co_await tier_op();
  }

  // Reports an answer: OK = applied, Conflict = refused (only where allowed), else a violation.
  void answer(uint64_t id, const Status& status, bool conflict_allowed, const std::string& what) {
    if (status.ok()) return emit("A " + std::to_string(id));
    if (conflict_allowed && status.code() == StatusCode::kConflict) {
      return emit("N " + std::to_string(id));
    }
    fail_if(status, what);
  }

  Task<void> tier_op() {
    KvStore& tiers = stack_.tiers();
    const uint64_t kind = prng_.uniform(100);
    StoreKey key = random_key();
    if (kind < 55) {  // write or remove; the id is taken where the call takes its sequence
      const uint64_t id = model_.next_tier_id();
      const Value value = new_value(id);
      emit(tier_call_line(id, {{key, value}}));
      // (No co_await inside ?: : g++ 12 miscompiles it.)
      Status status;
      if (value) {
        status = co_await tiers.write(key, *value);
      } else {
        status = co_await tiers.remove(key, false);
      }
      answer(id, status, false, "write of " + key.to_string());
    } else if (kind < 70) {
      Result<VersionedValue> current = co_await tiers.read_versioned(key);
      if (!current.ok() && !current.status().is_not_found()) fail_if(current.status(), "read_versioned");
      const uint64_t expected = current.ok() ? current->version : 0;
      const uint64_t id = model_.next_tier_id();
      const std::string value = "v" + std::to_string(id);
      emit(tier_call_line(id, {{key, value}}));
      Result<uint64_t> swapped = co_await tiers.compare_and_swap(key, expected, value);
      answer(id, swapped.status(), true, "compare_and_swap of " + key.to_string());
    } else if (kind < 82) {
      co_await batch_op();
    } else if (kind < 92) {
      // A walk under concurrent writes must end; its exact content is checked when quiescent.
      std::optional<std::string> token;
      for (int page = 0;; ++page) {
        if (page > 100) fail_if(Status::corruption("page walk does not end"), "list_page");
        Result<ListPage> got = co_await tiers.list_page(key.primary_namespace,
                                                        key.secondary_namespace, token);
        fail_if(got.status(), "list_page of " + key.to_string());
        if (!got->next_token) break;
        token = got->next_token;
      }
    } else {
      Result<std::string> got = co_await tiers.read(key);
      if (!got.ok() && !got.status().is_not_found()) fail_if(got.status(), "read");
    }
  }

  Task<void> batch_op() {
    const std::string secondary = prng_.uniform(2) == 0 ? "a" : "b";
    std::vector<std::pair<StoreKey, Value>> ops;
    std::vector<AtomicOp> atomic;
    const uint64_t id = model_.next_tier_id();
    const uint64_t first = prng_.uniform(8), count = 2 + prng_.uniform(2);
    for (uint64_t i = 0; i < count; ++i) {
      StoreKey key{"p", secondary, "k" + std::to_string((first + i * 3) % 8)};
      Value value = new_value(id);
      ops.emplace_back(key, value);
      atomic.push_back({key, value, std::nullopt});
    }
    emit(tier_call_line(id, ops));
    AtomicResult result = co_await stack_.tiers().write_atomic(std::move(atomic));
    answer(id, result.status, false, "write_atomic");
  }

  Task<void> overlay_client() {
    for (int op = 0; op < kOpsPerClient; ++op) co_await overlay_op();
  }

  Task<void> overlay_op() {
    OverlayStore& overlays = stack_.overlays();
    const std::string tree = kTrees[prng_.uniform(4)];
    const bool keep = tree.rfind("keep", 0) == 0;
    const uint64_t kind = prng_.uniform(100);
    const uint32_t index = static_cast<uint32_t>(prng_.uniform(16));
    if (kind < 15) {
      const uint64_t expiry = keep ? kNoExpiry : stack_.executor().clock().now_us() +
                                                     prng_.uniform(300 * 1000);
      Status status = co_await overlays.create_overlay(tree, expiry, false);
      if (status.code() != StatusCode::kAborted) fail_if(status, "create_overlay " + tree);
    } else if (kind < 65) {
      const uint32_t content = static_cast<uint32_t>(prng_.uniform(kOverlayContents));
      const uint64_t id = model_.next_overlay_id();
      emit("P " + std::to_string(id) + " " + tree + " " + std::to_string(index) + " " +
           std::to_string(content));
      Status status = co_await overlays.put_block(tree, index, overlay_content(content));
      if (status.ok()) {
        emit("Q " + std::to_string(id));
      } else if (status.code() != StatusCode::kConflict && status.code() != StatusCode::kNoSpace &&
                 status.code() != StatusCode::kAborted && !status.is_not_found()) {
        fail_if(status, "put_block " + tree);
      }
    } else if (kind < 75) {
      emit("D " + tree);
      Status dropped = co_await overlays.drop(tree);
      fail_if(dropped, "drop " + tree);
    } else if (kind < 90) {
      Result<MaintenanceReport> report = co_await overlays.maintenance();
      fail_if(report.status(), "maintenance");
    } else {
      Result<std::string> got = co_await overlays.read_block(tree, index);
      if (!got.ok() && !got.status().is_not_found()) fail_if(got.status(), "read_block " + tree);
    }
  }

  Task<void> ledger_commit() {
    WriteBatch batch;
    LedgerBatch logged;
    const uint64_t count = 1 + prng_.uniform(3);
    for (uint64_t i = 0; i < count; ++i) {
      const std::string key = "x" + std::to_string(prng_.uniform(6));
      bool seen = false;
      for (const auto& entry : logged) seen = seen || entry.first == key;
      if (seen) continue;
      if (prng_.uniform(5) == 0) {
        batch.remove(key);
        logged.emplace_back(key, Value());
      } else {
        const std::string value = "w" + std::to_string(prng_.next_u64() % 1000000);
        batch.put(key, value);
        logged.emplace_back(key, value);
      }
    }
    // commit_async takes its version before its first suspension: versions follow emit order.
    emit(ledger_call_line(logged));
    Result<uint64_t> version = co_await stack_.ledger().commit_async(std::move(batch));
    fail_if(version.status(), "ledger commit_async");
    emit("M " + std::to_string(*version));
  }

  // Rolls the ledger back to a version this writer knows the state of and a kept snapshot
  // reaches (half the time behind the newest snapshot only: the common "undo the last few
  // versions", which reuses the working copy's base), then checks the state is exactly it.
  void rollback_ledger() {
    VersionedStore& ledger = stack_.ledger();
    if (ledger.snapshot_versions().empty()) return;
    const std::vector<uint64_t>& snapshots = ledger.snapshot_versions();
    const uint64_t oldest = prng_.uniform(2) == 0 ? snapshots.front() : snapshots.back();
    const uint64_t low = std::max(oldest, model_.ledger_base_version());
    if (low >= ledger.version()) return;
    const uint64_t target = low + prng_.uniform(ledger.version() - low);
    emit("B " + std::to_string(target));
    fail_if(ledger.rollback(target), "ledger rollback to " + std::to_string(target));
    emit("E " + std::to_string(target));
    fail_if(check_stack(stack_, model_, false),
            "check after ledger rollback to " + std::to_string(target));
  }

  CrashStack& stack_;
  CrashModel model_;
  int pipe_fd_;
  sim::Prng prng_;
};

}  // namespace

void run_writer(const WriterConfig& config, CrashModel model, int pipe_fd) {
  PosixEnv posix;
  KillPointEnv env(&posix);
  if (config.kill_point_odds > 0) env.arm(config.seed, config.kill_point_odds);
  Result<std::unique_ptr<CrashStack>> stack = CrashStack::open(env, config.dir, config.backend);
  if (!stack.ok()) {
    const std::string line = "X writer open: " + stack.status().to_string() + "\n";
    (void)!write(pipe_fd, line.data(), std::min<size_t>(line.size(), 4000));
    _exit(5);
  }
  (*stack)->start_tiers();
  Writer writer(**stack, std::move(model), pipe_fd, config.seed);
  writer.run();
}

}  // namespace tierkv::crash
