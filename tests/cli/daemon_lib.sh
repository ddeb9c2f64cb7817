# Helpers of the daemon crash and fault tests, test_daemon_crash_storm.sh and
# test_daemon_faults.sh (sourced after lib.sh; not a test).
#
# The daemon runs in a session and process group of its own (setsid), so that one
# `kill -9 -- -PGID` stops every process of it at once, as a power cut would, and nothing else:
# other daemons on the machine (other tests, other checkouts) are never touched.
# shellcheck shell=bash disable=SC2034 # DPID, PORT... are read by the tests

# storm_config [tls]: writes $D/sluiced.yaml (gateway_dir first): the audit log $AUDIT_LOG
# (default state/audit.log), a checkpoint every $CHECKPOINT_INTERVAL records (default 25) and
# $CHECKPOINT_SECONDS (default 60) after a record no checkpoint covers; with
# `tls`, a mutual-TLS listener on 127.0.0.1:$PORT as well (PORT is chosen here, again on each
# call).
storm_config() {
	local tls=${1:-}
	{
		printf 'sluiced: 1\npolicy: cell/policy.yaml\nsigning-key: pki/gateway-signing.key\n'
		printf 'audit-log: %s\nspool: spool\nworkers: 2\n' "${AUDIT_LOG:-state/audit.log}"
		printf 'checkpoint-interval: %s\ncheckpoint-seconds: %s\n' "${CHECKPOINT_INTERVAL:-25}" \
			"${CHECKPOINT_SECONDS:-60}"
		printf '%s\n' "$user_line"
		if [ "$tls" = tls ]; then
			PORT=$((20000 + RANDOM % 30000))
			printf 'tls:\n  listen: 127.0.0.1:%s\n  certificate: pki/gateway-server.pem\n' "$PORT"
			printf '  key: pki/gateway-server.key\n  client-ca: pki/ca.pem\n  crl: pki/ca.crl\n'
		fi
	} >"$D/sluiced.yaml"
	chmod 644 "$D/sluiced.yaml"
	if [ "$tls" = tls ] && [ "$(id -u)" = 0 ]; then
		chmod 755 "$D/pki" # the unprivileged supervisor reads the TLS files again on SIGHUP
		chown nobody "$D/pki/gateway-server.key"
	fi
}

# daemon_launch [WRAPPER...]: starts `WRAPPER sluiced -c $D/sluiced.yaml -f` in a new session,
# its output appended to $DLOG (default $W/daemon.log); DPID is its pid and process group.
daemon_launch() {
	DLOG=${DLOG:-$W/daemon.log}
	setsid "$@" "$SLUICED" -c "$D/sluiced.yaml" -f >>"$DLOG" 2>&1 &
	DPID=$!
	disown "$DPID" # no "Killed" line from bash for each SIGKILL
}

# daemon_wait_started [TENTHS]: up to TENTHS tenths of a second (default 100) for the
# supervisor's "started" line (and the TLS listener's, when the configuration has one).
daemon_wait_started() {
	local i
	for ((i = 0; i < ${1:-100} * 2; i++)); do
		if grep -q "supervisor: started" "$DLOG" 2>/dev/null; then
			if ! grep -q '^tls:' "$D/sluiced.yaml" || grep -q 'tls: listening' "$DLOG"; then
				return 0
			fi
		fi
		group_alive "$DPID" || return 1
		sleep 0.05
	done
	return 1
}

# group_alive PGID: true while the process PGID or another of its group lives (zombies do not
# count: nobody may reap the children of a killed supervisor in a container). PGID itself
# counts even before it has made its group: right after daemon_launch, setsid may not have run.
group_alive() {
	local stats=("/proc/$1/stat") p
	for p in $(pgrep -g "$1" 2>/dev/null); do stats+=("/proc/$p/stat"); done
	awk '$3 != "Z" { alive = 1 } END { exit !alive }' "${stats[@]}" 2>/dev/null
}

# daemon_kill_group: SIGKILL to every process of the daemon at once, then waits until they
# are gone (up to 10 s).
daemon_kill_group() {
	kill -9 -- "-$DPID" 2>/dev/null || true
	daemon_wait_gone 100
}

