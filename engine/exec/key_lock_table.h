// KeyLockTable: one AsyncMutex per key, created on demand and pruned when idle.
//
// Promises:
//   - Holders of the same key are serialised, in FIFO order (AsyncMutex's fairness).
//   - Holders of different keys never wait for each other.
//   - An entry exists only while someone holds or waits for its key: the last guard of a key
//     removes the entry, so size() returns to 0 once the table is idle (the table does not
//     grow with the number of keys ever locked).
//   - Entries live in a std::map: nothing depends on hash order (deterministic in simulation).
//     A pruned entry's node is kept (SpareMapNodes) and reused by the next new key, so a lock
//     of an idle key allocates no map node.
//
// Thread-safety: none; used from coroutines of one event loop, like AsyncMutex.
// Lifetime: the table must outlive every guard and every pending lock(). Destroying it with
// waiters destroys their suspended coroutines (crash teardown); guards released during that
// teardown are ignored.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "engine/core/spare_map_nodes.h"
#include "engine/exec/async_mutex.h"
#include "engine/exec/task.h"

namespace tierkv {

class KeyLockGuard;

class KeyLockTable {
 public:
  KeyLockTable() = default;
  KeyLockTable(const KeyLockTable&) = delete;
  KeyLockTable& operator=(const KeyLockTable&) = delete;
  ~KeyLockTable();

  // Suspends until the caller holds key's lock; the guard releases it. Returns an awaiter:
  // co_await it at once (the entry is made when it is awaited, no coroutine frame; key is
  // read then, and copied only into a new entry).
  class Acquire;
  Acquire lock(std::string_view key);

  // Number of keys somebody holds or waits for.
  size_t size() const { return entries_.size(); }

  bool is_locked(std::string_view key) const { return entries_.find(key) != entries_.end(); }

  // How many coroutines wait for key (not counting the holder).
  size_t waiters(std::string_view key) const;

 private:
  friend class KeyLockGuard;
  struct Entry {
    AsyncMutex mutex;
    size_t users = 0;  // the holder plus every waiter; the entry goes when it reaches 0
  };
  using Entries = std::map<std::string, Entry, std::less<>>;

  void release(Entries::iterator entry);

  Entries entries_;
  SpareMapNodes<Entries> spare_;  // pruned entries' nodes: idle mutexes, no users
  bool destroying_ = false;
};

// Holds one key's lock in a KeyLockTable. Movable, not copyable.
class KeyLockGuard {
 public:
  KeyLockGuard() = default;  // holds nothing
  KeyLockGuard(KeyLockGuard&& other) noexcept
      : table_(std::exchange(other.table_, nullptr)), entry_(other.entry_) {}
  KeyLockGuard& operator=(KeyLockGuard&& other) noexcept {
    if (this != &other) {
      unlock();
      table_ = std::exchange(other.table_, nullptr);
      entry_ = other.entry_;
    }
    return *this;
  }
  KeyLockGuard(const KeyLockGuard&) = delete;
  KeyLockGuard& operator=(const KeyLockGuard&) = delete;
  ~KeyLockGuard() { unlock(); }

  bool owns_lock() const { return table_ != nullptr; }
  // REQUIRES: owns_lock().
  const std::string& key() const {
    assert(owns_lock());
    return entry_->first;
  }

  // Releases early; the guard then holds nothing.
  void unlock() {
    if (table_ != nullptr) std::exchange(table_, nullptr)->release(entry_);
  }

 private:
  friend class KeyLockTable;
  KeyLockGuard(KeyLockTable* table, KeyLockTable::Entries::iterator entry)
      : table_(table), entry_(entry) {}

  KeyLockTable* table_ = nullptr;
  KeyLockTable::Entries::iterator entry_{};
};

class [[nodiscard]] KeyLockTable::Acquire {
 public:
  Acquire(KeyLockTable* table, std::string_view key) : table_(table), key_(key) {}
  bool await_ready() {
    assert(!table_->destroying_);
    entry_ = table_->spare_.find_or_insert(table_->entries_, key_).first;
    ++entry_->second.users;
    // std::map nodes never move, so entry_ stays valid while we wait: users > 0 keeps it alive.
    return entry_->second.mutex.lock().await_ready();
  }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> caller) {
    entry_->second.mutex.lock().await_suspend(caller);
  }
  KeyLockGuard await_resume() const {
    assert(entry_->second.mutex.locked());
    return KeyLockGuard(table_, entry_);
  }

 private:
  KeyLockTable* table_;
  std::string_view key_;  // the caller's: it lives until the co_await ends
  Entries::iterator entry_{};
};

inline KeyLockTable::Acquire KeyLockTable::lock(std::string_view key) {
  return Acquire(this, key);
}

}  // namespace tierkv
