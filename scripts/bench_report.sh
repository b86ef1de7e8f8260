#!/usr/bin/env bash
# One command for every figure the engine issues ask for: builds the benchmark binary (-O2),
# runs tierkv-bench (Google Benchmark, JSON output), runs the canary time-to-detect sweep, and
# writes reports/bench/<date>-<host>.md and .json with the machine described (CPU model, cores,
# memory, kernel, load before and after). Figures come from the benchmark names found in the
# JSON (scripts/bench_report.py); a figure whose benchmark is missing is written as "not
# measured" with the reason, never estimated.
#
# Usage: scripts/bench_report.sh [options]
#   --quick               a fast pass to test the pipeline: a few cheap benchmarks, short
#                         minimum times, one canary with a 20 s limit (figures not comparable)
#   --build-dir DIR       build with benchmarks (default build/reports-bench)
#   --out-dir DIR         where the report goes (default reports/bench)
#   --canaries "P..."     canary patches to time (default: every scenarios/canaries/*.patch;
#                         "none" skips the canary step)
#   --canary-time-limit S seconds per canary before it counts as surviving (default 60)
#   --canary-log FILE     do not run scripts/canary: take its figures (and, if it was run with
#                         --sigkill-baseline, the SIGKILL baseline table) from FILE, the output
#                         of an earlier `scripts/canary` run on this revision
#   --filter REGEX        only benchmarks matching REGEX (Google Benchmark --benchmark_filter)
#   --jobs J              build parallelism and sweep workers (default 2)
# The machine should be otherwise idle: the report records `uptime` before and after the run.
# Exit: 0 report written; 1 build or benchmark failure; 2 bad usage.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/reports-bench"
out_dir="$root/reports/bench"
quick=0
canaries=""
canary_time_limit=60
canary_log_in=""
filter=""
jobs=2

die_usage() { echo "bench_report: $1" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --build-dir) [[ $# -ge 2 ]] || die_usage "--build-dir needs a directory"; build="$2"; shift 2 ;;
    --out-dir) [[ $# -ge 2 ]] || die_usage "--out-dir needs a directory"; out_dir="$2"; shift 2 ;;
    --canaries) [[ $# -ge 2 ]] || die_usage "--canaries needs patch files or none"; canaries="$2"; shift 2 ;;
    --canary-time-limit) [[ $# -ge 2 ]] || die_usage "--canary-time-limit needs seconds"
      canary_time_limit="$2"; shift 2 ;;
    --canary-log) [[ $# -ge 2 ]] || die_usage "--canary-log needs a file"; canary_log_in="$2"; shift 2 ;;
    --filter) [[ $# -ge 2 ]] || die_usage "--filter needs a regex"; filter="$2"; shift 2 ;;
    --jobs) [[ $# -ge 2 ]] || die_usage "--jobs needs a count"; jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die_usage "unknown argument $1 (see --help)" ;;
  esac
done
[[ "$canary_time_limit" =~ ^[0-9]+$ && "$canary_time_limit" -gt 0 ]] ||
  die_usage "--canary-time-limit must be a positive integer, got '$canary_time_limit'"
[[ "$jobs" =~ ^[0-9]+$ && "$jobs" -gt 0 ]] || die_usage "--jobs must be a positive integer"
[[ -z "$canary_log_in" || -f "$canary_log_in" ]] || die_usage "no such canary log: $canary_log_in"

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
host="$(hostname -s 2>/dev/null || echo host)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tierkv-bench-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out_dir"

# RelWithDebInfo (-O2, assertions on) = the `release` preset every figure in README was measured
# with; g++ 12 at -O3 (CMAKE_BUILD_TYPE=Release) reports false -Wrestrict errors in std::string
# code, which -Werror turns into a failed build.
echo "bench_report: building tierkv-bench (RelWithDebInfo) in $build" >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIERKV_BUILD_BENCH=ON \
  -DTIERKV_BUILD_TESTS=ON >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; exit 1; }
cmake --build "$build" --target tierkv-bench -j"$jobs" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; echo "bench_report: build failed" >&2; exit 1; }

uptime >"$work/load_before.txt"
bench_args=(--benchmark_out="$work/bench.json" --benchmark_out_format=json)
if [[ "$quick" -eq 1 ]]; then
  # Cheap representatives of each family; explicit MinTime()s in the code still apply.
  bench_args+=(--benchmark_min_time=0.05)
  [[ -n "$filter" ]] || filter='BM_WalRecoveryOpen|BM_BackendGet/memory|BM_BlockHash|BM_WalGroupCommitAppends/(1|8)/'
fi
[[ -z "$filter" ]] || bench_args+=(--benchmark_filter="$filter")
echo "bench_report: running tierkv-bench ${bench_args[*]}" >&2
"$build/tests/tierkv-bench" "${bench_args[@]}" >"$work/bench.log" 2>&1 ||
  { tail -40 "$work/bench.log" >&2; echo "bench_report: tierkv-bench failed" >&2; exit 1; }

canary_log="$work/canary.log"
: >"$canary_log"
if [[ -n "$canary_log_in" ]]; then
  cp "$canary_log_in" "$canary_log"
elif [[ "$canaries" != none ]]; then
  # Its own scratch tree and build, so a canary run elsewhere (build/canary) is not disturbed.
  canary_args=(--time-limit "$canary_time_limit" --jobs "$jobs" --scratch "$build/canary")
  # shellcheck disable=SC2206  # a list of patch files on purpose
  patch_list=($canaries)
  if [[ "$quick" -eq 1 ]]; then
    canary_args=(--time-limit 20 --jobs "$jobs" --no-baseline --scratch "$build/canary")
    [[ ${#patch_list[@]} -gt 0 ]] || patch_list=("$root/scenarios/canaries/wal_ack_before_fsync.patch")
  fi
  echo "bench_report: timing canaries (scripts/canary ${canary_args[*]})" >&2
  "$root/scripts/canary" "${canary_args[@]}" "${patch_list[@]}" >"$canary_log" 2>&1 || true
fi
uptime >"$work/load_after.txt"

python3 "$root/scripts/bench_report.py" --bench-json "$work/bench.json" \
  --canary-log "$canary_log" --load-before "$work/load_before.txt" \
  --load-after "$work/load_after.txt" --quick "$quick" \
  --canary-time-limit "$canary_time_limit" --revision "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --out "$out_dir/$stamp-$host"
echo "bench_report: wrote $out_dir/$stamp-$host.md and .json" >&2
