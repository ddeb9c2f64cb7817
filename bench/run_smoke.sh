#!/usr/bin/env bash
# ctest bench_run_smoke: runs bench/run.sh (QUICK=1 in the environment) and checks that it exits
# 0 and that its last line has the form `sluice N reports/s, peer M reports/s, ratio R, limit
# fraction F`. It never looks at the figures themselves: timings on a shared machine are not a
# test. Prints the run's output, then "N passed, M failed".
#   bash bench/run_smoke.sh PATH/TO/run.sh BUILD_DIR
set -u
out=$(bash "$1" "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
passed=0 failed=0
check() {
	if eval "$2"; then passed=$((passed + 1)); echo "ok - $1"; else failed=$((failed + 1)); echo "not ok - $1"; fi
}
last=$(printf '%s\n' "$out" | tail -n 1)
num='[0-9]+(\.[0-9]+)?'
check "bench/run.sh exits 0 (got $rc)" '[ "$rc" = 0 ]'
check "the last line reads 'sluice N reports/s, peer M reports/s, ratio R, limit fraction F'" \
	'printf "%s\n" "$last" | grep -Eq "^sluice $num reports/s, peer $num reports/s, ratio $num, limit fraction $num\$"'
check "every target is reported (9 rows)" \
	'[ "$(printf "%s\n" "$out" | grep -Ec " (met|NOT MET|not measured)\$")" = 9 ]'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
