#!/usr/bin/env bash
# Issue 7 item 4, the kill storm: sluiced SIGKILLed at random moments, at least 200 times,
# while reports flow in through the spool and over mutual TLS. A feeder drops a steady stream
# of unique reports (released, refused by a caveat, refused by default deny, invalid,
# malformed) into the inbox; a TLS client posts others. Each round starts the daemon, waits a
# random time drawn from a seeded generator and kills its whole process group at once (some
# rounds during start-up); some rounds first kill one pipeline process (router, intake,
# delivery, a worker, the TLS listener), which the supervisor replaces, or the signer or the
# auditor, which stops the daemon by design (checked) before it is started again. Then the
# daemon drains the inbox and stops, and:
#   - every report put into the inbox is in exactly one of outbox/, refused/, quarantine/,
#     where its decision says, exactly once (nothing lost, no duplicate);
#   - every report the TLS client got a receipt for (2xx, 403, 422: acknowledged) is
#     delivered exactly once; the others at most once;
#   - the audit log verifies and holds one record per transfer id (retries were "already
#     logged"), one for each delivered file with its decision; every receipt names its
#     transfer and the digest of its file, and `sluice verify` accepts a sample of 100;
#   - no delivery is left prepared, nothing staged.
# The seed is printed: SLUICE_STORM_SEED=N replays the same kill times; SLUICE_STORM_KILLS
# changes the number of whole-daemon kills (default 200).
# Usage: bash test_daemon_crash_storm.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh"
require_tools openssl jq pgrep curl setsid
gateway_dir intel police customs military partner-fra

SEED=${SLUICE_STORM_SEED:-$(($(date +%s%N) % 32768))}
KILLS=${SLUICE_STORM_KILLS:-200}
RANDOM=$SEED
echo "# seed $SEED (replay with SLUICE_STORM_SEED=$SEED)"
storm_config tls
mkdir -p "$W/logs" "$W/tls"
DLOG=$W/logs/first.log
storm_cleanup() {
	touch "$W/stop-feeding"
	[ -n "${DPID:-}" ] && kill -9 -- "-$DPID" 2>/dev/null
	wait 2>/dev/null
}
trap 'storm_cleanup; [ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"' EXIT

# The first start also finds a free port for the listener.
started=false
for _ in 1 2 3 4 5; do
	daemon_launch
	if daemon_wait_started; then started=true; break; fi
	daemon_kill_group
	grep -q 'Address already in use' "$DLOG" || break
	storm_config tls
done
check "sluiced starts with a TLS listener on port $PORT" $started
$started || finish

