#!/usr/bin/env bash
# sluiced under the two-person rule (policy-admins, policy-signatures): it starts only on a
# bundle two trusted administrators signed; every record names them; on SIGHUP a bundle one
# administrator signed, a tampered one and an older version (rollback) are refused, logged and
# audited while the running policy keeps working; a newer twice-signed bundle is taken.
# Usage: bash test_daemon_bundle.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep pkill
gateway_dir intel police customs military partner-fra
mkdir -p "$D/admins" "$W/keys"
for who in alice bob mallory; do make_keys "$W/keys" "$who"; done
cp "$W/keys/alice.pub" "$W/keys/bob.pub" "$D/admins/"
chmod -R go-w "$D/admins"
[ "$(id -u)" = 0 ] && chmod 755 "$D/admins" && chmod 644 "$D"/admins/*.pub
# where the daemon unpacks bundles (TMPDIR), so that the test can see it left nothing there;
# after start-up the supervisor unpacks as the unprivileged user
mkdir -p "$W/tmp"
chmod 1777 "$W/tmp"
export TMPDIR=$W/tmp

bundle() { # bundle VERSION NAME SIGNER...: a bundle of the example policy at VERSION
	local v=$1 name=$2
	shift 2
	mkdir -p "$W/p$v/lists" "$W/p$v/spif"
	sed "s/^version: .*/version: $v/" "$D/cell/policy.yaml" >"$W/p$v/policy.yaml"
	cp "$D"/cell/lists/* "$W/p$v/lists/"
	cp "$D"/cell/spif/* "$W/p$v/spif/"
	chmod -R go-w "$W/p$v"
	rm -f "$D/$name"
	"$SLUICE" policy bundle "$W/p$v/policy.yaml" -o "$D/$name" >/dev/null || return 1
	local who
	for who in "$@"; do "$SLUICE" policy sign --key "$W/keys/$who.key" "$D/$name" >/dev/null || return 1; done
	chmod 644 "$D/$name"
}
check "a bundle of version 5 signed by alice and bob" bundle 5 v5.bundle alice bob
check "a bundle of version 6 signed by alice alone" bundle 6 v6-one.bundle alice
check "a bundle of version 4 signed by alice and bob (older)" bundle 4 v4.bundle alice bob
check "a bundle of version 7 signed by alice and bob" bundle 7 v7.bundle alice bob

config() { # config BUNDLE
	cat >"$D/sluiced.yaml" <<YAML
sluiced: 1
policy: $1
policy-admins: admins
policy-signatures: 2
signing-key: pki/gateway-signing.key
audit-log: state/audit.log
spool: spool
$user_line
YAML
	chmod 644 "$D/sluiced.yaml"
}
config v6-one.bundle
RC=0
"$SLUICED" -t -c "$D/sluiced.yaml" >"$W/t.out" 2>"$W/t.err" || RC=$?
check "-t refuses a bundle one administrator signed (got $RC)" [ "$RC" = 1 ]
check "... saying how many signed" grep -q '1 valid signature of trusted administrators (alice), 2 required' "$W/t.err"
"$SLUICED" -c "$D/sluiced.yaml" -f >"$W/d1.log" 2>&1 && RC=0 || RC=$?
check "the daemon does not start on it (got $RC)" [ "$RC" = 1 ]
printf 'sluiced: 1\npolicy: v5.bundle\npolicy-admins: admins\nsigning-key: k\naudit-log: a\nspool: s\n' >"$D/half.yaml"
chmod 644 "$D/half.yaml"
"$SLUICED" -t -c "$D/half.yaml" >"$W/t.out" 2>"$W/t.err" && RC=0 || RC=$?
check "policy-admins without policy-signatures is a configuration error, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'config.policy-admins' "$W/t.err"

config v5.bundle
start() { sluiced_start; } # lib.sh
wait_log() { for _ in $(seq 1 100); do grep -q "$1" "$W/daemon.log" && return 0; sleep 0.1; done; return 1; }
drop() { # drop FROM TO FILE NAME
	cp "$3" "$D/spool/inbox/$1/$2/.$4.tmp" && mv "$D/spool/inbox/$1/$2/.$4.tmp" "$D/spool/inbox/$1/$2/$4"
}
delivered() { # delivered NAME: waits for outbox/police/*--NAME
	for _ in $(seq 1 100); do
		f=$(find "$D/spool/outbox/police" -name "*--$1" 2>/dev/null | head -1)
		[ -n "$f" ] && [ -f "$f.receipt" ] && return 0
		sleep 0.1
	done
	return 1
}
check "the daemon starts on a twice-signed bundle" start
check "... policy version 5" grep -q "sluiced\[$DPID\] supervisor: started: policy fusion-cell version 5" "$W/daemon.log"
check "... and leaves no unpacked policy files behind" [ -z "$(ls -A "$W/tmp")" ]
R1=$D/cell/reports/01-intel-to-police-plain.xml
drop intel police "$R1" one.xml
check "a report crosses" delivered one.xml
f=$(find "$D/spool/outbox/police" -name '*--one.xml' | head -1)
alice=$(jq -r '.signatures[0].key_id' "$D/v5.bundle")
bob=$(jq -r '.signatures[1].key_id' "$D/v5.bundle")
expected=$(printf '%s\n%s\n' "$alice" "$bob" | sort | tr '\n' ' ')
check "... its receipt names alice and bob as the policy's approvers" [ "$(jq -r '.record.policy.signers | join(" ")' "$f.receipt") " = "$expected" ]

refused_reload() { # refused_reload BUNDLE RULE: SIGHUP onto BUNDLE is refused with RULE
	config "$1"
	local before
	before=$(grep -c "reload refused" "$W/daemon.log")
	kill -HUP "$DPID"
	for _ in $(seq 1 100); do
		[ "$(grep -c "reload refused" "$W/daemon.log")" -gt "$before" ] && break
		sleep 0.1
	done
	grep "reload refused" "$W/daemon.log" | tail -1 | grep -q "\[$2\]"
}
check "SIGHUP onto a bundle one administrator signed is refused" refused_reload v6-one.bundle bundle.signatures
check "SIGHUP onto an older bundle (rollback) is refused" refused_reload v4.bundle bundle.rollback
jq '.files[0].base64 = "c2x1aWNlLXBvbGljeTogMQo="' "$D/v7.bundle" >"$D/v7-tampered.bundle"
chmod 644 "$D/v7-tampered.bundle"
check "SIGHUP onto a tampered bundle is refused" refused_reload v7-tampered.bundle bundle.digest
drop intel police "$D/cell/reports/03-intel-to-police-sci.xml" two.xml
check "the running policy (version 5) keeps working" delivered two.xml
check "... the receipt still says version 5" [ "$(jq -r .record.policy.version "$(find "$D/spool/outbox/police" -name '*--two.xml' | head -1).receipt")" = 5 ]
config v7.bundle
kill -HUP "$DPID"
check "SIGHUP onto a newer twice-signed bundle is taken" wait_log "reloaded: policy fusion-cell version 7"
kill -TERM "$DPID"
for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "the daemon stops" bash -c "! kill -0 $DPID 2>/dev/null"
check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
rules=$(jq -r 'select(.type == "transfer") | .record | select(.decision == "error") | .reason.rule' "$D/state/audit.log" | tr '\n' ' ')
check "the three refused reloads are in the audit log ($rules)" [ "$rules" = "bundle.signatures bundle.rollback bundle.digest " ]
check "... each naming the running policy, version 5" [ "$(jq -r 'select(.type == "transfer") | .record | select(.decision == "error") | .policy.version' "$D/state/audit.log" | sort -u)" = 5 ]
pkill -9 -f "$D/sluiced.yaml" 2>/dev/null || true
if [ "$FAILED" -gt 0 ]; then tail -20 "$W/daemon.log"; fi
finish
