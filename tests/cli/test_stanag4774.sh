#!/usr/bin/env bash
# End-to-end: the stanag4774 profile through `sluice release` (issue 4; docs/LABELS.md).
#   - the fixture policy (tests/fixtures/stanag4774/release): same-SPIF release with withholding,
#     re-marking and receipts; a flow into the equivalent policy (alternative labels, both
#     banners in the receipt); a refuse flow; an invalid label (65), every decision audited;
#   - the signed ADatP-4778 binding (binding: signed-4778): the dev PKI's ECDSA certificate,
#     verified by xmlsec1 (a standard XML-DSig tool); tampering with content, label or signature
#     fails it; a binding flow without a key is a setup error (78, audited); a key that is not
#     ECDSA/RSA, a certificate of another key;
#   - reports that arrive bound (labels from an ADatP-4778 binding, the gateway's own output again);
#   - sluiced -t refuses a policy with a binding flow when it has no binding key (the daemon's
#     bindings: test_daemon_binding.sh);
#   - policy explain on the flow (dry run: no binding, nothing written).
# Usage: bash tests/cli/test_stanag4774.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools jq xmllint
FX=$SLUICE_FIXTURES/stanag4774/release
R=$FX/report.xml
make_keys "$W" gw
AUDIT=$W/audit.log

# The fixture policy in a folder of its own, with a binding on the flow to the partner.
mkdir -p "$W/pol"
cp "$SLUICE_FIXTURES"/stanag4774/example-spif.xml "$SLUICE_FIXTURES"/stanag4774/other-spif.xml "$W/"
cp "$FX/words.txt" "$W/pol/"
cp "$FX/policy.yaml" "$W/pol/policy.yaml"
sed -e '/^    to: partner$/{n;s/^    portions: redact$/    portions: redact\n    binding: signed-4778/}' \
	"$FX/policy.yaml" >"$W/pol/bound.yaml"
chmod -R go-w "$W"
check "the bound policy has the binding" grep -q 'binding: signed-4778' "$W/pol/bound.yaml"
P=$W/pol/policy.yaml
PB=$W/pol/bound.yaml

# exit_and CODE COMMAND...: the last exit code was CODE and the command succeeds (one check for
# both: `check D [ ... ] && grep ...` would leave the grep outside the check).
exit_and() {
	[ "$RC" = "$1" ] || return 1
	shift
	"$@"
}

rel() { # rel POLICY TO OUT [ARGS...]
	local pol=$1 to=$2 out=$3
	shift 3
	sl release --policy "$pol" --from hq --to "$to" --key "$W/gw.key" --audit "$AUDIT" \
		-o "$W/$out" "$@"
}

# ---- same SPIF ------------------------------------------------------------------------------
rel "$P" alpha alpha.xml "$R"
check "hq -> alpha: released (exit $RC)" [ "$RC" = 0 ]
check "... banner re-marked in EXAMPLE" [ "$(receipt_field "$W/alpha.xml.receipt" .record.banner)" = "EXAMPLE CONFIDENTIAL REL TO Alphaland" ]
check "... no source_banner within one policy" [ "$(receipt_field "$W/alpha.xml.receipt" .record.source_banner)" = null ]
check "... the SECRET portion is withheld" lacks -F 'driver at the depot' "$W/alpha.xml"
check "... the receipt names it" [ "$(receipt_field "$W/alpha.xml.receipt" '.record.removals[0].location')" = /Report/Detail ]
check "... words redacted in content" grep -qF 'Three [REDACTED] seen' "$W/alpha.xml"
check "... never inside labels" grep -qF '<slab:GenericValue>ALPHA</slab:GenericValue>' "$W/alpha.xml"
sl verify --pub "$W/gw.pub" --receipt "$W/alpha.xml.receipt" "$W/alpha.xml"
check "... the receipt verifies (exit $RC)" [ "$RC" = 0 ]

