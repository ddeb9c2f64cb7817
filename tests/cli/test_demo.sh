#!/usr/bin/env bash
# End-to-end: the fusion-cell demo (examples/fusion-cell). Runs every scenario of
# scenarios.tsv with fresh keys and checks:
#   - the exit code, the receipt's decision, and that a report is written only when released;
#   - every receipt verifies (against the released report, or the input when nothing left);
#   - no canary token (CANARY-..., planted in every portion, comment and processing instruction
#     that must not leave) appears in any released report, any receipt or the audit log;
#   - a portion was withheld where the report plants a canary in one, and none in scenario 01;
#   - the re-marked banners, the dirty words and personal data scrubbed, what must stay;
#   - released reports are well-formed and carry no comment or processing instruction;
#   - the audit log verifies and holds one transfer record per scenario.
# Usage: bash tests/cli/test_demo.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq xmllint

# A private copy, so that file modes are those the gateway accepts (0644) whatever the
# checkout's umask was.
FC=$W/fusion-cell
cp -R "$SLUICE_SOURCE/examples/fusion-cell" "$FC"
chmod -R u+rwX,go-w "$FC"
mkdir -p "$W/keys" "$W/released" "$W/logs"
make_keys "$W/keys" gw || { not_ok "openssl generates an Ed25519 key"; finish; }
make_keys "$W/keys" other || { not_ok "openssl generates a second key"; finish; }
KEY=$W/keys/gw.key
PUB=$W/keys/gw.pub
AUDIT=$W/audit.log

declare -A OUT_OF # scenario report name -> released report path (when released)
runs=0
while IFS=$'\t' read -r report from to expected what || [ -n "$report" ]; do
	case $report in '' | '#'* | report) continue ;; esac
	runs=$((runs + 1))
	name=$report
	out=$W/released/$name
	in=$FC/reports/$report
	sl release --policy "$FC/policy.yaml" --from "$from" --to "$to" --key "$KEY" \
		--audit "$AUDIT" -o "$out" "$in"
	cp "$W/sl.err" "$W/logs/$name.stderr"
	label="$report ($from -> $to)"
	if [ "$RC" = "$expected" ]; then
		ok "$label: exit $RC: $what"
	else
		not_ok "$label: exit $RC, expected $expected: $what"
		sed -n '1,3s/^/#   stderr: /p' "$W/sl.err"
	fi
	case $expected in
	0) want_decision=released ;;
	1) want_decision=refused ;;
	65) want_decision=invalid ;;
	*) want_decision=error ;;
	esac
	decision=$(receipt_field "$out.receipt" '.record.decision')
	check "$label: receipt decision '${decision:-<no receipt>}' is '$want_decision'" \
		[ "$decision" = "$want_decision" ]
	if [ "$expected" = 0 ]; then
		check "$label: released report written" [ -s "$out" ]
		check "$label: released report is well-formed XML" xmllint --noout --nonet "$out"
		OUT_OF[$report]=$out
		sl verify --pub "$PUB" --receipt "$out.receipt" "$out"
		check "$label: receipt verifies against the released report (exit $RC)" [ "$RC" = 0 ]
	else
		check "$label: no report written when nothing is released" [ ! -e "$out" ]
		sl verify --pub "$PUB" --receipt "$out.receipt"
		check "$label: receipt signature verifies (exit $RC)" [ "$RC" = 0 ]
		sl verify --pub "$PUB" --receipt "$out.receipt" "$in"
		check "$label: receipt names the input report's digest (exit $RC)" [ "$RC" = 0 ]
	fi
	sl verify --pub "$W/keys/other.pub" --receipt "$out.receipt"
	check "$label: receipt does not verify under another key (exit $RC)" [ "$RC" = 1 ]
	# A portion with a canary must go: the receipt lists at least one removal.
	if [ "$expected" = 0 ] && grep -o 'CANARY-[A-Z0-9-]*' "$in" | grep -qvE '^CANARY-(COMMENT|PI)-'; then
		removals=$(receipt_field "$out.receipt" '.record.removals | length')
		check "$label: receipt lists the withheld portion(s) (${removals:-none})" \
			[ "${removals:-0}" -ge 1 ]
	fi
