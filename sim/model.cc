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

// FNV-1a over the three parts, each followed by a separator byte: keys are a few bytes, so an
// inline loop beats three calls to std::hash.
size_t Model::KeyHash::operator()(const StoreKey& key) const noexcept {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string* part : {&key.primary_namespace, &key.secondary_namespace, &key.key}) {
    for (const char c : *part) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    h = (h ^ 0xffu) * 0x100000001b3ull;
  }
  return static_cast<size_t>(h);
}

const Model::KeyState* Model::find(const StoreKey& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : it->second;
}

Model::KeyState& Model::state_of(const StoreKey& key) {
  auto it = index_.find(key);
  if (it != index_.end()) return *it->second;
  KeyState* state = &keys_[key];
  index_.emplace(key, state);
  return *state;
}

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

bool AllowedValues::allows(std::optional<std::string_view> observed) const {
  if (!observed) return absent_allowed;
  for (const std::string* value : values) {
    if (*value == *observed) return true;
  }
  return false;
}

uint64_t Model::begin(uint64_t op_index, uint32_t client, std::string kind, StoreKey key,
                      std::optional<std::string> value, bool durable, bool durable_on_ack,
                      uint64_t now_us) {
  assert(next_id_ - first_id_ == mutations_.size());
  Mutation& m = mutations_.emplace_back(std::in_place).value();
  m.id = next_id_++;
  m.op_index = op_index;
  m.client = client;
  m.kind = std::move(kind);
  m.value = std::move(value);
  m.durable = durable;
  m.durable_on_ack = durable_on_ack;
  m.issued_tick = tick();
  m.issued_us = now_us;
  state_of(key).mutations.push_back(&m);
  m.key = std::move(key);
  ++pending_;
  return m.id;
}

const Mutation& Model::mutation(uint64_t id) const {
  assert(id >= first_id_ && id - first_id_ < mutations_.size() && mutations_[id - first_id_]);
  return *mutations_[id - first_id_];
}

Mutation& Model::at(uint64_t id) { return const_cast<Mutation&>(mutation(id)); }

void Model::complete(uint64_t id, const Status& status, uint64_t now_us) {
  Mutation& m = at(id);
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
  for (std::optional<Mutation>& m : mutations_) {
    if (m && m->state == MutationState::kPending) m->state = MutationState::kCrashed;
  }
  pending_ = 0;
}

// Call order (plain writes and removes) puts a mutation issued before `later` before it. CAS
// and atomic batches are conditional: the store applies them in key-lock order, never skips
// them, so one issued earlier may still land after `later` if it had not completed before
// `later` was issued.
bool Model::may_apply_after(const Mutation& m, const Mutation& later) {
  const bool completed = m.state == MutationState::kAcked || m.state == MutationState::kFailed;
  if (completed && m.completed_tick <= later.issued_tick) return false;  // done before later
  const auto call_ordered = [](const Mutation& x) { return x.kind != "cas" && x.kind != "atomic"; };
  return !(call_ordered(m) && call_ordered(later));
}

std::optional<size_t> Model::last_ack(const std::vector<const Mutation*>& mutations,
                                      uint64_t before_tick, bool durable_only) {
  for (size_t i = mutations.size(); i-- > 0;) {
    const Mutation& m = *mutations[i];
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
  const KeyState* found = find(key);
  if (found == nullptr) {
    allowed.absent_allowed = true;
    return allowed;
  }
  const KeyState& state = *found;
  const std::optional<size_t> floor = last_ack(state.mutations, ack_before_tick, durable_only);
  allowed.values.reserve(state.mutations.size() + 1);
  if (!floor) {
    if (state.baseline) allowed.values.push_back(&*state.baseline);
    allowed.absent_allowed = allowed.absent_allowed || !state.baseline;
  }
  for (size_t i = 0; i < state.mutations.size(); ++i) {
    const Mutation& m = *state.mutations[i];
    if (m.state == MutationState::kRejected || m.issued_tick > issued_before_tick) continue;
    if (floor && i < *floor && !may_apply_after(m, *state.mutations[*floor])) continue;
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
  const KeyState* found = find(key);
  if (found == nullptr) return std::optional<std::string>();
  const KeyState& state = *found;
  for (size_t i = state.mutations.size(); i-- > 0;) {
    const Mutation& m = *state.mutations[i];
    if (m.state == MutationState::kRejected) continue;
    if (m.state != MutationState::kAcked) return std::nullopt;
    return m.value;
  }
  return state.baseline;
}

void Model::settle(const StoreKey& key, std::optional<std::string> observed) {
  KeyState& state = state_of(key);
  for (const Mutation* m : state.mutations) {
    assert(m->state != MutationState::kPending && "settle with a pending op");
    mutations_[m->id - first_id_].reset();
  }
  state.mutations.clear();
  while (!mutations_.empty() && !mutations_.front()) {
    mutations_.pop_front();
    ++first_id_;
  }
  state.baseline = std::move(observed);
}

AllowedValues Model::allowed_if_applied(uint64_t id) const {
  const Mutation& applied = mutation(id);
  AllowedValues allowed;
  const std::vector<const Mutation*>& key_mutations = find(applied.key)->mutations;
  allowed.values.reserve(key_mutations.size());
  for (const Mutation* other : key_mutations) {
    const Mutation& m = *other;
    if (m.state == MutationState::kRejected) continue;
    if (m.issued_tick < applied.issued_tick && !may_apply_after(m, applied)) continue;
    if (m.value) allowed.values.push_back(&*m.value);
    allowed.absent_allowed = allowed.absent_allowed || !m.value;
  }
  return allowed;
}

std::map<uint64_t, std::vector<uint64_t>> Model::batches() const {
  std::map<uint64_t, std::vector<uint64_t>> out;
  for (const std::optional<Mutation>& m : mutations_) {
    if (m && m->kind == "atomic") out[m->op_index].push_back(m->id);
  }
  return out;
}

bool Model::has_durable_ack(const StoreKey& key) const {
  const KeyState* state = find(key);
  return state != nullptr &&
         last_ack(state->mutations, UINT64_MAX, /*durable_only=*/true).has_value();
}

std::vector<StoreKey> Model::keys() const {
  std::vector<StoreKey> out;
  out.reserve(keys_.size());
  for (const auto& [key, state] : keys_) out.push_back(key);
  return out;
}

std::vector<StoreKey> Model::keys_in(const std::string& primary_namespace) const {
  std::vector<StoreKey> out;
  // Keys order by primary namespace first: this one's keys are one run, starting at its
  // smallest possible key.
  for (auto it = keys_.lower_bound(StoreKey{primary_namespace, "", ""});
       it != keys_.end() && it->first.primary_namespace == primary_namespace; ++it) {
    out.push_back(it->first);
  }
  return out;
}

std::string Model::history(const StoreKey& key) const {
  const KeyState* state = find(key);
  if (state == nullptr) return "  (no mutation of " + key.to_string() + " recorded)\n";
  std::string out = "  baseline of " + key.to_string() + ": " + preview(state->baseline) + "\n";
  for (const Mutation* m : state->mutations) out += "  " + m->describe() + "\n";
  return out;
}

std::map<StoreKey, std::string> Model::settled_state() const {
  std::map<StoreKey, std::string> out;
  for (const auto& [key, state] : keys_) {
    assert(state.mutations.empty() && "settled_state of an unsettled model");
    if (state.baseline) out.emplace(key, *state.baseline);
  }
  return out;
}

}  // namespace tierkv::sim
