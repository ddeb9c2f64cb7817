#!/usr/bin/env bash
# Several `sluice release` processes writing one audit log at the same time: the writer lock
# serialises them, every decision is recorded once, and the chain still verifies.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq

make_keys "$W" k
P=$SLUICE_FIXTURES/ism/policy.yaml
printf '<r xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA"><p ism:classification="U" ism:ownerProducer="USA">x</p></r>' >"$W/r.xml"
n=12
pids=()
for i in $(seq 1 $n); do
	"$SLUICE" release --policy "$P" --from hq --to police --key "$W/k.key" --audit "$W/a.log" \
		-o "$W/out-$i.xml" "$W/r.xml" 2>"$W/err-$i" &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
check "$n concurrent releases all exit 0 ($failed failed)" [ "$failed" = 0 ]
check "one transfer record per release" [ "$(jq -c 'select(.type=="transfer")' "$W/a.log" | wc -l)" = $n ]
check "the shared audit log verifies" "$SLUICE" audit verify --pub "$W/k.pub" "$W/a.log"
ids=$(jq -r 'select(.type=="transfer") | .record.transfer_id' "$W/a.log" | sort -u | wc -l)
check "every transfer id is distinct" [ "$ids" = $n ]
finish
