#include "engine/exec/async_mutex.h"

namespace tierkv {

AsyncMutex::~AsyncMutex() {
  // Destroying a waiter may run destructors in its coroutine (guards of other mutexes); take
  // the queue out first so nothing re-enters a half-destroyed deque.
  std::deque<UniqueFunction> doomed = std::move(waiters_);
  waiters_.clear();
}

Task<void> AsyncMutex::lock() {
  if (try_lock()) co_return;
  co_await suspend_until_resumed(
      [this](UniqueFunction resume) { waiters_.push_back(std::move(resume)); });
  // unlock() handed the lock to us without releasing it.
  assert(locked_);
}

bool AsyncMutex::try_lock() {
  if (locked_) return false;
  assert(waiters_.empty());  // nobody waits on a free mutex: unlock() hands it over instead
  locked_ = true;
  return true;
}

void AsyncMutex::unlock() {
  assert(locked_);
  if (waiters_.empty()) {
    locked_ = false;
    return;
  }
  UniqueFunction next = std::move(waiters_.front());
  waiters_.pop_front();
  next();  // posts the waiter's resumption; it owns the lock from now on
}

Task<AsyncMutexGuard> AsyncMutex::lock_guard() {
  co_await lock();
  co_return AsyncMutexGuard(this);
}

std::optional<AsyncMutexGuard> AsyncMutex::try_lock_guard() {
  if (!try_lock()) return std::nullopt;
  return AsyncMutexGuard(this);
}

}  // namespace tierkv
