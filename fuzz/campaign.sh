#!/usr/bin/env bash
# A long fuzz campaign for one libFuzzer target, with the CPU time it really got.
#
# Usage: fuzz/campaign.sh TARGET SECONDS          fuzz TARGET for SECONDS of wall time
#        fuzz/campaign.sh --merge TARGET RUN_DIR  add what RUN_DIR/corpus found to the seed
#                                                 corpus (only inputs with new coverage)
# Needs the fuzz preset built: cmake --preset fuzz && cmake --build build/fuzz --target TARGET
# (FUZZ_BUILD_DIR overrides build/fuzz). Runs at `nice -n 19` (a shared machine), starting from
# fuzz/corpus/TARGET + fuzz/regressions/TARGET (read only) with fuzz/dicts/TARGET.dict when it
# exists; new inputs and crash inputs go to RUN_DIR = build/fuzz/campaigns/TARGET-<time>/.
# The per-input timeout is 600 s of wall time: at nice 19 on a loaded machine a fuzzer may get
# almost no CPU for a while (an input that timed out there ran in 0.3 s when replayed).
# Prints, and writes to RUN_DIR/summary: executions, CPU seconds (user + sys of the fuzzer
# process, from /usr/bin/time), crash inputs. Exits 1 if the target crashed (input kept in
# RUN_DIR/artifacts: minimise it with `TARGET -minimize_crash=1 -runs=10000 INPUT`, then copy it
# to fuzz/regressions/TARGET/, where ctest replays it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"
usage() { sed -n '2,16p' "$0" >&2; exit 2; }

if [[ "${1:-}" == --merge ]]; then
  [[ $# -eq 3 ]] || usage
  target="$2"; run_dir="$3"
  [[ -d "$run_dir/corpus" ]] || { echo "campaign: no corpus in $run_dir" >&2; exit 2; }
  before="$(find "$root/fuzz/corpus/$target" -type f | wc -l)"
  nice -n 19 "$build/fuzz/$target" -merge=1 "$root/fuzz/corpus/$target" "$run_dir/corpus" \
    >"$run_dir/merge.log" 2>&1 || { tail -20 "$run_dir/merge.log" >&2; exit 1; }
  after="$(find "$root/fuzz/corpus/$target" -type f | wc -l)"
  echo "campaign: $target corpus $before -> $after inputs"
  exit 0
fi

[[ $# -eq 2 ]] || usage
target="$1"; seconds="$2"
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "campaign: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2; }
binary="$build/fuzz/$target"
[[ -x "$binary" ]] || { echo "campaign: $binary not built (fuzz preset)" >&2; exit 2; }
[[ -d "$root/fuzz/corpus/$target" ]] || { echo "campaign: no seed corpus fuzz/corpus/$target" >&2; exit 2; }

run_dir="$build/campaigns/$target-$(date -u +%Y%m%dT%H%M%S)"
mkdir -p "$run_dir/corpus" "$run_dir/artifacts"
inputs=("$root/fuzz/corpus/$target")
[[ -d "$root/fuzz/regressions/$target" ]] && inputs+=("$root/fuzz/regressions/$target")
flags=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$run_dir/artifacts/"
       -timeout=600 -rss_limit_mb=2048)
[[ -f "$root/fuzz/dicts/$target.dict" ]] && flags+=(-dict="$root/fuzz/dicts/$target.dict")

status=0
/usr/bin/time -v -o "$run_dir/time" nice -n 19 "$binary" "${flags[@]}" "$run_dir/corpus" \
  "${inputs[@]}" >"$run_dir/log" 2>&1 || status=$?
cpu_seconds="$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.0f", s}' "$run_dir/time")"
execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$run_dir/log" | tail -1)"
# slow-unit-* files only record the slowest input; crash-, timeout-, oom-, leak- are failures.
crashes="$(find "$run_dir/artifacts" -type f ! -name 'slow-unit-*' | wc -l)"
{
  echo "target=$target wall_seconds=$seconds cpu_seconds=$cpu_seconds execs=${execs:-?}"
  echo "crash_inputs=$crashes exit=$status new_inputs=$(find "$run_dir/corpus" -type f | wc -l)"
  grep -E '^#[0-9]+ +DONE' "$run_dir/log" | tail -1 || true
} | tee "$run_dir/summary"
echo "campaign: run dir $run_dir (merge: fuzz/campaign.sh --merge $target $run_dir)"
if [[ "$status" -ne 0 || "$crashes" -ne 0 ]]; then
  grep -E 'FUZZ_CHECK|ERROR|SUMMARY' "$run_dir/log" | head -10 >&2
  exit 1
fi
