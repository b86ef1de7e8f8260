#include "tests/crash/crash_model.h"

#include <algorithm>
#include <cassert>
#include <sstream>

namespace tierkv::crash {
namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

Result<uint64_t> parse_number(const std::string& word, const std::string& line) {
  if (word.empty() || word.size() > 19 ||
      !std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::invalid_argument("crash model: bad number '" + word + "' in line: " + line);
  }
  return std::stoull(word);
}

Result<StoreKey> parse_key(const std::string& word, const std::string& line) {
  const size_t first = word.find('/');
  const size_t second = first == std::string::npos ? first : word.find('/', first + 1);
  if (second == std::string::npos) {
    return Status::invalid_argument("crash model: bad key '" + word + "' in line: " + line);
  }
  return StoreKey{word.substr(0, first), word.substr(first + 1, second - first - 1),
                  word.substr(second + 1)};
}

Value parse_value(const std::string& word) {
  return word == "-" ? Value() : Value(word);
}

std::string value_word(const Value& value) { return value ? *value : std::string("-"); }

void apply_batch(LedgerState& state, const LedgerBatch& batch) {
  for (const auto& [key, value] : batch) {
    if (value) {
      state[key] = *value;
    } else {
      state.erase(key);
    }
  }
}

Status compare_ledger(uint64_t version, const LedgerState& want, const LedgerState& got) {
  for (const auto& [key, value] : want) {
    auto it = got.find(key);
    if (it == got.end() || it->second != value) {
      return Status::corruption("ledger key " + key + " at version " + std::to_string(version) +
                                ": holds " + (it == got.end() ? "(absent)" : it->second) +
                                ", expected " + value);
    }
  }
  for (const auto& [key, value] : got) {
    if (!want.count(key)) {
      return Status::corruption("ledger key " + key + " at version " + std::to_string(version) +
                                ": holds " + value + ", expected (absent)");
    }
  }
  return Status();
}

}  // namespace

std::vector<StoreKey> tier_keys() {
  std::vector<StoreKey> keys;
  for (const char* secondary : {"a", "b"}) {
    for (int k = 0; k < 8; ++k) keys.push_back({"p", secondary, "k" + std::to_string(k)});
  }
  for (int k = 0; k < 4; ++k) keys.push_back({"", "", "k" + std::to_string(k)});
  keys.push_back({"", "", "network_graph"});
  keys.push_back({"", "", "scorer"});
  return keys;
}

bool is_ephemeral_key(const StoreKey& key) {
  return key.primary_namespace.empty() && (key.key == "network_graph" || key.key == "scorer");
}

std::string overlay_content(uint32_t content) {
  std::string bytes;
  while (bytes.size() < 200) bytes += "content-" + std::to_string(content) + ";";
  return bytes;
}

std::string tier_call_line(uint64_t id, const std::vector<std::pair<StoreKey, Value>>& ops) {
  std::string line = "T " + std::to_string(id) + " " + std::to_string(ops.size());
  for (const auto& [key, value] : ops) line += " " + key.to_string() + " " + value_word(value);
  return line;
}

std::string ledger_call_line(const LedgerBatch& batch) {
  std::string line = "L " + std::to_string(batch.size());
  for (const auto& [key, value] : batch) line += " " + key + " " + value_word(value);
  return line;
}

Status CrashModel::apply(const std::string& line) {
  ++lines_;
  if (line.rfind("X ", 0) == 0) {
    if (!writer_violation_) writer_violation_ = line.substr(2);
    return Status();
  }
  const std::vector<std::string> words = split_words(line);
  if (words.empty() || words[0].size() != 1) {
    return Status::invalid_argument("crash model: bad line: " + line);
  }
  const char kind = words[0][0];
  if (kind == 'T') return apply_tier_call(words, line);
  if (kind == 'L') return apply_ledger_call(words, line);
  if (kind == 'P') {
    if (words.size() != 5) return Status::invalid_argument("crash model: bad line: " + line);
    TIERKV_ASSIGN_OR_RETURN(uint64_t id, parse_number(words[1], line));
    TIERKV_ASSIGN_OR_RETURN(uint64_t index, parse_number(words[3], line));
    TIERKV_ASSIGN_OR_RETURN(uint64_t content, parse_number(words[4], line));
    overlay_pending_[id] = {words[2], static_cast<uint32_t>(index),
                            static_cast<uint32_t>(content), drop_epoch_[words[2]]};
    next_overlay_id_ = std::max(next_overlay_id_, id + 1);
    return Status();
  }
  if (words.size() != 2) return Status::invalid_argument("crash model: bad line: " + line);
  if (kind == 'D') {
    ++drop_epoch_[words[1]];
    std::erase_if(durable_puts_, [&](const auto& entry) { return entry.first.first == words[1]; });
    return Status();
  }
  TIERKV_ASSIGN_OR_RETURN(uint64_t number, parse_number(words[1], line));
  switch (kind) {
    case 'A': return answer_tier(number, TierOp::State::kApplied, line);
    case 'N': return answer_tier(number, TierOp::State::kRefused, line);
    case 'M':
      ledger_acked_version_ = std::max(ledger_acked_version_, number);
      return Status();
    case 'B':
      ledger_rollback_ = number;
      return Status();
    case 'E':
      ++ledger_rollbacks_;
      settle_ledger(number, ledger_state_at(number));
      return Status();
    case 'Q': {
      auto it = overlay_pending_.find(number);
      if (it == overlay_pending_.end()) return Status::invalid_argument("crash model: " + line);
      const PendingPut& put = it->second;
      const bool kept = put.tree.rfind("keep", 0) == 0;  // "keep*" trees never expire
      if (kept && drop_epoch_[put.tree] == put.drop_epoch) {
        durable_puts_[{put.tree, put.index}] = put.content;
      }
      overlay_pending_.erase(it);
      return Status();
    }
    default: return Status::invalid_argument("crash model: unknown line: " + line);
  }
}