# ---- into the equivalent policy -------------------------------------------------------------
rel "$P" partner partner.xml "$R"
check "hq -> partner (OTHER): released (exit $RC)" [ "$RC" = 0 ]
check "... banner in OTHER" [ "$(receipt_field "$W/partner.xml.receipt" .record.banner)" = "<OTHER SEALED FOR A K [translated]>" ]
check "... source_banner in EXAMPLE" [ "$(receipt_field "$W/partner.xml.receipt" .record.source_banner)" = "EXAMPLE SECRET REL TO Alphaland //KEYSTONE" ]
check "... four alternative labels (banner and three portions)" [ "$(grep -o '<slab:alternativeConfidentialityLabel>' "$W/partner.xml" | wc -l)" = 4 ]
check "... the portion without equivalent is withheld, and said why" \
	grep -qF 'CONFIDENTIAL has no equivalent in policy OTHER' "$W/partner.xml.receipt"
check "... no binding on a flow without one" lacks -F 'BindingInformation' "$W/partner.xml"

# ---- refuse flow, invalid label --------------------------------------------------------------
rel "$P" bravo-strict bravo.xml "$R"
check "hq -> bravo-strict (portions: refuse): refused (exit $RC)" exit_and 1 [ ! -e "$W/bravo.xml" ]
check "... rule portion.refuse in the receipt" [ "$(receipt_field "$W/bravo.xml.receipt" .record.reason.rule)" = portion.refuse ]
sed 's#<slab:GenericValue>BRAVO</slab:GenericValue>#<slab:GenericValue>ZULU</slab:GenericValue>#' "$R" >"$W/zulu.xml"
rel "$P" alpha zulu-out.xml "$W/zulu.xml"
check "a label value the SPIF lacks: invalid (exit $RC)" exit_and 65 grep -q 'stanag4774.unknown-value' "$W/sl.err"

# ---- the signed binding ------------------------------------------------------------------------
"$SLUICE" certs init-dev "$W/pki" >/dev/null
BK=$W/pki/gateway-binding.key
BC=$W/pki/gateway-binding.pem
before=$(audit_transfers "$AUDIT")
rel "$PB" partner nokey.xml "$R"
check "a binding flow without a binding key: setup error (exit $RC)" exit_and 78 grep -q 'binding.no-key' "$W/sl.err"
check "... nothing released" [ ! -e "$W/nokey.xml" ]
check "... and audited" [ "$(audit_transfers "$AUDIT")" = $((before + 1)) ]
rel "$PB" partner bound.xml --binding-key "$BK" --binding-cert "$BC" "$R"
check "with the binding key: released (exit $RC)" [ "$RC" = 0 ]
check "... one BindingInformation, last in the root" [ "$(xmllint --xpath 'count(/*/*[local-name()="BindingInformation"])' "$W/bound.xml")" = 1 ]
check "... binding the new banner label" grep -q '<mb:Metadata><slab:originatorConfidentialityLabel' "$W/bound.xml"
check "... with SHA-384 and ECDSA-SHA256" grep -q 'xmldsig-more#sha384' "$W/bound.xml" && grep -q 'xmldsig-more#ecdsa-sha256' "$W/bound.xml"
check "... no placeholder left" [ "$(xmllint --xpath 'string(//*[local-name()="SignatureValue"])' "$W/bound.xml" | tr -d '\n' | wc -c)" -gt 64 ]
sl verify --pub "$W/gw.pub" --receipt "$W/bound.xml.receipt" "$W/bound.xml"
check "... the receipt names the bound bytes (exit $RC)" [ "$RC" = 0 ]
rel "$PB" alpha unbound.xml --binding-key "$BK" --binding-cert "$BC" "$R"
check "a flow without binding is not bound even with a key (exit $RC)" exit_and 0 lacks -F BindingInformation "$W/unbound.xml"

xmlsec_verify() { # xmlsec_verify FILE: a standard XML-DSig tool checks the binding
	xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding \
		--trusted-pem "$W/pki/ca.pem" "$1" >"$W/xmlsec.out" 2>&1
}
if command -v xmlsec1 >/dev/null 2>&1; then
	check "xmlsec1 verifies the binding (both references)" xmlsec_verify "$W/bound.xml"
	check "... 2/2 references" grep -q 'SignedInfo References (ok/all): 2/2' "$W/xmlsec.out"
	sed 's/The source is a driver/The source is a pilot/' "$W/bound.xml" >"$W/t-content.xml"
	check "content changed after binding: xmlsec1 refuses" bash -c "! xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding --trusted-pem '$W/pki/ca.pem' '$W/t-content.xml' >/dev/null 2>&1"
	sed '/<mb:Metadata>/s#<slab:Classification>SECRET</slab:Classification>#<slab:Classification>PUBLIC</slab:Classification>#' "$W/bound.xml" >"$W/t-label.xml"
	check "the bound label changed: xmlsec1 refuses" bash -c "! cmp -s '$W/bound.xml' '$W/t-label.xml' && ! xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding --trusted-pem '$W/pki/ca.pem' '$W/t-label.xml' >/dev/null 2>&1"
	"$SLUICE" certs init-dev "$W/pki2" >/dev/null
	check "a binding under another CA: xmlsec1 refuses" bash -c "! xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding --trusted-pem '$W/pki2/ca.pem' '$W/bound.xml' >/dev/null 2>&1"
