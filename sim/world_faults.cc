#include "sim/world_faults.h"

#include <cassert>

#include "engine/core/buggify.h"

namespace tierkv::sim {

FaultyKvStore::FaultyKvStore(KvStore& inner, Executor& executor, std::string name,
                             FaultWindows* faults)
    : inner_(inner), executor_(executor), name_(std::move(name)), faults_(faults) {
  assert(faults_ != nullptr);
  for (const FaultWindow& w : faults_->windows) assert(w.start_us <= w.end_us);
}

bool FaultyKvStore::window_active() const {
  if (faults_->healed) return false;
  const uint64_t now = executor_.clock().now_us();
  for (const FaultWindow& w : faults_->windows) {
    if (now >= w.start_us && now < w.end_us) return true;
  }
  return false;
}

// BUGGIFY "backup.delay_write": the backup write already holds its call-order ticket (taken
// when inner_.write/remove/write_atomic was called); it only starts later, so the primary runs
// ahead.
template <typename T>
Task<T> FaultyKvStore::maybe_delayed(Task<T> work) {
  if (!TIERKV_BUGGIFY("backup.delay_write")) return work;
  return [](Executor* executor, Task<T> inner) -> Task<T> {
    co_await executor->sleep_us(kBuggifyBackupDelayUs);
    co_return co_await std::move(inner);
  }(&executor_, std::move(work));
}

Task<Status> FaultyKvStore::gate(std::string_view what, const StoreKey* key) {
  if (faults_->healed) co_return Status::ok_status();
  uint64_t now = executor_.clock().now_us();
  for (const FaultWindow& w : faults_->windows) {
    if (w.outage || now < w.start_us || now >= w.end_us) continue;
    ++faults_->slow_calls_injected;
    co_await executor_.sleep_us(w.extra_latency_us);
    now = executor_.clock().now_us();
    break;
  }
  if (faults_->healed) co_return Status::ok_status();
  for (const FaultWindow& w : faults_->windows) {
    if (!w.outage || now < w.start_us || now >= w.end_us) continue;
    ++faults_->outages_injected;
    std::string call(what);
    if (key != nullptr) call += " of " + key->to_string();
    co_return Status::unavailable(name_ + " " + call + ": simulated outage [" +
                                  std::to_string(w.start_us) + "us, " +
                                  std::to_string(w.end_us) + "us)");
  }
  co_return Status::ok_status();
}

Task<Result<std::string>> FaultyKvStore::read(StoreKey key) {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("read", &key));
  co_return co_await inner_.read(std::move(key));
}

// Not a coroutine when no window is active: the inner store takes its call-order ticket now.
Task<Status> FaultyKvStore::write(StoreKey key, std::string value) {
  if (!window_active()) return maybe_delayed(inner_.write(std::move(key), std::move(value)));
  return [](FaultyKvStore* self, StoreKey k, std::string v) -> Task<Status> {
    TIERKV_CO_RETURN_IF_ERROR(co_await self->gate("write", &k));
    co_return co_await self->inner_.write(std::move(k), std::move(v));
  }(this, std::move(key), std::move(value));
}

Task<Status> FaultyKvStore::remove(StoreKey key, bool lazy) {
  if (!window_active()) return maybe_delayed(inner_.remove(std::move(key), lazy));
  return [](FaultyKvStore* self, StoreKey k, bool l) -> Task<Status> {
    TIERKV_CO_RETURN_IF_ERROR(co_await self->gate("remove", &k));
    co_return co_await self->inner_.remove(std::move(k), l);
  }(this, std::move(key), lazy);
}

Task<Result<std::vector<std::string>>> FaultyKvStore::list(std::string primary_namespace,
                                                           std::string secondary_namespace) {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("list"));
  co_return co_await inner_.list(std::move(primary_namespace), std::move(secondary_namespace));
}

Task<Result<ListPage>> FaultyKvStore::list_page(std::string primary_namespace,
                                                std::string secondary_namespace,
                                                std::optional<std::string> page_token) {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("list_page"));
  co_return co_await inner_.list_page(std::move(primary_namespace),
                                      std::move(secondary_namespace), std::move(page_token));
}

Task<Result<VersionedValue>> FaultyKvStore::read_versioned(StoreKey key) {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("read_versioned", &key));
  co_return co_await inner_.read_versioned(std::move(key));
}

Task<Result<uint64_t>> FaultyKvStore::compare_and_swap(StoreKey key, uint64_t expected_version,
                                                       std::string value) {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("compare_and_swap", &key));
  co_return co_await inner_.compare_and_swap(std::move(key), expected_version, std::move(value));
}

Task<AtomicResult> FaultyKvStore::write_atomic(std::vector<AtomicOp> ops) {
  if (!window_active()) return maybe_delayed(inner_.write_atomic(std::move(ops)));
  return [](FaultyKvStore* self, std::vector<AtomicOp> o) -> Task<AtomicResult> {
    Status gated = co_await self->gate("write_atomic");
    if (!gated.ok()) co_return AtomicResult{std::move(gated), {}};
    co_return co_await self->inner_.write_atomic(std::move(o));
  }(this, std::move(ops));
}

Task<Result<std::vector<NamespacePair>>> FaultyKvStore::list_namespaces() {
  if (window_active()) TIERKV_CO_RETURN_IF_ERROR(co_await gate("list_namespaces"));
  co_return co_await inner_.list_namespaces();
}

}  // namespace tierkv::sim
