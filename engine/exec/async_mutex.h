// AsyncMutex: a mutex for coroutines of one event loop.
//
// Promises:
//   - Mutual exclusion: at most one holder at a time.
//   - FIFO fairness: waiters get the lock in the order they called lock(). unlock() hands the
//     lock straight to the oldest waiter (the mutex stays locked in between), so neither
//     try_lock() nor a newcomer's lock() can barge ahead of someone already waiting.
//   - A waiter is resumed through its own executor (suspend_until_resumed in task.h), never
//     inline inside unlock(): unlock() returns before the next holder runs.
//   - lock() on a free mutex takes it without suspending.
//
// Thread-safety: none. Every call comes from coroutines of one Executor's event loop (the
// engine's model, see executor.h); that is also what makes it usable in the simulator.
//
// Lifetime: destroying a mutex with waiters abandons their suspended coroutines: their
// executor destroys them without resuming them (the simulator does so when it tears a crashed
// world down). It must not be destroyed while a guard of it
// is still alive.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "engine/exec/task.h"

namespace tierkv {

class AsyncMutexGuard;

class AsyncMutex {
 public:
  AsyncMutex() = default;
  AsyncMutex(const AsyncMutex&) = delete;
  AsyncMutex& operator=(const AsyncMutex&) = delete;
  ~AsyncMutex();

  // What lock() and lock_guard() return: co_await it at once. A free mutex is taken without
  // suspending and without a coroutine frame; a taken one parks the caller itself in the FIFO.
  class LockAwaiter;
  class GuardAwaiter;

  // Suspends until the caller holds the lock. The caller must later call unlock() exactly once.
  LockAwaiter lock();

  // Takes the lock if it is free and nobody waits; never suspends.
  bool try_lock();

  // Releases the lock, or hands it to the oldest waiter. REQUIRES: locked().
  void unlock();

  // lock() + a guard that unlocks when destroyed.
  GuardAwaiter lock_guard();

  // try_lock() + a guard, or nullopt when the lock is taken.
  std::optional<AsyncMutexGuard> try_lock_guard();

  bool locked() const { return locked_; }
  // How many coroutines are suspended in lock().
  size_t waiters() const { return waiters_.size() - head_; }

 private:
  bool locked_ = false;
  // A FIFO queue: waiters_[head_..] oldest first, each resumes one suspended lock(). A vector
  // and an index rather than a std::deque: an idle mutex holds no memory (a deque allocates
  // even when empty, and KeyLockTable makes a mutex per key locked).
  std::vector<UniqueFunction> waiters_;
  size_t head_ = 0;
};

// Holds an AsyncMutex; unlocks it when destroyed. Movable, not copyable.
class AsyncMutexGuard {
 public:
  AsyncMutexGuard() = default;  // holds nothing
  explicit AsyncMutexGuard(AsyncMutex* mutex) : mutex_(mutex) { assert(mutex_->locked()); }
  AsyncMutexGuard(AsyncMutexGuard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) {}
  AsyncMutexGuard& operator=(AsyncMutexGuard&& other) noexcept {
    if (this != &other) {
      unlock();
      mutex_ = std::exchange(other.mutex_, nullptr);
    }
    return *this;
  }
  AsyncMutexGuard(const AsyncMutexGuard&) = delete;
  AsyncMutexGuard& operator=(const AsyncMutexGuard&) = delete;
  ~AsyncMutexGuard() { unlock(); }

  bool owns_lock() const { return mutex_ != nullptr; }

  // Releases early; the guard then holds nothing.
  void unlock() {
    if (mutex_ != nullptr) std::exchange(mutex_, nullptr)->unlock();
  }

 private:
  AsyncMutex* mutex_ = nullptr;
};

class [[nodiscard]] AsyncMutex::LockAwaiter {
 public:
  explicit LockAwaiter(AsyncMutex* mutex) : mutex_(mutex) {}
  bool await_ready() { return mutex_->try_lock(); }  // tried when awaited, not when created
  template <typename P>
  void await_suspend(std::coroutine_handle<P> caller) {
    mutex_->waiters_.push_back(UniqueFunction(ParkedCoroutine::of(caller)));
  }
  // unlock() handed the lock to us without releasing it.
  void await_resume() const noexcept { assert(mutex_->locked_); }

 protected:
  AsyncMutex* mutex_;
};

class [[nodiscard]] AsyncMutex::GuardAwaiter : public LockAwaiter {
 public:
  using LockAwaiter::LockAwaiter;
  AsyncMutexGuard await_resume() const {
    LockAwaiter::await_resume();
    return AsyncMutexGuard(mutex_);
  }
};

inline AsyncMutex::LockAwaiter AsyncMutex::lock() { return LockAwaiter(this); }
inline AsyncMutex::GuardAwaiter AsyncMutex::lock_guard() { return GuardAwaiter(this); }

// Same as mutex.lock_guard(): the awaiter holds only the mutex's address, which must outlive
// it and the guard.
inline AsyncMutex::GuardAwaiter scoped_lock(AsyncMutex& mutex) { return mutex.lock_guard(); }

}  // namespace tierkv
