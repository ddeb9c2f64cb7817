#!/usr/bin/env bash
# Redaction completeness (issue 7, item 3, first half): IC-ISM reports written at test time
# under the fusion-cell policy, where a portion that must be withheld carries a unique canary
# in every position it can hold: its text, an attribute value, an attribute name, CDATA, a
# comment, a processing instruction (target and data), a namespace declaration (prefix and
# URI) and an attribute in that namespace, a nested child portion, a nested non-portion child
# element (its name, attribute and text), an element in the declared namespace, and the tail
# text after a child. Every report also carries canaries in comments and PIs outside any
# portion (stripped by design) and a dirty word and an e-mail address in released text (which
# must be redacted), and text, an attribute and namespace declarations outside portions under
# a banner the destination may not see (withheld with the banner's label). Each report is released through several flows, so that each position is
# exercised as withheld for several reasons (clearance, NF, SCI, PR withhold, REL TO with
# marker none, nested in a kept portion), and refused (OC, portions: refuse, default deny).
# Then `release --batch`, `policy explain`, `policy test` (passing and failing cases), `audit
# report --html`, `audit export --syslog`, `audit query --json` and `audit verify` run over the
# same reports and log. No canary may appear in any released report, receipt, the audit log,
# any of those outputs, or the stdout/stderr of any command.
# The check is shown able to fail: it must find the canaries in the reports themselves.
# Usage: bash tests/cli/test_redaction_canaries.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq xmllint

FC=$W/fc
cp -R "$SLUICE_SOURCE/examples/fusion-cell" "$FC"
chmod -R u+rwX,go-w "$FC"
# A dirty word that only these tests use, so that its redaction is checked with a canary.
echo "CANARYDIRTYWORD" >>"$FC/lists/operations.txt"
P=$FC/policy.yaml
mkdir -p "$W/keys" "$W/in" "$W/out" "$W/cmd" "$W/batch-in" "$W/batch-out"
make_keys "$W/keys" gw
KEY=$W/keys/gw.key PUB=$W/keys/gw.pub AUDIT=$W/audit.log

# report TAG CLS CTL [nested|plain] [scrub|noscrub]: a report whose portion <Para> is marked
# CLS with the IC-ISM attributes CTL and carries canaries CANARY_TAG_* in every position. With
# `nested`, <Para> sits inside a kept unclassified portion <Section>, with kept text around it.
# With `scrub` (the flow redacts), kept text carries the dirty word and an e-mail canary.
report() {
	local t=$1 cls=$2 ctl=$3 shape=${4:-plain} banner_cls=$2 open="" close=""
	local word=CANARYDIRTYWORD mail=canary.$t@canary-mail.example.org
	[ "${5:-scrub}" = scrub ] || { word=Kestrelford; mail=desk@example.org; }
	[ "$cls" = U ] && banner_cls=C
	if [ "$shape" = nested ]; then
		open='<Section ism:classification="U" ism:ownerProducer="USA">Kept section text.'
		close='Kept text after the nested portion.</Section>'
	fi
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- CANARY_${t}_OUTCOMMENT -->
<?CANARY_${t}_OUTPITARGET CANARY_${t}_OUTPIDATA?>
<Report xmlns:ism="urn:us:gov:ic:ism" xmlns:canaryout_$t="urn:CANARY_${t}_OUTNS"
    ism:resourceElement="true" ism:DESVersion="10"
    ism:createDate="2025-03-07" ism:classification="$banner_cls" ism:ownerProducer="USA" $ctl>
  <!-- CANARY_${t}_OUTCOMMENT2 -->
  <Meta xmlns:canarymeta_$t="urn:CANARY_${t}_METANS" ref="CANARY_${t}_OUTATTR">CANARY_${t}_OUTTEXT</Meta>
  <Title ism:classification="U" ism:ownerProducer="USA">Kept title naming $word and
    $mail<?CANARY_${t}_OUTPI2 x?></Title>
  $open<Para ism:classification="$cls" ism:ownerProducer="USA" $ctl CANARY_${t}_ATTRNAME="x"
      note="CANARY_${t}_ATTRVALUE" xmlns:canaryns_$t="urn:CANARY_${t}_NSURI"
      canaryns_$t:k="CANARY_${t}_NSATTR">CANARY_${t}_TEXT
    <![CDATA[CANARY_${t}_CDATA <not-markup>]]>
    <!-- CANARY_${t}_COMMENT -->
    <?CANARY_${t}_PITARGET CANARY_${t}_PIDATA?>
    <Sub ism:classification="U" ism:ownerProducer="USA" note="CANARY_${t}_SUBATTR">CANARY_${t}_NESTEDPORTION</Sub>
    <CANARY_${t}_ELEM a="CANARY_${t}_ELEMATTR">CANARY_${t}_ELEMTEXT</CANARY_${t}_ELEM>CANARY_${t}_TAIL
    <canaryns_$t:Child>CANARY_${t}_NSCHILD</canaryns_$t:Child>
  </Para>$close
  <Body ism:classification="U" ism:ownerProducer="USA" note="kept, $word">Kept body.</Body>
</Report>
EOF
}

