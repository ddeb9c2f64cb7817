#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the demo fusion cell
# (examples/fusion-cell) end to end, printing a table of every transfer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" build
exec "$root/scripts/demo.sh" build