else
	not_ok "xmlsec1 is installed (scripts/install-deps.sh installs it)"
fi

# Wrong keys: Ed25519 is not in the ADatP-4778.2 profile; a certificate of another key.
rel "$PB" partner bad1.xml --binding-key "$W/gw.key" --binding-cert "$BC" "$R"
check "an Ed25519 binding key: refused (exit $RC)" exit_and 78 grep -q 'binding.key' "$W/sl.err"
rel "$PB" partner bad2.xml --binding-key "$BK" --binding-cert "$W/pki/gateway-server.pem" "$R"
check "a certificate of another key: refused (exit $RC)" exit_and 78 grep -q 'binding.cert' "$W/sl.err"
rel "$PB" partner bad3.xml --binding-key "$BK" "$R"
check "--binding-key without --binding-cert: usage (exit $RC)" [ "$RC" = 64 ]
# A report that arrives bound (here: one this gateway released) is read with its binding, which
# is replaced by the gateway's own.
rel "$PB" partner again.xml --binding-key "$BK" --binding-cert "$BC" "$W/bound.xml"
check "a bound report goes through again (exit $RC)" [ "$RC" = 0 ]
check "... with exactly one binding, the gateway's new one" [ "$(xmllint --xpath 'count(//*[local-name()="BindingInformation"])' "$W/again.xml")" = 1 ]
if command -v xmlsec1 >/dev/null 2>&1; then
	check "... which xmlsec1 verifies" xmlsec_verify "$W/again.xml"
fi
# A label bound to a portion by "#id" (tests/fixtures/stanag4774/release/report-bound.xml).
rel "$P" alpha from-bound.xml "$FX/report-bound.xml"
check "a label bound by DataReference URI=\"#note-1\" is read (exit $RC)" exit_and 0 grep -q 'Road closed until Friday' "$W/from-bound.xml"
check "... embedded in its element on release" [ "$(xmllint --xpath 'count(//*[local-name()="Note"]/*[local-name()="originatorConfidentialityLabel"])' "$W/from-bound.xml")" = 1 ]
sed 's#<mb:DataReference URI="\#note-1"/>#<mb:DataReference URI="\#note-2"/>#' "$FX/report-bound.xml" >"$W/dangling.xml"
rel "$P" alpha dangling-out.xml "$W/dangling.xml"
check "a binding naming no element: invalid (exit $RC)" exit_and 65 grep -q 'stanag4774.binding-reference' "$W/sl.err"

# ---- dry run and the daemon ----------------------------------------------------------------
sl policy explain --policy "$PB" --from hq --to partner "$R"
check "policy explain on the binding flow (dry run, no key needed): exit $RC" exit_and 0 grep -q 'OTHER SEALED' "$W/sl.out"
SLUICED=$(dirname "$SLUICE")/sluiced
if [ -x "$SLUICED" ]; then
	cat >"$W/sluiced.yaml" <<EOF
sluiced: 1
policy: $PB
signing-key: $W/gw.key
audit-log: $W/d-audit.log
spool: $W/spool
EOF
	"$SLUICED" -t -c "$W/sluiced.yaml" >"$W/d.out" 2>&1
	rc=$?
	check "sluiced -t refuses a binding flow without binding-key (exit $rc)" \
		bash -c "[ $rc = 78 ] && grep -qF '[binding.no-key]' '$W/d.out'"
fi

sl audit verify --pub "$W/gw.pub" "$AUDIT"
check "the audit log verifies (exit $RC)" [ "$RC" = 0 ]
finish
