#!/usr/bin/env bash
# Errors before a report is considered: an invalid policy is still audited and receipted
# (SPEC 5: every refusal and every error is an audit record); a missing key or an audit log
# that cannot be opened is an I/O error (74) that writes nothing.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq

make_keys "$W" k
printf '<r xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA"/>' >"$W/r.xml"
printf 'sluice-policy: 1\nid: x\nversion: 1\nprofile: ism\nbogus: 1\ndomains: {a: {clearance: U}}\n' >"$W/bad.yaml"

sl release --policy "$W/bad.yaml" --from a --to b --key "$W/k.key" --audit "$W/a.log" -o "$W/out.xml" "$W/r.xml"
check "invalid policy exits 78 (got $RC)" [ "$RC" = 78 ]
check "stderr names file:line:column and the rule" grep -q 'bad.yaml:5:1: .*\[policy.unknown-key\]' "$W/sl.err"
check "no report written" absent "$W/out.xml"
check "an error receipt is written" [ "$(receipt_field "$W/out.xml.receipt" .record.decision)" = error ]
check "the error receipt names the rule" [ "$(receipt_field "$W/out.xml.receipt" .record.reason.rule)" = policy.unknown-key ]
check "the error receipt verifies against the submitted report" \
	"$SLUICE" verify --pub "$W/k.pub" --receipt "$W/out.xml.receipt" "$W/r.xml"
check "the error is audited" [ "$(jq -r 'select(.type=="transfer") | .record.decision' "$W/a.log")" = error ]
check "the audit log verifies" "$SLUICE" audit verify --pub "$W/k.pub" "$W/a.log"

sl release --policy "$W/bad.yaml" --from a --to b --key "$W/missing.key" --audit "$W/b.log" "$W/r.xml"
check "missing signing key exits 74 (got $RC)" [ "$RC" = 74 ]
check "nothing logged without a key to sign it" absent "$W/b.log"
sl release --policy "$W/bad.yaml" --from a --to b --key "$W/k.key" --audit "$W/no/such/dir/a.log" "$W/r.xml"
check "audit log that cannot be created exits 74 (got $RC)" [ "$RC" = 74 ]
sl release --policy "$W/bad.yaml" --from a --to b --key "$W/k.pub" --audit "$W/c.log" "$W/r.xml"
check "a public key given as the signing key exits 78 (got $RC)" [ "$RC" = 78 ]
finish
