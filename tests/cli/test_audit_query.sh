#!/usr/bin/env bash
# `sluice audit query` and `sluice audit stats` (SPEC section 5) on a log made by releasing the
# demo's scenarios: filters by source, destination, decision and time, text and JSON Lines; the
# counts of stats agree with the log; a damaged line stops both with its line number; usage.
# Usage: bash test_audit_query.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools jq
EX=$SLUICE_SOURCE/examples/fusion-cell
make_keys "$W" gw
L=$W/audit.log
n=0
while IFS=$'\t' read -r report from to _ _; do
	[ "$report" = report ] && continue
	n=$((n + 1))
	"$SLUICE" release --policy "$EX/policy.yaml" --from "$from" --to "$to" --key "$W/gw.key" \
		--audit "$L" -o "$W/out-$n.xml" "$EX/reports/$report" >/dev/null 2>&1 || true
done <"$EX/scenarios.tsv"
check "the log of $n releases verifies" "$SLUICE" audit verify --pub "$W/gw.pub" "$L"
jqcount() { jq -s "[.[] | select(.type == \"transfer\") | .record | $1] | length" "$L"; }

sl audit query "$L" --json
check "query --json: one JSON object per record ($n, got $(wc -l <"$W/sl.out"))" [ "$(wc -l <"$W/sl.out")" = "$n" ]
check "... each the record as logged" [ "$(jq -s -c '.[0]' "$W/sl.out")" = "$(jq -s -c '[.[] | select(.type == "transfer")][0].record' "$L")" ]
sl audit query "$L" --json --from intel
check "--from intel: only intel's records ($(jqcount 'select(.from == "intel")'))" [ "$(wc -l <"$W/sl.out")" = "$(jqcount 'select(.from == "intel")')" ] && [ "$(jq -r .from "$W/sl.out" | sort -u)" = intel ]
sl audit query "$L" --json --to police --decision released
check "--to police --decision released: both filters apply ($(wc -l <"$W/sl.out"))" [ "$(wc -l <"$W/sl.out")" = "$(jqcount 'select(.to == "police" and .decision == "released")')" ] && [ "$(jq -r '.to + " " + .decision' "$W/sl.out" | sort -u)" = "police released" ]
sl audit query "$L" --json --decision invalid
NINVALID=$(awk -F'\t' '$4 == 65' "$SLUICE_SOURCE/examples/fusion-cell/scenarios.tsv" | wc -l)
check "--decision invalid: the hostile and invalid reports ($(wc -l <"$W/sl.out") of $NINVALID)" [ "$(wc -l <"$W/sl.out")" = "$NINVALID" ]
sl audit query "$L" --decision refused
check "text: one line per record, naming the rule" [ "$(wc -l <"$W/sl.out")" = 3 ] && grep -q ' intel -> police refused caveat.refuse$' "$W/sl.out"
check "... and the count on stderr" grep -q '^3 matching records$' "$W/sl.err"
today=$(jq -rs '[.[] | select(.type == "transfer")][0].record.time[0:10]' "$L")
sl audit query "$L" --json --since "$today" --until "$today"
check "--since and --until a date include the whole day" [ "$(wc -l <"$W/sl.out")" = "$n" ]
sl audit query "$L" --json --until 2000-01-01
check "--until before the log: nothing, exit 0 (got $RC)" [ "$RC" = 0 ] && [ ! -s "$W/sl.out" ]
sl audit query "$L" --json --since 2999-01-01T00:00:00Z
check "--since after the log: nothing" [ ! -s "$W/sl.out" ]

sl audit stats "$L" --json
check "stats --json: the number of records" [ "$(jq .records "$W/sl.out")" = "$n" ]
check "... per decision, as the log says" [ "$(jq -c .decisions "$W/sl.out")" = "$(jq -sc '[.[] | select(.type == "transfer") | .record.decision] | group_by(.) | map({(.[0]): length}) | add' "$L")" ]
check "... per refusal rule" [ "$(jq '.rules["policy.no-flow"]' "$W/sl.out")" = 1 ]
check "... the checkpoints" [ "$(jq .checkpoints "$W/sl.out")" = "$(jq -s '[.[] | select(.type == "checkpoint")] | length' "$L")" ]
sl audit stats "$L"
check "stats text: records, period, decisions, pairs, rules" grep -q "^records      $n transfer records" "$W/sl.out" && grep -q '^period ' "$W/sl.out" && grep -q '^transfers (from -> to)' "$W/sl.out" && grep -Eq '^ +1  intel -> partner-fra$' "$W/sl.out"

# a damaged line stops both, naming it
cp "$L" "$W/bad.log"
printf 'this is not JSON\n' >>"$W/bad.log"
bad=$(wc -l <"$W/bad.log")
sl audit query "$W/bad.log"
check "query on a damaged line exits 1 (got $RC)" [ "$RC" = 1 ] && grep -q "line $bad is not an audit record" "$W/sl.err"
sl audit stats "$W/bad.log"
check "stats on a damaged line exits 1 (got $RC)" [ "$RC" = 1 ]
sl audit query "$W/missing.log"
check "a missing log is an I/O error, 74 (got $RC)" [ "$RC" = 74 ]
sl audit query "$L" --decision maybe
check "an unknown decision is a usage error (got $RC)" [ "$RC" = 64 ]
sl audit query "$L" --since yesterday
check "a time that is not RFC 3339 is a usage error (got $RC)" [ "$RC" = 64 ]
sl audit query
check "no LOG is a usage error (got $RC)" [ "$RC" = 64 ]
finish
