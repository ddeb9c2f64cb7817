#!/usr/bin/env bash
# sluiced end to end through the spool: reports flow to outbox/refused/quarantine with
# receipts; `sluiced -t`; a killed filter worker is replaced; SIGHUP with a broken policy keeps
# the old one; SIGKILL of the whole daemon while reports flow, then a restart: every report is
# delivered exactly once and the audit log verifies; SIGTERM stops cleanly. Signed tree heads:
# receipts carry their leaf index and prove; SIGUSR1 asks for a head; checkpoint-seconds
# writes one unasked.
# Usage: bash test_daemon.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep pkill
gateway_dir intel police customs military partner-fra
cat >"$D/sluiced.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: state/audit.log
spool: spool
workers: 2
checkpoint-interval: 10
$user_line
YAML
chmod 644 "$D/sluiced.yaml"

sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
sl_d -t -c "$D/sluiced.yaml"
check "sluiced -t accepts the configuration (got $RC)" [ "$RC" = 0 ]
printf 'sluiced: 1\npolicy: cell/policy.yaml\nbogus: 1\n' >"$D/bad.yaml"
chmod 644 "$D/bad.yaml"
sl_d -t -c "$D/bad.yaml"
check "sluiced -t refuses a bad configuration with 78 (got $RC)" [ "$RC" = 78 ]
check "... naming file:line:column" grep -q 'bad.yaml:3:1' "$W/d.err"

start() { sluiced_start; } # lib.sh
inbox_empty() {
	[ -z "$(find "$D/spool/inbox" -type f ! -name '.*' 2>/dev/null)" ]
}
# wait_empty [TENTHS]: up to 20 s (or TENTHS/10 s: big reports, which a sanitizer build on a
# loaded machine filters for many seconds) for the inbox to drain
wait_empty() {
	for _ in $(seq 1 "${1:-200}"); do inbox_empty && return 0; sleep 0.1; done
	return 1
}
wait_log() { # wait_log PATTERN: up to 10 s for a line in the daemon's log
	for _ in $(seq 1 100); do grep -q "$1" "$W/daemon.log" && return 0; sleep 0.1; done
	return 1
}
drop() { # drop FROM TO FILE NAME: an atomic drop, as agencies must do it
	mkdir -p "$D/spool/inbox/$1/$2"
	cp "$3" "$D/spool/inbox/$1/$2/.$4.tmp" && mv "$D/spool/inbox/$1/$2/.$4.tmp" "$D/spool/inbox/$1/$2/$4"
}

check "sluiced starts" start
kinds=0
for k in signer auditor router intake deliver worker; do pgrep -P "$DPID" -x "sluiced-$k" >/dev/null && kinds=$((kinds + 1)); done
check "six kinds of process run ($kinds)" [ "$kinds" = 6 ]

# 1. every demo scenario through the spool
released=0 refused=0 invalid=0
while IFS=$'\t' read -r report from to expected _; do
	[ "$report" = report ] && continue
	drop "$from" "$to" "$D/cell/reports/$report" "$report"
	case $expected in 0) released=$((released + 1)) ;; 1) refused=$((refused + 1)) ;; *) invalid=$((invalid + 1)) ;; esac
done <"$D/cell/scenarios.tsv"
check "every scenario report leaves the inbox" wait_empty
count() { find "$D/spool/$1" -type f ! -name '*.receipt' ! -name '*.reason' 2>/dev/null | wc -l; }
check "released reports in outbox/ ($(count outbox) of $released)" [ "$(count outbox)" = "$released" ]
check "refused reports in refused/ ($(count refused) of $refused)" [ "$(count refused)" = "$refused" ]
check "invalid reports in quarantine/ ($(count quarantine) of $invalid)" [ "$(count quarantine)" = "$invalid" ]
bad=0
for r in "$D"/spool/outbox/*/*.receipt; do
	"$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$r" "${r%.receipt}" >/dev/null || bad=$((bad + 1))
done
check "every outbox receipt verifies against its report ($bad bad)" [ "$bad" = 0 ]
check "refusals carry their reason" grep -q 'caveat.refuse' "$D"/spool/refused/*/*.reason
check "no canary of a withheld portion in any outbox file" \
	lacks -r -e 'CANARY-' "$D/spool/outbox"

