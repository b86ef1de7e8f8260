#!/usr/bin/env bash
# Fuzz smoke for CI: builds every libFuzzer target with the `fuzz` preset (clang-14, libFuzzer +
# ASan + UBSan) and fuzzes each one, one after the other, for a bounded time.
#
# Usage: scripts/fuzz_smoke.sh [--seconds S] [--jobs J] [TARGET...]
#   --seconds S  fuzzing time per target (default 20; FUZZ_SECONDS also sets it)
#   --jobs J     build parallelism (default 2)
#   TARGET       e.g. wal_recovery_fuzz (default: every fuzz/*_fuzz.cc)
# Each target starts from fuzz/corpus/<target> + fuzz/regressions/<target> (read only: new
# inputs go to a scratch dir) with fuzz/dicts/<target>.dict if present. A crash leaves its
# input in the scratch dir; the script prints it and how to turn it into a regression input.
# Prints one line per target (runs, exec/s, corpus, result); exits 1 if any target failed.
# Long campaigns: run the binary directly, e.g.
#   build/fuzz/fuzz/wal_recovery_fuzz -max_total_time=3600 -dict=... fuzz/corpus/wal_recovery_fuzz
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
jobs=2
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz_smoke: unknown flag $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
  echo "fuzz_smoke: --seconds must be a positive integer, got '$seconds'" >&2; exit 2
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  for src in "$root"/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
fi

build="$root/build/fuzz"
build_log="$(mktemp "${TMPDIR:-/tmp}/tierkv-fuzz-build.XXXXXX")"
if ! (cd "$root" && cmake --preset fuzz) >"$build_log" 2>&1; then
  cat "$build_log" >&2
  echo "fuzz_smoke: configuring the fuzz preset failed" >&2
  exit 2
fi
rm -f "$build_log"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/tierkv-fuzz-smoke.XXXXXX")"
failed=0
printf '%-24s %10s %8s %8s  %s\n' target runs exec/s corpus result
for target in "${targets[@]}"; do
  work="$scratch/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  inputs=("$root/fuzz/corpus/$target")
  [[ -d "$root/fuzz/regressions/$target" ]] && inputs+=("$root/fuzz/regressions/$target")
  flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/artifacts/"
         -timeout=10 -rss_limit_mb=2048)
  dict="$root/fuzz/dicts/$target.dict"
  [[ -f "$dict" ]] && flags+=(-dict="$dict")
  result=ok
  # One target at a time, so that a target whose code does not build fails alone.
  if ! cmake --build "$build" --target "$target" -j"$jobs" >"$work/build.log" 2>&1; then
    printf '%-24s %10s %8s %8s  %s\n' "$target" - - - "BUILD FAILED"
    grep -E 'error' "$work/build.log" | head -5 | sed 's/^/    /'
    failed=1
    continue
  fi
  if ! "$build/fuzz/$target" "${flags[@]}" "$work/corpus" "${inputs[@]}" >"$work/log" 2>&1; then
    result=FAILED
    failed=1
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
  corpus="$(find "$work/corpus" -type f | wc -l)"
  printf '%-24s %10s %8s %8s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" "$result"
  if [[ "$result" != ok ]]; then
    grep -E 'FUZZ_CHECK|ERROR|SUMMARY|^    #[0-9]' "$work/log" | head -20 | sed 's/^/    /'
    for artifact in "$work"/artifacts/*; do
      [[ -e "$artifact" ]] || continue
      echo "    input: $artifact"
      echo "    keep it: cp $artifact $root/fuzz/regressions/$target/"
    done
    echo "    full log: $work/log"
  fi
done
if [[ "$failed" -eq 0 ]]; then rm -rf "$scratch"; fi
exit "$failed"
