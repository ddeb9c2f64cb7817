#!/usr/bin/env bash
# Signed policy bundles and the two-person rule (issue 5): bundle packs the policy and its word
# lists; sign adds one signature per administrator key; verify passes only with N distinct
# trusted administrators, and names what is missing for: no signature, one signature, the same
# administrator twice, an untrusted key, a tampered file, a tampered version, a stripped
# signature; malformed bundles and unsafe paths are refused; `sluice release --admins DIR
# --required N` releases only under a bundle N administrators signed, and audits the refusals.
# Usage: bash test_policy_bundle.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools jq
EX=$SLUICE_SOURCE/examples/fusion-cell
mkdir -p "$W/admins"
for who in alice bob carol mallory; do make_keys "$W" "$who"; done
cp "$W/alice.pub" "$W/bob.pub" "$W/carol.pub" "$W/admins/"
B=$W/bundle.json

sl policy bundle "$EX/policy.yaml" -o "$B"
check "bundle packs the example policy (got $RC)" [ "$RC" = 0 ]
check "... with the policy, both word lists and both SPIFs" [ "$(jq -r '[.files[].path] | join(" ")' "$B")" = "policy.yaml lists/sources-and-methods.txt lists/operations.txt spif/alliance.xml spif/nordland.xml" ]
check "... each file's bytes and digest" jq -e 'all(.files[]; (.sha256 | length) == 64 and (.base64 | length) > 0)' "$B" >/dev/null
check "... its identity and bundle digest" [ "$(jq -r '.policy_id + " " + (.policy_version|tostring)' "$B")" = "fusion-cell 4" ]
check "... unsigned" [ "$(jq '.signatures | length' "$B")" = 0 ]
sl policy bundle "$EX/policy.yaml" -o "$B"
check "bundle never overwrites (got $RC)" [ "$RC" = 74 ]

verify() { sl policy verify --admins "$W/admins" --required 2 "$1"; }
verify "$B"
check "unsigned: verify fails, 1 (got $RC)" [ "$RC" = 1 ]
check "... saying 0 of 2" grep -q 'has 0 valid signatures of trusted administrators, 2 required' "$W/sl.err"
sl policy sign --key "$W/alice.key" "$B"
check "alice signs (got $RC)" [ "$RC" = 0 ]
verify "$B"
check "one administrator is not enough (got $RC)" [ "$RC" = 1 ] && grep -q '1 valid signature of trusted administrators (alice), 2 required' "$W/sl.err"
sl policy sign --key "$W/alice.key" "$B"
check "alice cannot sign twice (got $RC)" [ "$RC" = 1 ] && grep -q 'bundle.signed-twice' "$W/sl.err"
sl policy sign --key "$W/mallory.key" "$B"
verify "$B"
check "an untrusted key does not count (got $RC)" [ "$RC" = 1 ] && grep -q 'is not a trusted administrator' "$W/sl.err"
cp "$B" "$W/one-plus-mallory.json"
sl policy sign --key "$W/bob.key" "$B"
verify "$B"
check "alice and bob: verified (got $RC)" [ "$RC" = 0 ]
check "... naming both" grep -q 'by alice' "$W/sl.out" && grep -q 'by bob' "$W/sl.out"
sl policy verify --admins "$W/admins" --required 3 "$B"
check "two signatures do not meet --required 3 (got $RC)" [ "$RC" = 1 ]

# a signature copied in twice counts once
jq '.signatures += [.signatures[0]]' "$W/one-plus-mallory.json" >"$W/dup.json"
verify "$W/dup.json"
check "the same signature twice counts once (got $RC)" [ "$RC" = 1 ] && grep -q '1 repeated' "$W/sl.err"
# tampering: a word list byte, the version, a stripped signature, a re-signed copy by one admin
jq '.files[1].base64 = ("IyBlZGl0ZWQK" ) | .files[1].sha256 = "6f0d6b1e1c7ad7b5cbbd1b88a3c1b1f8e6e5e4d9c9b2f41b0b6dbbd6d0f1c2a3"' "$B" >"$W/t1.json"
verify "$W/t1.json"
check "an edited word list with a forged digest is refused (got $RC)" [ "$RC" = 1 ] && grep -q 'bundle.digest' "$W/sl.err"
jq --arg b64 "$(printf '# edited\n' | base64)" --arg sha "$(printf '# edited\n' | sha256sum | cut -d' ' -f1)" '.files[1].base64 = $b64 | .files[1].sha256 = $sha' "$B" >"$W/t2.json"
verify "$W/t2.json"
check "an edited word list with a matching digest breaks every signature (got $RC)" [ "$RC" = 1 ] && grep -q '2 invalid' "$W/sl.err"
jq '.policy_version = 99' "$B" >"$W/t3.json"
verify "$W/t3.json"
check "a changed version breaks the signatures (got $RC)" [ "$RC" = 1 ] && grep -q 'does NOT verify' "$W/sl.err"
jq '.signatures = [.signatures[0]]' "$B" >"$W/t4.json"
verify "$W/t4.json"
check "a stripped signature leaves one: refused (got $RC)" [ "$RC" = 1 ]
jq '.signatures = []' "$W/t2.json" >"$W/t5.json"
sl policy sign --key "$W/carol.key" "$W/t5.json"
verify "$W/t5.json"
check "a tampered bundle re-signed by one administrator is refused (got $RC)" [ "$RC" = 1 ]

