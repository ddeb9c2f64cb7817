#!/usr/bin/env bash
# End-to-end: the audit log as a transparency log (issue 6; docs/OVERSIGHT.md).
#   - receipts carry their leaf index; `sluice audit head` prints the signed tree head;
#     `audit prove` writes an inclusion proof that `audit check-proof` accepts with only the
#     public key (and with --receipt, for the receipt it is about);
#   - a proof with a changed index, path hash, record or tree head fails (1, saying what); a
#     malformed proof file is 65, a missing one 74, bad usage 64;
#   - `audit consistency` proves a grown log's newer head extends its older one; a forked log
#     (two logs sharing a prefix) and a truncated log are named, by `consistency` and by
#     `audit verify --head`; two heads of one size with different roots are named a fork;
#   - reordered, removed and edited records are named by `audit verify`.
# Usage: bash tests/cli/test_audit_proofs.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq

cd "$W" || exit 1
mkdir -p keys out
make_keys keys gw || { not_ok "openssl generates an Ed25519 key"; finish; }
make_keys keys other || { not_ok "openssl generates a second key"; finish; }
PUB=keys/gw.pub

# The demo's policy and a report it releases from intel to police (and refuses from police
# to intel: no flow).
cp -r "$SLUICE_SOURCE/examples/fusion-cell" cell
chmod -R go-w cell

# decide LOG N FROM TO: one release into LOG, output out/N.xml and its receipt.
decide() {
	sl release --policy cell/policy.yaml --from "$3" --to "$4" --key keys/gw.key --audit "$1" \
		-o "out/$2.xml" cell/reports/01-intel-to-police-plain.xml
}
# has TEXT: the last sluice run said TEXT (stdout or stderr).
has() { grep -qF -- "$1" "$W/sl.out" "$W/sl.err"; }
# expect_says WANT_EXIT TEXT DESCRIPTION ARGS...: exit code and message.
expect_says() {
	local want=$1 text=$2 desc=$3
	shift 3
	sl "$@"
	if [ "$RC" = "$want" ] && has "$text"; then
		ok "$desc: exit $RC, says \"$text\""
	else
		not_ok "$desc: exit $RC (want $want), says \"$text\"?"
		sed -n '1,3s/^/#   /p' "$W/sl.out" "$W/sl.err"
	fi
}

# ---- three decisions, a head, an inclusion proof -------------------------------------------
decide a.log 1 intel police
decide a.log 2 police intel # refused: no flow
decide a.log 3 intel police
for n in 1 2 3; do
	check "receipt $n carries its leaf index $((n - 1))" \
		[ "$(receipt_field out/$n.xml.receipt '.log.leaf_index')" = $((n - 1)) ]
done
sl verify --pub "$PUB" --receipt out/1.xml.receipt out/1.xml
check "a receipt with its leaf index still verifies (exit $RC)" [ "$RC" = 0 ]
jq -c '.log.leaf_index = "one"' out/1.xml.receipt >bad-log.receipt
expect_says 1 '"log"' "a receipt whose leaf index is not a number" \
	verify --pub "$PUB" --receipt bad-log.receipt

sl audit head a.log
check "audit head prints the latest signed tree head (exit $RC)" [ "$RC" = 0 ]
cp "$W/sl.out" h1.sth
check "the head covers the 3 records" [ "$(jq -r .records h1.sth)" = 3 ]
check "the head has a root and a frontier" \
	[ "$(jq -r '.root | length' h1.sth)" = 64 ] && [ "$(jq -r '.frontier | length' h1.sth)" = 2 ]
expect 0 "audit head --pub checks its signature" audit head --pub "$PUB" a.log
expect_says 1 "unknown key" "audit head with another key" audit head --pub keys/other.pub a.log
expect_says 74 "cannot open" "audit head of a missing log" audit head nothing.log

sl audit prove --receipt out/2.xml.receipt -o p2.json a.log
check "audit prove writes an inclusion proof (exit $RC)" [ "$RC" = 0 ] && [ -s p2.json ]
check "the proof is of leaf 1" [ "$(jq -r .leaf_index p2.json)" = 1 ]
check "the proof holds the record of the receipt" \
	[ "$(jq -cS .record p2.json)" = "$(jq -cS .record out/2.xml.receipt)" ]
expect_says 0 "inclusion proof valid" "check-proof with the public key only" \
	audit check-proof --pub "$PUB" p2.json
expect_says 0 "names this record" "check-proof --receipt (the receipt it is about)" \
	audit check-proof --pub "$PUB" --receipt out/2.xml.receipt p2.json
expect_says 1 "another record" "check-proof --receipt of another transfer" \
	audit check-proof --pub "$PUB" --receipt out/1.xml.receipt p2.json
expect_says 1 "unknown key" "check-proof with another public key" \
	audit check-proof --pub keys/other.pub p2.json
