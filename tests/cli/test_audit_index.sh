#!/usr/bin/env bash
# `sluice audit index` and the indexed `audit query` / `audit stats` (issue 6, docs/OVERSIGHT.md):
# the index is built only from a log that verifies; every filter answers exactly as the scan of
# the log does (text and JSON, matches and no matches); records appended later are added as
# they chain; an index that no longer matches its log (edited, truncated, replaced), a damaged
# or foreign index file and an index whose rows lie are refused with a message saying to
# rebuild, never used; --rebuild restores it; usage and I/O errors.
# Usage: bash test_audit_index.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools jq sqlite3
EX=$SLUICE_SOURCE/examples/fusion-cell
make_keys "$W" gw
make_keys "$W" other
L=$W/audit.log
n=0
release_all() {
	while IFS=$'\t' read -r report from to _ _; do
		[ "$report" = report ] && continue
		n=$((n + 1))
		"$SLUICE" release --policy "$EX/policy.yaml" --from "$from" --to "$to" --key "$W/gw.key" \
			--audit "$1" -o "$W/out-$n.xml" "$EX/reports/$report" >/dev/null 2>&1 || true
	done <"$EX/scenarios.tsv"
}
release_all "$L"
check "the log of $n releases verifies" "$SLUICE" audit verify --pub "$W/gw.pub" "$L"

# ---- building ----------------------------------------------------------------------------
expect 64 "index without --pub is a usage error" audit index "$L"
check "... and writes nothing" absent "$L.idx"
expect 64 "index without LOG is a usage error" audit index --pub "$W/gw.pub"
expect 64 "index with an unknown option is a usage error" audit index --pub "$W/gw.pub" --fast "$L"
expect 74 "index of a missing log is an I/O error" audit index --pub "$W/gw.pub" "$W/missing.log"
expect 1 "index with another gateway's key: the log does not verify" audit index --pub "$W/other.pub" "$L"
check "... it names the bad line" grep -q "line 2: checkpoint signed by an unknown key" "$W/sl.err"
check "... and writes no index" absent "$L.idx"
expect 0 "index with the gateway's key" audit index --pub "$W/gw.pub" "$L"
lines=$(wc -l <"$L")
check "... covers every line ($lines)" grep -q "lines 1-$lines of" "$W/sl.out"
check "... verified through the last checkpoint" grep -q "verified through line $lines with key" "$W/sl.out"
check "... LOG.idx, mode 0640 like the log" [ "$(stat -c %a "$L.idx")" = 640 ]
check "... no temporary file left" [ -z "$(find "$W" -name 'audit.log.idx.tmp*')" ]
expect 0 "index again: nothing to add" audit index --pub "$W/gw.pub" "$L"
check "... 0 lines added" grep -q " 0 lines added" "$W/sl.out"

# ---- the same answers as the scan ----------------------------------------------------------
tid=$(jq -r 'select(.type == "transfer") | .record.transfer_id' "$L" | sed -n 4p)
today=$(jq -rs '[.[] | select(.type == "transfer")][0].record.time[0:10]' "$L")
# same_answers DESCRIPTION QUERY-ARGS...: text and --json, with and without the index.
same_answers() {
	local desc=$1 mode
	shift
	for mode in text json; do
		local extra=()
		[ "$mode" = json ] && extra=(--json)
		sl audit query "$L" "$@" "${extra[@]}"
		local rc_index=$RC
		cp "$W/sl.out" "$W/index.out"
		local used_index=no
		grep -q "answering from the index" "$W/sl.err" && used_index=yes
		sl audit query "$L" "$@" "${extra[@]}" --no-index
		check "$desc ($mode, $(wc -l <"$W/sl.out") records): the index answers as the scan does" \
			[ "$rc_index" = 0 ] && [ "$RC" = 0 ] && [ "$used_index" = yes ] && cmp -s "$W/sl.out" "$W/index.out"
	done
}
same_answers "no filter"
same_answers "--from intel" --from intel
same_answers "--to police --decision released" --to police --decision released
same_answers "--decision invalid" --decision invalid
same_answers "--since/--until a day" --since "$today" --until "$today"
same_answers "--rule caveat.refuse (a refusal)" --rule caveat.refuse
same_answers "--rule pattern:email (a redaction)" --rule pattern:email
same_answers "--rule 'classification S above clearance C' (a removal)" --rule "classification S above clearance C"
PV=$(sed -n 's/^version: *\([0-9]*\).*/\1/p' "$SLUICE_SOURCE/examples/fusion-cell/policy.yaml")
same_answers "--policy fusion-cell --policy-version $PV" --policy fusion-cell --policy-version "$PV"
same_answers "--transfer-id" --transfer-id "$tid"
same_answers "--rule with no match" --rule no.such-rule
same_answers "--policy-version with no match" --policy-version 99
same_answers "--until before the log" --until 2000-01-01
same_answers "--from '' (an empty value is a filter too)" --from ""

