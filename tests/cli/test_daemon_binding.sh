#!/usr/bin/env bash
# sluiced signs ADatP-4778 bindings (binding: signed-4778; docs/LABELS.md, docs/CONFIG.md):
#   - `sluiced -t`: a binding flow without binding-key is 78 binding.no-key; binding-key
#     without binding-cert 78 config.binding; an Ed25519 key or a certificate of another key 78
#     (binding.key, binding.cert); a good pair passes and names the algorithm;
#   - at start, an Ed25519 binding key stops the daemon with 78 before it serves anything;
#   - on SIGHUP, a policy gaining a binding flow while no binding key is configured is refused
#     (binding.no-key) and the old policy kept; changing binding-key is restart-only;
#   - a report of the stanag4774 fixture from hq to partner through the spool: delivered with
#     exactly one BindingInformation that xmlsec1 verifies against the dev CA (and refuses once
#     the content changes), the placeholder gone, the receipt verifying against the delivered
#     bytes; a report on a flow without binding is delivered unbound; the audit log verifies.
# Usage: bash test_daemon_binding.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep xmllint xmlsec1
gateway_dir
cleanup() {
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null
	[ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

# The stanag4774 fixture policy (it names ../example-spif.xml) with and without a binding on
# the flow to the partner.
FX=$SLUICE_FIXTURES/stanag4774/release
mkdir -p "$D/pol"
cp "$SLUICE_FIXTURES"/stanag4774/example-spif.xml "$SLUICE_FIXTURES"/stanag4774/other-spif.xml "$D/"
cp "$FX/words.txt" "$FX/policy.yaml" "$D/pol/"
sed -e '/^    to: partner$/{n;s/^    portions: redact$/    portions: redact\n    binding: signed-4778/}' \
	"$FX/policy.yaml" >"$D/pol/bound.yaml"
chmod -R go-w "$D/pol" "$D"/*.xml
check "the bound policy has the binding" grep -q 'binding: signed-4778' "$D/pol/bound.yaml"
PKI=$D/pki

configure() { # configure POLICY [EXTRA_LINES...]: $D/sluiced.yaml
	{
		printf 'sluiced: 1\npolicy: %s\nsigning-key: pki/gateway-signing.key\n' "$1"
		printf 'audit-log: state/audit.log\nspool: spool\nworkers: 1\n%s\n' "$user_line"
		shift
		printf '%s\n' "$@"
	} >"$D/sluiced.yaml"
	chmod 644 "$D/sluiced.yaml"
}
BINDING=("binding-key: pki/gateway-binding.key" "binding-cert: pki/gateway-binding.pem")
sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
# test_config WANT_RC RULE DESCRIPTION: sluiced -t on $D/sluiced.yaml
test_config() {
	sl_d -t -c "$D/sluiced.yaml"
	if [ "$RC" = "$1" ] && { [ -z "$2" ] || grep -qF "[$2]" "$W/d.err"; }; then
		ok "$3: exit $RC${2:+ [$2]}"
	else
		not_ok "$3: exit $RC, expected $1${2:+ [$2]}"
		sed -n '1,3s/^/#   /p' "$W/d.err"
	fi
}

# ---- sluiced -t ----------------------------------------------------------------------------
configure pol/bound.yaml
test_config 78 binding.no-key "-t: a binding flow without binding-key"
check "... naming the policy line of the binding" grep -qF "bound.yaml:$(grep -n 'binding: signed-4778' "$D/pol/bound.yaml" | cut -d: -f1):" "$W/d.err"
configure pol/bound.yaml "binding-key: pki/gateway-binding.key"
test_config 78 config.binding "-t: binding-key without binding-cert"
configure pol/bound.yaml "binding-key: pki/gateway-signing.key" "binding-cert: pki/gateway-binding.pem"
test_config 78 binding.key "-t: an Ed25519 binding key"
configure pol/bound.yaml "binding-key: pki/gateway-binding.key" "binding-cert: pki/gateway-server.pem"
test_config 78 binding.cert "-t: a certificate of another key"
configure pol/bound.yaml "binding-key: pki/missing.key" "binding-cert: pki/gateway-binding.pem"
test_config 78 "" "-t: a binding key that does not exist"
configure pol/bound.yaml "${BINDING[@]}"
test_config 0 "" "-t: the dev PKI's binding key and certificate"
check "... naming the algorithm" grep -q 'ADatP-4778 bindings signed ECDSA-SHA256' "$W/d.out"
configure pol/policy.yaml
test_config 0 "" "-t: no binding flow, no binding key"

# ---- at start ------------------------------------------------------------------------------
configure pol/bound.yaml "binding-key: pki/gateway-signing.key" "binding-cert: pki/gateway-binding.pem"
RC=0
timeout 20 "$SLUICED" -f -c "$D/sluiced.yaml" >"$W/bad-start.log" 2>&1 || RC=$?
check "at start, an Ed25519 binding key: the daemon exits 78 (got $RC)" [ "$RC" = 78 ]
check "... saying why" grep -q 'binding.key' "$W/bad-start.log"
check "... having served nothing" [ "$(audit_transfers "$D/state/audit.log")" = 0 ]

# ---- SIGHUP without a binding key ------------------------------------------------------------
wait_log() { # wait_log PATTERN: up to 10 s for a line in the daemon's log
	for _ in $(seq 1 100); do grep -q "$1" "$W/daemon.log" && return 0; sleep 0.1; done
	return 1
}
stop() {
	kill -TERM "$DPID"
	for _ in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$DPID" 2>/dev/null
}
configure pol/policy.yaml
check "sluiced starts on the policy without binding, without a binding key" sluiced_start
configure pol/bound.yaml
kill -HUP "$DPID"
check "SIGHUP to a binding policy without a binding key: reload refused" wait_log "reload refused.*binding.no-key"
configure pol/policy.yaml "${BINDING[@]}"
kill -HUP "$DPID"
check "SIGHUP adding binding-key: restart needed" wait_log "reload refused.*binding-key.*config.restart-needed"
check "the daemon stops" stop

# ---- bound releases through the spool ---------------------------------------------------------
configure pol/bound.yaml "${BINDING[@]}"
check "sluiced starts with a binding flow and the binding key" sluiced_start
inbox_empty() { [ -z "$(find "$D/spool/inbox" -type f ! -name '.*' 2>/dev/null)" ]; }
wait_empty() {
	for _ in $(seq 1 200); do inbox_empty && return 0; sleep 0.1; done
	return 1
}
drop() { # drop FROM TO FILE NAME: an atomic drop
	mkdir -p "$D/spool/inbox/$1/$2"
	cp "$3" "$D/spool/inbox/$1/$2/.$4.tmp" && mv "$D/spool/inbox/$1/$2/.$4.tmp" "$D/spool/inbox/$1/$2/$4"
}
drop hq partner "$FX/report.xml" report.xml
drop hq alpha "$FX/report.xml" report.xml
check "both reports leave the inbox" wait_empty
OUT=$(find "$D/spool/outbox/partner" -name '*--report.xml' 2>/dev/null | head -1)
ALPHA=$(find "$D/spool/outbox/alpha" -name '*--report.xml' 2>/dev/null | head -1)
check "hq -> partner: released into outbox/partner" [ -n "$OUT" ] && [ -s "$OUT" ]
[ -n "$OUT" ] || OUT=$W/missing.xml
check "... with exactly one BindingInformation" [ "$(xmllint --xpath 'count(//*[local-name()="BindingInformation"])' "$OUT" 2>/dev/null)" = 1 ]
check "... binding the new banner label" grep -q '<mb:Metadata><slab:originatorConfidentialityLabel' "$OUT"
check "... its SignatureValue no longer the placeholder" \
	lacks -E '<ds:SignatureValue>[0-9a-f]{64}</ds:SignatureValue>' "$OUT"
xmlsec_verify() { # xmlsec_verify FILE: a standard XML-DSig tool checks the binding
	xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding \
		--trusted-pem "$PKI/ca.pem" "$1" >"$W/xmlsec.out" 2>&1
}
check "xmlsec1 verifies the daemon's binding against the dev CA" xmlsec_verify "$OUT"
check "... 2/2 references" grep -q 'SignedInfo References (ok/all): 2/2' "$W/xmlsec.out"
sed 's/The source is a driver/The source is a pilot/' "$OUT" >"$W/tampered.xml"
check "... and refuses it once the content changes" \
	bash -c "! cmp -s '$OUT' '$W/tampered.xml' && ! xmlsec1 --verify --id-attr:Id urn:nato:stanag:4778:bindinginformation:1:0:MetadataBinding --trusted-pem '$PKI/ca.pem' '$W/tampered.xml' >/dev/null 2>&1"
sl verify --pub "$PKI/gateway-signing.pub" --receipt "$OUT.receipt" "$OUT"
check "the receipt verifies against the delivered (bound) bytes (exit $RC)" [ "$RC" = 0 ]
check "... its output_sha256 is theirs" [ "$(receipt_field "$OUT.receipt" .record.output_sha256)" = "$(sha256sum "$OUT" | cut -d' ' -f1)" ]
check "hq -> alpha (no binding on the flow): released unbound" \
	bash -c "[ -s '$ALPHA' ] && ! grep -q BindingInformation '$ALPHA'"
check "the signer and one worker run" \
	bash -c "pgrep -P $DPID -x sluiced-signer >/dev/null && pgrep -P $DPID -x sluiced-worker >/dev/null"
check "the daemon stops" stop
sl audit verify --pub "$PKI/gateway-signing.pub" "$D/state/audit.log"
check "the audit log verifies (exit $RC)" [ "$RC" = 0 ]
check "... with both transfers released" \
	[ "$(jq -r 'select(.type == "transfer") | .record.decision' "$D/state/audit.log" | grep -c released)" = 2 ]
finish
