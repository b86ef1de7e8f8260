#include "sim/model.h"

#include <cassert>

namespace tierkv::sim {
namespace {

constexpr size_t kValuePreviewBytes = 16;

std::string preview(const std::optional<std::string>& value) {
  if (!value) return "<absent>";
  if (value->size() <= kValuePreviewBytes) return "'" + *value + "'";
  return "'" + value->substr(0, kValuePreviewBytes) + "...'(" + std::to_string(value->size()) +
         "B)";
}

}  // namespace

std::string_view mutation_state_name(MutationState state) {
  switch (state) {
    case MutationState::kPending: return "pending";
    case MutationState::kAcked: return "acked";
    case MutationState::kFailed: return "failed";
    case MutationState::kRejected: return "rejected";
    case MutationState::kCrashed: return "crashed";
  }
  return "?";
}

std::string Mutation::describe() const {
  std::string out = "m" + std::to_string(id) + " op#" + std::to_string(op_index) + " c" +
                    std::to_string(client) + " " + kind + " " + key.to_string() + " = " +
                    preview(value) + " [" + std::string(mutation_state_name(state)) +
                    " issued@" + std::to_string(issued_us) + "us";
  if (state != MutationState::kPending && state != MutationState::kCrashed) {
    out += " done@" + std::to_string(completed_us) + "us";
  }
  if (!durable) out += " ephemeral";
  if (!durable_on_ack) out += " lazy";
  if (!error.empty()) out += " error: " + error;
  return out + "]";
}

bool AllowedValues::allows(const std::optional<std::string>& observed) const {
  if (!observed) return absent_allowed;
  for (const std::string* value : values) {
    if (*value == *observed) return true;
  }
  return false;
}

uint64_t Model::begin(uint64_t op_index, uint32_t client, std::string kind, StoreKey key,
                      std::optional<std::string> value, bool durable, bool durable_on_ack,
                      uint64_t now_us) {
  Mutation m;
  m.id = next_id_++;
  m.op_index = op_index;
  m.client = client;
  m.kind = std::move(kind);
  m.value = std::move(value);
  m.durable = durable;
  m.durable_on_ack = durable_on_ack;
  m.issued_tick = tick();
  m.issued_us = now_us;
  keys_[key].mutation_ids.push_back(m.id);
  m.key = std::move(key);
  const uint64_t id = m.id;
  mutations_.emplace(id, std::move(m));
  ++pending_;
  return id;
}

void Model::complete(uint64_t id, const Status& status, uint64_t now_us) {
  Mutation& m = mutations_.at(id);
  if (m.state == MutationState::kCrashed) return;  // the process died first: nobody saw this
  assert(m.state == MutationState::kPending && "a mutation completes once");
  m.completed_tick = tick();
  m.completed_us = now_us;
  if (status.ok()) {
    m.state = MutationState::kAcked;
  } else {
    // Conflict, NotSupported and InvalidArgument are refused before anything is written.
    const bool refused =
        status.is_conflict() || status.is_not_supported() || status.is_invalid_argument();
    m.state = refused ? MutationState::kRejected : MutationState::kFailed;
    m.error = status.to_string();
  }
  assert(pending_ > 0);
  --pending_;
}

void Model::crash() {
  for (auto& [id, m] : mutations_) {
    if (m.state == MutationState::kPending) m.state = MutationState::kCrashed;
  }
  pending_ = 0;
}

// Call order (plain writes and removes) puts a mutation issued before `later` before it. CAS
// and atomic batches are conditional: the store applies them in key-lock order, never skips
// them, so one issued earlier may still land after `later` if it had not completed before
// `later` was issued.
bool Model::may_apply_after(const Mutation& m, const Mutation& later) {
  const auto call_ordered = [](const Mutation& x) { return x.kind != "cas" && x.kind != "atomic"; };
  if (call_ordered(m) && call_ordered(later)) return false;
  const bool completed = m.state == MutationState::kAcked || m.state == MutationState::kFailed;
  return !completed || m.completed_tick > later.issued_tick;
}

std::optional<size_t> Model::last_ack(const std::map<uint64_t, Mutation>& mutations,
                                      const std::vector<uint64_t>& ids, uint64_t before_tick,
                                      bool durable_only) {
  for (size_t i = ids.size(); i-- > 0;) {
    const Mutation& m = mutations.at(ids[i]);
    if (m.state != MutationState::kAcked || m.completed_tick >= before_tick) continue;
    if (durable_only && !m.durable_on_ack) continue;
    return i;
  }
  return std::nullopt;
}

AllowedValues Model::allowed(const StoreKey& key, uint64_t ack_before_tick, bool durable_only,
                             uint64_t issued_before_tick, bool wiped) const {
  AllowedValues allowed;
  allowed.absent_allowed = wiped;
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    allowed.absent_allowed = true;
    return allowed;
  }
  const KeyState& state = it->second;
  const std::optional<size_t> floor =
      last_ack(mutations_, state.mutation_ids, ack_before_tick, durable_only);
  if (!floor) {
    if (state.baseline) allowed.values.push_back(&*state.baseline);
    allowed.absent_allowed = allowed.absent_allowed || !state.baseline;
  }
  for (size_t i = 0; i < state.mutation_ids.size(); ++i) {
    const Mutation& m = mutations_.at(state.mutation_ids[i]);
    if (m.state == MutationState::kRejected || m.issued_tick > issued_before_tick) continue;
    if (floor && i < *floor &&
        !may_apply_after(m, mutations_.at(state.mutation_ids[*floor]))) {
      continue;
    }
    if (m.value) allowed.values.push_back(&*m.value);
    allowed.absent_allowed = allowed.absent_allowed || !m.value;
  }
  return allowed;
}

