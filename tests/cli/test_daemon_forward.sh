#!/usr/bin/env bash
# Forwarding over mutual TLS, on loopback, between two gateways: gateway A forwards what it
# releases to police to gateway B's TLS listener (B stands for police's own gateway). Checks:
# delivery through B with the answer kept as evidence; B down: A keeps the report and retries
# with backoff, then delivers when B is up; a destination that refuses the request (404) sends
# the report to forward-failed/ with its reason; a destination whose server certificate is not
# from the configured CA gets nothing; A killed with SIGKILL while forwarding: every report
# reaches B exactly once (B's transfer ids drop resends); both audit logs verify.
# Usage: bash test_daemon_forward.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep pkill
gateway_dir intel police customs military partner-fra
"$SLUICE" certs init-dev "$D/other" intel >/dev/null # another CA
mkdir -p "$D/a/state" "$D/a/spool" "$D/b/state" "$D/b/spool"
if [ "$(id -u)" = 0 ]; then
	chown nobody "$D/a/state" "$D/b/state"
	chmod 755 "$D/pki"
	chown nobody "$D/pki/gateway-server.key" "$D/pki/gateway-client.key"
fi

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}
PB=$(free_port)
PDEAD=$(free_port)
write_configs() {
	cat >"$D/a.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: a/state/audit.log
spool: a/spool
$user_line
forward:
  police:
    url: https://127.0.0.1:$PB/v1/reports?to=police
    ca: pki/ca.pem
    certificate: pki/gateway-client.pem
    key: pki/gateway-client.key
  customs:
    url: https://127.0.0.1:$PB/v1/nothing-here?to=customs
    ca: pki/ca.pem
    certificate: pki/gateway-client.pem
    key: pki/gateway-client.key
  partner-fra:
    url: https://127.0.0.1:$PB/v1/reports?to=partner-fra
    ca: other/ca.pem
    certificate: pki/gateway-client.pem
    key: pki/gateway-client.key
YAML
	cat >"$D/b.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: b/state/audit.log
spool: b/spool
$user_line
tls:
  listen: 127.0.0.1:$PB
  certificate: pki/gateway-server.pem
  key: pki/gateway-server.key
  client-ca: pki/ca.pem
  clients:
    sluice-gateway: intel
YAML
	chmod 644 "$D/a.yaml" "$D/b.yaml"
}
write_configs

sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
sl_d -t -c "$D/a.yaml"
check "sluiced -t accepts forward destinations (got $RC)" [ "$RC" = 0 ]
sed "s|key: pki/gateway-client.key|key: pki/intel.key|" "$D/a.yaml" >"$D/badkey.yaml"
chmod 644 "$D/badkey.yaml"
sl_d -t -c "$D/badkey.yaml"
check "a forward client key that does not match its certificate is refused, 78 (got $RC)" [ "$RC" = 78 ]
check "... naming the rule" grep -q 'config.tls' "$W/d.err"
sed "s|https://127.0.0.1:$PB/v1/reports?to=police|https://no-such-host.invalid/v1/reports|" "$D/a.yaml" >"$D/badhost.yaml"
chmod 644 "$D/badhost.yaml"
sl_d -c "$D/badhost.yaml" -f
check "a destination host that does not resolve stops the start, 78 (got $RC)" [ "$RC" = 78 ]
check "... naming the rule" grep -q 'config.forward-resolve' "$W/d.err"

# start NAME CONFIG: starts a daemon, waits for its "started" line; its pid in PID_<NAME>
start() {
	"$SLUICED" -c "$2" -f >>"$W/$1.log" 2>&1 &
	local pid=$!
	printf -v "PID_$1" '%s' "$pid"
	for _ in $(seq 1 50); do
		grep -q "sluiced\[$pid\] supervisor: started" "$W/$1.log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_for() { # wait_for SECONDS 'SHELL CODE': until it succeeds, evaluated afresh each time
	local tenths=$(($1 * 10))
	shift
	for _ in $(seq 1 "$tenths"); do eval "$*" && return 0; sleep 0.1; done
	return 1
}
drop() { # drop FROM TO FILE NAME: an atomic drop into A's inbox
	cp "$3" "$D/a/spool/inbox/$1/$2/.$4.tmp" && mv "$D/a/spool/inbox/$1/$2/.$4.tmp" "$D/a/spool/inbox/$1/$2/$4"
}
count() { find "$1" -maxdepth 1 -type f -name "$2" 2>/dev/null | wc -l; }
R=$D/cell/reports

# 1. B is down: A keeps the released report in its outbox and retries with growing pauses
check "gateway A starts with three forward destinations" start A "$D/a.yaml"
check "a sluiced-forward process runs" pgrep -P "$PID_A" -x sluiced-forward >/dev/null
drop intel police "$R/01-intel-to-police-plain.xml" r01.xml
check "A releases the report to outbox/police/" wait_for 10 '[ "$(count "$D/a/spool/outbox/police" "*--r01.xml")" = 1 ]'
check "with B down, A retries with backoff" wait_for 10 'grep -q "forwarding to police failed: cannot connect .*retrying in 4 s" "$W/A.log"'
check "... and keeps the report in outbox/police/" [ "$(count "$D/a/spool/outbox/police" '*--r01.xml')" = 1 ]

