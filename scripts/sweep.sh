#!/usr/bin/env bash
# The main job: installs dependencies, builds tierkv-sim, runs the default simulation sweep over
# the embedded backends (memory, leveldb, sqlite, lmdb: seeds 1..200 each, the seed's swarm of
# faults, every checker on) plus "hybrid" (memory worlds that all carry a HybridStore: LevelDB
# LSM side + a SQLite or LMDB B-tree side (the seed picks) driven with raw ops, batches and
# scans spanning both, tierkv-sim --hybrid) and "hybrid-primary" (the same worlds whose
# TierStore primary is a HybridKvStore over a LevelDB side and that B-tree side, routed by
# primary namespace, tierkv-sim --hybrid-primary) and prints a summary. A few minutes on 2
# cores.
#
# Usage: bash scripts/sweep.sh [extra tierkv-sim sweep flags, e.g. --ops 800 --faults crash]
# Environment: SWEEP_SEEDS (default 1..200), SWEEP_BACKENDS="memory leveldb" to pick entries (of
# memory leveldb sqlite lmdb hybrid hybrid-primary),
# SWEEP_TIME_BUDGET (seconds per backend, default 90) caps each sweep. Reports land in build/sweep-report/<backend>/, failing
# scenarios in build/sweep-failures/<backend>/ (each with its `tierkv-sim replay` command).
# Exit status: 0 when every invariant held on every backend, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target tierkv-sim
sim=./build/release/sim/tierkv-sim
backends=${SWEEP_BACKENDS:-memory leveldb sqlite lmdb hybrid hybrid-primary}
budget=${SWEEP_TIME_BUDGET:-90}
seeds=${SWEEP_SEEDS:-1..200}
status=0
summary=()
for backend in $backends; do
  echo "== sweep: backend $backend =="
  report=build/sweep-report/$backend
  rc=0
  world=(--backend "$backend")
  [[ "$backend" == hybrid ]] && world=(--backend memory --hybrid)
  [[ "$backend" == hybrid-primary ]] && world=(--backend memory --hybrid-primary)
  "$sim" sweep "${world[@]}" --seeds "$seeds" --jobs "$(nproc)" --time-budget "$budget" \
      --report "$report" --out "build/sweep-failures/$backend" "$@" || rc=$?
  line=$(grep -m1 '^- result' "$report/summary.md" 2>/dev/null || echo "- result: no report")
  line=${line#- result: }
  summary+=("$(printf '%-14s %s (exit %d)' "$backend" "${line//\*/}" "$rc")")
  [[ $rc -eq 0 ]] || status=1
done
echo "== summary =="
printf '%s\n' "${summary[@]}"
exit $status
