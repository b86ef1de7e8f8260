#include "engine/tier/call_order.h"

#include <cassert>
#include <utility>

namespace tierkv {

CallOrder::Ticket CallOrder::begin(std::string key) {
  auto [entry, inserted] = spare_nodes_.find_or_insert(entries_, key);
  if (inserted) entry->second = Entry{};  // a spare node keeps its released entry's counts
  ++entry->second.tickets_alive;
  const uint64_t sequence = next_sequence_++;
  assert(sequence > entry->second.completed_sequence_max);
  return Ticket(this, entry, sequence);
}

bool CallOrder::is_stale(const Ticket& ticket) const {
  assert(ticket.valid());
  assert(ticket.order_ == this);
  return ticket.sequence_ < ticket.entry_->second.completed_sequence_max;
}

void CallOrder::complete(const Ticket& ticket) {
  assert(ticket.valid());
  assert(ticket.order_ == this);
  Entry& entry = ticket.entry_->second;
  if (ticket.sequence_ > entry.completed_sequence_max) {
    entry.completed_sequence_max = ticket.sequence_;
  }
}

void CallOrder::release(Entries::iterator entry) {
  assert(entry->second.tickets_alive > 0);
  if (--entry->second.tickets_alive != 0) return;
  spare_nodes_.erase(entries_, entry);
}

CallOrder::Ticket::Ticket(Ticket&& other) noexcept
    : order_(std::exchange(other.order_, nullptr)),
      entry_(other.entry_),
      sequence_(other.sequence_) {}

CallOrder::Ticket& CallOrder::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    order_ = std::exchange(other.order_, nullptr);
    entry_ = other.entry_;
    sequence_ = other.sequence_;
  }
  return *this;
}

void CallOrder::Ticket::release() {
  if (order_ != nullptr) std::exchange(order_, nullptr)->release(entry_);
}

}  // namespace tierkv
