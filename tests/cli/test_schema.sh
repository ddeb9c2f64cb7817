#!/usr/bin/env bash
# A policy's `schema:` (SPEC 3, 4): reports that fail the XSD are invalid (65); the XSD is
# compiled from local files next to it only; `policy check` compiles it too.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl

make_keys "$W" k
mkdir -p "$W/schemas"
cp "$SLUICE_FIXTURES/ism/schemas/report.xsd" "$SLUICE_FIXTURES/ism/schemas/portion.xsd" \
	"$SLUICE_FIXTURES/ism/schemas/remote-include.xsd" "$W/schemas/"
policy() {
	cat >"$W/p.yaml" <<YAML
sluice-policy: 1
id: schema-test
version: 1
profile: ism
schema: $1
domains: {a: {clearance: S, holds: [USA]}, b: {clearance: S, holds: [USA]}}
flows: [{from: a, to: b, portions: redact}]
YAML
}
head='<CaseReport xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA">'
printf '%s<Summary ism:classification="U" ism:ownerProducer="USA">ok</Summary></CaseReport>' "$head" >"$W/good.xml"
printf '%s<Detail ism:classification="U" ism:ownerProducer="USA">no summary</Detail></CaseReport>' "$head" >"$W/bad.xml"

policy schemas/report.xsd
sl policy check "$W/p.yaml"
check "policy with a local schema (and a local include) checks (got $RC)" [ "$RC" = 0 ]
sl release --policy "$W/p.yaml" --from a --to b --key "$W/k.key" --audit "$W/a.log" -o "$W/good.out" "$W/good.xml"
check "a report that satisfies the XSD is released (got $RC)" [ "$RC" = 0 ]
sl release --policy "$W/p.yaml" --from a --to b --key "$W/k.key" --audit "$W/a.log" -o "$W/bad.out" "$W/bad.xml"
check "a report that fails the XSD is invalid, 65 (got $RC)" [ "$RC" = 65 ]
check "the message names the schema rule" grep -q '\[xml.schema\]' "$W/sl.err"
check "nothing released" absent "$W/bad.out"

policy schemas/remote-include.xsd
sl policy check "$W/p.yaml"
check "a schema that includes from the network does not check, 78 (got $RC)" [ "$RC" = 78 ]
sl release --policy "$W/p.yaml" --from a --to b --key "$W/k.key" --audit "$W/a.log" -o "$W/x.out" "$W/good.xml"
check "... and release refuses to run with it, 78 (got $RC)" [ "$RC" = 78 ]
policy schemas/missing.xsd
sl policy check "$W/p.yaml"
check "a missing schema file, 78 (got $RC)" [ "$RC" = 78 ]
check "audit log verifies" "$SLUICE" audit verify --pub "$W/k.pub" "$W/a.log"
finish
