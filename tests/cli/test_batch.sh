#!/usr/bin/env bash
# `sluice release --batch INDIR --out OUTDIR` (SPEC section 5): every report handled in one
# process, OUTDIR/NAME and OUTDIR/NAME.receipt, one audit record each, exit 0 whatever each
# decision, a summary line per report on stdout. Also `--receipt FILE` without -o.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq

make_keys "$W" k
P=$SLUICE_FIXTURES/ism/policy.yaml
mkdir -p "$W/in" "$W/out"
head='<r xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true"'
cat >"$W/in/a-release.xml" <<XML
$head ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">
<p ism:classification="U" ism:ownerProducer="USA">open text, mail x.y@agency.example</p>
<p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">CANARY-BATCH-1</p></r>
XML
cat >"$W/in/b-refuse.xml" <<XML
$head ism:classification="C" ism:ownerProducer="USA" ism:disseminationControls="OC">
<p ism:classification="C" ism:ownerProducer="USA" ism:disseminationControls="OC">CANARY-BATCH-2</p></r>
XML
printf '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>' >"$W/in/c-hostile.xml"
printf '%s ism:classification="Q" ism:ownerProducer="USA"/>' "$head" >"$W/in/d-invalid.xml"
mkdir "$W/in/subfolder" # not a report: skipped

sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--batch "$W/in" --out "$W/out"
check "batch exits 0 when every report was handled (got $RC)" [ "$RC" = 0 ]
check "one summary line per report on stdout" [ "$(wc -l <"$W/sl.out")" = 4 ]
check "summary names the release" grep -q $'^a-release.xml\treleased\twithheld=1\tredacted=1' "$W/sl.out"
check "summary names the refusal and its rule" grep -q $'^b-refuse.xml\trefused\t.*caveat.refuse$' "$W/sl.out"
check "summary names the hostile report" grep -q $'^c-hostile.xml\tinvalid\t.*xml.doctype$' "$W/sl.out"
check "summary names the invalid report" grep -q $'^d-invalid.xml\tinvalid\t.*ism.unknown-classification$' "$W/sl.out"
check "released report written as OUTDIR/NAME" [ -s "$W/out/a-release.xml" ]
check "no report written for refusals and invalid reports" \
	absent "$W/out/b-refuse.xml" "$W/out/c-hostile.xml" "$W/out/d-invalid.xml"
for n in a-release b-refuse c-hostile d-invalid; do
	check "receipt OUTDIR/$n.xml.receipt written" [ -s "$W/out/$n.xml.receipt" ]
done
check "released receipt verifies against the released bytes" \
	"$SLUICE" verify --pub "$W/k.pub" --receipt "$W/out/a-release.xml.receipt" "$W/out/a-release.xml"
check "refusal receipt verifies against the submitted bytes" \
	"$SLUICE" verify --pub "$W/k.pub" --receipt "$W/out/b-refuse.xml.receipt" "$W/in/b-refuse.xml"
check "withheld canary is not released" lacks CANARY-BATCH "$W/out/a-release.xml"
check "one audit record per report" [ "$(jq -c 'select(.type=="transfer")' "$W/a.log" | wc -l)" = 4 ]
check "audit log verifies" "$SLUICE" audit verify --pub "$W/k.pub" "$W/a.log"
check "audit log never holds report content" lacks -e CANARY-BATCH -e 'open text' "$W/a.log"

sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--batch "$W/in" --out "$W/no-such-folder"
check "missing OUTDIR is an I/O error, 74 (got $RC)" [ "$RC" = 74 ]
sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--batch "$W/in" --out "$W/out" "$W/in/a-release.xml"
check "--batch with a REPORT argument is a usage error, 64 (got $RC)" [ "$RC" = 64 ]
sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--batch "$W/in"
check "--batch without --out is a usage error, 64 (got $RC)" [ "$RC" = 64 ]

# --receipt without -o: the report goes to stdout, the receipt to the named file.
sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--receipt "$W/solo.receipt" "$W/in/a-release.xml"
check "release to stdout exits 0 (got $RC)" [ "$RC" = 0 ]
check "released report on stdout" grep -q 'open text' "$W/sl.out"
check "--receipt FILE written" [ -s "$W/solo.receipt" ]
check "stdout bytes are the ones the receipt names" \
	"$SLUICE" verify --pub "$W/k.pub" --receipt "$W/solo.receipt" "$W/sl.out"
# no -o and no --receipt: no receipt file anywhere, but still audited
before=$(jq -c 'select(.type=="transfer")' "$W/a.log" | wc -l)
(cd "$W" && "$SLUICE" release --policy "$P" --from hq --to customs --key k.key --audit a.log \
	in/a-release.xml >/dev/null 2>&1)
check "no receipt file without -o or --receipt" absent "$W/in/a-release.xml.receipt" "$W/a-release.xml.receipt"
check "still audited" [ "$(jq -c 'select(.type=="transfer")' "$W/a.log" | wc -l)" = $((before + 1)) ]

# A report with a thousand withheld portions: the sandboxed filter sorts more than 1 KiB, which
# glibc's qsort once prefaced with a sysinfo call the filter's seccomp list kills (the report was
# refused as filter.seccomp; gateway/sandbox.c, prime_qsort). In a batch and alone.
mkdir -p "$W/wide-in" "$W/wide-out"
wide_report "$W/wide-in/wide.xml" \
	"$head ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">" "</r>" \
	'ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF"'
sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	-o "$W/wide.out" "$W/wide-in/wide.xml"
check "a report with 1,000 withheld portions is released (got $RC: $(head -c 200 "$W/sl.err"))" [ "$RC" = 0 ]
check "... its receipt lists the 1,000 removals" [ "$(jq '.record.removals | length' "$W/wide.out.receipt")" = 1000 ]
check "... and none of them crossed" lacks -q WIDE-CANARY "$W/wide.out"
sl release --policy "$P" --from hq --to customs --key "$W/k.key" --audit "$W/a.log" \
	--batch "$W/wide-in" --out "$W/wide-out"
check "... and in a batch" grep -q $'^wide.xml\treleased\twithheld=1000' "$W/sl.out"
finish
