#!/usr/bin/env bash
# End-to-end: `sluice policy diff OLD NEW [--corpus DIR]` (issue 5, part 4; docs/POLICY.md,
# "Seeing what a change changes").
#   - identical policies: exit 0, "no change";
#   - copies of the example policy with (a) customs' clearance lowered, (b) a flow removed,
#     (c) a caveat changed from requires to withhold, (d) a word list edited (contents only,
#     the policy file unchanged): each named in the output, exit 1;
#   - --corpus: the table lists exactly the (report, pair) outcomes that `sluice policy
#     explain` gives differently under OLD and NEW, with the same numbers; an unchanged
#     corpus replay says 0 outcomes change; nothing is signed, audited or written;
#   - --json: the same facts as one JSON object (exit codes alike);
#   - an invalid NEW policy exits 78 with file:line:column; usage errors exit 64.
# Usage: bash tests/cli/test_policy_diff.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools jq

cd "$W" || exit 1
cp -r "$SLUICE_SOURCE/examples/fusion-cell" old
for v in same a b c d; do cp -r old "$v"; done
# (a) customs cleared to RESTRICTED instead of CONFIDENTIAL
sed -i 's/^  customs:     {clearance: C,/  customs:     {clearance: R,/' a/policy.yaml
# (b) the police -> partner-fra flow removed (from its comment to the next flow's comment)
sed -i '/^  # Police to the French liaison desk/,/^  # Customs to police/{/^  # Customs to police/!d}' \
	b/policy.yaml
# (c) LES: from {requires: [LES]} to {action: withhold}
sed -i 's/^  LES:    {requires: \[LES\]}/  LES:    {action: withhold}/' c/policy.yaml
# (d) a word list edited; the policy file is byte for byte the same
echo "Kestrelford" >>d/lists/operations.txt
chmod -R go-w "$W"
check "the edits were made" lacks -q 'customs:     {clearance: C,' a/policy.yaml
check "the flow was removed" lacks -q 'to: partner-fra$' <(sed -n '/from: police/,/from: customs/p' b/policy.yaml)
check "the caveat was edited" grep -q '^  LES:    {action: withhold}' c/policy.yaml

# Where things are in the example policy (it grows; the expectations follow it).
line_of() { grep -n -m1 -- "$1" old/policy.yaml | cut -d: -f1; }
L_CUSTOMS=$(line_of '^  customs: ')
L_LES=$(line_of '^  LES: ')
L_POLICE_FRA=$(awk '/^  - from: police/ { n = NR } /^    to: partner-fra/ && n { print n; exit }' old/policy.yaml)
L_POLICE_CUSTOMS=$(awk '/^  - from: police/ { n = NR } /^    to: customs/ && n { print n; exit }' old/policy.yaml)

show() { sed -n '1,25s/^/#   /p' "$1"; }
expect_rc() { # expect_rc CODE DESCRIPTION
	if [ "$RC" = "$1" ]; then ok "$2: exit $1"; else not_ok "$2: exit $RC, expected $1"; show "$W/sl.err"; show "$W/sl.out"; fi
}
has() { # has DESCRIPTION FIXED-STRING: the last output contains the line part
	if grep -qF -- "$2" "$W/sl.out"; then ok "$1"; else not_ok "$1 (no '$2')"; show "$W/sl.out"; fi
}

# ---- structural diff ----------------------------------------------------------------------
sl policy diff old/policy.yaml same/policy.yaml
expect_rc 0 "identical policies"
has "identical policies: says no change" "no change"
check "identical policies: no change lines" lacks -E '^  (added|removed|changed) ' "$W/sl.out"

# changed V DESCRIPTION LINE...: the diff against V exits 1 and prints each LINE.
changed() {
	local v=$1 desc=$2 line
	shift 2
	sl policy diff old/policy.yaml "$v/policy.yaml"
	expect_rc 1 "($v) $desc"
	for line in "$@"; do has "($v) names the change: $line" "$line"; done
}
changed a "clearance lowered" "changed domain customs (line $L_CUSTOMS): clearance C -> R"
check "(a) nothing else changed" [ "$(grep -cE '^  (added|removed|changed) ' "$W/sl.out")" = 1 ]

changed b "flow removed" "removed flow police -> partner-fra (OLD line $L_POLICE_FRA)"
check "(b) the other pairs are not named" lacks -E 'flow (intel|customs|military) ' "$W/sl.out"

changed c "caveat changed" "changed caveat LES (line $L_LES): requires {LES} -> action withhold"

