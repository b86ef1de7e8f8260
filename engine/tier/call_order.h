// CallOrder: the "writes to one key take effect in call order" rule shared by BackendKvStore and
// TierStore.
//
// How it is used: a mutating call takes a Ticket synchronously, when the call is made (before
// its coroutine first suspends), so tickets are ordered like the calls. The coroutine later
// takes the key's lock, asks is_stale(ticket) and, if a newer call on the same key already
// completed, skips its work and reports OK (LDK's semantics: the newer value already won).
// Once the work succeeded it calls complete(ticket). A failed operation does not complete:
// an older call that runs after it still applies (the failed one never took effect for its
// caller).
//
// Promises: call sequences are unique and increase with call time across all keys; an entry
// exists only while a ticket for its key is alive (size() returns to 0 when idle).
// Thread-safety: none; used from coroutines of one event loop.
// Lifetime: the CallOrder must outlive its tickets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "engine/core/spare_map_nodes.h"

namespace tierkv {

class CallOrder {
 public:
  class Ticket;

  CallOrder() = default;
  CallOrder(const CallOrder&) = delete;
  CallOrder& operator=(const CallOrder&) = delete;

  // Takes the next call sequence for key. Never suspends.
  Ticket begin(std::string key);

  // True if a call on the same key with a larger sequence already completed.
  bool is_stale(const Ticket& ticket) const;

  // Records that ticket's operation took effect.
  void complete(const Ticket& ticket);

  // Keys with a live ticket.
  size_t size() const { return entries_.size(); }
  uint64_t last_sequence() const { return next_sequence_ - 1; }

 private:
  struct Entry {
    size_t tickets_alive = 0;
    uint64_t completed_sequence_max = 0;
  };
  using Entries = std::map<std::string, Entry, std::less<>>;
  void release(Entries::iterator entry);

  Entries entries_;
  // Nodes of released entries, reused by begin(): a call on an idle key allocates nothing.
  SpareMapNodes<Entries> spare_nodes_;
  uint64_t next_sequence_ = 1;
};

// A call's place in its key's order. Movable, not copyable; its destructor releases the entry.
class CallOrder::Ticket {
 public:
  Ticket() = default;
  Ticket(Ticket&& other) noexcept;
  Ticket& operator=(Ticket&& other) noexcept;
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  ~Ticket() { release(); }

  bool valid() const { return order_ != nullptr; }
  uint64_t sequence() const { return sequence_; }
  // REQUIRES: valid().
  const std::string& key() const { return entry_->first; }
  void release();

 private:
  friend class CallOrder;
  Ticket(CallOrder* order, Entries::iterator entry, uint64_t sequence)
      : order_(order), entry_(entry), sequence_(sequence) {}

  CallOrder* order_ = nullptr;
  Entries::iterator entry_{};
  uint64_t sequence_ = 0;
};

}  // namespace tierkv
