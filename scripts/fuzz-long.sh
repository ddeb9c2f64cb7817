#!/usr/bin/env bash
# The long fuzz runs that tests/fuzz figures in fuzz/README.md come from (CI runs each target
# for seconds only: scripts/fuzz.sh). Runs every target (or those named) for SECONDS of wall
# time each, one after the other, on a scratch copy of its seeds and regression inputs, and
# prints one tab-separated line per target: name, wall seconds, CPU seconds (user+system),
# executions, corpus size at the end, peak RSS in KB, crashes. A crash's input is kept in
# OUT/<target>-crash-* for fuzz/regressions/. Usage:
#   scripts/fuzz-long.sh BUILD_DIR SECONDS OUT [TARGET...]
# Runs at the lowest CPU priority (nice 19), so it only takes time the machine does not use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/fuzz-long.sh BUILD_DIR SECONDS OUT [TARGET...]}
seconds=${2:?seconds}
out=${3:?output folder}
shift 3
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$root/$build"/fuzz/fuzz_*; do [ -x "$bin" ] && targets+=("$(basename "$bin")"); done
fi
printf 'target\twall_s\tcpu_s\texecs\tcorpus\tpeak_rss_kb\tcrashes\n'
for name in "${targets[@]}"; do
  bin=$root/$build/fuzz/$name
  corpus=$out/$name.corpus
  mkdir -p "$corpus"
  for seeds in "$root/fuzz/corpus/$name" "$root/fuzz/regressions/$name"; do
    if [ -d "$seeds" ]; then cp -r "$seeds/." "$corpus/"; fi
  done
  rm -f "$corpus/README.md"
  rc=0
  /usr/bin/time -f '%U %S %e %M' -o "$out/$name.time" nice -n 19 "$bin" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=30 \
    -artifact_prefix="$out/$name-" -print_final_stats=1 "$corpus" >"$out/$name.log" 2>&1 || rc=$?
  read -r user sys wall rss <"$out/$name.time" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -1)
  crashes=$(find "$out" -maxdepth 1 -name "$name-*" -type f | wc -l)
  [ $rc -eq 0 ] || [ "$crashes" -gt 0 ] || crashes="exit $rc"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
    "${execs:-?}" "$(find "$corpus" -type f | wc -l)" "$rss" "$crashes"
done