changed d "word list edited" \
	"changed word list lists/operations.txt: contents changed: 5 -> 6 entries" \
	"changed flow police -> customs (line $L_POLICE_CUSTOMS): word list lists/operations.txt: contents changed" \
	"the policy file is unchanged"

sl policy diff old/policy.yaml d/policy.yaml --corpus /nonexistent-corpus
expect_rc 74 "an unreadable corpus folder"

# ---- corpus replay ------------------------------------------------------------------------
# snapshot: every file of the test folder but the test's own outputs, with its digest.
snapshot() { find "$W" -type f -not -name 'sl.*' -not -name 'corpus-*.out' | sort | xargs sha256sum | sha256sum; }
tree_before=$(snapshot)
sl policy diff old/policy.yaml same/policy.yaml --corpus old/reports
expect_rc 0 "identical policies with --corpus"
NREPORTS=$(find old/reports -maxdepth 1 -type f -name '*.xml' | wc -l)
has "... replays nothing (no pair is affected)" "$NREPORTS reports x 0 pairs replayed: 0 outcomes change"

# summary P REPORT FROM TO: one explain, as the table's outcome column writes it.
summary() {
	"$SLUICE" policy explain --policy "$1" --from "$3" --to "$4" --json "old/reports/$2" 2>/dev/null |
		jq -r 'if .decision == "released" then "released, \(.withheld) withheld, \(.redacted) redacted"
		       else "\(.decision) (\(.rule))" end'
}
# fingerprint P REPORT FROM TO: everything the diff compares.
fingerprint() {
	"$SLUICE" policy explain --policy "$1" --from "$3" --to "$4" --json "old/reports/$2" 2>/dev/null |
		jq -c '[.decision, .rule, .withheld, .banner_after,
		        (.redactions | group_by(.rule) | map({(.[0].rule): (map(.count) | add)}))]'
}
for v in a d; do
	sl policy diff old/policy.yaml $v/policy.yaml --corpus old/reports
	expect_rc 1 "($v) with --corpus"
	cp "$W/sl.out" "$W/corpus-$v.out"
	pairs=$(sed -n 's/^corpus .*affected pairs\? (\(.*\))$/\1/p' "$W/corpus-$v.out" | sed 's/, /\n/g')
	check "($v) the affected pairs are listed" [ -n "$pairs" ]
	[ "$v" = a ] && check "(a) the affected pairs are those to or from customs" \
		[ "$(echo "$pairs" | tr '\n' ' ')" = "customs -> police intel -> customs police -> customs " ]
	wrong=""
	changed=0
	while read -r from _ to; do
		for rep in $(cd old/reports && ls); do
			row=$(grep -E "^$rep +$from +$to " "$W/corpus-$v.out")
			if [ "$(fingerprint old/policy.yaml "$rep" "$from" "$to")" = \
			     "$(fingerprint $v/policy.yaml "$rep" "$from" "$to")" ]; then
				[ -z "$row" ] || wrong="$wrong $rep:$from>$to(listed)"
				continue
			fi
			changed=$((changed + 1))
			o=$(summary old/policy.yaml "$rep" "$from" "$to")
			n=$(summary $v/policy.yaml "$rep" "$from" "$to")
			case $row in
			"$rep "*" $o "*" $n "*) ;;
			*) wrong="$wrong $rep:$from>$to(want '$o' -> '$n', row '$row')" ;;
			esac
		done
	done <<<"$pairs"
	check "($v) the table lists exactly the outcomes explain gives differently, with explain's numbers${wrong:+:$wrong}" \
		[ -z "$wrong" ]
	check "($v) some outcomes change ($changed)" [ "$changed" -gt 0 ]
	check "($v) the summary counts them" \
		grep -qE "^$NREPORTS reports x [0-9]+ pairs replayed: $changed outcomes? change \([0-9.]+ s\)$" "$W/corpus-$v.out"
done
# Two exact rows, checked by hand against explain: customs cleared to R no longer sees the C
# portion of report 02; and the new word-list entry is scrubbed from report 12 sent to police.
check "(a) 02 to customs: one more portion withheld (its C portion), banner C -> U" \
	grep -qE '^02-intel-to-customs-clearance.xml +intel +customs +released, 2 withheld, 0 redacted +released, 3 withheld, 0 redacted +more portions withheld \(2 -> 3\); banner C -> U$' "$W/corpus-a.out"
check "(d) 12 to police: one more redaction by lists/operations.txt" \
	grep -qE '^12-intel-to-customs-dirty-words.xml +intel +police +released, 0 withheld, 6 redacted +released, 0 withheld, 7 redacted +redactions words:lists/operations.txt 2 -> 3$' "$W/corpus-d.out"