# 1b. signed tree heads: receipts name their leaf; SIGUSR1 asks for a head now
verified_live() { # up to 10 s for the live log to end with a signed tree head
	for _ in $(seq 1 100); do
		"$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log" \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
if [ $(($(audit_transfers "$D/state/audit.log") % 10)) = 0 ]; then
	# (the interval of 10 has just signed them all: one more, which no head covers yet; a
	# report already sent would be a duplicate, logged once)
	printf '\n<!-- before SIGUSR1 -->\n' | cat "$D/cell/reports/01-intel-to-police-plain.xml" - >"$W/usr1.xml"
	drop intel police "$W/usr1.xml" before-usr1.xml
	check "one more report before SIGUSR1 leaves the inbox" wait_empty
fi
receipt=$(find "$D/spool/outbox" -name '*.receipt' | head -1)
check "daemon receipts carry their leaf index" \
	[ -n "$(receipt_field "$receipt" '.log.leaf_index // empty')" ]
kill -USR1 "$DPID"
check "SIGUSR1 is passed to the auditor" wait_log "asked the auditor for a signed tree head"
check "... which writes a signed tree head" wait_log "signed tree head written (asked for)"
check "the live log then ends with a signed tree head" verified_live
sl audit prove --receipt "$receipt" -o "$W/daemon-proof.json" "$D/state/audit.log"
check "a daemon receipt's inclusion proof is written (exit $RC)" [ "$RC" = 0 ]
sl audit check-proof --pub "$D/pki/gateway-signing.pub" --receipt "$receipt" "$W/daemon-proof.json"
check "... and verifies with the public key (exit $RC)" [ "$RC" = 0 ]

# 2. a filter worker killed: replaced, and reports keep flowing
wpid=$(pgrep -P "$DPID" -x sluiced-worker | head -1)
kill -9 "$wpid"
sleep 0.5
drop intel police "$D/cell/reports/01-intel-to-police-plain.xml" after-worker-kill.xml
check "a report after a worker was killed is delivered" wait_empty
two_workers() {
	for _ in $(seq 1 100); do [ "$(pgrep -c -P "$DPID" -x sluiced-worker)" = 2 ] && return 0; sleep 0.1; done
	return 1
}
check "the worker was replaced" two_workers

# 2b. workers killed in the middle of a report: the router tries once more on a new worker
awk 'BEGIN {
	print "<?xml version=\"1.0\"?>"
	print "<Bulk xmlns:ism=\"urn:us:gov:ic:ism\" ism:resourceElement=\"true\" ism:classification=\"U\" ism:ownerProducer=\"USA\">"
	for (i = 0; i < 8000; i++)
		printf "<P ism:classification=\"U\" ism:ownerProducer=\"USA\">item %d, contact desk%d@agency.example</P>\n", i, i
	print "</Bulk>" }' >"$W/big.xml"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A before
for pid in $(pgrep -P "$DPID" -x sluiced-worker); do before[$pid]=$(cpu_ticks "$pid"); done
drop intel police "$W/big.xml" big-mid-kill.xml
# wait until a worker is busy (30 ms more CPU time than before the drop, in clock ticks from
# /proc), then kill every worker: the report is then in the middle of being filtered
for _ in $(seq 1 200); do
	busy=""
	for pid in "${!before[@]}"; do
		[ $(($(cpu_ticks "$pid") - before[$pid])) -gt 3 ] && busy=$pid
	done
	[ -n "$busy" ] && break
	sleep 0.01
done
check "a worker was seen filtering the big report" [ -n "$busy" ]
pkill -9 -P "$DPID" -x sluiced-worker || true
check "a report whose workers were killed mid-filtering is delivered" wait_empty 1200
check "... exactly once" [ "$(find "$D/spool/outbox/police" -name '*--big-mid-kill.xml' | wc -l)" = 1 ]
check "... with its redactions" lacks -q 'desk1@agency.example' "$(find "$D/spool/outbox/police" -name '*--big-mid-kill.xml')"
check "the killed workers were replaced" wait_log "worker 1 died; restarting it"

# 2c. many large reports at once, each with a long receipt (half its portions withheld): intake
# sends while the router answers, and neither may wait for the other for ever (bench/run.sh
# found intake and router each blocked in sendmsg to the other with 40 reports of 200 KB)
wide_report "$W/wide.xml" \
	'<Bulk xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="TS" ism:ownerProducer="USA" ism:disseminationControls="NF">' \
	'</Bulk>' 'ism:classification="TS" ism:ownerProducer="USA" ism:disseminationControls="NF"'
for i in $(seq 1 40); do
	printf '<!-- copy %d -->\n' "$i" | cat "$W/wide.xml" - >"$W/wide-$i.xml"
	mkdir -p "$D/spool/inbox/intel/police"
	cp "$W/wide-$i.xml" "$D/spool/inbox/intel/police/.wide-$i.tmp"
