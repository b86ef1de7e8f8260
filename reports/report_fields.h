// FieldReader: reads typed fields of a report.json object for the report model; the first error
// wins and names the full field path ("field `failures[2].seed`: missing"). Internal to
// reports/ (report_model*.cc).
// Thread-safety: one reader per thread; it writes the Status it was given.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "engine/core/status.h"
#include "reports/report_model.h"

namespace tierkv::reports {

using Json = nlohmann::json;

// Reads typed fields of one JSON object; the first error wins and names the full field path.
class FieldReader {
 public:
  FieldReader(const Json* object, std::string prefix, Status* status)
      : object_(object), prefix_(std::move(prefix)), status_(status) {
    if (object_ != nullptr && !object_->is_object()) fail(prefix_, "expected an object");
  }

  FieldReader object(const char* name) { return FieldReader(find(name), path(name), status_); }
  FieldReader element(const Json* value, std::string element_path) {
    return FieldReader(value, std::move(element_path), status_);
  }
  const Json* array(const char* name) {
    const Json* value = find(name);
    if (value != nullptr && !value->is_array()) return fail(path(name), "expected an array");
    return value;
  }
  const Json* optional(const char* name) {
    if (object_ == nullptr || !object_->is_object() || !object_->contains(name)) return nullptr;
    const Json* value = &(*object_)[name];
    return value->is_null() ? nullptr : value;
  }
  void u64(const char* name, uint64_t& out) {
    const Json* value = find(name);
    if (value == nullptr) return;
    if (!value->is_number_integer() || value->get<int64_t>() < 0) {
      fail(path(name), "expected a non-negative integer, got " + value->dump());
      return;
    }
    out = value->get<uint64_t>();
  }
  void u32(const char* name, uint32_t& out) {
    uint64_t wide = out;
    u64(name, wide);
    if (wide > UINT32_MAX) fail(path(name), "out of range: " + std::to_string(wide));
    out = static_cast<uint32_t>(wide);
  }
  void f64(const char* name, double& out) {
    const Json* value = find(name);
    if (value == nullptr) return;
    if (!value->is_number()) fail(path(name), "expected a number, got " + value->dump());
    else out = value->get<double>();
  }
  void str(const char* name, std::string& out) {
    const Json* value = find(name);
    if (value == nullptr) return;
    if (!value->is_string()) fail(path(name), "expected a string, got " + value->dump());
    else out = value->get<std::string>();
  }
  void boolean(const char* name, bool& out) {
    const Json* value = find(name);
    if (value == nullptr) return;
    if (!value->is_boolean()) fail(path(name), "expected true or false, got " + value->dump());
    else out = value->get<bool>();
  }
  std::string path(const std::string& name) const {
    return prefix_.empty() ? name : prefix_ + "." + name;
  }
  const Json* fail(const std::string& field, const std::string& what) {
    if (status_->ok()) *status_ = Status::invalid_argument("field `" + field + "`: " + what);
    return nullptr;
  }
  bool ok() const { return status_->ok(); }

 private:
  const Json* find(const char* name) {
    if (object_ == nullptr || !object_->is_object()) return nullptr;  // error already recorded
    if (!object_->contains(name)) return fail(path(name), "missing");
    return &(*object_)[name];
  }

  const Json* object_;
  std::string prefix_;
  Status* status_;
};

// The optional fields added in session 3 (report_model_extras.cc); each reads nothing when its
// field is absent and records the first error in `in`.
void read_failure_events(FieldReader& failure, ReportFailure& f);
void read_latency(FieldReader& in, SweepSummary& s);
void read_throughput_samples(FieldReader& in, SweepSummary& s);
// After failures, seeds and setup_errors are read: checks seed_outcomes against them.
void read_seed_outcomes(FieldReader& in, SweepSummary& s);
void failure_events_to_json(const ReportFailure& f, nlohmann::ordered_json& out);
void extras_to_json(const SweepSummary& s, nlohmann::ordered_json& out);

}  // namespace tierkv::reports
