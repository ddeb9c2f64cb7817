#!/usr/bin/env bash
# End-to-end: `sluice label show --profile ism FILE` on the demo reports: the banner line
# first, then one portion mark per portion in document order, exit 0; an invalid report exits
# 65 naming the element, its line and the value; usage errors 64; a missing file 74; --help 0.
# Usage: bash tests/cli/test_label.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools xmllint

REPORTS=$SLUICE_SOURCE/examples/fusion-cell/reports
cd "$W" || exit 1

# Number of elements carrying an ism attribute, the resource element included.
marked_elements() {
	xmllint --nonet --xpath "count(//*[@*[namespace-uri()='urn:us:gov:ic:ism']])" "$1" 2>/dev/null
}
line() { sed -n "${1}p" "$W/sl.out"; }

# ---- Every valid demo report ---------------------------------------------------------------
valid=0
for f in "$REPORTS"/0*.xml "$REPORTS"/1[0-4]-*.xml; do
	r=$(basename "$f")
	expect 0 "label show --profile ism $r" label show --profile ism "$f"
	[ "$RC" = 0 ] || continue
	valid=$((valid + 1))
	check "$r: one line for the banner and one per portion" \
		[ "$(wc -l <"$W/sl.out")" = "$(marked_elements "$f")" ]
	check "$r: the banner line comes first, without parentheses" \
		grep -qvE '^\(' <(line 1)
	check "$r: every other line is a portion mark in parentheses" \
		[ "$(tail -n +2 "$W/sl.out" | grep -cvE '^\(.*\)$')" = 0 ]
	cp "$W/sl.out" "$W/explicit.out"
	sl label show "$f"
	check "$r: without --profile the ism root selects the same listing" \
		cmp -s "$W/sl.out" "$W/explicit.out"
	cp "$W/explicit.out" "$W/sl.out"
done
check "the fourteen valid demo reports were shown" [ "$valid" = 14 ]

# Exact listings: banner first, portions in document order.
expect_listing() { # REPORT LINE...
	local r=$1
	shift
	sl label show --profile ism "$REPORTS/$r"
	printf '%s\n' "$@" >"$W/want.out"
	if cmp -s "$W/sl.out" "$W/want.out"; then
		ok "$r: listing is $(paste -sd'|' "$W/want.out")"
	else
		not_ok "$r: listing is $(paste -sd'|' "$W/sl.out"), expected $(paste -sd'|' "$W/want.out")"
	fi
}
expect_listing 01-intel-to-police-plain.xml "SECRET//NOFORN" "(U)" "(U)" "(S//NF)" "(C)" "(C)"
expect_listing 03-intel-to-police-sci.xml "TOP SECRET//SI/TK//NOFORN" "(U)" "(S//NF)" \
	"(S//SI//NF)" "(TS//SI/TK//NF)" "(C)"
expect_listing 05-intel-to-fra-les.xml "CONFIDENTIAL//REL TO USA, FRA, NATO//LES" "(U)" \
	"(C//REL TO USA, FRA, NATO/RELIDO)" "(U//LES)"
expect_listing 06-military-to-fra-rel-to.xml "SECRET" "(U)" "(C//REL TO USA, FRA, NATO)" \
	"(C//REL TO USA, NATO)" "(C//REL TO USA, GBR)" "(S//REL TO USA, GBR, NATO)"
expect_listing 08-intel-to-police-orcon.xml "SECRET//ORCON/NOFORN" "(U)" "(S//NF)" "(S//OC/NF)"
expect_listing 10-police-to-fra-released.xml "CONFIDENTIAL//REL TO USA, FRA, NATO" "(U//FOUO)" \
	"(C//REL TO USA, FRA, NATO)" "(U//FOUO)"

# ---- Invalid reports: 65, naming the element, its line and the value -------------------------
expect_invalid() { # REPORT WHAT_STDERR_NAMES...
	local r=$1
	shift
	expect 65 "label show --profile ism $r (invalid)" label show --profile ism "$REPORTS/$r"
	check "$r: nothing on stdout" [ ! -s "$W/sl.out" ]
	local want
	for want in "$@"; do
		check "$r: stderr names '$want'" grep -qF -- "$want" "$W/sl.err"
	done
}
expect_invalid 16-invalid-classification.xml "<Body>" "16-invalid-classification.xml:8:" "'X'" \
	"[ism.unknown-classification]"
expect_invalid 17-invalid-unknown-caveat.xml "<Body>" "17-invalid-unknown-caveat.xml:10:" \
	"'NOFORN'" "[ism.unknown-value]"
expect_invalid 18-invalid-banner-too-low.xml "<Annex>" "18-invalid-banner-too-low.xml:10:" \
	"[ism.banner-not-dominating]"
expect_invalid 15-hostile-doctype-entity.xml "[xml.doctype]"
expect_invalid 19-invalid-malformed.xml "[xml.not-well-formed]"
# A portion breaking a CAPCO rule (REL with NOFORN) in an otherwise good report.
sed 's/ism:disseminationControls="REL"/ism:disseminationControls="NF REL"/' \
	"$REPORTS/04-intel-to-fra-noforn.xml" >bad-rel.xml
expect 65 "a portion with NF and REL" label show bad-rel.xml
check "the NF+REL refusal names the element, its line and the rule" \
	grep -qE 'bad-rel\.xml:[0-9]+: .*<Summary>: .*NF REL.*ISM-ID-00033.*\[ism\.exclusive\]' "$W/sl.err"

# ---- Usage errors: 64 ------------------------------------------------------------------------
R01=$REPORTS/01-intel-to-police-plain.xml
printf '<?xml version="1.0"?>\n<plain><p>no markings</p></plain>\n' >plain.xml
expect 64 "label without a subcommand" label
expect 64 "label with an unknown subcommand" label shows "$R01"
expect 64 "label show without FILE" label show
expect 64 "label show with two files" label show "$R01" "$R01"
expect 64 "label show with an unknown option" label show --colour "$R01"
expect 64 "label show --profile with an unknown profile" label show --profile tlp "$R01"
expect 64 "label show with both --spif and --profile" label show --spif s.xml --profile ism "$R01"
expect 64 "label show --profile without its value" label show "$R01" --profile
expect 64 "label show of a file with no ism root and no --spif" label show plain.xml
check "the no-profile refusal says what to give" grep -q -- '--profile ism' "$W/sl.err"
expect 64 "label check without --clearance" label check --spif s.xml "$R01"
expect 64 "label check without --spif" label check --clearance c.xml "$R01"
expect 64 "label check without FILE" label check --spif s.xml --clearance c.xml

# ---- I/O errors: 74 --------------------------------------------------------------------------
expect 74 "label show --profile ism of a missing file" label show --profile ism missing.xml
check "the I/O error names the file" grep -qF "missing.xml" "$W/sl.err"
expect 74 "label show of a missing file" label show missing.xml

# ---- --help ----------------------------------------------------------------------------------
for args in "label --help" "label show --help" "label check --help"; do
	read -ra words <<<"$args"
	expect 0 "sluice $args" "${words[@]}"
	check "sluice $args prints the usage on stdout" grep -q 'sluice label show' "$W/sl.out"
done
sl --help
check "sluice --help lists the label command" grep -qE '^  label ' "$W/sl.out"

finish
