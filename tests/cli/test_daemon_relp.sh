#!/usr/bin/env bash
# sluiced with `audit-relp` (issue 9 item 2): sluiced-relp forwards every transfer record of the
# audit log to a private rsyslog (imrelp with TLS, openssl driver, client certificate required)
# on a loopback port in 24500-24599, at least once: one message per transfer record, matching
# the log; with the collector stopped, reports still flow and the audit log grows, and once it is
# back every record arrives (nothing dropped) and the position file moves on; sluiced-relp killed
# with SIGKILL mid-stream restarts alone (the pipeline goes on) and loses nothing. Configuration
# errors are 78. Exit 77 when rsyslogd or its imrelp module is missing.
# Usage: bash test_daemon_relp.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
if ! command -v rsyslogd >/dev/null 2>&1 ||
	! compgen -G '/usr/lib/*/rsyslog/imrelp.so' >/dev/null && ! [ -e /usr/lib/rsyslog/imrelp.so ]; then
	echo "rsyslogd with imrelp is not installed (scripts/install-deps.sh): skipped"
	exit 77
fi
require_tools openssl jq pgrep
gateway_dir intel police customs military partner-fra
RS=$W/rsyslog
mkdir -p "$RS"
RSPID=
cleanup() {
	[ -n "$RSPID" ] && kill "$RSPID" 2>/dev/null || true
	[ -n "${HPID:-}" ] && kill "$HPID" 2>/dev/null || true
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null || true
	[ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

# collector_start: rsyslogd -n with imrelp over TLS on $PORT, each message's raw text one line
# of $RS/out.log; picks a free port in 24500-24599 the first time.
collector_start() {
	local try
	for try in 1 2 3 4 5 6 7 8; do
		[ -n "${PORT:-}" ] && [ "$try" = 1 ] || PORT=${FIXED_PORT:-$((24500 + RANDOM % 100))}
		cat >"$RS/rsyslog.conf" <<EOF
global(workDirectory="$RS")
module(load="imrelp" tls.tlslib="openssl")
input(type="imrelp" port="$PORT" address="127.0.0.1" tls="on" tls.authmode="certvalid"
      tls.cacert="$D/pki/ca.pem" tls.mycert="$D/pki/gateway-server.pem"
      tls.myprivkey="$D/pki/gateway-server.key")
template(name="raw" type="string" string="%rawmsg%\n")
if \$inputname == "imrelp" then action(type="omfile" file="$RS/out.log" template="raw")
EOF
		rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/pid" >>"$RS/rsyslogd.err" 2>&1 &
		RSPID=$!
		for _ in $(seq 1 50); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
			kill -0 "$RSPID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$RSPID" 2>/dev/null
		wait "$RSPID" 2>/dev/null
		RSPID=
		[ -n "${FIXED_PORT:-}" ] && return 1
	done
	return 1
}
collector_stop() {
	kill "$RSPID" && wait "$RSPID" 2>/dev/null
	RSPID=
}
configure() { # configure AUDIT_RELP_LINES...
	{
		printf 'sluiced: 1\npolicy: cell/policy.yaml\nsigning-key: pki/gateway-signing.key\n'
		printf 'audit-log: state/audit.log\nspool: spool\n%s\n' "$user_line"
		printf '%s\n' "$@"
	} >"$D/sluiced.yaml"
	chmod 644 "$D/sluiced.yaml"
}
relp_config() { # relp_config PORT [HOST]
	configure 'audit-relp:' "  host: ${2:-127.0.0.1}" "  port: $1" '  ca: pki/ca.pem' \
		'  certificate: pki/gateway-client.pem' '  key: pki/gateway-client.key'
}
sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
stop() {
	kill -TERM "$DPID"
	for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$DPID" 2>/dev/null
}
N=0
submit() { # submit COUNT: drops COUNT unique copies of a demo report into intel -> police
	local _
	mkdir -p "$D/spool/inbox/intel/police"
	for _ in $(seq 1 "$1"); do
		N=$((N + 1))
		{ cat "$D/cell/reports/01-intel-to-police-plain.xml"; printf '\n<!-- copy %s -->\n' "$N"; } \
			>"$D/spool/inbox/intel/police/.r$N.tmp"
		mv "$D/spool/inbox/intel/police/.r$N.tmp" "$D/spool/inbox/intel/police/r$N.xml"
	done
}
records() { audit_transfers "$D/state/audit.log"; }
wait_records() { # wait_records N [SECONDS]: the audit log has N transfer records
	for _ in $(seq 1 $((${2:-30} * 10))); do
		[ "$(records)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
collected() { grep -c 'sluice@32473 transfer_id=' "$RS/out.log" 2>/dev/null || echo 0; }
wait_collected() { # wait_collected N [SECONDS]
	for _ in $(seq 1 $((${2:-30} * 10))); do
		[ "$(collected)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# every_record_once: each transfer id of the audit log is in the collector's file, and the
# collector has nothing else; DUPS (how many ids came more than once) is set
every_record_once() {
	local missing=0 id
	while read -r id; do
		grep -qF "transfer_id=\"$id\"" "$RS/out.log" || { missing=$((missing + 1)); echo "#   missing: $id"; }
	done < <(jq -r 'select(.type == "transfer") | .record.transfer_id' "$D/state/audit.log")
	DUPS=$(grep -o 'transfer_id="[^"]*"' "$RS/out.log" | sort | uniq -d | wc -l)
	[ "$missing" = 0 ]
}
position() { sed -n "s/^$1 //p" "$D/spool/audit-relp/position" 2>/dev/null; }
relp_pid() { pgrep -P "$DPID" -x sluiced-relp; }

# configuration errors
configure 'audit-relp:' '  host: 127.0.0.1:6514' '  port: 6514' '  ca: pki/ca.pem' \
	'  certificate: pki/gateway-client.pem' '  key: pki/gateway-client.key'
sl_d -t -c "$D/sluiced.yaml"
check "a host with a port is refused (78, got $RC)" [ "$RC" = 78 ] && grep -q "the port goes under 'port'" "$W/d.err"
configure 'audit-relp:' '  host: 127.0.0.1' '  port: 6514' '  ca: pki/ca.pem'
sl_d -t -c "$D/sluiced.yaml"
check "a missing certificate key is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'config.missing-key' "$W/d.err"
relp_config 6514 no-such-host.invalid
sl_d -t -c "$D/sluiced.yaml"
check "a host that does not resolve is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'cannot resolve no-such-host.invalid' "$W/d.err"
configure 'audit-relp:' '  host: 127.0.0.1' '  port: 6514' '  ca: pki/ca.pem' \
	'  certificate: pki/gateway-client.pem' '  key: pki/no-such.key'
sl_d -t -c "$D/sluiced.yaml"
check "an unreadable client key is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'no-such.key' "$W/d.err"

# 1. the collector up: one message per transfer record
check "rsyslogd with imrelp and TLS listens on a port in 24500-24599" collector_start
relp_config "$PORT"
sl_d -t -c "$D/sluiced.yaml"
check "sluiced -t accepts audit-relp and names it (got $RC)" [ "$RC" = 0 ] && grep -q "audit records forwarded over RELP with TLS to relp://127.0.0.1:$PORT" "$W/d.out"
check "sluiced starts with audit-relp" sluiced_start
check "... sluiced-relp runs" bash -c "pgrep -P $DPID -x sluiced-relp >/dev/null"
submit 5
check "five records in the audit log" wait_records 5
check "... and five messages at the collector" wait_collected 5
check "... one per transfer record, every record there" every_record_once
check "... no duplicate ($DUPS)" [ "$DUPS" = 0 ]
check "... RFC 5424 with the record's fields and seq" grep -Eq '^<134>1 [0-9T:.-]+Z [^ ]+ sluiced [0-9]+ released \[sluice@32473 transfer_id="[0-9a-f-]{36}" seq="[0-9]+" from="intel" to="police" decision="released"' "$RS/out.log"
for _ in $(seq 1 30); do [ "$(position records)" = 5 ] && break; sleep 0.1; done
check "the position file counts 5 records" [ "$(position records)" = 5 ]
check "... and its offset is the audit log's size" [ "$(position offset)" = "$(stat -c %s "$D/state/audit.log")" ]

# 2. the collector down: local logging goes on; once it is back everything arrives
collector_stop
off_before=$(position offset)
submit 10
check "with the collector down, the audit log still takes every record" wait_records 15
check "... and the reports are delivered" bash -c "for _ in \$(seq 1 100); do [ \$(ls '$D'/spool/outbox/police/ | grep -c 'r[0-9]*.xml$') -ge 15 ] && exit 0; sleep 0.1; done; exit 1"
check "... the position does not move" [ "$(position offset)" = "$off_before" ]
sleep 2
check "... the collector's serverclose is understood" grep -q "relp: relp://127.0.0.1:$PORT: the collector closed the session" "$W/daemon.log"
check "... the failure is logged with a retry" grep -q "relp: relp://127.0.0.1:$PORT: .*retrying in [0-9]* s (the audit log keeps every record)" "$W/daemon.log"
FIXED_PORT=$PORT
check "the collector starts again on the same port" collector_start
check "... every record arrives (nothing dropped)" wait_collected 15 45
check "... every record of the log is there" every_record_once
for _ in $(seq 1 50); do [ "$(position records)" -ge 15 ] && break; sleep 0.1; done
check "... the position moved on (15 records, offset $(position offset) > $off_before)" [ "$(position records)" -ge 15 ] && [ "$(position offset)" -gt "$off_before" ]
check "... the reconnection is logged" grep -q "relp: relp://127.0.0.1:$PORT: connected again" "$W/daemon.log"

# 3. sluiced-relp killed mid-stream: it restarts alone and nothing is lost
old_relp=$(relp_pid)
submit 40
for _ in $(seq 1 100); do [ "$(collected)" -gt 17 ] && break; sleep 0.05; done
kill -KILL "$old_relp"
check "with sluiced-relp killed the audit log still takes every record" wait_records 55
for _ in $(seq 1 50); do new_relp=$(relp_pid) && [ "$new_relp" != "$old_relp" ] && break; sleep 0.1; done
check "the supervisor restarted sluiced-relp alone" [ -n "${new_relp:-}" ] && [ "$new_relp" != "$old_relp" ] && grep -q 'the audit forwarder (sluiced-relp) (pid [0-9]*) was killed by signal 9' "$W/daemon.log"
check "... the pipeline was not restarted" lacks -q 'restarting the pipeline' "$W/daemon.log"
check "... every record arrives" wait_collected 55 45
check "... every record of the log is there once at least" every_record_once
echo "# duplicates after the kill (sent, not yet acknowledged): $DUPS"
check "... duplicates only from the window in flight (<= 32, got $DUPS)" [ "$DUPS" -le 32 ]
for _ in $(seq 1 50); do [ "$(position records)" -ge 55 ] && break; sleep 0.1; done
check "... the position counts every record" [ "$(position records)" -ge 55 ]

check "no frame of the collector misread so far" lacks -q 'not a RELP frame\|unexpected frame' "$W/daemon.log"

# 4. a hostile collector: a refusal, an oversized frame, bytes that are no frame. Each drops the
# session; the position never moves past a record that was not acknowledged.
collector_stop
hostile() { # hostile MODE: the collector of relp_hostile_collector.py on $PORT
	rm -f "$W/hostile.log.ready"
	python3 "$SLUICE_SOURCE/tests/cli/relp_hostile_collector.py" "$PORT" "$D/pki/gateway-server.pem" \
		"$D/pki/gateway-server.key" "$D/pki/ca.pem" "$1" "$W/hostile.log" &
	HPID=$!
	for _ in $(seq 1 50); do [ -e "$W/hostile.log.ready" ] && return 0; sleep 0.1; done
	return 1
}
wait_log() { # wait_log PATTERN N: up to 40 s for more than N lines with PATTERN in the log
	for _ in $(seq 1 400); do [ "$(grep -c "$1" "$W/daemon.log")" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}
off_before=$(position offset)
records_before=$(position records)
submit 1
check "one more record in the audit log" wait_records 56
for mode in refuse oversize garbage; do
	case $mode in
	refuse) want='the collector refused line [0-9]*: 500 collector full' ;;
	oversize | garbage) want='the collector sent bytes that are not a RELP frame' ;;
	esac
	seen=$(grep -c "$want" "$W/daemon.log")
	check "hostile collector ($mode) listens" hostile "$mode"
	check "... $mode: the session is dropped with: $want" wait_log "$want" "$seen"
	check "... $mode: the position does not move" [ "$(position offset)" = "$off_before" ] && [ "$(position records)" = "$records_before" ]
	kill "$HPID"; wait "$HPID" 2>/dev/null
done
check "... and sluiced-relp is still the same process (no crash)" [ "$(relp_pid)" = "$new_relp" ]
check "the real collector starts again" collector_start
check "... the held-back record arrives" wait_collected 56 45
check "... every record of the log is there" every_record_once

check "the daemon stops" stop
check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
check "no seccomp refusal" lacks -q 'seccomp refused' "$W/daemon.log"
finish
