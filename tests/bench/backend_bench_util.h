// Helpers shared by the backend benchmarks (backend_bench.cc, bridge_bench.cc): the key and
// value shapes, the PosixEnv, and a temp directory removed on destruction. Production only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/io/env_util.h"
#include "engine/io/posix_env.h"

namespace tierkv::bench {

constexpr uint64_t kPreloadKeys = 100'000;
constexpr size_t kValueBytes = 100;
constexpr size_t kScanRows = 100;

// "key-%08u": 12 bytes, ordered like the numbers.
inline std::string bench_key(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key-%08llu", static_cast<unsigned long long>(n));
  return buf;
}

inline std::string bench_value(uint64_t n) {
  return std::string(kValueBytes, static_cast<char>('a' + n % 26));
}

inline PosixEnv& posix_env() {
  static PosixEnv env;
  return env;
}

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tierkv-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() { (void)remove_dir_recursive(posix_env(), path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tierkv::bench
