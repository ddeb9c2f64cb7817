#!/usr/bin/env bash
# Three shared-nothing sluiced nodes behind HAProxy (TCP passthrough: mutual TLS ends inside
# each node), delivering into one RabbitMQ broker and copying their audit records to an rsyslog
# collector, all on loopback with private ports (24000-24999), folders and cookie. Each node has
# its own spool, signing key and audit log; all load the same policy. A client streams reports
# through HAProxy (four at a time, each retried until it gets its signed receipt: that is an
# acknowledgement); node 2 is killed with SIGKILL mid-stream and restarted. Checks: every
# acknowledged report reaches RabbitMQ, exactly once after de-duplication by transfer id; every
# node's audit log verifies with its own key, also in one `sluice audit verify` over the three;
# the collector (rsyslog, RELP over mutual TLS) holds every transfer record of all three nodes,
# the killed one included (its forwarder resumes from its saved position). Prints the
# throughput measured through HAProxy.
# Usage: bash tests/cluster/test_cluster.sh PATH/TO/sluice (sluiced and amqp_drain beside it).
# Skips (77) when rabbitmq-server, haproxy, rsyslogd (with imrelp) or curl is not installed.
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/../cli/lib.sh"
# shellcheck source=tests/cli/rabbitmq_lib.sh
source "$(dirname "$0")/../cli/rabbitmq_lib.sh"
for tool in /usr/lib/rabbitmq/bin/rabbitmq-server epmd haproxy rsyslogd curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "# SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
		exit 77
	fi
done
if ! compgen -G '/usr/lib/*/rsyslog/imrelp.so' >/dev/null && ! [ -e /usr/lib/rsyslog/imrelp.so ]; then
	echo "# SKIP: rsyslog's imrelp module is not installed (scripts/install-deps.sh installs rsyslog-relp)"
	exit 77