# malformed bundles and unsafe paths
printf '{"sluice_policy_bundle": 1}\n' >"$W/m1.json"
verify "$W/m1.json"
check "a bundle missing members is malformed, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'bundle.form' "$W/sl.err"
jq '.files[1].path = "../../etc/passwd"' "$B" >"$W/m2.json"
verify "$W/m2.json"
check "a path climbing out with .. is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'bundle.path' "$W/sl.err"
jq '.extra = 1' "$B" >"$W/m3.json"
verify "$W/m3.json"
check "an unknown member is refused, 78 (got $RC)" [ "$RC" = 78 ]
printf '{"a":1,"a":2}' >"$W/m4.json"
verify "$W/m4.json"
check "duplicate JSON keys are refused, 78 (got $RC)" [ "$RC" = 78 ]
mkdir -p "$W/abs/lists"
sed "s|lists/sources-and-methods.txt|$EX/lists/sources-and-methods.txt|" "$EX/policy.yaml" >"$W/abs/policy.yaml"
cp "$EX/lists/operations.txt" "$W/abs/lists/"
sl policy bundle "$W/abs/policy.yaml" -o "$W/abs.json"
check "a policy naming a list by absolute path cannot be bundled, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'bundle.path' "$W/sl.err"
# sluice release with --admins/--required loads only a bundle enough administrators signed
make_keys "$W" gw
mkdir -p "$W/tmp"
R1=$EX/reports/01-intel-to-police-plain.xml
rel() { # rel BUNDLE OUT: release R1 under the two-person rule
	TMPDIR=$W/tmp sl release --policy "$1" --admins "$W/admins" --required 2 --from intel \
		--to police --key "$W/gw.key" --audit "$W/audit.log" -o "$W/$2.xml" "$R1"
}
rel "$B" ok
check "release under a bundle alice and bob signed: released (got $RC)" [ "$RC" = 0 ]
check "... its receipt names the policy in the bundle" [ "$(jq -r '.record.policy.id + " " + (.record.policy.version|tostring)' "$W/ok.xml.receipt")" = "fusion-cell 4" ]
check "... with the same bundle digest as the bundle's" [ "$(jq -r .record.policy.bundle_sha256 "$W/ok.xml.receipt")" = "$(jq -r .bundle_sha256 "$B")" ]
check "... naming the two administrators who approved it, by key id" [ "$(jq -r '.record.policy.signers | join(" ")' "$W/ok.xml.receipt")" = "$(jq -r '[.signatures[].key_id] | map(select(. != "'"$(jq -r '.signatures[1].key_id' "$B")"'")) | sort | join(" ")' "$B")" ]
check "... the receipt verifies with them in it" "$SLUICE" verify --pub "$W/gw.pub" --receipt "$W/ok.xml.receipt" "$W/ok.xml"
check "... and the audit record names them too" [ "$(jq -rs '[.[] | select(.type == "transfer")] | last | .record.policy.signers | length' "$W/audit.log")" = 2 ]
check "... and the unpacked policy files are gone" [ -z "$(ls -A "$W/tmp")" ]
rel "$W/one-plus-mallory.json" one
check "release under a bundle one administrator signed: refused, 1 (got $RC)" [ "$RC" = 1 ]
check "... nothing released" absent "$W/one.xml"
check "... the refusal receipted with rule bundle.signatures" [ "$(jq -r '.record.decision + " " + .record.reason.rule' "$W/one.xml.receipt")" = "error bundle.signatures" ]
check "... and audited" [ "$(tail -n 2 "$W/audit.log" | jq -rs '[.[] | select(.type == "transfer") | .record.reason.rule] | last')" = bundle.signatures ]
rel "$W/t2.json" tampered
check "release under a tampered bundle: refused (got $RC)" [ "$RC" = 1 ] && absent "$W/tampered.xml"
rel "$W/t5.json" resigned
check "release under a tampered bundle re-signed by one administrator: refused (got $RC)" [ "$RC" = 1 ]
rel "$EX/policy.yaml" plain
check "release with --admins and a plain policy file: refused as a malformed bundle, 78 (got $RC)" [ "$RC" = 78 ] && absent "$W/plain.xml"
check "every refusal is in the audit log, which verifies" "$SLUICE" audit verify --pub "$W/gw.pub" "$W/audit.log"
check "no unpacked files left behind" [ -z "$(ls -A "$W/tmp")" ]
sl release --policy "$B" --admins "$W/admins" --from intel --to police --key "$W/gw.key" --audit "$W/audit.log" "$R1"
check "--admins without --required is a usage error (got $RC)" [ "$RC" = 64 ]

sl policy verify --admins "$W/nowhere" --required 2 "$B"
check "a missing administrators' folder is an I/O error, 74 (got $RC)" [ "$RC" = 74 ]
sl policy verify --admins "$W/admins" --required 0 "$B"
check "--required 0 is a usage error (got $RC)" [ "$RC" = 64 ]
finish
