#!/usr/bin/env bash
# Delivery into RabbitMQ (config `rabbitmq:`), on loopback, with a private broker (its own node
# name, ports, epmd, cookie and folders: tests/cli/rabbitmq_lib.sh). Checks: `sluiced -t`
# refuses amqps, a destination under both forward and rabbitmq, and a credentials file others
# can read; with the broker down the report stays in outbox/ and is retried; with no queue bound
# the broker returns it and it stays; once a queue is bound it is published with the transfer id
# as message_id and header, its receipt (which verifies against the body) as header, persistent,
# application/xml, and moved to forwarded/ with a .confirmed note; messages survive a broker
# restart; reports dropped while the broker is down arrive when it is back; the gateway killed
# with SIGKILL while publishing: every report reaches the queue, exactly once after de-duplication
# by transfer id; the audit log verifies.
# Usage: bash test_daemon_rabbitmq.sh PATH/TO/sluice (sluiced and amqp_drain are found beside it).
# Skips (77) when rabbitmq-server or epmd is not installed.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/rabbitmq_lib.sh
source "$(dirname "$0")/rabbitmq_lib.sh"
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || ! command -v epmd >/dev/null; then
	echo "# SKIP: rabbitmq-server is not installed (scripts/install-deps.sh installs it)"
	exit 77
fi
require_tools openssl jq pgrep pkill
DRAIN=$(dirname "$SLUICE")/amqp_drain
check "amqp_drain is built beside sluice" [ -x "$DRAIN" ]
gateway_dir intel police customs military partner-fra
trap 'rabbitmq_cleanup; [ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"' EXIT

# Ports of this test: 24000-24999, four in a row that nobody listens on.
free_ports() {
	local p k
	while :; do
		p=$((24000 + RANDOM % 990))
		for k in 0 1 2 3; do (exec 3<>"/dev/tcp/127.0.0.1/$((p + k))") 2>/dev/null && continue 2; done
		echo "$p"
		return
	done
}
P=$(free_ports)
PMQ=$P PEPMD=$((P + 1)) PDIST=$((P + 2))
MQ=$W/mq
mkdir -p "$MQ" "$D/secrets"
printf 'guest:guest\n' >"$D/secrets/police.amqp"
chmod 600 "$D/secrets/police.amqp"
[ "$(id -u)" != 0 ] || chown nobody "$D/secrets/police.amqp" # re-read on SIGHUP as the user
cat >"$D/sluiced.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: state/audit.log
spool: spool
$user_line
rabbitmq:
  police:
    url: amqp://127.0.0.1:$PMQ/
    credentials: secrets/police.amqp
YAML
chmod 644 "$D/sluiced.yaml"

sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
variant() { # variant NAME SED-EXPRESSION: a copy of the configuration, changed
	sed "$2" "$D/sluiced.yaml" >"$D/$1.yaml"
	chmod 644 "$D/$1.yaml"
}
sl_d -t -c "$D/sluiced.yaml"
check "sluiced -t accepts a rabbitmq destination (got $RC)" [ "$RC" = 0 ]
variant amqps "s|amqp://127|amqps://127|"
sl_d -t -c "$D/amqps.yaml"
check "amqps:// is refused for now, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'amqps:// is not supported yet.*config.value' "$W/d.err"
variant userinfo "s|amqp://127|amqp://guest:guest@127|"
sl_d -t -c "$D/userinfo.yaml"
check "a password in the URL is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q "name a 'credentials' file" "$W/d.err"
cat "$D/sluiced.yaml" >"$D/both.yaml"
printf 'forward:\n  police:\n    url: https://127.0.0.1:9/\n    ca: pki/ca.pem\n    certificate: pki/gateway-client.pem\n    key: pki/gateway-client.key\n' >>"$D/both.yaml"
chmod 644 "$D/both.yaml"
sl_d -t -c "$D/both.yaml"
check "a destination under both forward and rabbitmq is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q "one transport" "$W/d.err"
variant unknown "s|^  police:|  nowhere:|"
sl_d -t -c "$D/unknown.yaml"
check "a rabbitmq domain the policy lacks is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'config.unknown-domain' "$W/d.err"
chmod 604 "$D/secrets/police.amqp"
sl_d -t -c "$D/sluiced.yaml"
check "a credentials file others can read is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'readable or writable by others.*config.rabbitmq' "$W/d.err"
chmod 600 "$D/secrets/police.amqp"
printf 'guest\n' >"$D/secrets/bad.amqp"
chmod 600 "$D/secrets/bad.amqp"
variant badcred "s|secrets/police.amqp|secrets/bad.amqp|"
sl_d -t -c "$D/badcred.yaml"
check "a credentials file without USER:PASSWORD is refused, 78 (got $RC)" [ "$RC" = 78 ] && grep -q 'USER:PASSWORD' "$W/d.err"

