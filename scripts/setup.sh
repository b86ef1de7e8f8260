#!/usr/bin/env bash
# Installs tierkv's build and test dependencies from Debian 12 packages (as root), skipping
# what is already installed. Safe to run again.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git
  libboost-dev libleveldb-dev libsnappy-dev liblmdb-dev libsqlite3-dev libssl-dev
  libgtest-dev librapidcheck-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  chromium  # headless browser for the HTML report test (tests/reports)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