count_of() { jq -s "[.[] | select(.type == \"transfer\") | .record | $1] | length" "$L"; }
sl audit query "$L" --json --rule pattern:email
check "--rule pattern:email: each record redacted an email ($(count_of 'select(any(.redactions[]; .rule == "pattern:email"))'))" \
	[ "$(wc -l <"$W/sl.out")" = "$(count_of 'select(any(.redactions[]; .rule == "pattern:email"))')" ] && [ "$(wc -l <"$W/sl.out")" -gt 0 ]
sl audit query "$L" --json --rule "classification S above clearance C"
check "--rule matches removals too ($(wc -l <"$W/sl.out"))" [ "$(wc -l <"$W/sl.out")" = "$(count_of 'select(any(.removals[]; .rule == "classification S above clearance C"))')" ] && [ "$(wc -l <"$W/sl.out")" -gt 0 ]
sl audit query "$L" --json --rule policy.no-flow
check "--rule matches the reason of a refusal" [ "$(jq -r .reason.rule "$W/sl.out")" = policy.no-flow ]
sl audit query "$L" --json --transfer-id "$tid"
check "--transfer-id: exactly that record" [ "$(jq -r .transfer_id "$W/sl.out")" = "$tid" ]
sl audit query "$L" --transfer-id 00000000-0000-0000-0000-000000000000
check "--transfer-id unknown: nothing, exit 0" [ "$RC" = 0 ] && [ ! -s "$W/sl.out" ] && grep -q '^0 matching records$' "$W/sl.err"
sl audit query "$L" --json --policy-version "$PV"
check "--policy-version $PV: every record ($n)" [ "$(wc -l <"$W/sl.out")" = "$n" ]
sl audit query "$L" --json --policy other-policy
check "--policy of another id: nothing" [ "$RC" = 0 ] && [ ! -s "$W/sl.out" ]

for mode in "" --json; do
	sl audit stats "$L" $mode
	cp "$W/sl.out" "$W/index.out"
	sl audit stats "$L" $mode --no-index
	check "stats ${mode:-text}: the index counts as the scan does" cmp -s "$W/sl.out" "$W/index.out"
done
sl audit stats "$L" --json
redacted=$(count_of 'select(.decision == "released" and ((.removals | length) > 0 or (.redactions | length) > 0))')
check "stats: redacted per flow adds up to the redacted releases ($redacted)" [ "$(jq '[.flows[].redacted] | add' "$W/sl.out")" = "$redacted" ]
check "stats: released per flow adds up to the releases" [ "$(jq '[.flows[].released] | add' "$W/sl.out")" = "$(count_of 'select(.decision == "released")')" ]
check "stats: per policy version" [ "$(jq -c .policies "$W/sl.out")" = "{\"fusion-cell version $PV\":$n}" ]
check "stats: redaction rules count records" [ "$(jq '.redaction_rules["pattern:email"]' "$W/sl.out")" = "$(count_of 'select(any(.redactions[]; .rule == "pattern:email"))')" ]
sl audit stats "$L"
check "stats text: the flows table" grep -Eq '^flows +released +redacted +refused +invalid +error' "$W/sl.out" && grep -q "policy versions" "$W/sl.out"

# ---- records appended later ------------------------------------------------------------------
before=$n
release_all "$L"
sl audit query "$L" --json
check "after $((n - before)) more releases, the index adds them ($n records)" [ "$RC" = 0 ] && [ "$(wc -l <"$W/sl.out")" = "$n" ]
check "... and says so" grep -q "new lines added" "$W/sl.err"
same_answers "after the catch-up, --from intel" --from intel
expect 0 "index after the catch-up: 0 lines added, verified through the new end" audit index --pub "$W/gw.pub" "$L"
check "... verified through line $(wc -l <"$L")" grep -q "verified through line $(wc -l <"$L") " "$W/sl.out"

# A log still being written: records after the last checkpoint are indexed, not yet verified.
head -n -1 "$L" >"$W/open.log"
expect 0 "index of a log ending with unsigned records (a writer still has it)" audit index --pub "$W/gw.pub" "$W/open.log"
check "... says which lines are not under a checkpoint yet" grep -q "are not under a signed checkpoint yet" "$W/sl.out"
# A torn last line (a write in progress) is left out, then added once complete.
cp "$L" "$W/torn.log"
expect 0 "index of a copy" audit index --pub "$W/gw.pub" "$W/torn.log"
tail -n 2 "$L" | head -c 100 >>"$W/torn.log"
sl audit query "$W/torn.log" --json
check "a torn last line is not indexed (exit $RC, $(wc -l <"$W/sl.out") records)" [ "$RC" = 0 ] && [ "$(wc -l <"$W/sl.out")" = "$n" ]

# ---- an index that no longer matches its log is refused --------------------------------------
refused() { [ "$RC" = 1 ] && grep -q "does not match the log" "$W/sl.err" && grep -q "sluice audit index --rebuild" "$W/sl.err"; }
cp "$L" "$W/keep.log"
cp "$L.idx" "$W/keep.idx"
restore() { cp "$W/keep.log" "$L"; cp "$W/keep.idx" "$L.idx"; }