done
for i in $(seq 1 40); do
	mv "$D/spool/inbox/intel/police/.wide-$i.tmp" "$D/spool/inbox/intel/police/wide-$i.xml"
done
check "40 reports of $(($(wc -c <"$W/wide.xml") / 1024)) KB dropped at once all leave the inbox" wait_empty 1200
check "... each delivered once" [ "$(find "$D/spool/outbox/police" -name '*--wide-*.xml' | wc -l)" = 40 ]
receipt=$(find "$D/spool/outbox/police" -name '*--wide-1.xml.receipt' | head -n 1)
check "... with receipts that list 1,000 removals each" \
	[ "$(jq '.record.removals | length' "$receipt" 2>/dev/null)" = 1000 ]

# 3. SIGHUP with a broken policy keeps the old one
cp "$D/cell/policy.yaml" "$W/policy.good"
printf 'sluice-policy: 1\nnot: valid\n' >"$D/cell/policy.yaml"
kill -HUP "$DPID"
check "a broken policy on SIGHUP is refused and logged" wait_log "reload refused"
drop intel police "$D/cell/reports/01-intel-to-police-plain.xml" after-bad-reload.xml
check "the old policy keeps working" wait_empty
cp "$W/policy.good" "$D/cell/policy.yaml"
kill -HUP "$DPID"
check "a good policy on SIGHUP is taken" wait_log "reloaded: policy"

# 4. SIGKILL of the whole daemon while reports flow, three times; then a clean run
n=0
for round in 1 2 3; do
	for i in $(seq 1 15); do
		n=$((n + 1))
		sed "s|</[A-Za-z]*>\$|<!-- copy $n -->&|" "$D/cell/reports/02-intel-to-customs-clearance.xml" >"$W/copy.xml"
		printf '\n<!-- copy %d -->\n' "$n" >>"$W/copy.xml"
		drop intel customs "$W/copy.xml" "crash-$n.xml"
	done
	sleep "0.$((RANDOM % 4 + 1))"
	pkill -9 -f "$D/sluiced.yaml" || true
	sleep 0.3
	check "restart after SIGKILL round $round" start
done
check "every report of the crash rounds leaves the inbox" wait_empty
delivered=$(find "$D/spool/outbox/customs" -name '*--crash-*.xml' | wc -l)
distinct=$(find "$D/spool/outbox/customs" -name '*--crash-*.xml' | sed 's/.*--//' | sort -u | wc -l)
check "every crash-round report delivered ($delivered of $n)" [ "$delivered" = "$n" ]
check "none delivered twice ($distinct distinct names)" [ "$distinct" = "$n" ]

# 5. SIGTERM: clean stop, final checkpoint, the audit log verifies and holds each transfer once
kill -TERM "$DPID"
for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops the daemon" bash -c "! kill -0 $DPID 2>/dev/null"
check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
total=$(jq -r 'select(.type=="transfer") | .record.transfer_id' "$D/state/audit.log" | wc -l)
uniq=$(jq -r 'select(.type=="transfer") | .record.transfer_id' "$D/state/audit.log" | sort -u | wc -l)
check "each transfer recorded once in the audit log ($total lines, $uniq ids)" [ "$total" = "$uniq" ]
no_daemon_left() { ! pgrep -f "$D/sluiced.yaml" >/dev/null; }
check "no process left behind" no_daemon_left

# 6. checkpoint-seconds: a signed tree head at most that long after a record, unasked
printf 'checkpoint-seconds: 1\n' >>"$D/sluiced.yaml"
check "sluiced starts with checkpoint-seconds: 1" start
printf '\n<!-- before the timer -->\n' | cat "$D/cell/reports/01-intel-to-police-plain.xml" - >"$W/timer.xml"
drop intel police "$W/timer.xml" before-timer.xml
check "a report leaves the inbox" wait_empty
check "within checkpoint-seconds the auditor writes a head" \
	wait_log "signed tree head written (checkpoint-seconds)"
check "the live log then ends with a signed tree head" verified_live
kill -TERM "$DPID"
for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops it again" no_daemon_left
pkill -9 -f "$D/sluiced.yaml" 2>/dev/null || true
if [ "$FAILED" -gt 0 ]; then
	echo "--- the daemon's log (supervisor lines):"
	grep -v ' router: transfer' "$W/daemon.log" | tail -40
fi
finish
