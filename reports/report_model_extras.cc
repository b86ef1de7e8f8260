// The optional report.json fields: failing-run events, latency histograms, throughput samples,
// per-seed outcomes (schema: sim/cli_report.h).
#include <algorithm>
#include <string>

#include "reports/report_fields.h"

namespace tierkv::reports {
namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr std::string_view kEventTypes[] = {"op", "fault", "crash", "recovery", "violation"};
constexpr std::string_view kOutcomeChars = "pfae-";

std::string indexed(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

void read_event(FieldReader one, ReportEvent& e) {
  one.str("type", e.type);
  one.u64("start_us", e.start_us);
  one.u64("end_us", e.end_us);
  one.str("kind", e.kind);
  if (!one.ok()) return;
  if (std::find(std::begin(kEventTypes), std::end(kEventTypes), e.type) == std::end(kEventTypes)) {
    one.fail(one.path("type"), "unknown event type \"" + e.type + "\"");
    return;
  }
  if (e.end_us < e.start_us) {
    one.fail(one.path("end_us"), std::to_string(e.end_us) + " is before start_us " +
                                     std::to_string(e.start_us));
    return;
  }
  if (e.type == "op") {
    one.u64("op", e.op);
    one.u32("client", e.client);
    one.str("status", e.status);
  }
  if (e.type == "fault") one.u64("count", e.count);
}

}  // namespace

void read_failure_events(FieldReader& failure, ReportFailure& f) {
  const Json* events = failure.optional("events");
  if (events == nullptr) return;
  if (!events->is_array()) {
    failure.fail(failure.path("events"), "expected an array");
    return;
  }
  for (size_t i = 0; i < events->size() && failure.ok(); ++i) {
    read_event(failure.element(&(*events)[i], indexed(failure.path("events"), i)),
               f.events.emplace_back());
    if (failure.ok() && i > 0 && f.events[i].start_us < f.events[i - 1].start_us &&
        f.events[i].type != "op") {
      // Ops are recorded at their completion (start_us = issue), everything else in order.
      failure.fail(indexed(failure.path("events"), i), "point events are not in time order");
    }
  }
  if (failure.optional("events_dropped") != nullptr) failure.u64("events_dropped", f.events_dropped);
}

void read_latency(FieldReader& in, SweepSummary& s) {
  const Json* kinds = in.optional("latency_histogram_us");
  if (kinds == nullptr) return;
  if (!kinds->is_object()) {
    in.fail(in.path("latency_histogram_us"), "expected an object {op kind: [{le, count}]}");
    return;
  }
  for (const auto& item : kinds->items()) {
    const std::string path = in.path("latency_histogram_us") + "." + item.key();
    if (!item.value().is_array()) {
      in.fail(path, "expected an array of {le, count}");
      return;
    }
    std::vector<LatencyBucket>& buckets = s.latency_histogram_us[item.key()];
    for (size_t i = 0; i < item.value().size() && in.ok(); ++i) {
      FieldReader one = in.element(&item.value()[i], indexed(path, i));
      LatencyBucket& b = buckets.emplace_back();
      one.u64("le", b.le_us);
      one.u64("count", b.count);
      if (one.ok() && i > 0 && buckets[i - 1].le_us >= b.le_us) {
        one.fail(one.path("le"), "bucket bounds must increase");
      }
    }
  }
}

void read_throughput_samples(FieldReader& in, SweepSummary& s) {
  const Json* samples = in.optional("throughput_samples");
  if (samples == nullptr) return;
  if (!samples->is_array()) {
    in.fail(in.path("throughput_samples"), "expected an array");
    return;
  }
  for (size_t i = 0; i < samples->size() && in.ok(); ++i) {
    FieldReader one = in.element(&(*samples)[i], indexed("throughput_samples", i));
    ThroughputPoint& p = s.throughput_samples.emplace_back();
    one.f64("wall_seconds", p.wall_seconds);
    one.u64("seeds_run", p.seeds_run);
    one.u64("ops_issued", p.ops_issued);
    if (one.optional("shard") != nullptr) {
      uint32_t shard = 0;
      one.u32("shard", shard);
      p.shard = shard;
    }
    if (one.ok() && p.seeds_run > s.seeds_run) {
      one.fail(one.path("seeds_run"), std::to_string(p.seeds_run) + " exceeds seeds.run");
    }
  }
}

void read_seed_outcomes(FieldReader& in, SweepSummary& s) {
  if (in.optional("seed_outcomes") == nullptr) return;
  in.str("seed_outcomes", s.seed_outcomes);
  if (!in.ok()) return;
  const std::string& o = s.seed_outcomes;
  auto fail = [&](const std::string& what) { in.fail("seed_outcomes", what); };
  if (o.size() != s.seeds_planned) {
    return fail(std::to_string(o.size()) + " characters for " + std::to_string(s.seeds_planned) +
                " planned seeds");
  }
  const size_t bad = o.find_first_not_of(kOutcomeChars);
  if (bad != std::string::npos) {
    return fail("character '" + std::string(1, o[bad]) + "' at " + std::to_string(bad) +
                " is none of p f a e -");
  }
  const uint64_t run = o.size() - std::count(o.begin(), o.end(), kOutcomeNotRun);
  const uint64_t failed = std::count(o.begin(), o.end(), kOutcomeViolated) +
                          std::count(o.begin(), o.end(), kOutcomeAborted);
  const uint64_t setup = std::count(o.begin(), o.end(), kOutcomeSetupError);
  if (run != s.seeds_run) return fail("marks " + std::to_string(run) + " seeds run, seeds.run is " +
                                      std::to_string(s.seeds_run));
  if (failed != s.failures.size()) {
    return fail("marks " + std::to_string(failed) + " seeds failed, `failures` lists " +
                std::to_string(s.failures.size()));
  }
  if (setup != s.setup_errors) return fail("marks " + std::to_string(setup) +
                                           " setup errors, seeds.setup_errors is " +
                                           std::to_string(s.setup_errors));
  for (const ReportFailure& f : s.failures) {
    const char c = o[(f.seed - s.config.seeds_first) / s.config.shard_count];
    if (c != kOutcomeViolated && c != kOutcomeAborted) {
      return fail("seed " + std::to_string(f.seed) + " is listed in `failures` but marked '" +
                  std::string(1, c) + "'");
    }
  }
}

void failure_events_to_json(const ReportFailure& f, OrderedJson& out) {
  if (f.events.empty() && f.events_dropped == 0) return;
  OrderedJson events = OrderedJson::array();
  for (const ReportEvent& e : f.events) {
    OrderedJson one = {{"type", e.type}, {"start_us", e.start_us}, {"end_us", e.end_us},
                       {"kind", e.kind}};
    if (e.type == "op") {
      one["op"] = e.op;
      one["client"] = e.client;
      one["status"] = e.status;
    }
    if (e.type == "fault") one["count"] = e.count;
    events.push_back(std::move(one));
  }
  out["events"] = std::move(events);
  out["events_dropped"] = f.events_dropped;
}

void extras_to_json(const SweepSummary& s, OrderedJson& out) {
  OrderedJson samples = OrderedJson::array();
  for (const ThroughputPoint& p : s.throughput_samples) {
    OrderedJson one = {{"wall_seconds", p.wall_seconds}, {"seeds_run", p.seeds_run},
                       {"ops_issued", p.ops_issued}};
    if (p.shard) one["shard"] = *p.shard;
    samples.push_back(std::move(one));
  }
  if (!samples.empty()) out["throughput_samples"] = std::move(samples);
  if (!s.latency_histogram_us.empty()) {
    OrderedJson kinds = OrderedJson::object();
    for (const auto& [kind, buckets] : s.latency_histogram_us) {
      OrderedJson list = OrderedJson::array();
      for (const LatencyBucket& b : buckets) list.push_back({{"le", b.le_us}, {"count", b.count}});
      kinds[kind] = std::move(list);
    }
    out["latency_histogram_us"] = std::move(kinds);
  }
  if (!s.seed_outcomes.empty()) out["seed_outcomes"] = s.seed_outcomes;
}

}  // namespace tierkv::reports