# name TAG CLS CTL SHAPE FROM TO EXPECTED_EXIT: the release scenarios. Every position of the
# canary portion is withheld (exit 0) or the whole report refused (exit 1).
SCEN=(
	"clr      S  ism:disseminationControls=\"NF\"  plain  intel    customs     0"
	"nf       C  ism:disseminationControls=\"NF\"  plain  intel    partner-fra 0"
	"sci      S  ism:SCIcontrols=\"SI\"            plain  intel    police      0"
	"propin   C  ism:disseminationControls=\"PR\"  plain  customs  police      0"
	"relto    C  ism:releasableTo=\"USA&#x20;GBR\"  plain  military partner-fra 0"
	"nestclr  S  ism:disseminationControls=\"NF\"  nested police   customs     0"
	"nestpr   U  ism:disseminationControls=\"PR\"  nested customs  police      0"
	"orcon    C  ism:disseminationControls=\"OC\"  plain  intel    police      1"
	"refuse   C  ism:disseminationControls=\"NF\"  plain  police   partner-fra 1"
	"deny     C  ism:disseminationControls=\"NF\"  plain  customs  partner-fra 1"
)

# ---- Write the reports ---------------------------------------------------------------------
for s in "${SCEN[@]}"; do
	read -r t cls ctl shape from _ <<<"$s"
	ctl=${ctl//&#x20;/ }
	scrub=scrub
	[ "$from" = customs ] && scrub=noscrub # customs -> police scrubs nothing
	report "$t" "$cls" "$ctl" "$shape" "$scrub" >"$W/in/$t.xml"
	check "$t: the generated report is well-formed" xmllint --noout --nonet "$W/in/$t.xml"
done

# Every canary of a report, one a line (the planted ones: CANARY_..., the e-mail canary, and
# the dirty word).
canaries_of() { grep -ohaE 'CANARY_[A-Za-z0-9_]*|canary\.[a-z]+@canary-mail\.example\.org|CANARYDIRTYWORD' "$@" | sort -u; }
mapfile -t ALL < <(canaries_of "$W"/in/*.xml)
check "the reports plant at least 20 canaries per scenario (${#ALL[@]} for ${#SCEN[@]} scenarios)" \
	[ "${#ALL[@]}" -ge $((20 * ${#SCEN[@]})) ]
# leaks FILE...: prints the canaries found in the files (case-insensitive 'canary' catches the
# prefix, the namespace URI and any transformation that keeps the word).
leaks() { grep -rhoaiE '[A-Za-z0-9_.:@-]*canary[A-Za-z0-9_.:@-]*' "$@" 2>/dev/null | sort -u | head -5 | tr '\n' ' '; }
# no_leak DESCRIPTION FILE...: ok when no canary is in the files.
no_leak() {
	local desc=$1 found
	shift
	found=$(leaks "$@")
	if [ -z "$found" ]; then ok "no canary in $desc"; else not_ok "canary in $desc: $found"; fi
}

# The check must be able to fail: it finds the canaries where they are.
found=$(leaks "$W/in/clr.xml")
check "the leak check finds canaries in a report that holds them ($found)" [ -n "$found" ]
cp "$W/in/clr.xml" "$W/planted.receipt"
check "the leak check flags a planted copy of a report" [ -n "$(leaks "$W/planted.receipt")" ]
rm -f "$W/planted.receipt"

# ---- Releases, one per scenario --------------------------------------------------------------
n_released=0 n_refused=0
for s in "${SCEN[@]}"; do
	read -r t _ _ _ from to want <<<"$s"
	out=$W/out/$t.xml
	"$SLUICE" release --policy "$P" --from "$from" --to "$to" --key "$KEY" --audit "$AUDIT" \
		-o "$out" "$W/in/$t.xml" >"$W/cmd/release-$t.out" 2>"$W/cmd/release-$t.err"
	rc=$?
	check "$t: release $from -> $to exits $want (got $rc)" [ "$rc" = "$want" ]
	check "$t: a receipt is written" [ -s "$out.receipt" ]
	if [ "$want" = 0 ]; then
		n_released=$((n_released + 1))
		check "$t: the released report is well-formed" xmllint --noout --nonet "$out"
		removals=$(receipt_field "$out.receipt" '.record.removals | length')
		check "$t: the receipt lists the withheld portion (${removals:-none})" [ "${removals:-0}" -ge 1 ]
		check "$t: kept text is released" grep -q 'Kept body' "$out"
		if [ "$from/$to" != "customs/police" ]; then
			check "$t: the dirty word and the e-mail canary were redacted" \
				grep -q 'naming \[REDACTED\] and' "$out"
		fi
		no_leak "$t: released report" "$out"
	else
		n_refused=$((n_refused + 1))
		check "$t: nothing is released" absent "$out"
		check "$t: the receipt says refused" \
			[ "$(receipt_field "$out.receipt" '.record.decision')" = refused ]
	fi
	no_leak "$t: receipt" "$out.receipt"
	no_leak "$t: release stdout and stderr" "$W/cmd/release-$t.out" "$W/cmd/release-$t.err"
	# To stdout (no -o): stdout is the released report, which must be as clean.
	"$SLUICE" release --policy "$P" --from "$from" --to "$to" --key "$KEY" --audit "$AUDIT" \
		"$W/in/$t.xml" >"$W/cmd/stdout-$t.out" 2>"$W/cmd/stdout-$t.err"
	no_leak "$t: release to stdout (report and stderr)" "$W/cmd/stdout-$t.out" "$W/cmd/stdout-$t.err"
	if [ "$want" = 0 ]; then
		sl verify --pub "$PUB" --receipt "$out.receipt" "$out"
	else
		sl verify --pub "$PUB" --receipt "$out.receipt"
	fi
	check "$t: the receipt verifies (exit $RC)" [ "$RC" = 0 ]
	no_leak "$t: verify stdout and stderr" "$W/sl.out" "$W/sl.err"
done

# ---- Batch: every withheld-to-customs report in one process ------------------------------------
cp "$W/in/clr.xml" "$W/in/nestclr.xml" "$W/in/sci.xml" "$W/batch-in/"
report badx S 'ism:disseminationControls="NF"' >"$W/batch-in/broken.xml"
echo '<Unclosed CANARY_badx_BROKEN="1">CANARY_badx_TRUNC' >>"$W/batch-in/broken.xml"
"$SLUICE" release --policy "$P" --from police --to customs --key "$KEY" --audit "$AUDIT" \
	--batch "$W/batch-in" --out "$W/batch-out" >"$W/cmd/batch.out" 2>"$W/cmd/batch.err"
rc=$?
check "batch police -> customs exits 0 (got $rc)" [ "$rc" = 0 ]
nb=$(find "$W/batch-out" -name '*.receipt' | wc -l)
check "batch: one receipt per report ($nb of 4)" [ "$nb" = 4 ]
check "batch: the broken report is not released" absent "$W/batch-out/broken.xml"
no_leak "batch: released reports and receipts" "$W/batch-out"
no_leak "batch: stdout and stderr" "$W/cmd/batch.out" "$W/cmd/batch.err"

# ---- Dry runs: policy explain and policy test ------------------------------------------------
for s in "${SCEN[@]}"; do
	read -r t _ _ _ from to _ <<<"$s"
	"$SLUICE" policy explain --policy "$P" --from "$from" --to "$to" "$W/in/$t.xml" \
		>"$W/cmd/explain-$t.out" 2>"$W/cmd/explain-$t.err"
	no_leak "$t: policy explain output" "$W/cmd/explain-$t.out" "$W/cmd/explain-$t.err"
done
"$SLUICE" policy explain --policy "$P" --from police --to customs "$W/batch-in/broken.xml" \
	>"$W/cmd/explain-broken.out" 2>"$W/cmd/explain-broken.err"
no_leak "policy explain of a broken report" "$W/cmd/explain-broken.out" "$W/cmd/explain-broken.err"
# Cases: each report with a right and a deliberately wrong expectation (the failure prints a
# diff, which must not carry content either).
{
	echo "sluice-policy-tests: 1"
	echo "cases:"
	for s in "${SCEN[@]}"; do
		read -r t _ _ _ from to want <<<"$s"
		d=released
		[ "$want" = 1 ] && d=refused
		printf '  - {name: %s right, report: %s, from: %s, to: %s, expect: {decision: %s, exit: %s}}\n' \
			"$t" "$W/in/$t.xml" "$from" "$to" "$d" "$want"
		printf '  - {name: %s wrong, report: %s, from: %s, to: %s, expect: {decision: %s, exit: %s, withheld: 99, banner: TS}}\n' \
			"$t" "$W/in/$t.xml" "$from" "$to" "$d" "$want"
	done
	printf '  - {name: broken, report: %s, from: police, to: customs, expect: {decision: released, exit: 0}}\n' \
		"$W/batch-in/broken.xml"
} >"$W/cases.yaml"
sl policy test "$P" "$W/cases.yaml"
check "policy test runs the cases and reports the wrong ones (exit $RC)" [ "$RC" = 1 ]
check "policy test says how many failed" grep -qE '[0-9]+ (failed|of)' "$W/sl.out" "$W/sl.err"
cp "$W/sl.out" "$W/cmd/policy-test.out"
cp "$W/sl.err" "$W/cmd/policy-test.err"
no_leak "policy test stdout and stderr" "$W/cmd/policy-test.out" "$W/cmd/policy-test.err"

# ---- The audit log and what is made of it ---------------------------------------------------
records=$(audit_transfers "$AUDIT")
check "the audit log holds a record per release ($records; $((2 * ${#SCEN[@]} + 4)) expected)" \
	[ "$records" = $((2 * ${#SCEN[@]} + 4)) ]
sl audit verify --pub "$PUB" "$AUDIT"
check "the audit log verifies (exit $RC)" [ "$RC" = 0 ]
no_leak "the audit log" "$AUDIT"
sl audit report --html "$W/cmd/report.html" --pub "$PUB" "$AUDIT"
check "audit report --html exits 0 ($RC)" [ "$RC" = 0 ]
check "audit report --html wrote a page" [ -s "$W/cmd/report.html" ]
no_leak "audit report --html" "$W/cmd/report.html" "$W/sl.out" "$W/sl.err"
sl audit export --syslog "$AUDIT"
check "audit export --syslog exits 0 ($RC) with a line per record" \
	[ "$RC" = 0 ] && [ "$(wc -l <"$W/sl.out")" -ge "$records" ]
no_leak "audit export --syslog" "$W/sl.out" "$W/sl.err"
sl audit query "$AUDIT" --json
check "audit query --json exits 0 ($RC)" [ "$RC" = 0 ]
no_leak "audit query --json" "$W/sl.out" "$W/sl.err"
sl audit stats "$AUDIT"
no_leak "audit stats" "$W/sl.out" "$W/sl.err"

# ---- Everything at once ----------------------------------------------------------------------
no_leak "anything the tests wrote (grep -r over outputs, receipts, logs, command output)" \
	"$W/out" "$W/batch-out" "$W/cmd" "$AUDIT"
echo "# canaries planted: ${#ALL[@]} in ${#SCEN[@]} reports (+ a broken one); releases: $n_released released, $n_refused refused; batch: 4"
finish
