#include "sim/sweep_observer.h"

#include <bit>
#include <cassert>
#include <utility>

namespace tierkv::sim {
namespace {

using OrderedJson = nlohmann::ordered_json;
using Json = nlohmann::json;

bool is_op_event(const std::string& type) { return type == "op"; }

}  // namespace

uint64_t latency_bucket_le_us(uint64_t latency_us) {
  if (latency_us <= 1) return latency_us;
  return std::bit_ceil(latency_us);
}

void add_latency(LatencyHistogram& total, const LatencyHistogram& more) {
  for (const auto& [kind, buckets] : more) {
    for (const auto& [le_us, count] : buckets) total[kind][le_us] += count;
  }
}

void SweepRecorder::op_started(uint64_t op_index, const Op& op, uint64_t now_us) {
  if (op.kind == OpKind::kAdvanceClock) return;  // the workload sleeping, not a client op
  in_flight_[op_index] = {now_us, op.client, std::string(op_kind_name(op.kind))};
}

void SweepRecorder::op_finished(uint64_t op_index, const Op& /*op*/, StatusCode code,
                                bool observed, uint64_t now_us, const RunStats& stats) {
  note_faults(stats, now_us);
  const auto it = in_flight_.find(op_index);
  if (it == in_flight_.end()) return;  // advance_clock, or abandoned at a crash already
  InFlight op = std::move(it->second);
  in_flight_.erase(it);
  assert(now_us >= op.start_us);
  if (observed) ++latency_[op.kind][latency_bucket_le_us(now_us - op.start_us)];
  std::string status = observed ? std::string(status_code_name(code)) : "unobserved";
  push({"op", op.start_us, now_us, std::move(op.kind), op_index, op.client, std::move(status), 1});
}

void SweepRecorder::crashed(uint64_t now_us, bool scheduled, const RunStats& stats) {
  note_faults(stats, now_us);
  for (auto& [index, op] : in_flight_) {
    push({"op", op.start_us, now_us, std::move(op.kind), index, op.client, "abandoned", 1});
  }
  in_flight_.clear();
  push({"crash", now_us, now_us, scheduled ? "power cut" : "restart after an injected error", 0,
        0, "", 1});
}

void SweepRecorder::recovered(uint64_t now_us, const RunStats& stats) {
  note_faults(stats, now_us);
  push({"recovery", now_us, now_us, "reopened", 0, 0, "", 1});
}

void SweepRecorder::finish_run(const RunResult& result) {
  const uint64_t end_us = result.stats.simulated_time_us;
  note_faults(result.stats, end_us);
  for (const Violation& violation : result.violations) {
    push({"violation", end_us, end_us, violation.invariant, 0, 0, "", 1});
  }
}

void SweepRecorder::push(RunEvent event) {
  events_.push_back(std::move(event));
  if (events_.size() <= kRunEventsMax) return;
  events_.pop_front();
  ++events_dropped_;
}

void SweepRecorder::note_faults(const RunStats& stats, uint64_t now_us) {
  for (const auto& [kind, count] : stats.faults_fired) {
    uint64_t& seen = faults_seen_[kind];
    if (count <= seen) continue;
    push({"fault", now_us, now_us, kind, 0, 0, "", count - seen});
    seen = count;
  }
}

OrderedJson run_event_to_json(const RunEvent& e) {
  OrderedJson out = {{"type", e.type}, {"start_us", e.start_us}, {"end_us", e.end_us},
                     {"kind", e.kind}};
  if (is_op_event(e.type)) {
    out["op"] = e.op_index;
    out["client"] = e.client;
    out["status"] = e.status;
  }
  if (e.type == "fault") out["count"] = e.count;
  return out;
}

Result<RunEvent> run_event_from_json(const Json& j) {
  try {
    RunEvent e;
    e.type = j.at("type").get<std::string>();
    e.start_us = j.at("start_us").get<uint64_t>();
    e.end_us = j.at("end_us").get<uint64_t>();
    e.kind = j.at("kind").get<std::string>();
    if (is_op_event(e.type)) {
      e.op_index = j.at("op").get<uint64_t>();
      e.client = j.at("client").get<uint32_t>();
      e.status = j.at("status").get<std::string>();
    }
    if (e.type == "fault") e.count = j.at("count").get<uint64_t>();
    return e;
  } catch (const std::exception& error) {
    return Status::invalid_argument(std::string("malformed run event: ") + error.what());
  }
}

OrderedJson latency_to_json(const LatencyHistogram& histogram) {
  OrderedJson out = OrderedJson::object();
  for (const auto& [kind, buckets] : histogram) {
    OrderedJson list = OrderedJson::array();
    for (const auto& [le_us, count] : buckets) {
      if (count > 0) list.push_back({{"le", le_us}, {"count", count}});
    }
    out[kind] = std::move(list);
  }
  return out;
}

Result<LatencyHistogram> latency_from_json(const Json& j) {
  try {
    LatencyHistogram out;
    for (const auto& [kind, list] : j.items()) {
      auto& buckets = out[kind];
      for (const Json& bucket : list) {
        buckets[bucket.at("le").get<uint64_t>()] += bucket.at("count").get<uint64_t>();
      }
    }
    return out;
  } catch (const std::exception& error) {
    return Status::invalid_argument(std::string("malformed latency histogram: ") + error.what());
  }
}

}  // namespace tierkv::sim
