#!/usr/bin/env bash
# sluiced with `audit-syslog` (issue 6 item 6): after each record is appended to the audit log,
# the auditor sends an RFC 5424 copy to a collector, best effort. Over UDP and over TCP
# (octet-counted) to a listener on 127.0.0.1, each message's structured data matches the log's
# record (transfer id, from, to, decision, policy, input digest, rule) and its PRI the
# configured facility and the decision's severity. To a unix socket with no collector, reports
# still flow and the audit log still has every record; the drops are counted and logged, and
# sending resumes when the collector appears. `sluice audit export --syslog` of the same log
# gives the same records. Bad targets and facilities are configuration errors (78).
# Usage: bash test_daemon_syslog.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep python3
gateway_dir intel police customs military partner-fra
LISTENER=$SLUICE_SOURCE/tests/cli/syslog_listener.py
LPIDS=()
cleanup() {
	local p
	for p in "${LPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null || true
	[ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

configure() { # configure AUDIT_SYSLOG_LINES...: the daemon's configuration with them
	{
		printf 'sluiced: 1\npolicy: cell/policy.yaml\nsigning-key: pki/gateway-signing.key\n'
		printf 'audit-log: state/audit.log\nspool: spool\n%s\n' "$user_line"
		printf '%s\n' "$@"
	} >"$D/sluiced.yaml"
	chmod 644 "$D/sluiced.yaml"
}
sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }

# configuration errors
configure 'audit-syslog:' '  target: http://127.0.0.1:514'
sl_d -t -c "$D/sluiced.yaml"
check "a target that is not udp, tcp or unix is refused (78, got $RC)" [ "$RC" = 78 ] && grep -q 'config.value' "$W/d.err"
configure 'audit-syslog:' '  target: udp://127.0.0.1'
sl_d -t -c "$D/sluiced.yaml"
check "a target without a port is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'the port is missing' "$W/d.err"
configure 'audit-syslog:' '  target: unix:dev/log'
sl_d -t -c "$D/sluiced.yaml"
check "a relative unix path is refused (got $RC)" [ "$RC" = 78 ]
configure 'audit-syslog:' '  target: udp://127.0.0.1:514' '  facility: local9'
sl_d -t -c "$D/sluiced.yaml"
check "an unknown facility is refused (got $RC)" [ "$RC" = 78 ] && grep -q "'facility' must be a syslog facility" "$W/d.err"
configure 'audit-syslog:' '  target: tcp://no-such-host.invalid:6514'
sl_d -t -c "$D/sluiced.yaml"
check "a host that does not resolve is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'config.audit-syslog' "$W/d.err"
configure 'audit-syslog:' '  target: udp://127.0.0.1:514' '  port: 1'
sl_d -t -c "$D/sluiced.yaml"
check "an unknown key under audit-syslog is refused (got $RC)" [ "$RC" = 78 ] && grep -q 'config.unknown-key' "$W/d.err"

listen() { # listen KIND OUT [PATH]: starts a collector and waits until it listens
	python3 "$LISTENER" "$@" &
	LPIDS+=($!)
	for _ in $(seq 1 50); do
		[ -s "$2.port" ] || [ -s "$2.ready" ] && return 0
		sleep 0.1
	done
	return 1
}
start() { sluiced_start; } # lib.sh
stop() {
	kill -TERM "$DPID"
	for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$DPID" 2>/dev/null
}
submit() { # submit REPORT: drops a demo report into the inbox of its flow
	local from to
	read -r from to < <(awk -F'\t' -v r="$1" '$1 == r { print $2, $3 }' "$D/cell/scenarios.tsv")
	mkdir -p "$D/spool/inbox/$from/$to"
	cp "$D/cell/reports/$1" "$D/spool/inbox/$from/$to/.$1.tmp"
	mv "$D/spool/inbox/$from/$to/.$1.tmp" "$D/spool/inbox/$from/$to/$1"
}
lines_in() { # lines_in FILE N: waits up to 10 s for N lines
	for _ in $(seq 1 100); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# matches_log MESSAGES N: the last N transfer records of the audit log each have a message
# whose structured data carries their fields
matches_log() {
	local rec want bad=0
	while read -r rec; do
		want=$(jq -r '"transfer_id=\"" + .transfer_id + "\" from=\"" + .from + "\" to=\"" + .to +
			"\" decision=\"" + .decision + "\" policy_id=\"" + .policy.id + "\" policy_version=\"" +
			(.policy.version | tostring) + "\" policy_sha256=\"" + .policy.sha256 + "\""' <<<"$rec")
		grep -qF "$want" "$1" || { echo "#   no message with: $want"; bad=1; }
		want=$(jq -r '"input_sha256=\"" + .input_sha256 + "\""' <<<"$rec")
		grep -qF "$want" "$1" || bad=1
		want=$(jq -r 'if .reason then "rule=\"" + .reason.rule + "\"" else "redactions=" end' <<<"$rec")
		grep -qF "$want" "$1" || bad=1
	done < <(jq -c 'select(.type == "transfer") | .record' "$D/state/audit.log" | tail -n "$2")
	return "$bad"
}

# 1. UDP, facility local3 (19): released is <158> (19*8+6), refused <157> (19*8+5)
listen udp "$W/udp.msgs" || not_ok "the UDP collector listens"
configure 'audit-syslog:' "  target: udp://127.0.0.1:$(cat "$W/udp.msgs.port")" '  facility: local3'
sl_d -t -c "$D/sluiced.yaml"
check "sluiced -t accepts audit-syslog and names it (got $RC)" [ "$RC" = 0 ] && grep -q 'audit records copied to syslog at udp://127.0.0.1:' "$W/d.out"
check "sluiced starts with audit-syslog over UDP" start
submit 01-intel-to-police-plain.xml
submit 08-intel-to-police-orcon.xml
check "two records reach the UDP collector" lines_in "$W/udp.msgs" 2
check "... one message per record" [ "$(wc -l <"$W/udp.msgs")" = 2 ]
check "... released: <158>1, MSGID released" grep -Eq "^<158>1 [0-9T:-]+Z $(hostname) sluiced [0-9]+ released \[sluice@32473 transfer_id=" "$W/udp.msgs"
check "... refused: <157>1, MSGID refused" grep -Eq "^<157>1 [0-9T:-]+Z $(hostname) sluiced [0-9]+ refused \[sluice@32473 " "$W/udp.msgs"
check "... their structured data matches the audit log's records" matches_log "$W/udp.msgs" 2
check "... the refusal names its rule" grep -q 'rule="caveat.refuse".*\] intel -> police refused caveat.refuse$' "$W/udp.msgs"
check "UDP: the daemon stops" stop
check "... and logs what it sent" grep -q 'auditor: audit-syslog udp://127.0.0.1:[0-9]*: 2 messages sent, 0 dropped' "$W/daemon.log"

# 2. TCP with octet counting, default facility local0 (16): released <134>
listen tcp "$W/tcp.msgs" || not_ok "the TCP collector listens"
configure 'audit-syslog:' "  target: tcp://127.0.0.1:$(cat "$W/tcp.msgs.port")"
check "sluiced starts with audit-syslog over TCP" start
submit 02-intel-to-customs-clearance.xml
submit 11-customs-to-fra-default-deny.xml
submit 13-intel-to-police-patterns.xml
check "three records reach the TCP collector, each one frame" lines_in "$W/tcp.msgs" 3
check "... no broken frame" lacks -q 'BAD FRAME' "$W/tcp.msgs"
check "... facility local0 by default: <134>1 for a release" grep -q '^<134>1 .* released \[sluice@32473 ' "$W/tcp.msgs"
check "... their structured data matches the audit log's records" matches_log "$W/tcp.msgs" 3
check "... the redactions are counted" grep -Eq 'from="intel" to="police" decision="released".* redactions="[1-9][0-9]*"' "$W/tcp.msgs"
check "TCP: the daemon stops" stop

# 3. a unix socket with no collector: reports still flow, drops are counted; then it appears
configure 'audit-syslog:' "  target: unix:$W/collector.sock"
check "sluiced starts with audit-syslog to an absent unix socket" start
before=$(audit_transfers "$D/state/audit.log")
submit 03-intel-to-police-sci.xml
wait_records() { for _ in $(seq 1 100); do [ "$(audit_transfers "$D/state/audit.log")" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
check "with no collector the record is still appended" wait_records $((before + 1))
check "... and the report delivered" bash -c "for _ in \$(seq 1 100); do ls '$D'/spool/outbox/police/*--03-intel-to-police-sci.xml >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
check "... the drop is logged" grep -q "audit-syslog unix:$W/collector.sock: cannot send (No such file or directory): dropping messages" "$W/daemon.log"
listen unix "$W/unix.msgs" "$W/collector.sock" || not_ok "the unix collector listens"
submit 14-police-to-customs-case.xml
check "once the collector is there, the next record reaches it" lines_in "$W/unix.msgs" 1
check "... matching the log" matches_log "$W/unix.msgs" 1
check "... and the recovery is logged" grep -q 'sending again after 1 dropped messages' "$W/daemon.log"
check "unix: the daemon stops" stop
check "... counting 1 sent, 1 dropped" grep -q "audit-syslog unix:$W/collector.sock: 1 messages sent, 1 dropped" "$W/daemon.log"

check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
n=$(audit_transfers "$D/state/audit.log")
sl audit export --syslog --facility local3 "$D/state/audit.log"
check "audit export --syslog: one message per record ($n)" [ "$(wc -l <"$W/sl.out")" = "$n" ] && [ "$RC" = 0 ]
ids() { grep -o 'transfer_id="[^"]*"' "$@" | sed 's/^[^:]*://' | sort; }
ids "$W/sl.out" >"$W/exported.ids"
ids "$W/udp.msgs" "$W/tcp.msgs" "$W/unix.msgs" >"$W/collected.ids"
check "... every transfer a collector got, and the one dropped ($(wc -l <"$W/collected.ids") + 1)" [ -z "$(comm -13 "$W/exported.ids" "$W/collected.ids")" ] && [ "$(comm -23 "$W/exported.ids" "$W/collected.ids" | wc -l)" = 1 ]
sed 's/ seq="[0-9]*"//' "$W/sl.out" >"$W/export.noseq"
check "... each with the same structured data" matches_log "$W/export.noseq" "$n"
seqs_ok() {
	local id seq
	while read -r id seq; do
		grep -qF "transfer_id=\"$id\" seq=\"$seq\" " "$W/sl.out" || return 1
	done < <(jq -r 'select(.type == "transfer") | .record.transfer_id + " " + (.seq | tostring)' "$D/state/audit.log")
}
check "... plus its line's seq" seqs_ok
if [ "$FAILED" -gt 0 ]; then grep -v ' router: transfer' "$W/daemon.log" | tail -30; fi
finish
