#include "engine/exec/key_lock_table.h"

namespace tierkv {

KeyLockTable::~KeyLockTable() {
  // Waiters' coroutines die with their entries and may release guards of other keys: make
  // those releases no-ops instead of edits of a map being destroyed.
  destroying_ = true;
  Entries doomed = std::move(entries_);
  entries_.clear();
}

size_t KeyLockTable::waiters(std::string_view key) const {
  auto entry = entries_.find(key);
  return entry == entries_.end() ? 0 : entry->second.mutex.waiters();
}

void KeyLockTable::release(Entries::iterator entry) {
  if (destroying_) return;
  assert(entry->second.users > 0);
  assert(entry->second.mutex.locked());
  entry->second.mutex.unlock();
  if (--entry->second.users == 0) {
    // The last user: nobody waits, so unlock() really freed the mutex.
    assert(!entry->second.mutex.locked());
    spare_.erase(entries_, entry);  // an idle mutex with no users: reusable as is
  }
}

}  // namespace tierkv
