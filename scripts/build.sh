#!/usr/bin/env bash
# Configures and builds Sluice. Usage: scripts/build.sh [BUILD_DIR] [extra cmake options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cmake -S "$root" -B "$root/$dir" -DSLUICE_WERROR=ON "$@" >/dev/null
cmake --build "$root/$dir" -j"$(nproc)"
