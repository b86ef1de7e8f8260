#!/usr/bin/env bash
# The whole test suite: installs dependencies, then
#   1. builds the release preset (g++ 12, -O2, assertions on) and runs ctest: every layer's
#      tests, the fuzz corpus + regression replays, the scenario regressions, the crash baseline;
#   2. builds the asan preset (clang 14, ASan + UBSan) and runs the same suite under it;
#   3. fuzz smoke: builds the libFuzzer targets (fuzz preset: clang 14, libFuzzer + ASan +
#      UBSan) and fuzzes each for FUZZ_SECONDS (default 20) from its corpus + dictionary
#      (scripts/fuzz_smoke.sh: names the target and keeps the input of any crash).
# TIERKV_SKIP_ASAN=1 skips lane 2 and TIERKV_SKIP_FUZZ=1 lane 3 (quick local runs); CI runs all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== release: build and ctest =="
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
ctest --preset release
if [[ "${TIERKV_SKIP_ASAN:-0}" != "1" ]]; then
  echo "== asan (ASan + UBSan): build and ctest =="
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$(nproc)"
  ctest --preset asan
fi
if [[ "${TIERKV_SKIP_FUZZ:-0}" != "1" ]]; then
  echo "== fuzz smoke (libFuzzer + ASan + UBSan): build and fuzz each target =="
  bash scripts/fuzz_smoke.sh
fi
