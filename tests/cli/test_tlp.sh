#!/usr/bin/env bash
# The `tlp` profile (FIRST TLP 2.0) end to end on examples/cert-tlp: every scenario's exit code;
# per destination, exactly the portions its membership allows (organisation, clients,
# communities, clearance) with the banner re-marked; the AMBER+STRICT and RED canaries never
# leave where they may not; receipts verify; TLP membership errors in a policy are refused.
# Usage: bash test_tlp.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq
EX=$SLUICE_SOURCE/examples/cert-tlp
make_keys "$W" gw
release() { # release FROM TO REPORT OUTNAME
	sl release --policy "$EX/policy.yaml" --from "$1" --to "$2" --key "$W/gw.key" \
		--audit "$W/audit.log" -o "$W/$4.xml" --receipt "$W/$4.receipt" "$EX/reports/$3"
}

sl policy check "$EX/policy.yaml"
check "the example TLP policy is valid (got $RC)" [ "$RC" = 0 ]

n=0
while IFS=$'\t' read -r report from to expected what; do
	[ "$report" = report ] && continue
	n=$((n + 1))
	release "$from" "$to" "$report" "s$n"
	check "$report $from -> $to exits $expected (got $RC): $what" [ "$RC" = "$expected" ]
done <"$EX/scenarios.tsv"

labels() { grep -o 'tlp:label="[^"]*"' "$1" | sed 's/tlp:label="TLP:\(.*\)"/\1/' | tr '\n' ' '; }
release cert cert-soc 01-advisory-mixed.xml soc
check "same organisation: all four portions (got: $(labels "$W/soc.xml"))" [ "$(labels "$W/soc.xml")" = "AMBER+STRICT CLEAR GREEN AMBER AMBER+STRICT " ]
check "... the AMBER+STRICT canary is there" grep -q CANARY-STRICT-4471 "$W/soc.xml"
release cert ministry 01-advisory-mixed.xml min
check "a client: AMBER and below, banner re-marked AMBER (got: $(labels "$W/min.xml"))" [ "$(labels "$W/min.xml")" = "AMBER CLEAR GREEN AMBER " ]
check "... no AMBER+STRICT canary" lacks -q CANARY-STRICT "$W/min.xml"
check "... nor the document id, which carries the banner's AMBER+STRICT" lacks -q 'NATCERT-2026-0117' "$W/min.xml"
check "... the receipt says TLP:AMBER" [ "$(jq -r .record.banner "$W/min.receipt")" = TLP:AMBER ]
check "... and verifies against the output" "$SLUICE" verify --pub "$W/gw.pub" --receipt "$W/min.receipt" "$W/min.xml"
release cert grid-operator 01-advisory-mixed.xml grid
check "the community: GREEN and below (got: $(labels "$W/grid.xml"))" [ "$(labels "$W/grid.xml")" = "GREEN CLEAR GREEN " ]
check "... the withheld portions leave markers" [ "$(grep -c 'sluice:withheld' "$W/grid.xml")" = 2 ]
release cert partner-cert 01-advisory-mixed.xml partner
check "no membership, clearance GREEN: CLEAR only (got: $(labels "$W/partner.xml"))" [ "$(labels "$W/partner.xml")" = "CLEAR CLEAR " ]
check "... the receipt names why the GREEN portion was withheld" \
	jq -e '[.record.removals[].rule] | any(test("GREEN|tlp-audience"))' "$W/partner.receipt" >/dev/null
release cert cert-soc 02-red-briefing.xml red
check "TLP:RED is refused with rule tlp.red" grep -q 'tlp.red' "$W/sl.err"
check "... and its canary is nowhere: no output, not in the receipt or the audit log" \
	lacks -r -q CANARY-RED "$W"/red.receipt "$W/audit.log"
check "... no output file" absent "$W/red.xml"
release cert cert-soc 04-invalid-white.xml white
check "TLP:WHITE is invalid, naming TLP:CLEAR as its 2.0 name" grep -q "TLP:WHITE is TLP:CLEAR in 2.0.*tlp.value" "$W/sl.err"
release cert cert-soc 05-invalid-banner-too-low.xml low
check "a portion above the document label is invalid, naming the line" grep -q 'line 3.*tlp.banner-not-dominating\|:3:.*tlp.banner-not-dominating\|banner-not-dominating' "$W/sl.err"

# a report without a TLP label, and an unknown tlp attribute
printf '<?xml version="1.0"?>\n<R><P>x</P></R>\n' >"$W/none.xml"
sl release --policy "$EX/policy.yaml" --from cert --to cert-soc --key "$W/gw.key" --audit "$W/audit.log" "$W/none.xml"
check "a report without tlp:label on its root is invalid (got $RC)" [ "$RC" = 65 ] && grep -q tlp.missing-banner "$W/sl.err"
printf '<?xml version="1.0"?>\n<R xmlns:tlp="https://www.first.org/tlp/" tlp:label="TLP:CLEAR" tlp:pap="PAP:RED"><P>x</P></R>\n' >"$W/attr.xml"
sl release --policy "$EX/policy.yaml" --from cert --to cert-soc --key "$W/gw.key" --audit "$W/audit.log" "$W/attr.xml"
check "an unknown tlp: attribute is invalid (got $RC)" [ "$RC" = 65 ] && grep -q tlp.unknown-attribute "$W/sl.err"
check "the audit log verifies after all of it" "$SLUICE" audit verify --pub "$W/gw.pub" "$W/audit.log"

# policy errors: TLP membership values are reserved, names must be names
sed 's/cert-soc:     {clearance: RED, organisation: natcert}/cert-soc:     {clearance: RED, organisation: natcert, holds: [tlp-org:gridco]}/' "$EX/policy.yaml" >"$W/p1.yaml"
sl policy check "$W/p1.yaml"
check "a holds value starting with tlp- is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q "tlp- .*organisation" "$W/sl.err"
sed 's/organisation: gridco/organisation: "grid co"/' "$EX/policy.yaml" >"$W/p2.yaml"
sl policy check "$W/p2.yaml"
check "an organisation that is not a name is refused, 78 (got $RC)" [ "$RC" = 78 ]
sed 's/clearance: GREEN, organisation: partnercert/clearance: WHITE, organisation: partnercert/' "$EX/policy.yaml" >"$W/p3.yaml"
sl policy check "$W/p3.yaml"
check "a clearance outside the TLP scale is refused, naming the scale (got $RC)" [ "$RC" = 78 ] && grep -q 'CLEAR, GREEN, AMBER, AMBER+STRICT, RED' "$W/sl.err"
finish