# 2. B comes up: the report crosses, A keeps B's answer as evidence
check "gateway B starts" start B "$D/b.yaml"
check "once B is up, the report is forwarded" wait_for 20 '[ "$(count "$D/a/spool/forwarded/police" "*--r01.xml")" = 1 ]'
check "... it left A's outbox" [ "$(count "$D/a/spool/outbox/police" '*--r01.xml')" = 0 ]
resp=$(find "$D/a/spool/forwarded/police" -name '*--r01.xml.response' | head -1)
check "... B's answer is kept beside it: HTTP 200 with B's signed receipt" grep -q '^HTTP/1.1 200' "$resp"
sed '1,/^\r*$/d' "$resp" >"$W/b-receipt.json"
check "... which verifies" "$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$W/b-receipt.json"
check "... and says B released it from intel (A's certificate) to police" [ "$(jq -r '.record.decision + " " + .record.from + " " + .record.to' "$W/b-receipt.json")" = "released intel police" ]
check "B delivered it to its own outbox/police/" wait_for 10 '[ "$(count "$D/b/spool/outbox/police" "*.xml")" = 1 ]'
check "A logged the forwarding" grep -q "forwarded to police (https://127.0.0.1:$PB/v1/reports?to=police): HTTP 200" "$W/A.log"

# 3. a destination that answers 404: not retried forever, moved aside with its reason
drop intel customs "$R/02-intel-to-customs-clearance.xml" r02.xml
check "a report refused by its destination (404) goes to forward-failed/customs/" wait_for 20 '[ "$(count "$D/a/spool/forward-failed/customs" "*--r02.xml")" = 1 ]'
check "... with its receipt" [ "$(count "$D/a/spool/forward-failed/customs" '*--r02.xml.receipt')" = 1 ]
check "... and a reason naming the status" grep -q 'HTTP 404.*\[forward.refused\]' "$D"/a/spool/forward-failed/customs/*--r02.xml.reason
check "... logged as an error" grep -q "NOT forwarded to customs: HTTP 404" "$W/A.log"

# 4. a destination whose server certificate is not from the configured CA gets nothing
drop intel partner-fra "$R/04-intel-to-fra-noforn.xml" r04.xml
check "a destination with another CA's certificate: the handshake fails and is retried" wait_for 20 'grep -q "forwarding to partner-fra failed: TLS handshake.*certificate verify failed" "$W/A.log"'
check "... the report stays in outbox/partner-fra/" [ "$(count "$D/a/spool/outbox/partner-fra" '*--r04.xml')" = 1 ]
check "... and B received nothing for partner-fra" [ "$(count "$D/b/spool/outbox/partner-fra" '*.xml')" = 0 ]

# 5. A killed with SIGKILL while forwarding, three times: every report reaches B exactly once
n=0
for round in 1 2 3; do
	for i in $(seq 1 8); do
		n=$((n + 1))
		sed "s|port of Marrow Bay|port of Marrow Bay, copy $n|" "$R/01-intel-to-police-plain.xml" >"$W/copy.xml"
		drop intel police "$W/copy.xml" "fwd-$n.xml"
	done
	sleep "0.$((RANDOM % 8 + 1))"
	pkill -9 -f "$D/a.yaml" || true
	sleep 0.3
	check "A restarts after SIGKILL round $round" start A "$D/a.yaml"
done
all_forwarded() { [ "$(count "$D/a/spool/forwarded/police" '*--fwd-*.xml')" = "$n" ]; }
check "every report of the crash rounds is forwarded ($n)" wait_for 60 all_forwarded
check "... none is left in A's outbox" [ "$(count "$D/a/spool/outbox/police" '*--fwd-*.xml')" = 0 ]
b_has_all() { [ "$(grep -l 'Marrow Bay, copy [0-9]*<' "$D"/b/spool/outbox/police/*.xml 2>/dev/null | wc -l)" = "$n" ]; }
check "B delivered each of them ($n files)" wait_for 20 b_has_all
twice=$(grep -ho 'Marrow Bay, copy [0-9]*<' "$D"/b/spool/outbox/police/*.xml | sort | uniq -c | awk '$1 != 1 {bad++} END {print bad+0}')
check "... none twice, though A may have sent some again ($twice twice)" [ "$twice" = 0 ]
resent=$(grep -c "forwarded to police" "$W/A.log")
echo "# A logged $resent forwards to police for $((n + 1)) reports"

# 6. clean stop of both; both audit logs verify
for who in A B; do
	pid_var=PID_$who
	kill -TERM "${!pid_var}"
	for _ in $(seq 1 50); do kill -0 "${!pid_var}" 2>/dev/null || break; sleep 0.1; done
done
check "A's audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/a/state/audit.log"
check "B's audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/b/state/audit.log"
no_daemon_left() { ! pgrep -f "$D/[ab].yaml" >/dev/null; }
check "no process left behind" no_daemon_left
pkill -9 -f "$D/[ab].yaml" 2>/dev/null || true
if [ "$FAILED" -gt 0 ]; then
	echo "--- gateway A's log:"
	grep -v 'router: transfer' "$W/A.log" | tail -30
	echo "--- gateway B's log:"
	grep -v 'router: transfer' "$W/B.log" | tail -15
fi
finish
