#include "engine/tier/call_order.h"

#include <cassert>
#include <utility>

namespace tierkv {

CallOrder::Ticket CallOrder::begin(std::string key) {
  auto entry = entries_.lower_bound(key);
  if (entry == entries_.end() || entry->first != key) {
    if (spare_nodes_.empty()) {
      entry = entries_.emplace_hint(entry, std::move(key), Entry{});
    } else {
      Entries::node_type node = std::move(spare_nodes_.back());
      spare_nodes_.pop_back();
      node.key() = std::move(key);
      node.mapped() = Entry{};
      entry = entries_.insert(entry, std::move(node));
    }
  }
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
  if (spare_nodes_.size() < kSpareNodesMax) {
    spare_nodes_.push_back(entries_.extract(entry));
  } else {
    entries_.erase(entry);
  }
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
