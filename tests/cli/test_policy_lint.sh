#!/usr/bin/env bash
# `sluice policy check` warnings (issue 5): each finding names file:line, severity, rule and a
# one-line fix; warnings do not fail without --strict; --strict fails on them (78); a clean
# policy passes --strict; the example policies are clean.
# Usage: bash test_policy_lint.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools
L=$SLUICE_FIXTURES/lint

sl policy check "$L/warnings.yaml"
check "warnings alone do not fail the check (got $RC)" [ "$RC" = 0 ]
check "... the summary counts them" grep -q 'is valid (6 warnings)' "$W/sl.out"
check "... absurd limits, at the line of limits:" grep -q 'warnings.yaml:7: warning: max-bytes 1073741824 is above 64 MiB.*\[lint.limits-absurd\]' "$W/sl.err"
check "... a caveat no domain can satisfy" grep -q "warnings.yaml:10: warning: no domain holds everything caveat 'SCI' requires.*\[lint.caveat-unsatisfiable\]" "$W/sl.err"
check "... a domain no flow reaches" grep -q "warnings.yaml:14: warning: domain 'lonely' is in no flow.*\[lint.unreached-domain\]" "$W/sl.err"
check "... a regex that can backtrack catastrophically" grep -q "warnings.yaml:16: warning: pattern 'nested'.*\[lint.regex-backtracking\]" "$W/sl.err"
check "... each with a fix line" [ "$(grep -c '^    fix: ' "$W/sl.err")" = 6 ]

sl policy check --strict "$L/warnings.yaml"
check "--strict fails on warnings with 78 (got $RC)" [ "$RC" = 78 ]
check "... calling them errors and saying why it failed" grep -q 'refused by --strict' "$W/sl.err"
check "... nothing on stdout claims the policy valid" lacks -q 'is valid' "$W/sl.out"

sl policy check --strict "$L/clean.yaml"
check "a clean policy passes --strict (got $RC)" [ "$RC" = 0 ]
check "... with no finding" [ ! -s "$W/sl.err" ]
sl policy check "$L/nolimits.yaml"
check "absent limits are a warning for the whole file" grep -q '^[^:]*nolimits.yaml: warning: the policy sets no limits.*\[lint.limits-absent\]' "$W/sl.err"
for p in fusion-cell cert-tlp; do
	sl policy check --strict "$SLUICE_SOURCE/examples/$p/policy.yaml"
	check "the example $p policy is clean under --strict (got $RC)" [ "$RC" = 0 ]
done
sl policy check --strict
check "--strict without a policy is a usage error (got $RC)" [ "$RC" = 64 ]
sl policy check --lenient "$L/clean.yaml"
check "an unknown option is a usage error (got $RC)" [ "$RC" = 64 ]
finish