wait_for() { # wait_for SECONDS 'SHELL CODE'
	local tenths=$(($1 * 10))
	shift
	for _ in $(seq 1 "$tenths"); do eval "$*" && return 0; sleep 0.1; done
	return 1
}
drop() { # drop FROM TO FILE NAME: an atomic drop into the inbox
	cp "$3" "$D/spool/inbox/$1/$2/.$4.tmp" && mv "$D/spool/inbox/$1/$2/.$4.tmp" "$D/spool/inbox/$1/$2/$4"
}
count() { find "$1" -maxdepth 1 -type f -name "$2" 2>/dev/null | wc -l; }
copy() { # copy N NAME: report 01 made unique by N, dropped as NAME
	sed "s|port of Marrow Bay|port of Marrow Bay, copy $1|" "$R/01-intel-to-police-plain.xml" >"$W/copy.xml"
	drop intel police "$W/copy.xml" "$2"
}
R=$D/cell/reports
OUT=$D/spool/outbox/police
DONE=$D/spool/forwarded/police
drain() { # drain: every message now in the queue, appended to $W/got.tsv (bodies in $W/msgs)
	mkdir -p "$W/msgs/$1"
	"$DRAIN" --port "$PMQ" --exchange sluice.police --key police --queue police-in --out "$W/msgs/$1" --idle 2 >>"$W/got.tsv" 2>>"$W/drain.err"
}

# 1. broker down: the report stays in the outbox, retried with backoff
check "the gateway starts" sluiced_start
forwarder_runs() { pgrep -P "$DPID" -x sluiced-forward >/dev/null; }
check "a sluiced-forward process runs" forwarder_runs
drop intel police "$R/01-intel-to-police-plain.xml" r01.xml
check "the report is released to outbox/police/" wait_for 10 '[ "$(count "$OUT" "*--r01.xml")" = 1 ]'
check "with the broker down, the forwarder retries with backoff" wait_for 10 'grep -q "forwarding to police failed: cannot connect .*retrying in 2 s" "$W/daemon.log"'

# 2. broker up, no queue bound: the broker returns the message, the report stays
check "a private broker starts on port $PMQ" rabbitmq_start "$MQ" "$PMQ" "$PEPMD" "$PDIST"
check "with no queue bound, the broker returns it and the forwarder retries" wait_for 90 'grep -q "forwarding to police failed: the broker returned it: NO_ROUTE" "$W/daemon.log"'
check "... the report is still in outbox/police/" [ "$(count "$OUT" '*--r01.xml')" = 1 ]