sl audit prove --receipt out/1.xml.receipt a.log
check "prove writes to standard output without -o" \
	[ "$RC" = 0 ] && [ "$(jq -r .leaf_index "$W/sl.out")" = 0 ]
jq -c '.log.leaf_index = 0' out/3.xml.receipt >wrong-index.receipt
sl audit prove --receipt wrong-index.receipt a.log
check "prove finds a record whose receipt names the wrong leaf (exit $RC)" \
	[ "$RC" = 0 ] && has "but its record is leaf 2" && [ "$(jq -r .leaf_index "$W/sl.out")" = 2 ]

# ---- tampered proofs ------------------------------------------------------------------------
jq -c '.leaf_index = 0' p2.json >t-index.json
expect_says 1 "is not leaf 0" "proof with another leaf index" \
	audit check-proof --pub "$PUB" t-index.json
first=$(jq -r '.path[0]' p2.json)
jq -c '.leaf_index = 3' p2.json >t-outside.json
expect_says 1 "not inside the tree" "proof of a leaf index outside the tree" \
	audit check-proof --pub "$PUB" t-outside.json
# the same hash with its first hex digit changed (one to four bits)
flipped=$(printf '%s' "$first" | awk '{ r = (substr($0, 1, 1) == "0") ? "1" : "0"; print r substr($0, 2) }')
jq -c --arg h "$flipped" '.path[0] = $h' p2.json >t-path.json
expect_says 1 "does not lead to the tree head's root" "proof with one path hash changed" \
	audit check-proof --pub "$PUB" t-path.json
jq -c '.path |= .[:-1]' p2.json >t-short.json
expect_says 1 "wrong number of hashes" "proof with a path hash removed" \
	audit check-proof --pub "$PUB" t-short.json
jq -c '.record.to = "charlie"' p2.json >t-record.json
expect_says 1 "is not leaf 1" "proof with the record's destination changed" \
	audit check-proof --pub "$PUB" t-record.json
jq -c '.record.decision = "released"' p2.json >t-decision.json
expect_says 1 "the record, its index or the path was changed" "proof with the decision changed" \
	audit check-proof --pub "$PUB" t-decision.json
jq -c '.tree_head.records = 4' p2.json >t-size.json
expect_says 1 "bad signature" "proof whose tree head's size was changed" \
	audit check-proof --pub "$PUB" t-size.json
jq -c --arg r "$(jq -r .root h1.sth | tr '0-9a-f' '1-9a-f0')" '.tree_head.root = $r' p2.json >t-root.json
expect_says 1 "not a good signed tree head" "proof whose tree head's root was changed" \
	audit check-proof --pub "$PUB" t-root.json

# ---- malformed proof files, usage ------------------------------------------------------------
printf 'not json\n' >m-json.json
expect_says 65 "not JSON" "a proof that is not JSON" audit check-proof --pub "$PUB" m-json.json
jq -c '.extra = 1' p2.json >m-member.json
expect_says 65 '"extra"' "a proof with an unknown member" \
	audit check-proof --pub "$PUB" m-member.json
sed 's/^{/{"leaf_index":0,/' p2.json >m-dup.json
expect_says 65 "duplicate" "a proof with a duplicate key" audit check-proof --pub "$PUB" m-dup.json
jq -c '.path = [range(65) | "'"$first"'"]' p2.json >m-long.json
expect_says 65 "no path is longer" "a proof with 65 path hashes" \
	audit check-proof --pub "$PUB" m-long.json
jq -c '.path[0] = "XYZ"' p2.json >m-hex.json
expect_says 65 "hex" "a proof with a path hash that is not hex" \
	audit check-proof --pub "$PUB" m-hex.json
jq -c '.sluice_proof = 2' p2.json >m-version.json
expect_says 65 "version" "a proof of an unknown version" \
	audit check-proof --pub "$PUB" m-version.json
jq -c 'del(.tree_head.root)' p2.json >m-head.json
expect_says 65 "not a signed tree head" "a proof whose tree head has no root" \
	audit check-proof --pub "$PUB" m-head.json
expect 74 "check-proof of a missing file" audit check-proof --pub "$PUB" nothing.json
expect 64 "check-proof without --pub" audit check-proof p2.json
expect 64 "prove without --receipt" audit prove a.log
expect 0 "audit prove --help" audit prove --help

# ---- a growing log: consistency --------------------------------------------------------------
decide a.log 4 intel police
decide a.log 5 police intel
sl audit head a.log
cp "$W/sl.out" h2.sth
check "the newer head covers 5 records" [ "$(jq -r .records h2.sth)" = 5 ]
sl audit consistency --pub "$PUB" -o c12.json h1.sth h2.sth a.log
check "consistency between two heads of one growing log (exit $RC)" [ "$RC" = 0 ] && has "extends"
expect_says 0 "consistency proof valid" "check-proof of the consistency proof" \
	audit check-proof --pub "$PUB" c12.json
