#!/usr/bin/env bash
# Configures and builds Sluice. Usage: scripts/build.sh [BUILD_DIR] [extra cmake options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cmake -S "$root" -B "$root/$dir" -DSLUICE_WERROR=ON "$@" >/dev/null
cmake --build "$root/$dir" -j"$(nproc)"
# A checkout made under umask 002 leaves files group-writable, and the gateway (rightly) refuses
# a policy, word list or schema that others may change: tighten the bundled ones.
find "$root/examples" "$root/tests/fixtures" -type f \( -name '*.yaml' -o -name '*.txt' -o -name '*.xsd' \) \
  -perm /022 -exec chmod go-w {} + 2>/dev/null || true