fi
require_tools openssl jq pgrep pkill comm
DRAIN=$(dirname "$SLUICE")/amqp_drain
SLUICED=$(dirname "$SLUICE")/sluiced
check "amqp_drain and sluiced are built beside sluice" [ -x "$DRAIN" ] && [ -x "$SLUICED" ]
REPORTS=${SLUICE_CLUSTER_REPORTS:-120}
HAPROXY_PID= RSYSLOG_PID=
cleanup() {
	local pid
	for pid in $HAPROXY_PID $RSYSLOG_PID; do kill "$pid" 2>/dev/null; done
	pkill -TERM -f "$W/node[123].yaml" 2>/dev/null
	sleep 0.5
	pkill -KILL -f "$W/node[123].yaml" 2>/dev/null
	rabbitmq_cleanup
	[ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

# Ten ports in a row that nobody listens on.
free_ports() {
	local p k
	while :; do
		p=$((24000 + RANDOM % 985))
		for k in $(seq 0 9); do (exec 3<>"/dev/tcp/127.0.0.1/$((p + k))") 2>/dev/null && continue 2; done
		echo "$p"
		return
	done
}
P=$(free_ports)
PMQ=$P PEPMD=$((P + 1)) PDIST=$((P + 2)) PHA=$((P + 3)) PLOG=$((P + 4))
node_port() { echo $((P + 4 + $1)); }

# The broker first: it takes the longest to start, and the rest is set up meanwhile.
mkdir -p "$W/mq"
rabbitmq_launch "$W/mq" "$PMQ" "$PEPMD" "$PDIST"

chmod 755 "$W"
cp -r "$SLUICE_SOURCE/examples/fusion-cell" "$W/cell"
chmod -R go-w "$W/cell"
"$SLUICE" certs init-dev "$W/pki" intel police >/dev/null
chmod 755 "$W/pki"
printf 'guest:guest\n' >"$W/mq.secret"
chmod 600 "$W/mq.secret"
user_line=""
if [ "$(id -u)" = 0 ]; then
	user_line="user: nobody"
	chown nobody "$W/pki/gateway-server.key" "$W/mq.secret"
fi
for n in 1 2 3; do
	N=$W/node$n
	mkdir -p "$N/state" "$N/spool"
	make_keys "$N" signing
	[ "$(id -u)" != 0 ] || chown nobody "$N/state"
	cat >"$W/node$n.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: node$n/signing.key
audit-log: node$n/state/audit.log
spool: node$n/spool
workers: 2
checkpoint-seconds: 2
$user_line
tls:
  listen: 127.0.0.1:$(node_port "$n")
  certificate: pki/gateway-server.pem
  key: pki/gateway-server.key
  client-ca: pki/ca.pem
rabbitmq:
  police:
    url: amqp://127.0.0.1:$PMQ/
    credentials: mq.secret
audit-relp:
  host: 127.0.0.1
  port: $PLOG
  ca: pki/ca.pem
  certificate: pki/gateway-client.pem
  key: pki/gateway-client.key
YAML
	chmod 644 "$W/node$n.yaml"
done

# The collector: rsyslog with imrelp over TLS (the openssl driver, a client certificate from
# the cell's CA required), each message as received, one a line.
mkdir -p "$W/rsyslog"
cat >"$W/rsyslog.conf" <<CONF
global(workDirectory="$W/rsyslog")
module(load="imrelp" tls.tlslib="openssl")
input(type="imrelp" port="$PLOG" address="127.0.0.1" tls="on" tls.authmode="certvalid"
      tls.cacert="$W/pki/ca.pem" tls.mycert="$W/pki/gateway-server.pem"
      tls.myprivkey="$W/pki/gateway-server.key")
template(name="raw" type="string" string="%rawmsg%\n")
if \$inputname == "imrelp" then action(type="omfile" file="$W/collector.log" template="raw")
CONF
rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog/rsyslogd.pid" >"$W/rsyslog.out" 2>&1 &
RSYSLOG_PID=$!

# HAProxy: TCP passthrough, round robin, health checks every 500 ms.
cat >"$W/haproxy.cfg" <<CONF
global
  maxconn 512
defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
frontend sluice
  bind 127.0.0.1:$PHA
  default_backend nodes
backend nodes
  balance roundrobin
  default-server inter 500ms fall 2 rise 2
  server node1 127.0.0.1:$(node_port 1) check
  server node2 127.0.0.1:$(node_port 2) check
  server node3 127.0.0.1:$(node_port 3) check
CONF
check "haproxy accepts its configuration" haproxy -c -q -f "$W/haproxy.cfg"
haproxy -db -f "$W/haproxy.cfg" >"$W/haproxy.out" 2>&1 &
HAPROXY_PID=$!

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # wait_for SECONDS 'SHELL CODE'
	local tenths=$(($1 * 10))
	shift
	for _ in $(seq 1 "$tenths"); do eval "$*" && return 0; sleep 0.1; done
	return 1
}
check "rsyslog listens" wait_for 10 "up $PLOG"

# start_node N: starts node N and waits for its listener; its pid in NODE_PID[N]
declare -a NODE_PID
start_node() {
	"$SLUICED" -c "$W/node$1.yaml" -f >>"$W/node$1.log" 2>&1 &
	NODE_PID[$1]=$!
	wait_for 10 "grep -q 'sluiced\[${NODE_PID[$1]}\] supervisor: started' '$W/node$1.log'" &&
		wait_for 5 "up $(node_port "$1")"
}
for n in 1 2 3; do check "node $n starts" start_node "$n"; done
check "the private broker starts" rabbitmq_ready "$PMQ"
check "the receiving domain binds its queue" "$DRAIN" --port "$PMQ" --exchange sluice.police --key police --queue police-in --declare-only
check "haproxy sees the three nodes" wait_for 10 "up $PHA"

# The client: report I, made unique, POSTed through HAProxy until a 200 with a receipt comes.
R=$W/cell/reports/01-intel-to-police-plain.xml
mkdir -p "$W/sent" "$W/acks"
submit() {
	local i=$1 try code
	sed "s|port of Marrow Bay|port of Marrow Bay, stream $i|" "$R" >"$W/sent/$i.xml"
	for try in $(seq 1 40); do
		code=$(curl -sS --max-time 20 -H 'Expect:' --cacert "$W/pki/ca.pem" --cert "$W/pki/intel.pem" \
			--key "$W/pki/intel.key" -o "$W/acks/$i.receipt" -w '%{http_code}' \
			--data-binary "@$W/sent/$i.xml" "https://127.0.0.1:$PHA/v1/reports?to=police" 2>>"$W/client.err") || true
		if [ "$code" = 200 ]; then
			echo "$i $try"
			return 0
		fi
		rm -f "$W/acks/$i.receipt"
		sleep 0.2
	done
	echo "$i failed"
}
export -f submit
export W R PHA

killer() { # SIGKILLs node 2 (all its processes) once a third of the reports are acknowledged
	while [ "$(find "$W/acks" -name '*.receipt' | wc -l)" -lt $((REPORTS / 3)) ]; do sleep 0.05; done
	pkill -KILL -f "$W/node2.yaml"
	date +%s.%N >"$W/killed-at"
}
killer &
KILLER=$!
t0=$(date +%s.%N)
seq 1 "$REPORTS" | xargs -P 4 -I{} bash -c 'submit {}' >"$W/client.out"
t1=$(date +%s.%N)
wait "$KILLER"
acked=$(find "$W/acks" -name '*.receipt' | wc -l)
check "every report was acknowledged with a receipt ($acked of $REPORTS)" [ "$acked" = "$REPORTS" ]
check "... the client gave up on none" bash -c "! grep -q failed '$W/client.out'"
retried=$(awk '$2 != 1' "$W/client.out" | wc -l)
rate=$(echo "$REPORTS $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}')
echo "# throughput through haproxy: $REPORTS reports in $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s = $rate reports/s (4 clients; node 2 killed mid-stream; $retried reports needed a retry)"
check "node 2 was killed mid-stream" [ -f "$W/killed-at" ]
check "node 2's processes are gone" wait_for 5 "! pgrep -f '$W/node2.yaml' >/dev/null"
check "node 2 restarts" start_node 2

# A steady burst with the three nodes up: the throughput docs/SCALING.md quotes.
STEADY=${SLUICE_CLUSTER_STEADY:-60}
check "haproxy has node 2 back" wait_for 10 "up $PHA"
sleep 2
t0=$(date +%s.%N)
seq $((REPORTS + 1)) $((REPORTS + STEADY)) | xargs -P 6 -I{} bash -c 'submit {}' >>"$W/client.out"
t1=$(date +%s.%N)
REPORTS=$((REPORTS + STEADY))
echo "# steady throughput through haproxy, three nodes up: $STEADY reports in $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s = $(echo "$STEADY $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}') reports/s (6 clients)"
for n in 1 2 3; do
	echo "#   node $n took $(grep -c "router: transfer .*: released" "$W/node$n.log") of all the releases so far"
done

# Capacity, with keep-alive clients (bench/tls_load, the harness's client: one TLS handshake per
# connection, then report after report): one node alone, then the three through HAProxy. Every
# request must be answered 200 (a signed receipt); the figures are what docs/SCALING.md quotes.
LOAD=$(dirname "$SLUICE")/bench/tls_load
LOAD_REQUESTS=${SLUICE_CLUSTER_LOAD:-300}
LOADED=0
if [ -x "$LOAD" ]; then
	sed "s|port of Marrow Bay|port of Marrow Bay, load BENCH-000000000000|" "$R" >"$W/load.xml"
	load() { # load LABEL PORT CONNECTIONS ID_BASE
		local line
		line=$("$LOAD" --connect "127.0.0.1:$2" --ca "$W/pki/ca.pem" --cert "$W/pki/intel.pem" \
			--key "$W/pki/intel.key" --to police --concurrency "$3" --requests "$LOAD_REQUESTS" \
			--id-base "$4" "$W/load.xml" 2>>"$W/load.err") || { echo "#   $1: $line"; return 1; }
		echo "# capacity, $1: $line"
		LOADED=$((LOADED + LOAD_REQUESTS))
	}
	check "one node alone answers $LOAD_REQUESTS keep-alive requests with receipts" load "node 1 alone, 4 connections" "$(node_port 1)" 4 100000
	check "the three nodes through haproxy answer $LOAD_REQUESTS keep-alive requests with receipts" load "three nodes through haproxy, 12 connections" "$PHA" 12 200000
else
	echo "# capacity not measured: $LOAD is not built"
fi

tids() { for f in "$W"/acks/*.receipt; do jq -r .record.transfer_id "$f"; done | sort -u; }
tids >"$W/acked-tids"
check "the acknowledged reports have $REPORTS distinct transfer ids" [ "$(wc -l <"$W/acked-tids")" = "$REPORTS" ]
check "each receipt verifies with one node's key" bash -c 'for f in "$0"/acks/*.receipt; do ok=; for n in 1 2 3; do "$1" verify --pub "$0/node$n/signing.pub" --receipt "$f" >/dev/null 2>&1 && ok=1 && break; done; [ -n "$ok" ] || exit 1; done' "$W" "$SLUICE"
outbox_empty() { [ "$(find "$W"/node[123]/spool/outbox/police -type f 2>/dev/null | wc -l)" = 0 ]; }
check "every node's outbox drains into RabbitMQ" wait_for 90 outbox_empty

mkdir -p "$W/msgs"
"$DRAIN" --port "$PMQ" --exchange sluice.police --key police --queue police-in --out "$W/msgs" --idle 3 >"$W/got.tsv" 2>"$W/drain.err"
cut -f5 "$W/got.tsv" | sort -u >"$W/got-tids"
got=$(wc -l <"$W/got.tsv")
check "every acknowledged report reached RabbitMQ ($(wc -l <"$W/got-tids") distinct transfer ids)" \
	[ -z "$(comm -23 "$W/acked-tids" "$W/got-tids")" ]
check "... exactly once after de-duplication: one message per report sent ($((REPORTS + LOADED)))" \
	[ "$(wc -l <"$W/got-tids")" = $((REPORTS + LOADED)) ]
echo "# RabbitMQ held $got messages for $((REPORTS + LOADED)) reports: $((got - REPORTS - LOADED)) duplicates dropped by transfer id"
persistent=$(awk -F'\t' '$3 != 2' "$W/got.tsv" | wc -l)
check "every message is persistent" [ "$persistent" = 0 ]

# The collector: every transfer record of every node, the killed one included: sluiced-relp
# resumes from its saved position when node 2 restarts, so what node 2 logged before it was
# killed but had not yet sent arrives now (at least once: duplicates are allowed, and counted).
node_tids() { jq -r 'select(.type == "transfer") | .record.transfer_id' "$W/node$1/state/audit.log" | sort -u; }
in_collector() { # in_collector N: how many of node N's transfer ids the collector holds
	comm -12 <(node_tids "$1") <(sed -n 's/.*transfer_id="\([^"]*\)".*/\1/p' "$W/collector.log" | sort -u) | wc -l
}
all_collected() {
	local n
	for n in 1 2 3; do
		[ "$(in_collector "$n")" = "$(node_tids "$n" | wc -l)" ] || return 1
	done
}
wait_for 60 all_collected
for n in 1 2 3; do
	have=$(in_collector "$n")
	want=$(node_tids "$n" | wc -l)
	check "the collector holds every transfer record of node $n ($have of $want)" [ "$have" = "$want" ]
done
dups=$(grep -o 'transfer_id="[^"]*"' "$W/collector.log" | sort | uniq -d | wc -l)
echo "# the collector received $(grep -c 'transfer_id=' "$W/collector.log") audit messages; $dups transfer ids more than once (at-least-once delivery after the kill)"

# Audit: each node's log verifies with its own key; then all three at once.
for n in 1 2 3; do kill -TERM "${NODE_PID[$n]}" 2>/dev/null; done
for n in 1 2 3; do wait_for 10 "! kill -0 ${NODE_PID[$n]} 2>/dev/null"; done
for n in 1 2 3; do
	check "node $n's audit log verifies with node $n's key" "$SLUICE" audit verify --pub "$W/node$n/signing.pub" "$W/node$n/state/audit.log"
done
check "sluice audit verify checks the three nodes at once" "$SLUICE" audit verify \
	--pub "$W/node1/signing.pub" "$W/node1/state/audit.log" \
	--pub "$W/node2/signing.pub" "$W/node2/state/audit.log" \
	--pub "$W/node3/signing.pub" "$W/node3/state/audit.log"
"$SLUICE" audit stats "$W/node1/state/audit.log" "$W/node2/state/audit.log" "$W/node3/state/audit.log" >"$W/stats.out" 2>&1
check "sluice audit stats sums the three nodes" grep -q "nodes: 3" "$W/stats.out"
logged=0
for n in 1 2 3; do logged=$((logged + $(audit_transfers "$W/node$n/state/audit.log"))); done
check "the nodes logged at least one transfer per report ($logged)" [ "$logged" -ge "$REPORTS" ]

if [ "$FAILED" -gt 0 ]; then
	for n in 1 2 3; do echo "--- node $n:"; grep -v 'router: transfer' "$W/node$n.log" | tail -8; done
	tail -5 "$W/client.err" "$W/drain.err" "$W/haproxy.out" "$W/rsyslog.out" 2>/dev/null
fi
finish
