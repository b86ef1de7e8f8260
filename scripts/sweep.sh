#!/usr/bin/env bash
# The main job: installs dependencies, builds tierkv-sim, and runs the default simulation sweep
# over the embedded backends, printing a summary. Extra arguments go to every sweep.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target tierkv-sim
status=0
for backend in memory leveldb sqlite lmdb; do
  echo "== sweep: backend $backend =="
  ./build/release/sim/tierkv-sim sweep --backend "$backend" --seeds 1..200 \
      --jobs "$(nproc)" "$@" || status=1
done
exit $status