done <"$FC/scenarios.tsv"
check "scenarios.tsv has 14 to 24 scenarios ($runs)" between "$runs" 14 24

# ---- Canaries ------------------------------------------------------------------------------
mapfile -t canaries < <(grep -rhoa 'CANARY-[A-Z0-9-]*' "$FC/reports" | sort -u)
check "the reports plant at least 15 canary tokens (${#canaries[@]})" [ "${#canaries[@]}" -ge 15 ]
touch "$AUDIT"
for c in "${canaries[@]}"; do
	where=$(grep -rlF -- "$c" "$W/released" "$AUDIT" 2>/dev/null | sed "s|$W/||" | tr '\n' ' ')
	check "canary $c is in no released report, receipt or audit log${where:+ (found in: $where)}" \
		[ -z "$where" ]
done

# ---- Per-scenario content checks --------------------------------------------------------------
# released_has SCENARIO: the scenario's released report exists.
released() { [ -n "${OUT_OF[$1]:-}" ] && [ -s "${OUT_OF[$1]}" ]; }
# root_attr_is SCENARIO ATTR VALUE
root_attr_is() {
	local got
	got=$(xml_root_attr "${OUT_OF[$1]}" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1: banner ism:$2 re-marked to '$3'"
	else
		not_ok "$1: banner ism:$2 is '$got', expected '$3'"
	fi
}
# scrubbed SCENARIO TEXT...: none of the texts remain (case-insensitive, fixed strings).
scrubbed() {
	local s=$1 t
	shift
	for t in "$@"; do
		check "$s: '$t' scrubbed" lacks -iF -- "$t" "${OUT_OF[$s]}"
	done
}
# kept SCENARIO TEXT...: each text is still there.
kept() {
	local s=$1 t
	shift
	for t in "$@"; do
		check "$s: '$t' kept" grep -qF -- "$t" "${OUT_OF[$s]}"
	done
}
# redaction_rule SCENARIO WORD: the receipt has a redaction whose rule mentions WORD.
redaction_rule() {
	# shellcheck disable=SC2016 # $w is a jq variable
	check "$1: receipt records a redaction by a '$2' rule" \
		jq -e --arg w "$2" '[.record.redactions[]?.rule | test($w)] | any' "${OUT_OF[$1]}.receipt" \
		>/dev/null
}

s=01-intel-to-police-plain.xml
if released $s; then
	check "$s: nothing withheld (receipt lists no removal)" \
		[ "$(receipt_field "${OUT_OF[$s]}.receipt" '.record.removals | length')" = 0 ]
	check "$s: text outside every portion released (police may see the banner's label)" \
		grep -q 'Handling: for the duty officers' "${OUT_OF[$s]}"
	check "$s: comment not forwarded" lacks -F 'Drafting note' "${OUT_OF[$s]}"
	check "$s: xml-stylesheet processing instruction not forwarded" lacks -F 'xml-stylesheet' "${OUT_OF[$s]}"
	root_attr_is $s classification S
fi
s=02-intel-to-customs-clearance.xml
if released $s; then root_attr_is $s classification C; fi
s=03-intel-to-police-sci.xml
if released $s; then
	root_attr_is $s classification S
	root_attr_is $s SCIcontrols ""
fi
s=04-intel-to-fra-noforn.xml
if released $s; then
	root_attr_is $s classification C
	root_attr_is $s releasableTo "USA FRA NATO"
	scrubbed $s CORMORANT
fi
s=05-intel-to-fra-les.xml
if released $s; then
	root_attr_is $s nonICmarkings ""
	scrubbed $s "SALT ROAD"
fi
s=06-military-to-fra-rel-to.xml
if released $s; then
	root_attr_is $s classification C
	root_attr_is $s releasableTo "USA NATO"
	scrubbed $s "+44 20 7946 0958" "watchkeeper@dis.example"
fi
s=07-customs-to-police-propin.xml
if released $s; then
	check "$s: banner no longer carries PR once the PROPIN portion is withheld" \
		lacks -w PR <<<"$(xml_root_attr "${OUT_OF[$s]}" disseminationControls)"
	check "$s: comment not forwarded" lacks -F 'customs analyst' "${OUT_OF[$s]}"
fi
s=10-police-to-fra-released.xml
if released $s; then
	scrubbed $s "r.hale@nca.example" "+44 20 7946 0321" "12AB34567"
	redaction_rule $s email
	redaction_rule $s phone
	redaction_rule $s passport
fi
s=12-intel-to-customs-dirty-words.xml
if released $s; then
	scrubbed $s "Grey Heron" "COLD FERRY" "silver birch" "Covert tracking device" "cell-site analysis"
	check "$s: 'KESTREL' scrubbed as a whole word" lacks -iw KESTREL "${OUT_OF[$s]}"
	kept $s Kestrelford
	check "$s: processing instruction not forwarded" lacks -F 'analyst-workflow' "${OUT_OF[$s]}"
	redaction_rule $s sources-and-methods
	redaction_rule $s operations
fi
s=13-intel-to-police-patterns.xml
if released $s; then
	scrubbed $s analyst.desk@nis.example lena.osk@mailbox.example l.osk.shipping@freight.example \
		"+44 20 7946 0112" "+33 1 99 00 12 34" "+1 202 555 0142" "+44 20 7946 0999" \
		19FR58231 12AB34567 \
		"GB82 WEST 1234 5698 7654 32" "DE89 3704 0044 0532 0130 00" "FR14 2004 1010 0505 0001 3M02 606"
	for p in email phone passport iban; do redaction_rule $s $p; done
	kept $s "Lena Osk"
fi
s=14-police-to-customs-case.xml
if released $s; then
	root_attr_is $s classification C
	root_attr_is $s nonICmarkings LES
	scrubbed $s "BLACK ORCHID" "r.hale@nca.example" "+44 20 7946 0321"
	kept $s 12AB34567
fi

# STANAG 4774 into an equivalent policy (one policy, three profiles): both banners in the
# receipt, Nordland labels beside the alliance's, only the releasable portions.
s=20-alliance-to-nordland-equivalence.xml
if check "$s: released" released $s; then
	check "$s: receipt banner in Nordland's policy" [ "$(receipt_field "${OUT_OF[$s]}.receipt" \
		'.record.banner')" = "NORDLAND CONFIDENTIAL NATIONAL USE (ALLIANCE ORIGIN)" ]
	check "$s: receipt source_banner in the alliance's policy" [ "$(receipt_field \
		"${OUT_OF[$s]}.receipt" '.record.source_banner')" = \
		"ALLIANCE CONFIDENTIAL Releasable to ALLIANCE, NORDLAND" ]
	alternatives=$(grep -o '<slab:alternativeConfidentialityLabel>' "${OUT_OF[$s]}" | wc -l)
	check "$s: banner and two kept portions carry Nordland labels ($alternatives)" \
		[ "$alternatives" = 3 ]
	check "$s: the portion REL TO SUDLAND is withheld for want of an equivalent" \
		grep -q "SUDLAND' has no equivalent in policy NORDLAND" "${OUT_OF[$s]}.receipt"
	check "$s: the Assessment and the Weather are released" \
		grep -q 'Fog on the border roads' "${OUT_OF[$s]}"
fi
s=22-natcert-to-police-cyber-tlp.xml
if check "$s: released" released $s; then
	check "$s: banner re-marked to TLP:GREEN" [ "$(receipt_field "${OUT_OF[$s]}.receipt" \
		'.record.banner')" = "TLP:GREEN" ]
	scrubbed $s "duty@natcert.example"
fi

# Every released report: no comment or processing instruction from the input reaches it.
for s in "${!OUT_OF[@]}"; do
	pis=$(xmllint --nonet --xpath 'count(//processing-instruction())' "${OUT_OF[$s]}" 2>/dev/null)
	check "$s: released report has no processing instruction (${pis:-?})" [ "${pis:-1}" = 0 ]
	check "$s: released report carries no comment of the input" \
		lacks -E 'CANARY-COMMENT|Fusion cell demo report|analyst:' "${OUT_OF[$s]}"
done

# ---- The audit log -------------------------------------------------------------------------
sl audit verify --pub "$PUB" "$AUDIT"
check "audit log verifies (exit $RC)" [ "$RC" = 0 ]
records=$(audit_transfers "$AUDIT")
check "audit log has one transfer record per scenario ($records records, $runs scenarios)" \
	[ "$records" = "$runs" ]

finish