sed -i '3s/"banner":"C"/"banner":"TS"/' "$L"
sl audit query "$L" --json
check "a record changed in length inside the indexed part: refused (exit $RC), says rebuild" refused
sl audit stats "$L"
check "... stats refused too" refused
restore
sed -i '3s/"from":"intel"/"from":"intex"/' "$L"
sl audit query "$L" --to customs --no-index
sl audit query "$L" --from intel
check "a same-length edit passes the O(1) check but not the printing of that record (exit $RC)" refused && grep -q "at line 3" "$W/sl.err"
expect 1 "... sluice audit verify finds it" audit verify --pub "$W/gw.pub" "$L"
restore
head -n 10 "$W/keep.log" >"$L"
sl audit query "$L"
check "the log truncated to an earlier checkpoint: refused (exit $RC)" refused && grep -q "shorter than the part indexed" "$W/sl.err"
restore
{ tail -n +3 "$W/keep.log"; head -n 2 "$W/keep.log"; } >"$L"
sl audit query "$L"
check "the log replaced by another of the same size: refused (exit $RC)" refused
restore
head -n 3 "$W/keep.log" >>"$L"
sl audit query "$L"
check "a longer log that does not continue the chain: refused (exit $RC)" [ "$RC" = 1 ] && grep -q "does not continue the chain" "$W/sl.err"
restore

# ---- a damaged, foreign or lying index is refused ---------------------------------------------
corrupt() { [ "$RC" = 1 ] && grep -q "damaged or not a Sluice audit index" "$W/sl.err" && grep -q "sluice audit index --rebuild" "$W/sl.err"; }
printf 'not a database at all, but long enough to have a header......................\n' >"$L.idx"
sl audit query "$L"
check "an index that is not a database: refused (exit $RC)" corrupt
head -c 4096 "$W/keep.idx" >"$L.idx"
sl audit query "$L" --from intel
check "a truncated index: refused (exit $RC)" corrupt
cp "$W/keep.idx" "$L.idx"
sqlite3 "$L.idx" 'CREATE TABLE extra (x)'
sl audit query "$L"
check "an index with a foreign table: refused (exit $RC)" corrupt
cp "$W/keep.idx" "$L.idx"
sqlite3 "$L.idx" "UPDATE anchor SET format = 'sluice-audit-index 0'"
sl audit query "$L"
check "an index of another format: refused (exit $RC)" corrupt
cp "$W/keep.idx" "$L.idx"
sqlite3 "$L.idx" "UPDATE transfers SET decision_id = (SELECT id FROM names WHERE name = 'refused') WHERE seq = 1"
sl audit query "$L" --decision refused
check "an index whose row lies about a record: refused when it would print it (exit $RC)" refused && grep -q "at line 1" "$W/sl.err"
cp "$W/keep.idx" "$L.idx"
sqlite3 "$L.idx" "UPDATE positions SET offset = 0 WHERE seq = 3"
sl audit query "$L" --to customs
check "an index pointing at the wrong bytes: refused (exit $RC)" refused && grep -q "at line 3" "$W/sl.err"
sqlite3 "$L.idx" "UPDATE anchor SET last_hash = zeroblob(32)"
expect 1 "index (an update) of an index whose anchor is off refuses too" audit index --pub "$W/gw.pub" "$L"
check "... saying to rebuild" refused
expect 0 "index --rebuild starts again from the log" audit index --rebuild --pub "$W/gw.pub" "$L"
same_answers "after the rebuild, --to customs" --to customs
ln -s "$L.idx" "$W/link.idx"
expect 74 "an --index that is a symbolic link is not followed" audit query "$L" --index "$W/link.idx"
cp "$L.idx" "$W/elsewhere.idx"
sl audit query "$L" --index "$W/elsewhere.idx" --json
check "--index FILE answers from that file" [ "$RC" = 0 ] && grep -q "index $W/elsewhere.idx" "$W/sl.err" && [ "$(wc -l <"$W/sl.out")" = "$n" ]
expect 0 "index --index FILE builds there" audit index --pub "$W/gw.pub" --index "$W/built.idx" "$L"
check "... the file exists" [ -f "$W/built.idx" ]

# ---- usage and I/O ----------------------------------------------------------------------------
expect 74 "--index FILE that does not exist is an I/O error" audit query "$L" --index "$W/none.idx"
expect 64 "--index with --no-index is a usage error" audit query "$L" --index "$L.idx" --no-index
expect 64 "--policy-version that is not a number is a usage error" audit query "$L" --policy-version three
expect 64 "--policy-version -1 is a usage error" audit query "$L" --policy-version -1
expect 64 "stats with an unknown option is a usage error" audit stats "$L" --top 3
expect 74 "query of a missing log (no index) is an I/O error" audit query "$W/missing.log" --rule x
expect 74 "query of a missing log with an index left behind is an I/O error" audit query "$W/missing.log" --index "$L.idx"
finish
