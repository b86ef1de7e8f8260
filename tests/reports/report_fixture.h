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
    return {{"config", {{"seeds_first", first}, {"seeds_last", last},
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