# 3. a queue bound: published, confirmed, moved
check "the receiving domain binds its queue" "$DRAIN" --port "$PMQ" --exchange sluice.police --key police --queue police-in --declare-only
kill -HUP "$DPID" # a reload restarts the forwarder: no need to wait out its backoff
check "the report is published and moved to forwarded/police/" wait_for 90 '[ "$(count "$DONE" "*--r01.xml")" = 1 ]'
check "... with a .confirmed note naming the exchange" grep -q "confirmed by amqp://127.0.0.1:$PMQ/ exchange sluice.police routing key police" "$DONE"/*--r01.xml.confirmed
check "... logged" grep -q "published to police (amqp://127.0.0.1:$PMQ/ exchange sluice.police): confirmed" "$W/daemon.log"
tid=$(basename "$(find "$DONE" -name '*--r01.xml' | head -1)" | cut -c1-36)
drain one
IFS=$'\t' read -r n mid mode ctype htid hname blen <"$W/got.tsv"
check "the message id is the transfer id ($mid)" [ "$mid" = "$tid" ]
check "... and so is the sluice-transfer-id header" [ "$htid" = "$tid" ]
check "... persistent (delivery mode $mode)" [ "$mode" = 2 ]
check "... application/xml ($ctype)" [ "$ctype" = application/xml ]
check "... named r01.xml ($hname)" [ "$hname" = r01.xml ]
check "... its body is the released report" cmp -s "$W/msgs/one/1.xml" "$DONE/$tid--r01.xml"
check "... its receipt header verifies against the body" "$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$W/msgs/one/1.receipt" "$W/msgs/one/1.xml"

# 4. messages survive a broker restart; reports dropped while it is down arrive when it is back
for i in 1 2 3; do copy "$i" "p-$i.xml"; done
check "three more are published and confirmed" wait_for 30 '[ "$(count "$DONE" "*--p-*.xml")" = 3 ]'
rabbitmq_stop
for i in 4 5 6 7 8; do copy "$i" "p-$i.xml"; done
check "broker down: the next five wait in outbox/police/" wait_for 20 '[ "$(count "$OUT" "*--p-*.xml")" = 5 ]'
sleep 2
check "... and stay there" [ "$(count "$OUT" '*--p-*.xml')" = 5 ]
check "the broker starts again" rabbitmq_start "$MQ" "$PMQ" "$PEPMD" "$PDIST"
kill -HUP "$DPID"
check "the five are delivered once it is back" wait_for 120 '[ "$(count "$DONE" "*--p-*.xml")" = 8 ]'
drain two
got8=$(awk -F'\t' '$6 ~ /^p-/ {print $5}' "$W/got.tsv" | sort -u | wc -l)
check "all eight are in the queue, the three published before the restart too ($got8)" [ "$got8" = 8 ]

# 5. the gateway killed with SIGKILL while publishing: every report arrives, once after de-dup
n=0
for round in 1 2; do
	for i in $(seq 1 10); do
		n=$((n + 1))
		copy "k$n" "k-$n.xml"
	done
	sleep "0.$((RANDOM % 8 + 1))"
	pkill -9 -f "$D/sluiced.yaml" || true
	sleep 0.3
	check "the gateway restarts after SIGKILL round $round" sluiced_start
done
check "every report of the kill rounds is confirmed ($n)" wait_for 60 '[ "$(count "$DONE" "*--k-*.xml")" = "$n" ]'
check "... none is left in the outbox" [ "$(count "$OUT" '*--k-*.xml')" = 0 ]
drain three
k_all=$(awk -F'\t' '$6 ~ /^k-/' "$W/got.tsv" | wc -l)
k_unique=$(awk -F'\t' '$6 ~ /^k-/ {print $5}' "$W/got.tsv" | sort -u | wc -l)
check "every report reached the queue: $k_unique distinct transfer ids of $n" [ "$k_unique" = "$n" ]
echo "# $k_all messages for $n reports: $((k_all - n)) duplicates, dropped by transfer id"
dup_names=$(awk -F'\t' '$6 ~ /^k-/ {print $5 " " $6}' "$W/got.tsv" | sort -u | awk '{print $2}' | sort | uniq -d | wc -l)
check "... a transfer id always names the same report" [ "$dup_names" = 0 ]

kill -TERM "$DPID"
for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
if [ "$FAILED" -gt 0 ]; then
	echo "--- gateway log:"
	grep -v 'router: transfer' "$W/daemon.log" | tail -30
	echo "--- drain errors:"
	tail -5 "$W/drain.err" 2>/dev/null
	tail -20 "$MQ"/log/*.log "$MQ/broker.out" 2>/dev/null
fi
finish
