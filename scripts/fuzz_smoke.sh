#!/usr/bin/env bash
# Fuzz smoke for CI: builds every libFuzzer target with the `fuzz` preset (clang-14, libFuzzer +
# ASan + UBSan) and fuzzes each one, one after the other, for a bounded time.
#
# Usage: scripts/fuzz_smoke.sh [--seconds S] [--jobs J] [TARGET...]
#   --seconds S  fuzzing time per target (default 20; FUZZ_SECONDS also sets it)
#   --jobs J     build parallelism (default: nproc)
#   TARGET       e.g. wal_recovery_fuzz (default: every fuzz/*_fuzz.cc)
#   FUZZ_BUILD_DIR=DIR builds there instead of build/fuzz (the preset's directory).
# Each target starts from fuzz/corpus/<target> + fuzz/regressions/<target> (read only: new
# inputs go to a scratch dir) with fuzz/dicts/<target>.dict if present. A crash (sanitizer
# report, FUZZ_CHECK, timeout, out-of-memory) fails the target: the script names the target and
# copies the crash input to <build>/fuzz-crashes/<target>/, with the command that makes it a
# regression input (fuzz/regressions/<target>/ is replayed by ctest).
# Prints one line per target (runs, exec/s, corpus, result); exits 1 if any target failed to
# build or crashed. Long campaigns: fuzz/campaign.sh TARGET SECONDS (see fuzz/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
jobs="$(nproc)"
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 ;;
    --jobs) jobs="${2:-}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "fuzz_smoke: unknown flag $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz_smoke: --seconds must be a positive integer, got '$seconds'" >&2; exit 2
fi
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz_smoke: --jobs must be a positive integer, got '$jobs'" >&2; exit 2
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  for src in "$root"/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
fi
for target in "${targets[@]}"; do
  if [[ ! -f "$root/fuzz/$target.cc" ]]; then
    echo "fuzz_smoke: unknown target '$target' (no fuzz/$target.cc)" >&2; exit 2
  fi
  if [[ ! -d "$root/fuzz/corpus/$target" ]]; then
    echo "fuzz_smoke: target '$target' has no seed corpus fuzz/corpus/$target" >&2; exit 2
  fi
done

build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"
build_log="$(mktemp "${TMPDIR:-/tmp}/tierkv-fuzz-build.XXXXXX")"
# The fuzz targets only: no tests or benchmarks in this tree.
if ! (cd "$root" && cmake --preset fuzz -B "$build" -DTIERKV_BUILD_TESTS=OFF) >"$build_log" 2>&1
then
  cat "$build_log" >&2
  echo "fuzz_smoke: configuring the fuzz preset in $build failed" >&2
  exit 2
fi
rm -f "$build_log"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/tierkv-fuzz-smoke.XXXXXX")"
crashes="$build/fuzz-crashes"
failed=()
printf '%-24s %10s %8s %8s  %s\n' target runs exec/s corpus result
for target in "${targets[@]}"; do
  work="$scratch/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  inputs=("$root/fuzz/corpus/$target")
  [[ -d "$root/fuzz/regressions/$target" ]] && inputs+=("$root/fuzz/regressions/$target")
  flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/artifacts/"
         -timeout=60 -rss_limit_mb=2048)
  dict="$root/fuzz/dicts/$target.dict"
  [[ -f "$dict" ]] && flags+=(-dict="$dict")
  # One target at a time, so that a target whose code does not build fails alone.
  if ! cmake --build "$build" --target "$target" -j"$jobs" >"$work/build.log" 2>&1; then
    printf '%-24s %10s %8s %8s  %s\n' "$target" - - - "BUILD FAILED"
    grep -E 'error' "$work/build.log" | head -5 | sed 's/^/    /'
    failed+=("$target")
    continue
  fi
  result=ok
  if ! "$build/fuzz/$target" "${flags[@]}" "$work/corpus" "${inputs[@]}" >"$work/log" 2>&1; then
    result=CRASHED
  fi
  # A crash input without a failing exit would still be a failure worth seeing (slow-unit-*
  # only records the slowest input: not a failure).
  for kind in crash leak timeout oom; do
    if compgen -G "$work/artifacts/$kind-*" >/dev/null; then result=CRASHED; fi
  done
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)"
  corpus="$(find "$work/corpus" -type f | wc -l)"
  printf '%-24s %10s %8s %8s  %s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" "$result"
  if [[ "$result" != ok ]]; then
    failed+=("$target")
    grep -E 'FUZZ_CHECK|ERROR|SUMMARY|^    #[0-9]' "$work/log" | head -20 | sed 's/^/    /'
    mkdir -p "$crashes/$target"
    cp "$work/log" "$crashes/$target/log"
    for artifact in "$work"/artifacts/*; do
      [[ -e "$artifact" && "$(basename "$artifact")" != slow-unit-* ]] || continue
      cp "$artifact" "$crashes/$target/"
      kept="$crashes/$target/$(basename "$artifact")"
      echo "    crash input: $kept"
      echo "    make it a regression: mkdir -p fuzz/regressions/$target &&" \
           "cp $kept fuzz/regressions/$target/"
    done
    echo "    full log: $crashes/$target/log"
  fi
done
rm -rf "$scratch"
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "fuzz_smoke: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz_smoke: ${#targets[@]} targets, ${seconds}s each, no crash"