AllowedValues Model::allowed_now(const StoreKey& key, bool after_crash, bool wiped) const {
  return allowed(key, UINT64_MAX, after_crash, UINT64_MAX, wiped);
}

AllowedValues Model::allowed_for_read(const StoreKey& key, uint64_t issued_tick,
                                      uint64_t completed_tick) const {
  return allowed(key, issued_tick, /*durable_only=*/false, completed_tick, /*wiped=*/false);
}

std::optional<std::optional<std::string>> Model::settled_value(const StoreKey& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::optional<std::string>();
  const KeyState& state = it->second;
  for (size_t i = state.mutation_ids.size(); i-- > 0;) {
    const Mutation& m = mutations_.at(state.mutation_ids[i]);
    if (m.state == MutationState::kRejected) continue;
    if (m.state != MutationState::kAcked) return std::nullopt;
    return m.value;
  }
  return state.baseline;
}

void Model::settle(const StoreKey& key, std::optional<std::string> observed) {
  KeyState& state = keys_[key];
  for (uint64_t id : state.mutation_ids) {
    assert(mutations_.at(id).state != MutationState::kPending && "settle with a pending op");
    mutations_.erase(id);
  }
  state.mutation_ids.clear();
  state.baseline = std::move(observed);
}

AllowedValues Model::allowed_if_applied(uint64_t id) const {
  const Mutation& applied = mutations_.at(id);
  AllowedValues allowed;
  for (uint64_t other_id : keys_.at(applied.key).mutation_ids) {
    const Mutation& m = mutations_.at(other_id);
    if (m.state == MutationState::kRejected) continue;
    if (m.issued_tick < applied.issued_tick && !may_apply_after(m, applied)) continue;
    if (m.value) allowed.values.push_back(&*m.value);
    allowed.absent_allowed = allowed.absent_allowed || !m.value;
  }
  return allowed;
}

std::map<uint64_t, std::vector<uint64_t>> Model::batches() const {
  std::map<uint64_t, std::vector<uint64_t>> out;
  for (const auto& [id, m] : mutations_) {
    if (m.kind == "atomic") out[m.op_index].push_back(id);
  }
  return out;
}

bool Model::has_durable_ack(const StoreKey& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  return last_ack(mutations_, it->second.mutation_ids, UINT64_MAX, /*durable_only=*/true)
      .has_value();
}

std::vector<StoreKey> Model::keys() const {
  std::vector<StoreKey> out;
  out.reserve(keys_.size());
  for (const auto& [key, state] : keys_) out.push_back(key);
  return out;
}

std::string Model::history(const StoreKey& key) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return "  (no mutation of " + key.to_string() + " recorded)\n";
  std::string out = "  baseline of " + key.to_string() + ": " + preview(it->second.baseline) +
                    "\n";
  for (uint64_t id : it->second.mutation_ids) out += "  " + mutations_.at(id).describe() + "\n";
  return out;
}

std::map<StoreKey, std::string> Model::settled_state() const {
  std::map<StoreKey, std::string> out;
  for (const auto& [key, state] : keys_) {
    assert(state.mutation_ids.empty() && "settled_state of an unsettled model");
    if (state.baseline) out.emplace(key, *state.baseline);
  }
  return out;
}

}  // namespace tierkv::sim
