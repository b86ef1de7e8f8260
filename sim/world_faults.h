// FaultyKvStore: a KvStore decorator that injects the backup tier's faults (DESIGN.md fault
// model: backup outages and slow backups), driven by windows of simulated time.
//
// Promises:
//   - During an outage window [start, end) every call fails with Unavailable naming the store
//     and the window, before reaching the inner store (no effect).
//   - During a slow window every call first sleeps extra_latency_us on the executor's clock.
//   - The windows, the healed flag and the counts live in a FaultWindows the runner owns, so
//     they outlast the decorator (rebuilt at every restart) and heal() ends every window now
//     (the liveness phase) for every later decorator too.
//   - write()/remove()/write_atomic() forward to the inner store's call before their first
//     suspension when no window is active, so the inner store's call order is the caller's;
//     BUGGIFY "backup.delay_write" may then hold any of them back.
// Thread-safety: coroutines of one executor.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/kv_store.h"
#include "engine/exec/executor.h"

namespace tierkv::sim {

// How long BUGGIFY "backup.delay_write" holds a backup write back (simulated us).
inline constexpr uint64_t kBuggifyBackupDelayUs = 5'000;

struct FaultWindow {
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  bool outage = true;               // false: slow
  uint64_t extra_latency_us = 0;    // slow windows
};

// The backup tier's fault windows and what they injected over a whole run.
struct FaultWindows {
  std::vector<FaultWindow> windows;
  bool healed = false;
  uint64_t outages_injected = 0;
  uint64_t slow_calls_injected = 0;
  void heal() { healed = true; }
};

class FaultyKvStore final : public KvStore {
 public:
  // inner, executor and faults must outlive the decorator.
  FaultyKvStore(KvStore& inner, Executor& executor, std::string name, FaultWindows* faults);

  Task<Result<std::string>> read(StoreKey key) override;
  Task<Status> write(StoreKey key, std::string value) override;
  Task<Status> remove(StoreKey key, bool lazy) override;
  Task<Result<std::vector<std::string>>> list(std::string primary_namespace,
                                              std::string secondary_namespace) override;
  Task<Result<ListPage>> list_page(std::string primary_namespace, std::string secondary_namespace,
                                   std::optional<std::string> page_token) override;
  Task<Result<VersionedValue>> read_versioned(StoreKey key) override;
  Task<Result<uint64_t>> compare_and_swap(StoreKey key, uint64_t expected_version,
                                          std::string value) override;
  Task<AtomicResult> write_atomic(std::vector<AtomicOp> ops) override;
  Task<Result<std::vector<NamespacePair>>> list_namespaces() override;

  void heal() { faults_->heal(); }

 private:
  // OK, or Unavailable if an outage window covers now; sleeps through a slow window first.
  // The Unavailable message names the call: what, and " of <key>" when key is given (key
  // must outlive the returned task). Calls skip it while no window is active
  // (window_active()): it would return OK at once.
  Task<Status> gate(std::string_view what, const StoreKey* key = nullptr);
  // work, or work started kBuggifyBackupDelayUs later when BUGGIFY "backup.delay_write" fires.
  template <typename T>
  Task<T> maybe_delayed(Task<T> work);
  // Whether a window of either kind covers now (so a call must go through gate()).
  bool window_active() const;

  KvStore& inner_;
  Executor& executor_;
  std::string name_;
  FaultWindows* faults_;
};

}  // namespace tierkv::sim
