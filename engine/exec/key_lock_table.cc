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

KeyLockTable::Entries::iterator KeyLockTable::entry_for(std::string_view key) {
  const Entries::iterator at = entries_.lower_bound(key);
  if (at != entries_.end() && at->first == key) return at;
  if (spare_.empty()) return entries_.try_emplace(at, std::string(key));
  Entries::node_type node = std::move(spare_.back());
  spare_.pop_back();
  node.key().assign(key);  // reuses the spare key's buffer
  return entries_.insert(at, std::move(node));
}

void KeyLockTable::release(Entries::iterator entry) {
  if (destroying_) return;
  assert(entry->second.users > 0);
  assert(entry->second.mutex.locked());
  entry->second.mutex.unlock();
  if (--entry->second.users == 0) {
    // The last user: nobody waits, so unlock() really freed the mutex.
    assert(!entry->second.mutex.locked());
    if (spare_.size() < kSpareNodes) {
      spare_.push_back(entries_.extract(entry));
    } else {
      entries_.erase(entry);
    }
  }
}

}  // namespace tierkv