check "(a) a report sent to police only is not listed" lacks -E '^01-intel-to-police-plain.xml +intel +police ' "$W/corpus-a.out"
check "nothing was written anywhere (no receipt, no audit log, no released report)" \
	[ "$(snapshot)" = "$tree_before" ]

mkdir -p big
for i in $(seq 1 10001); do : >"big/r$i"; done
sl policy diff old/policy.yaml a/policy.yaml --corpus big
expect_rc 64 "a corpus of more than 10000 reports is refused"

# ---- --json: the same as one object, for review tools -------------------------------------
sl policy diff old/policy.yaml same/policy.yaml --json
expect_rc 0 "--json, identical policies"
check "... one JSON object saying nothing changed" jq -e '.changed == false and (.changes | length) == 0 and .old.sha256 == .new.sha256' "$W/sl.out"
sl policy diff old/policy.yaml a/policy.yaml --json --corpus old/reports
expect_rc 1 "--json --corpus, (a)"
check "... the change, with its group, kind, subject, text and line" jq -e --argjson l "$L_CUSTOMS" \
	'.changed == true and (.changes | length) == 1 and .changes[0] == {group: "domains", kind: "changed", subject: "domain customs", text: "clearance C -> R", old_line: $l, new_line: $l}' "$W/sl.out"
check "... the policies named by path, id, version and digests" jq -e \
	'.old.path == "old/policy.yaml" and .new.path == "a/policy.yaml" and .old.id == "fusion-cell" and (.old.version | type) == "number" and (.new.sha256 | length) == 64 and .old.sha256 != .new.sha256' "$W/sl.out"
check "... the corpus rows are the table's rows" [ "$(jq -r '.corpus.changed[] | [.report, .from, .to, .old, .new, .change] | join("|")' "$W/sl.out")" = \
	"$(sed -n '/^REPORT /,/ replayed: /p' "$W/corpus-a.out" | sed '1d;$d' | sed -E 's/  +/|/g')" ]
check "... with the report count and the affected pairs" jq -e --argjson n "$NREPORTS" \
	'.corpus.reports == $n and (.corpus.pairs | length) > 0 and (.corpus.pairs[0] | keys) == ["from", "to"]' "$W/sl.out"
# A corpus file whose name is not UTF-8 (a folder holds whatever bytes): the JSON stays valid
# and names it with a placeholder; the text table prints the bytes as they are.
mkdir -p "$W/odd-corpus"
cp old/reports/02-intel-to-customs-clearance.xml "$W/odd-corpus/$(printf 'r\xff\xfe.xml')"
sl policy diff old/policy.yaml a/policy.yaml --json --corpus "$W/odd-corpus"
expect_rc 1 "--json --corpus with a file name that is not UTF-8"
check "... valid JSON, the name replaced by a placeholder" jq -e \
	'[.corpus.changed[].report] | index("(a name that is not UTF-8)") != null' "$W/sl.out"
sl policy diff old/policy.yaml d/policy.yaml --json
expect_rc 1 "--json, (d) a word list's contents"
check "... named in the word lists group" jq -e '[.changes[].group] | index("word lists") != null' "$W/sl.out"

# ---- invalid policies, usage --------------------------------------------------------------
cp -r old bad
chmod u+w bad/policy.yaml
sed -i 's/^  customs:     {clearance: C,/  customs:     {clearance: Q,/' bad/policy.yaml
sl policy diff old/policy.yaml bad/policy.yaml
expect_rc 78 "an invalid NEW policy"
check "... named with file:line:column" grep -qE "bad/policy.yaml:$L_CUSTOMS:[0-9]+:" "$W/sl.err"
sl policy diff old/policy.yaml missing.yaml
expect_rc 78 "a NEW policy that does not exist"
sl policy diff old/policy.yaml bad/policy.yaml --json
expect_rc 78 "--json, an invalid NEW policy: no JSON, the error on stderr"
check "... nothing on stdout" [ ! -s "$W/sl.out" ]
expect 64 "no policies" policy diff
expect 64 "one policy" policy diff old/policy.yaml
expect 64 "three policies" policy diff old/policy.yaml a/policy.yaml b/policy.yaml
expect 64 "unknown option" policy diff --frobnicate old/policy.yaml a/policy.yaml
expect 64 "--corpus without its folder" policy diff old/policy.yaml a/policy.yaml --corpus
expect 0 "--help" policy diff --help

finish
