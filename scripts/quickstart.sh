#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the demo fusion cell
# (examples/fusion-cell) end to end: first every transfer with `sluice release`, printing a
# table, then the same reports through the running gateway daemon `sluiced` and its spool.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" build
"$root/scripts/demo.sh" build
echo
echo "################ the same fusion cell through the gateway daemon ################"
exec "$root/scripts/demo-daemon.sh" build
