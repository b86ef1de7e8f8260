// Hand-made report.json documents for the reports tests, in the exact shape sim/cli_report.cc
// writes, plus a real temporary directory for the file-level tests.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tierkv::reports::testing {

struct FakeSweep {
  uint64_t first = 0;
  uint64_t last = 9;
  uint32_t shard_index = 0;
  uint32_t shard_count = 1;
  std::vector<std::pair<uint64_t, std::string>> failures{};  // (seed, invariant), by seed
  std::vector<std::pair<std::string, uint64_t>> faults = {{"crash", 7}, {"io_error", 3}};
  std::vector<std::pair<std::string, uint64_t>> invariants = {{"recovery", 10},
                                                              {"pagination", 10}};
  uint64_t seeds_run_missing = 0;  // planned - run
  uint64_t ops = 400;
  std::string backend = "memory";
  double wall_seconds = 2;
  uint64_t ops_issued = 4000;
  // The session-3 fields sim writes: seed_outcomes, events per failure, latency per op kind,
  // throughput samples (each derived here from the fields above, independently of the parser).
  bool extras = false;

  // Shard seeds in order, as the definition says.
  std::vector<uint64_t> shard_seeds() const {
    std::vector<uint64_t> seeds;
    for (uint64_t s = first; s <= last; ++s) {
      if ((s - first) % shard_count == shard_index) seeds.push_back(s);
    }
    return seeds;
  }

  std::string seed_outcomes() const {
    std::string out;
    const std::vector<uint64_t> seeds = shard_seeds();
    for (size_t i = 0; i < seeds.size(); ++i) {
      char c = i < seeds.size() - seeds_run_missing ? 'p' : '-';
      for (const auto& [seed, invariant] : failures) {
        if (seed == seeds[i]) c = invariant == "process_abort" ? 'a' : 'f';
      }
      out += c;
    }
    return out;
  }

  // A failing run: two clients, a fault, a crash, a recovery and the violation.
  static nlohmann::json events(uint64_t seed, const std::string& invariant) {
    return nlohmann::json::array(
        {{{"type", "op"}, {"start_us", 0}, {"end_us", 900}, {"kind", "write"}, {"op", 0},
          {"client", 0}, {"status", "OK"}},
         {{"type", "op"}, {"start_us", 100}, {"end_us", 2000}, {"kind", "read"}, {"op", 1},
          {"client", 1}, {"status", "IOError"}},
         {{"type", "fault"}, {"start_us", 2000}, {"end_us", 2000}, {"kind", "io_error"},
          {"count", 1}},
         {{"type", "fault"}, {"start_us", 3000}, {"end_us", 3000}, {"kind", "crash"},
          {"count", 1}},
         {{"type", "op"}, {"start_us", 2500}, {"end_us", 3000}, {"kind", "write"}, {"op", 2},
          {"client", 0}, {"status", "abandoned"}},
         {{"type", "crash"}, {"start_us", 3000}, {"end_us", 3000}, {"kind", "power cut"}},
         {{"type", "recovery"}, {"start_us", 3000 + seed}, {"end_us", 3000 + seed},
          {"kind", "reopened"}},
         {{"type", "violation"}, {"start_us", 5000 + seed}, {"end_us", 5000 + seed},
          {"kind", invariant}}});
  }

  uint64_t planned() const {  // counted seed by seed, independently of the code under test
    uint64_t n = 0;
    for (uint64_t s = first; s <= last; ++s) n += (s - first) % shard_count == shard_index;
    return n;
  }

  nlohmann::json to_json() const {
    nlohmann::json failures_json = nlohmann::json::array();
    for (const auto& [seed, invariant] : failures) {
      failures_json.push_back({{"seed", seed}, {"invariant", invariant},
                               {"message", "key k" + std::to_string(seed) + " lost"},
                               {"scenario_file", "scenarios/failures/seed-" +
                                                     std::to_string(seed) + ".json"},
                               {"reproduce", "tierkv-sim run --seed " + std::to_string(seed)}});
    }
    nlohmann::json faults_json = nlohmann::json::object();
    for (const auto& [kind, count] : faults) faults_json[kind] = count;
    nlohmann::json invariants_json = nlohmann::json::object();
    for (const auto& [name, checked] : invariants) {
      uint64_t violated = 0;
      for (const auto& f : failures) violated += f.second == name;
      invariants_json[name] = {{"checked", checked}, {"violated", violated}};
    }
    nlohmann::json first_failure = nullptr;
    if (!failures.empty()) {
      first_failure = {{"seed", failures.front().first}, {"seeds_run", 3}, {"wall_seconds", 0.5}};
    }
    nlohmann::json out = {{"config", {{"seeds_first", first}, {"seeds_last", last},
                        {"shard_index", shard_index}, {"shard_count", shard_count},
                        {"jobs", 2}, {"backend", backend}, {"ops", ops}, {"faults", "swarm"},
                        {"over_budget", false}, {"time_budget_seconds", 0},
                        {"stop_on_violation", false}}},
            {"seeds", {{"planned", planned()}, {"run", planned() - seeds_run_missing},
                       {"failed", failures.size()}, {"setup_errors", 0}}},
            {"stop_reason", seeds_run_missing ? "time budget" : ""},
            {"faults_fired", faults_json},
            {"invariants", invariants_json},
            {"failures", failures_json},
            {"first_failure", first_failure},
            {"throughput", {{"wall_seconds", wall_seconds},
                            {"seeds_per_second", (planned() - seeds_run_missing) / wall_seconds},
                            {"ops_issued", ops_issued},
                            {"ops_per_second", ops_issued / wall_seconds}}},
            {"simulated", {{"time_us", 5000000}, {"simulated_to_real_ratio", 2.5}}}};
    if (!extras) return out;
    for (nlohmann::json& f : out["failures"]) {
      f["events"] = events(f["seed"].get<uint64_t>(), f["invariant"].get<std::string>());
      f["events_dropped"] = 3;
    }
    out["throughput_samples"] = nlohmann::json::array(
        {{{"wall_seconds", wall_seconds / 4}, {"seeds_run", 0}, {"ops_issued", 0}},
         {{"wall_seconds", wall_seconds / 2}, {"seeds_run", planned() / 4},
          {"ops_issued", ops_issued / 4}},
         {{"wall_seconds", wall_seconds}, {"seeds_run", planned() - seeds_run_missing},
          {"ops_issued", ops_issued}}});
    out["latency_histogram_us"] = {
        {"read", {{{"le", 0}, {"count", 2}}, {{"le", 64}, {"count", 30}}, {{"le", 128}, {"count", 5}}}},
        {"write", {{{"le", 1024}, {"count", 7}}, {{"le", 4096}, {"count", 1}}}}};
    out["seed_outcomes"] = seed_outcomes();
    return out;
  }
};

// A real directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tierkv-reports-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes sweep.to_json() as dir/report.json.
inline void write_report(const std::string& dir, const FakeSweep& sweep) {
  write_text_file(dir + "/report.json", sweep.to_json().dump(2));
}

}  // namespace tierkv::reports::testing
