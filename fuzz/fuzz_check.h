// FUZZ_CHECK: the oracle's assertion in fuzz targets. Unlike assert() it prints what was
// expected and what was found, then aborts, which libFuzzer and the replay driver both report
// as a failing input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tierkv::fuzz {

[[noreturn]] inline void check_failed(const char* file, int line, const char* condition,
                                      const std::string& detail) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", file, line, condition,
               detail.c_str());
  std::abort();
}

}  // namespace tierkv::fuzz

// detail is any expression convertible to std::string; evaluated only on failure.
#define FUZZ_CHECK(condition, detail)                                                  \
  do {                                                                                 \
    if (!(condition)) ::tierkv::fuzz::check_failed(__FILE__, __LINE__, #condition,     \
                                                   std::string(detail));               \
  } while (0)