# ---- the load: a feeder of the inbox and a TLS client, until $W/stop-feeding exists -------
feeder() {
	local n=0 k kind from to
	while [ ! -e "$W/stop-feeding" ]; do
		n=$((n + 1))
		k=$((n % ${#FEED_KINDS[@]}))
		read -r kind from to _ <<<"${FEED_KINDS[$k]}"
		unique_report "$k" "inbox-$n" "$W/feed.xml"
		drop "$from" "$to" "$W/feed.xml" "storm-$n.xml"
		echo "storm-$n.xml $kind $from $to" >>"$W/fed.txt"
		sleep 0.25
	done
}
tls_client() {
	local n=0 k kind to code
	while [ ! -e "$W/stop-feeding" ]; do
		n=$((n + 1))
		k=$(((n % 3) * 2)) # released, refused by a caveat, invalid: all from intel
		read -r kind _ to _ <<<"${FEED_KINDS[$k]}"
		unique_report "$k" "tls-$n" "$W/tls/$n.xml"
		code=$(curl -s -o "$W/tls/$n.body" -w '%{http_code}' --max-time 20 \
			--cert "$D/pki/intel.pem" --key "$D/pki/intel.key" --cacert "$D/pki/ca.pem" \
			--data-binary @"$W/tls/$n.xml" \
			"https://127.0.0.1:$PORT/v1/reports?to=$to&name=tls-$n.xml" 2>/dev/null) || true
		echo "tls-$n.xml $kind intel $to ${code:-000}" >>"$W/tls.txt"
		sleep 0.4
	done
}
: >"$W/fed.txt"
: >"$W/tls.txt"
feeder &
FEEDER=$!
tls_client &
CLIENT=$!

# ---- the storm ----------------------------------------------------------------------------
T0=$(date +%s)
group_kills=0 child_kills=0 holder_kills=0 startup_kills=0 round=0 failed_starts=0
pipeline=(sluiced-router sluiced-intake sluiced-deliver sluiced-worker sluiced-tls)
while [ "$group_kills" -lt "$KILLS" ]; do
	round=$((round + 1))
	r=$((RANDOM % 100))
	if [ "$r" -lt 10 ]; then
		# killed during start-up: at a random moment of the first 0.4 s
		sleep "$(printf '0.%03d' $((RANDOM % 400)))"
		startup_kills=$((startup_kills + 1))
	else
		if ! daemon_wait_started 100; then
			failed_starts=$((failed_starts + 1))
			echo "# round $round: the daemon did not start within 10 s:"
			tail -5 "$DLOG" | sed 's/^/#   /'
		fi
		if [ "$r" -lt 22 ]; then
			# one pipeline process: the supervisor replaces it, reports keep flowing
			sleep "$(printf '0.%03d' $((RANDOM % 300)))"
			victim=${pipeline[$((RANDOM % ${#pipeline[@]}))]}
			vpid=$(pgrep -P "$DPID" -x "$victim" | head -1)
			if [ -n "$vpid" ]; then
				kill -9 "$vpid" 2>/dev/null && child_kills=$((child_kills + 1))
			fi
		elif [ "$r" -lt 26 ]; then
			# the signer or the auditor: the daemon stops by design (fail closed)
			sleep "$(printf '0.%03d' $((RANDOM % 300)))"
			victim=$([ $((RANDOM % 2)) = 0 ] && echo sluiced-signer || echo sluiced-auditor)
			vpid=$(pgrep -P "$DPID" -x "$victim" | head -1)
			if [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; then
				holder_kills=$((holder_kills + 1))
				if daemon_wait_gone 150 && grep -q 'died: stopping' "$DLOG"; then
					ok "round $round: $victim killed: the daemon stopped by itself"
				else
					not_ok "round $round: $victim killed: the daemon did not stop within 15 s"
				fi
			fi
		fi
		sleep "$(printf '0.%03d' $((RANDOM % 400)))"
	fi
	if group_alive "$DPID"; then
		daemon_kill_group || not_ok "round $round: the daemon's processes did not die"
		group_kills=$((group_kills + 1))
	fi
	DLOG=$W/logs/round-$round.log
	daemon_launch
done
T1=$(date +%s)
check "every round's daemon started (${failed_starts} did not within 10 s)" [ "$failed_starts" = 0 ]

# ---- drain: stop the load, let the last daemon finish, stop it cleanly -----------------------
touch "$W/stop-feeding"
wait "$FEEDER" "$CLIENT" 2>/dev/null
check "the last daemon starts" daemon_wait_started 150
check "the inbox drains ($(inbox_count) left after 120 s)" wait_inbox_empty 1200
check "SIGTERM stops the daemon cleanly" daemon_stop
cat "$W"/logs/*.log >"$W/daemon.log"
check "no sign of a damaged audit log or spool in the daemon's logs" \
	lacks -E 'refusing to append|chain is broken|unreadable delivery marker|malformed (submission|delivery)' "$W/daemon.log"
check_no_sanitizer_report "$W/daemon.log"

# ---- what crossed -------------------------------------------------------------------------------
delivered_index
check_fed_exactly_once "$W/fed.txt" "inbox reports"
awk '$5 ~ /^(200|403|422)$/' "$W/tls.txt" >"$W/tls-acked.txt"
acked=$(wc -l <"$W/tls-acked.txt")
bad_bodies=0
while read -r name _ _ _ code; do
	n=${name#tls-}
	n=${n%.xml}
	[ -n "$(jq -r '.record.transfer_id // empty' "$W/tls/$n.body" 2>/dev/null)" ] || bad_bodies=$((bad_bodies + 1))
done <"$W/tls-acked.txt"
check "every acknowledged TLS submission came with a receipt ($bad_bodies without)" [ "$bad_bodies" = 0 ]
check "some TLS submissions were acknowledged ($acked)" [ "$acked" -gt 0 ]
check_fed_exactly_once "$W/tls-acked.txt" "acknowledged TLS reports"
twice=$(awk '$4 ~ /^tls-/ { n[$4]++ } END { for (k in n) if (n[k] > 1) print k }' "$W/delivered.txt")
check "no TLS report delivered twice, acknowledged or not" [ -z "$twice" ]
check_audit_once
check_receipts
check_spool_clean

fed=$(wc -l <"$W/fed.txt")
posted=$(wc -l <"$W/tls.txt")
echo "# storm: $group_kills SIGKILLs of the whole daemon ($startup_kills during start-up), $child_kills of one pipeline process, $holder_kills of the signer or auditor (daemon stopped, restarted); $fed reports through the spool and $posted over TLS ($acked acknowledged); every inbox report and every acknowledged TLS report delivered exactly once, no TLS report twice; $(wc -l <"$W/audit-ids.txt") audit records, one per transfer; storm $((T1 - T0)) s (seed $SEED)"
if [ "$FAILED" -gt 0 ]; then
	echo "--- the daemon's log (last lines):"
	grep -v ' router: transfer' "$W/daemon.log" | tail -30
fi
finish
