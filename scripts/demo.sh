#!/usr/bin/env bash
# The fusion-cell demo (examples/fusion-cell): every scenario of scenarios.tsv through the
# gateway, with a table of what happened.
#
# Usage: scripts/demo.sh [BUILD_DIR]       (default: build; the folder holding `sluice`)
#
# Writes out/demo/ in the repository root, fresh each run:
#   pki/            development keys (`sluice certs init-dev`), gateway-signing.key/.pub among them
#   released/NAME   the released report of each scenario, and NAME.receipt, its signed receipt
#   logs/NAME.*     what the gateway printed for each scenario
#   audit.log       the hash-chained audit log of every decision
# Exits non-zero when a scenario's exit code differs from the expected one, a receipt does not
# verify, or the audit log does not verify.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
if [ -x "$BUILD/sluice" ]; then
	SLUICE=$(cd "$BUILD" && pwd)/sluice
elif [ -x "$ROOT/$BUILD/sluice" ]; then
	SLUICE=$ROOT/$BUILD/sluice
else
	echo "demo: no sluice binary in '$BUILD' (build first: cmake -S . -B build && cmake --build build)" >&2
	exit 64
fi
command -v jq >/dev/null || { echo "demo: jq is required" >&2; exit 69; }

cd "$ROOT"
FC=examples/fusion-cell
POLICY=$FC/policy.yaml
OUT=out/demo
PKI=$OUT/pki
AUDIT=$OUT/audit.log
rm -rf "$OUT"
mkdir -p "$OUT/released" "$OUT/logs"

echo "== Development PKI: $PKI"
"$SLUICE" certs init-dev "$PKI" intel police customs military partner-fra >"$OUT/logs/certs.out"
KEY=$PKI/gateway-signing.key
PUB=$PKI/gateway-signing.pub
for f in "$KEY" "$PUB"; do
	[ -s "$f" ] || { echo "demo: certs init-dev did not write $f" >&2; exit 70; }
done

echo "== Policy: $POLICY"
"$SLUICE" policy check "$POLICY" || { echo "demo: the demo policy does not load" >&2; exit 78; }
echo

# One row per scenario: report, from, to, decision, expected, withheld, redacted, receipt, rule.
rows=()
whats=()
failures=0
declare -A seen=()
while IFS=$'\t' read -r report from to expected what || [ -n "${report:-}" ]; do
	case $report in '' | '#'* | report) continue ;; esac
	name=$report
	if [ -n "${seen[$name]:-}" ]; then name="${report%.xml}.$from-to-$to.xml"; fi
	seen[$name]=1
	out=$OUT/released/$name
	rc=0
	"$SLUICE" release --policy "$POLICY" --from "$from" --to "$to" --key "$KEY" \
		--audit "$AUDIT" -o "$out" "$FC/reports/$report" \
		>"$OUT/logs/$name.stdout" 2>"$OUT/logs/$name.stderr" || rc=$?

	receipt=$out.receipt
	decision=- withheld=- redacted=- rule=""
	if [ -s "$receipt" ]; then
		decision=$(jq -r '.record.decision // "-"' "$receipt" 2>/dev/null || echo "?")
		withheld=$(jq -r '(.record.removals // []) | length' "$receipt" 2>/dev/null || echo "?")
		redacted=$(jq -r '[(.record.redactions // [])[] | (.count // 1)] | add // 0' "$receipt" 2>/dev/null || echo "?")
		rule=$(jq -r '(.record.reason.rule? // .record.reason_rule? // "")' "$receipt" 2>/dev/null || true)
	fi
	verified=no
	if [ -s "$receipt" ]; then
		vargs=(verify --pub "$PUB" --receipt "$receipt")
		[ -e "$out" ] && vargs+=("$out")
		if "$SLUICE" "${vargs[@]}" >>"$OUT/logs/$name.stdout" 2>>"$OUT/logs/$name.stderr"; then
			verified=yes
		fi
	fi
	if [ "$rc" = "$expected" ]; then verdict=ok; else verdict="MISMATCH (want $expected)"; fi
	[ "$verdict" = ok ] && [ "$verified" = yes ] || failures=$((failures + 1))
	case $decision in released) rule="" ;; esac
	whats+=("$report: $what")
	rows+=("$report"$'\t'"$from"$'\t'"$to"$'\t'"$decision ($rc)"$'\t'"$verdict"$'\t'"$withheld"$'\t'"$redacted"$'\t'"$verified"$'\t'"${rule:--}")
done <"$FC/scenarios.tsv"

# The table, columns as wide as their widest cell.
header=$'report\tfrom\tto\tdecision (exit)\texpected\twithheld\tredacted\treceipt verified\trule'
widths=()
for line in "$header" "${rows[@]}"; do
	IFS=$'\t' read -ra cells <<<"$line"
	for i in "${!cells[@]}"; do
		len=${#cells[$i]}
		[ "$len" -le "${widths[$i]:-0}" ] || widths[i]=$len
	done
done
print_row() {
	local i cells
	IFS=$'\t' read -ra cells <<<"$1"
	local line=""
	for i in "${!cells[@]}"; do
		line+=$(printf '%-*s  ' "${widths[$i]}" "${cells[$i]}")
	done
	printf '%s\n' "${line%"${line##*[! ]}"}"
}
print_row "$header"
rule_line=""
for w in "${widths[@]}"; do rule_line+=$(printf '%*s  ' "$w" '' | tr ' ' '-'); done
echo "${rule_line%  }"
for r in "${rows[@]}"; do print_row "$r"; done
echo
echo "withheld = portions removed (receipt 'removals'); redacted = words and patterns replaced"
echo "(sum of the receipt's redaction counts); rule = why a report was refused or invalid."
echo
echo "What each scenario shows:"
for w in "${whats[@]}"; do echo "  $w"; done
echo

echo "== Audit log"
audit_ok=yes
if "$SLUICE" audit verify --pub "$PUB" "$AUDIT"; then
	echo "audit log verifies"
else
	echo "AUDIT LOG DOES NOT VERIFY"
	audit_ok=no
fi
echo
echo "Released reports and receipts: $OUT/released/"
echo "Audit log:                     $AUDIT"
echo "Gateway messages:              $OUT/logs/"
echo "Verify one yourself:           $SLUICE verify --pub $PUB --receipt $OUT/released/NAME.receipt $OUT/released/NAME"

if [ "$failures" -gt 0 ] || [ "$audit_ok" != yes ]; then
	msg="demo: $failures scenario(s) did not behave as expected"
	[ "$audit_ok" = yes ] || msg+="; the audit log does not verify"
	echo
	echo "$msg" >&2
	exit 1
fi
echo
echo "All ${#rows[@]} scenarios behaved as expected."
