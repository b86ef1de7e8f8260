#include "engine/exec/async_mutex.h"

#include <cstddef>

namespace tierkv {

AsyncMutex::~AsyncMutex() {
  // Dropping a waiter hands its coroutine to the executor to destroy (see UniqueFunction);
  // take the queue out first all the same, so nothing re-enters a half-destroyed one.
  std::vector<UniqueFunction> doomed = std::move(waiters_);
  waiters_.clear();
  head_ = 0;
}

bool AsyncMutex::try_lock() {
  if (locked_) return false;
  assert(waiters() == 0);  // nobody waits on a free mutex: unlock() hands it over instead
  locked_ = true;
  return true;
}

void AsyncMutex::unlock() {
  assert(locked_);
  if (waiters() == 0) {
    locked_ = false;
    return;
  }
  UniqueFunction next = std::move(waiters_[head_++]);
  if (head_ == waiters_.size()) {
    waiters_.clear();  // keeps the capacity for the next waiters
    head_ = 0;
  } else if (head_ >= 32 && head_ * 2 >= waiters_.size()) {
    // A queue that never drains: drop the served (empty) entries at the front.
    waiters_.erase(waiters_.begin(), waiters_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  next();  // posts the waiter's resumption; it owns the lock from now on
}

std::optional<AsyncMutexGuard> AsyncMutex::try_lock_guard() {
  if (!try_lock()) return std::nullopt;
  return AsyncMutexGuard(this);
}

}  // namespace tierkv