# daemon_wait_gone [TENTHS]: up to TENTHS tenths of a second for the daemon's group to end.
daemon_wait_gone() {
	local i
	for ((i = 0; i < ${1:-100} * 2; i++)); do
		group_alive "$DPID" || return 0
		sleep 0.05
	done
	return 1
}

# daemon_stop: SIGTERM, and up to 20 s for a clean stop (then SIGKILL); false when it had to
# be killed.
daemon_stop() {
	kill -TERM "$DPID" 2>/dev/null || true
	daemon_wait_gone 200 && return 0
	kill -9 -- "-$DPID" 2>/dev/null || true
	daemon_wait_gone 50
	return 1
}

# drop FROM TO FILE NAME: an atomic drop into the inbox, as agencies must do it.
drop() {
	mkdir -p "$D/spool/inbox/$1/$2"
	cp "$3" "$D/spool/inbox/$1/$2/.$4.tmp" && mv "$D/spool/inbox/$1/$2/.$4.tmp" "$D/spool/inbox/$1/$2/$4"
}

# inbox_count: reports waiting in the inbox.
inbox_count() {
	find "$D/spool/inbox" -type f ! -name '.*' 2>/dev/null | wc -l
}

# wait_inbox_empty TENTHS: up to TENTHS tenths of a second for the inbox to empty.
wait_inbox_empty() {
	local i
	for ((i = 0; i < $1; i++)); do
		[ "$(inbox_count)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# The kinds of report the tests feed, by scenario of the demo: KIND FROM TO FILE, where KIND
# says where a report must end up: outbox (released), refused, quarantine (invalid).
FEED_KINDS=(
	"outbox intel customs 02-intel-to-customs-clearance.xml"
	"outbox intel police 01-intel-to-police-plain.xml"
	"refused intel police 08-intel-to-police-orcon.xml"
	"refused customs partner-fra 11-customs-to-fra-default-deny.xml"
	"quarantine intel police 16-invalid-classification.xml"
	"quarantine intel police 19-invalid-malformed.xml"
)

# unique_report KIND_INDEX N OUT: the scenario's report with a comment naming N after its root
# element, so that every copy is a transfer of its own (another SHA-256, another id).
unique_report() {
	local f
	read -r _ _ _ f <<<"${FEED_KINDS[$1]}"
	{ cat "$D/cell/reports/$f"; printf '\n<!-- unique copy %s -->\n' "$2"; } >"$3"
}

# delivered_index: one line per file delivery committed, "FOLDER OWNER ID NAME" (FOLDER
# outbox, refused or quarantine; receipts and reasons left out), into $W/delivered.txt.
delivered_index() {
	(cd "$D/spool" && find outbox refused quarantine -type f ! -name '*.receipt' ! -name '*.reason' 2>/dev/null) |
		awk -F/ '{ i = index($3, "--"); print $1, $2, substr($3, 1, i - 1), substr($3, i + 2) }' \
			>"$W/delivered.txt"
}

# check_fed_exactly_once FED_LIST WHAT: FED_LIST has lines "NAME KIND FROM TO"; every NAME must
# be delivered exactly once (delivered_index first), in the folder its KIND says, for the owner
# it says (the destination for outbox, the source otherwise). Prints one check.
check_fed_exactly_once() {
	local bad
	bad=$(awk 'NR == FNR { n[$4]++; where[$4] = $1 "/" $2; next }
		{ want = ($2 == "outbox") ? $2 "/" $4 : $2 "/" $3
		  if (n[$1] != 1) print $1 ": delivered " (n[$1] + 0) " times"
		  else if (where[$1] != want) print $1 ": in " where[$1] ", expected " want }' \
		"$W/delivered.txt" "$1")
	if [ -z "$bad" ]; then
		ok "$2: every one delivered exactly once, where its decision says ($(wc -l <"$1"))"
	else
		not_ok "$2: $(wc -l <<<"$bad") not delivered exactly once"
		head -5 <<<"$bad" | sed 's/^/#   /'
	fi
}

# check_spool_clean: no delivery left half-done: no prepared marker, nothing staged.
check_spool_clean() {
	local prepared staged
	prepared=$(find "$D/spool/state" -name '*.prepared' | wc -l)
	staged=$(find "$D/spool/tmp" -type f | wc -l)
	check "no delivery left prepared ($prepared) and nothing staged ($staged)" \
		[ "$prepared" = 0 ] && [ "$staged" = 0 ]
}

# check_audit_once: the audit log verifies, and holds one transfer record per transfer id,
# one per delivered file (delivered_index first) with the same decision.
check_audit_once() {
	check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
	jq -r 'select(.type == "transfer") | "\(.record.transfer_id) \(.record.decision)"' \
		"$D/state/audit.log" >"$W/audit-ids.txt"
	local total uniq missing
	total=$(wc -l <"$W/audit-ids.txt")
	uniq=$(cut -d' ' -f1 "$W/audit-ids.txt" | sort -u | wc -l)
	check "one audit record per transfer id ($total records, $uniq ids)" [ "$total" = "$uniq" ]
	missing=$(awk 'NR == FNR { d[$1] = $2; next }
		{ want = ($1 == "outbox") ? "released" : ($1 == "refused") ? "refused" : "invalid"
		  if (!($3 in d)) print $3 " not in the log"
		  else if (d[$3] != want && !($1 == "quarantine" && d[$3] == "error"))
		      print $3 " logged " d[$3] ", delivered to " $1 }' "$W/audit-ids.txt" "$W/delivered.txt")
	check "every delivered file has its record, with its decision ($(wc -l <"$W/delivered.txt") files)" [ -z "$missing" ]
	[ -z "$missing" ] || head -3 <<<"$missing" | sed 's/^/#   /'
}

# check_receipts [SAMPLE]: every delivered file's receipt names its transfer id and the SHA-256
# of its bytes (the output digest for a release, the input digest for a report kept as
# submitted; one jq and one sha256sum for them all), and `sluice verify` checks the signature
# and the bytes of SAMPLE of them (default 100, drawn with $RANDOM; all when there are fewer).
check_receipts() {
	local sample=${1:-100} folder owner id name n bad=0 verified=0 i=0
	n=$(wc -l <"$W/delivered.txt")
	(cd "$D/spool" && awk '{ print $1 "/" $2 "/" $3 "--" $4 }' "$W/delivered.txt" |
		xargs -r sha256sum | awk '{ print $2, $1 }' | LC_ALL=C sort) >"$W/digests.txt"
	(cd "$D/spool" && awk '{ print $1 "/" $2 "/" $3 "--" $4 ".receipt" }' "$W/delivered.txt" |
		xargs -r jq -r '[input_filename, .record.transfer_id,
			(.record.output_sha256 // .record.input_sha256)] | join(" ")' 2>/dev/null |
		awk '{ sub(/\.receipt$/, "", $1); print }' | LC_ALL=C sort) >"$W/receipt-digests.txt"
	local wrong
	wrong=$(LC_ALL=C join -a 1 "$W/digests.txt" "$W/receipt-digests.txt" |
		awk '{ f = $1; sub(/.*\//, "", f); sub(/--.*/, "", f); if (NF != 4 || $3 != f || $4 != $2) print $1 }')
	check "every delivered file's receipt names its transfer and its bytes ($n, $(grep -c . <<<"$wrong") wrong)" [ -z "$wrong" ]
	[ -z "$wrong" ] || head -3 <<<"$wrong" | sed 's/^/#   /'
	while read -r folder owner id name; do
		i=$((i + 1))
		[ "$n" -le "$sample" ] || [ $((RANDOM % n)) -lt "$sample" ] || continue
		verified=$((verified + 1))
		"$SLUICE" verify --pub "$D/pki/gateway-signing.pub" \
			--receipt "$D/spool/$folder/$owner/$id--$name.receipt" "$D/spool/$folder/$owner/$id--$name" \
			>/dev/null 2>&1 || bad=$((bad + 1))
	done <"$W/delivered.txt"
	check "sluice verify accepts the receipts it checks ($verified of $n, $bad bad)" [ "$bad" = 0 ]
}

# check_no_sanitizer_report LOG: in sanitizer builds, no process of the daemon reported an error
# or a leak (their reports go to the daemon's standard error, which LOG holds).
check_no_sanitizer_report() {
	check "no sanitizer report in the daemon's log" \
		lacks -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1"
}
