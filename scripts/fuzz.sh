#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each on its seed corpus and its regression inputs, in a
# scratch copy so the committed seeds stay as they are. Usage: scripts/fuzz.sh BUILD_DIR [SECONDS]
# A crash leaves its input in the scratch folder printed at the end and fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
work=$(mktemp -d)
status=0
for bin in "$root/$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  mkdir -p "$work/$name"
  # the seeds, and every input that once crashed a target (fuzz/regressions/): libFuzzer runs
  # each of them first, so a regression fails CI before any fuzzing
  for seeds in "$root/fuzz/corpus/$name" "$root/fuzz/regressions/$name"; do
    if [ -d "$seeds" ]; then cp -r "$seeds/." "$work/$name/"; fi
  done
  rm -f "$work/$name/README.md"
  echo "fuzz: $name for ${seconds}s"
  if ! (cd "$work" && "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name-" "$work/$name" >"$work/$name.log" 2>&1); then
    echo "fuzz: $name FAILED; last lines of its log:"
    tail -30 "$work/$name.log"
    status=1
  else
    grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' "$work/$name.log" | tail -1 || true
  fi
done
if [ $status -ne 0 ]; then echo "fuzz: artifacts kept in $work"; else rm -rf "$work"; fi
exit $status