Status CrashModel::apply_tier_call(const std::vector<std::string>& words, const std::string& line) {
  if (words.size() < 3) return Status::invalid_argument("crash model: bad line: " + line);
  TIERKV_ASSIGN_OR_RETURN(uint64_t id, parse_number(words[1], line));
  TIERKV_ASSIGN_OR_RETURN(uint64_t count, parse_number(words[2], line));
  if (words.size() != 3 + 2 * count) return Status::invalid_argument("crash model: " + line);
  std::vector<StoreKey>& keys = tier_pending_[id];
  for (uint64_t i = 0; i < count; ++i) {
    TIERKV_ASSIGN_OR_RETURN(StoreKey key, parse_key(words[3 + 2 * i], line));
    tier_ops_[key].push_back(
        {id, parse_value(words[4 + 2 * i]), TierOp::State::kInFlight, count > 1, lines_});
    keys.push_back(std::move(key));
  }
  next_tier_id_ = std::max(next_tier_id_, id + 1);
  return Status();
}

Status CrashModel::answer_tier(uint64_t id, TierOp::State state, const std::string& line) {
  auto it = tier_pending_.find(id);
  if (it == tier_pending_.end()) {
    return Status::invalid_argument("crash model: answer to unknown op: " + line);
  }
  for (const StoreKey& key : it->second) {
    for (TierOp& op : tier_ops_[key]) {
      if (op.id == id) {
        op.state = state;
        op.answer_line = lines_;
      }
    }
  }
  tier_pending_.erase(it);
  return Status();
}

Status CrashModel::apply_ledger_call(const std::vector<std::string>& words,
                                     const std::string& line) {
  if (words.size() < 2) return Status::invalid_argument("crash model: bad line: " + line);
  TIERKV_ASSIGN_OR_RETURN(uint64_t count, parse_number(words[1], line));
  if (words.size() != 2 + 2 * count) return Status::invalid_argument("crash model: " + line);
  LedgerBatch batch;
  for (uint64_t i = 0; i < count; ++i) {
    batch.emplace_back(words[2 + 2 * i], parse_value(words[3 + 2 * i]));
  }
  ledger_calls_.push_back(std::move(batch));
  return Status();
}

std::vector<Value> CrashModel::legal_values(const StoreKey& key) const {
  auto it = tier_ops_.find(key);
  if (it == tier_ops_.end()) return {Value()};
  const std::vector<TierOp>& ops = it->second;
  // The last applied op (by call order) wins; later in-flight ones may have landed after it.
  size_t start = ops.size();
  for (size_t i = ops.size(); i-- > 0;) {
    if (ops[i].state == TierOp::State::kApplied) {
      start = i;
      break;
    }
  }
  std::vector<Value> legal;
  if (start == ops.size()) legal.push_back(Value());  // nothing applied: never written
  for (size_t i = start == ops.size() ? 0 : start; i < ops.size(); ++i) {
    if (i == start || ops[i].state == TierOp::State::kInFlight) legal.push_back(ops[i].value);
  }
  if (start == ops.size()) return legal;
  for (size_t i = 0; i < start; ++i) {  // batches that may have landed after the last op
    const bool maybe_applied = ops[i].state != TierOp::State::kRefused;
    if (ops[i].batch && maybe_applied && ops[i].answer_line > ops[start].call_line) {
      legal.push_back(ops[i].value);
    }
  }
  return legal;
}

void CrashModel::settle(const StoreKey& key, Value value) {
  std::vector<TierOp>& ops = tier_ops_[key];
  ops.clear();
  ops.push_back({0, std::move(value), TierOp::State::kApplied, false, 0, 0});
}

LedgerState CrashModel::ledger_state_at(uint64_t version) const {
  assert(version >= ledger_base_version_ && version <= ledger_version_called());
  LedgerState state = ledger_base_;
  for (uint64_t v = ledger_base_version_ + 1; v <= version; ++v) {
    apply_batch(state, ledger_calls_[v - ledger_base_version_ - 1]);
  }
  return state;
}

Status CrashModel::check_ledger(uint64_t version, const LedgerState& state) const {
  const uint64_t low = std::max(ledger_acked_version_, ledger_base_version_);
  if (ledger_rollback_ && version == *ledger_rollback_) {
    if (compare_ledger(version, ledger_state_at(version), state).ok()) return Status();
  }
  if (version < low || version > ledger_version_called()) {
    return Status::corruption("ledger at version " + std::to_string(version) +
                              ", outside [" + std::to_string(low) + ", " +
                              std::to_string(ledger_version_called()) + "] (acknowledged..called)");
  }
  return compare_ledger(version, ledger_state_at(version), state);
}

void CrashModel::settle_ledger(uint64_t version, LedgerState state) {
  ledger_base_version_ = version;
  ledger_base_ = std::move(state);
  ledger_calls_.clear();
  ledger_acked_version_ = version;
  ledger_rollback_.reset();
}

}  // namespace tierkv::crash