jq -c --arg h "$flipped" '.path[0] = $h' c12.json >t-c.json
expect_says 1 "is not shown to extend" "a consistency proof with a changed hash" \
	audit check-proof --pub "$PUB" t-c.json
jq -c '.old_head = .new_head' c12.json >t-c-same.json
expect_says 1 "wrong number of hashes" "a consistency proof between a head and itself with a path" \
	audit check-proof --pub "$PUB" t-c-same.json
expect_says 64 "give the older head first" "consistency with the heads swapped" \
	audit consistency --pub "$PUB" h2.sth h1.sth a.log
expect_says 0 "consistent" "consistency of a head with itself" \
	audit consistency --pub "$PUB" h2.sth h2.sth a.log
expect_says 65 "not a signed tree head" "consistency with a head file that is a proof" \
	audit consistency --pub "$PUB" p2.json h2.sth a.log
expect 0 "audit verify --head with both heads" audit verify --pub "$PUB" --head h1.sth --head h2.sth a.log
sl audit prove --receipt out/2.xml.receipt --head h1.sth -o p2-h1.json a.log
check "prove under an older head the witness holds (exit $RC)" \
	[ "$RC" = 0 ] && [ "$(jq -cS .tree_head p2-h1.json)" = "$(jq -cS . h1.sth)" ]
expect_says 1 "logged after the tree head of 3 records" "prove under a head older than the record" \
	audit prove --receipt out/4.xml.receipt --head h1.sth a.log

# ---- a forked log: the same first 3 records, then others --------------------------------------
cut=$(grep -n '"type":"checkpoint"' a.log | sed -n 3p | cut -d: -f1) # h1's line
check "h1 is the checkpoint on line $cut" [ "$(jq -r .seq h1.sth)" = "$cut" ]
head -n "$cut" a.log >b.log
decide b.log 6 intel police
decide b.log 7 intel police
sl audit head b.log
cp "$W/sl.out" hb.sth
check "the forked log's head has the same size as h2" [ "$(jq -r .records hb.sth)" = 5 ]
expect 0 "the forked log verifies on its own" audit verify --pub "$PUB" b.log
expect_says 0 "consistent" "the forked log extends h1 (the shared prefix)" \
	audit consistency --pub "$PUB" h1.sth hb.sth b.log
expect_says 1 "forked" "consistency h1 -> h2 against the forked log" \
	audit consistency --pub "$PUB" h1.sth h2.sth b.log
expect_says 1 "h2.sth" "the fork names the witness head's file" \
	audit consistency --pub "$PUB" h1.sth h2.sth b.log
expect_says 1 "forked: witness head 1 of tree_size 5" "verify --head h2 of the forked log" \
	audit verify --pub "$PUB" --head h2.sth b.log
jq -cn --slurpfile o h2.sth --slurpfile n hb.sth \
	'{new_head: $n[0], old_head: $o[0], path: [], sluice_proof: 1, type: "consistency"}' >fork.json
expect_says 1 "two signed tree heads of the same size" "two heads of one size, different roots" \
	audit check-proof --pub "$PUB" fork.json
expect_says 1 "does not hold the record" "prove a receipt of the other log" \
	audit prove --receipt out/4.xml.receipt b.log

# ---- truncation: cut back exactly to an earlier head ------------------------------------------
head -n "$cut" a.log >t.log
expect 0 "a log cut back to a checkpoint verifies on its own" audit verify --pub "$PUB" t.log
expect_says 1 "truncated: witness head 1 has tree_size 5, but the log holds only 3" \
	"verify --head of the later head names the truncation" audit verify --pub "$PUB" --head h2.sth t.log
expect_says 1 "truncated" "consistency h1 -> h2 against the truncated log" \
	audit consistency --pub "$PUB" h1.sth h2.sth t.log

# ---- reordered, removed, edited records --------------------------------------------------------
mapfile -t TL < <(grep -n '"type":"transfer"' a.log | cut -d: -f1)
A=${TL[1]}
B=${TL[2]}
awk -v a="$A" -v b="$B" '{ l[NR] = $0 } END { t = l[a]; l[a] = l[b]; l[b] = t; for (i = 1; i <= NR; i++) print l[i] }' \
	a.log >reordered.log
expect_says 1 "line $A" "records $A and $B reordered" audit verify --pub "$PUB" --head h2.sth reordered.log
sed "${B}d" a.log >removed.log
expect_says 1 "line $B" "record $B removed" audit verify --pub "$PUB" --head h2.sth removed.log
sed "${A}s/\"to\":\"intel\"/\"to\":\"intem\"/" a.log >edited.log
expect_says 1 "line $((A + 1))" "record $A edited" audit verify --pub "$PUB" --head h2.sth edited.log
expect_says 1 "line $((A + 1))" "prove refuses a damaged log, naming the line" \
	audit prove --receipt out/1.xml.receipt edited.log

finish
