#!/usr/bin/env bash
# Issue 7 item 4, fault injection into the running daemon: strace attached to the auditor or
# to delivery fails one of its calls at a time. Every write, fsync and rename delivery makes to
# commit a released report (the data, the receipt, the marker; the file fsyncs and the
# directory fsyncs of tmp/, state/, outbox/ and the inbox), and the auditor's write and fsync of
# the record, each failed in turn with ENOSPC, EIO and EINTR (`-e inject=CALL:error=E:when=N`,
# N from a control run). Then the audit storage failing for seconds, and really full (a small
# tmpfs). After each case:
#   - a failure that is not simply retried is named in sluiced's log: delivery's `fatal: ...
#     <the error>` (the pipeline restarts), the auditor's `ALARM audit storage: ... <the
#     error>` (it waits and retries, nothing crosses meanwhile);
#   - the report is delivered exactly once, with its receipt, once the fault has passed; no
#     half-written or staged file is left in outbox/;
# and at the end the audit log verifies with one record per transfer, every receipt verifies,
# no delivery is left prepared.
#
# Why `syscall=getpid`: the daemon's processes run under seccomp, and the kernel runs seccomp
# after the tracer at syscall entry. strace's plain injection turns the call into syscall -1,
# which no allow-list holds, so seccomp kills the process (SIGSYS) instead of it seeing the
# error. With `:syscall=getpid` strace runs getpid (allowed everywhere) in its place and makes
# it return the error: the process sees exactly what a failing disk would give it.
# Exit 77 (skipped) without strace or where ptrace is not permitted. The tmpfs part needs root
# and mount (CI runs as root); it says SKIP otherwise.
# Usage: bash test_daemon_faults.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/daemon_lib.sh
source "$(dirname "$0")/daemon_lib.sh"
require_tools openssl jq pgrep setsid
# strace must be able to attach to a process that is not its child, as it does to the
# daemon's (Yama's ptrace_scope may forbid that to non-root users, or to everyone): it then
# traces until `timeout` stops it (124), where a refused attach exits 1 at once.
ptrace_attach_works() {
	command -v strace >/dev/null 2>&1 || return 1
	sleep 5 &
	local pid=$! rc=0
	timeout 1 strace -qq -p "$pid" -o /dev/null >/dev/null 2>&1 || rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$rc" = 124 ]
}
if ! ptrace_attach_works; then
	echo "# skipped: strace is missing or may not attach to a running process here"
	exit 77
fi
# LeakSanitizer cannot run under ptrace: sanitizer builds go without leak detection here
# (tests/cli/trace.sh does the same). No effect on other builds.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
gateway_dir intel police customs military partner-fra
# No checkpoint in the middle of the cases, unless asked for (SIGUSR1).
CHECKPOINT_INTERVAL=1000 CHECKPOINT_SECONDS=86400 storm_config
LOG=$D/state/audit.log
FULL=""
faults_cleanup() {
	[ -n "${STRACE:-}" ] && kill "$STRACE" 2>/dev/null
	[ -n "${DPID:-}" ] && kill -9 -- "-$DPID" 2>/dev/null
	[ -n "$FULL" ] && { daemon_wait_gone 50; umount "$FULL" 2>/dev/null; }
}
trap 'faults_cleanup; [ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"' EXIT

daemon_launch
check "sluiced starts" daemon_wait_started
: >"$W/fed.txt"

# trace PROCESS STRACE_ARGS...: attaches strace to the daemon's PROCESS (sluiced-auditor,
# sluiced-deliver), its trace in $W/strace.out, and waits until it is attached (up to 10 s,
# for a process being restarted).
trace() {
	local proc=$1 pid i
	shift
	for ((i = 0; i < 200; i++)); do
		pid=$(pgrep -P "$DPID" -x "$proc" | head -1)
		if [ -n "$pid" ] && [[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" == [SR] ]]; then
			strace -qq -y -p "$pid" -o "$W/strace.out" "$@" 2>"$W/strace.err" &
			STRACE=$!
			break
		fi
		sleep 0.05
	done
	[ -n "${STRACE:-}" ] || return 1
	for ((i = 0; i < 200; i++)); do
		[ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = "$STRACE" ] && return 0
		sleep 0.05
	done
	return 1
}
untrace() {
	kill "$STRACE" 2>/dev/null
	wait "$STRACE" 2>/dev/null
	STRACE=""
}

# feed NAME: a new released report (intel -> customs) into the inbox, listed in fed.txt.
NFED=0
feed() {
	NFED=$((NFED + 1))
	unique_report 0 "$1" "$W/case.xml"
	drop intel customs "$W/case.xml" "$1"
	echo "$1 outbox intel customs" >>"$W/fed.txt"
}
# delivered_count NAME: how many released reports named NAME are in the outbox.
delivered_count() {
	find "$D/spool/outbox" -name "*--$1" | wc -l
}
# wait_delivered NAME TENTHS: until the router says the transfer of NAME is done (after
# delivery answered), up to TENTHS tenths of a second.
wait_delivered() {
	local i
	for ((i = 0; i < $2; i++)); do
		grep -q "router: transfer .* $1: released" "$DLOG" && return 0
		sleep 0.1
	done
	return 1
}
# outbox_whole: every file of the outbox has its receipt and every receipt its file; nothing
# else (no temporary or staged file) is there.
outbox_whole() {
	local f
	while read -r f; do
		case $f in
		*.receipt) [ -f "${f%.receipt}" ] || return 1 ;;
		*--*) [ -f "$f.receipt" ] || return 1 ;;
		*) return 1 ;;
		esac
	done < <(find "$D/spool/outbox" -type f)
}
log_since() { tail -c +$(($1 + 1)) "$DLOG"; }
strerror() {
	case $1 in
	ENOSPC) echo "No space left on device" ;;
	EIO) echo "Input/output error" ;;
	EINTR) echo "Interrupted system call" ;;
	esac
}

# ---- control runs: which calls delivery and the auditor make for one released report ----------
control() { # control PROCESS TRACE_FILTER...: the calls PROCESS makes for one report
	local name=control-$1.xml
	trace "$1" "${@:2}" || return 1
	feed "$name"
	wait_delivered "$name" 100
	sleep 0.2
	untrace
	cp "$W/strace.out" "$W/control-$1.trace"
}
CALLS=write,fsync,fdatasync,rename,renameat,renameat2
# A first report makes outbox/customs/ (and fsyncs outbox/ for it): the control runs and the
# cases then see the calls of every later report.
feed warm-up.xml
check "a first report is delivered" wait_delivered warm-up.xml 300
check "control: strace follows delivery committing a report" control sluiced-deliver -e trace=$CALLS
check "control: strace follows the auditor logging a record" control sluiced-auditor -P "$LOG" -e trace=$CALLS
# label TRACE_FILE CALL N: what the Nth CALL of the trace touches, relative to the spool (the
# transfer id as ID, the report's name as NAME); "a folder" when it is one; a rename's two
# names.
label() {
	local line path
	line=$(grep "^$2(" "$1" | sed -n "${3}p")
	case $2 in
	rename*) path=$(sed -E 's/^[a-z0-9]+\([0-9]+<([^>]*)>, "([^"]*)", [0-9]+<([^>]*)>, "([^"]*)".*/\1\/\2 -> \3\/\4/' <<<"$line") ;;
	*) path=$(sed -E 's/^[^<]*<([^>]*)>.*/\1/' <<<"$line") ;;
	esac
	[ -d "$path" ] && path="$path/ (a folder)"
	sed -E -e "s|$D/||g" -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ID/g' \
		-e 's/control-sluiced-[a-z]+\.xml/NAME/g' <<<"$path"
}

# ---- one call failed at a time ---------------------------------------------------------------
N_CASES=0 N_INJECTED=0 N_LOGGED=0 N_ABSORBED=0
declare -A OUTCOMES
# fault_case PROCESS CALL ERRNO N: fails the Nth CALL of PROCESS with ERRNO while a report goes
# through, then checks it.
fault_case() {
	local proc=$1 call=$2 errno=$3 n=$4 name off injected what bad=""
	N_CASES=$((N_CASES + 1))
	name=fault-$N_CASES.xml
	what="$proc $call #$n ($(label "$W/control-$proc.trace" "$call" "$n")) $errno"
	off=$(wc -c <"$DLOG")
	local filter=()
	[ "$proc" = sluiced-auditor ] && filter=(-P "$LOG")
	if ! trace "$proc" "${filter[@]}" -e trace="$call" -e inject="$call:error=$errno:syscall=getpid:when=$n"; then
		not_ok "$what: strace could not attach"
		return
	fi
	feed "$name"
	wait_delivered "$name" 300 || bad="$bad not delivered within 30 s;"
	injected=$(grep -c 'INJECTED' "$W/strace.out")
	untrace
	log_since "$off" >"$W/case.log"
	[ "$(delivered_count "$name")" = 1 ] || bad="$bad delivered $(delivered_count "$name") times;"
	outbox_whole || bad="$bad a file without its receipt (or a stray file) in outbox/;"
	local outcome
	if [ "$injected" = 0 ]; then
		outcome="not reached"
	elif grep -q "ALARM \(spool\|audit\) storage: .*$(strerror "$errno")" "$W/case.log"; then
		outcome="alarm, retried"
		grep -q 'transfers resumed' "$W/case.log" || bad="$bad no 'transfers resumed' after the alarm;"
		grep -q 'died' "$W/case.log" && bad="$bad a process died;"
	elif [ "$errno" = EINTR ] && [ "$call" = write ]; then
		outcome="retried at once"
	else
		bad="$bad the error is not in sluiced's log;"
	fi
	if [ "$injected" != 0 ]; then
		N_INJECTED=$((N_INJECTED + 1))
		case $outcome in "retried at once") N_ABSORBED=$((N_ABSORBED + 1)) ;; *) N_LOGGED=$((N_LOGGED + 1)) ;; esac
	fi
	OUTCOMES[$outcome]=$((${OUTCOMES[$outcome]:-0} + 1))
	if [ -z "$bad" ]; then
		ok "$what: $outcome; delivered once"
	else
		not_ok "$what:$bad"
		grep -E 'fatal|ALARM|died' "$W/case.log" | head -3 | sed 's/^/#   /'
	fi
}

for proc in sluiced-deliver sluiced-auditor; do
	for call in write fsync fdatasync rename renameat renameat2; do
		max=$(grep -c "^$call(" "$W/control-$proc.trace")
		[ "$max" -gt 0 ] || continue
		echo "# $proc: $max $call calls for one report"
		for errno in ENOSPC EIO EINTR; do
			for ((n = 1; n <= max; n++)); do
				fault_case "$proc" "$call" "$errno" "$n"
			done
		done
	done
done

# ---- the cut of a failed line fails too: the next attempt cuts it first ----------------------
off=$(wc -c <"$DLOG")
trace sluiced-auditor -P "$LOG" -e trace=write,ftruncate \
	-e inject=write:error=EIO:syscall=getpid:when=1 -e inject=ftruncate:error=EIO:syscall=getpid:when=1
feed cut-fails.xml
check "a failed write whose cut-off fails too: delivered once it can be cut" wait_delivered cut-fails.xml 300
untrace
log_since "$off" >"$W/case.log"
check "... the alarm said the partial line could not be cut off yet" grep -q 'ALARM audit storage: .*cannot cut off the partial line yet' "$W/case.log"
check "... and transfers resumed" grep -q 'transfers resumed' "$W/case.log"

# ---- a signed tree head the storage refuses: alarm, the auditor lives, the next one works -------
apid=$(pgrep -P "$DPID" -x sluiced-auditor)
off=$(wc -c <"$DLOG")
trace sluiced-auditor -P "$LOG" -e trace=write -e inject=write:error=ENOSPC:syscall=getpid:when=1+
kill -USR1 "$DPID"
for _ in $(seq 1 100); do grep -q 'cannot write a signed tree head' <(log_since "$off") && break; sleep 0.1; done
untrace
check "a signed tree head refused by the storage raises the alarm" grep -q 'ALARM audit storage: cannot write a signed tree head (asked for)' <(log_since "$off")
check "... and the auditor lives on" [ "$(pgrep -P "$DPID" -x sluiced-auditor)" = "$apid" ]
kill -USR1 "$DPID"
for _ in $(seq 1 100); do grep -q 'signed tree head written (asked for)' <(log_since "$off") && break; sleep 0.1; done
check "... once the storage is back, SIGUSR1 writes the head" grep -q 'signed tree head written (asked for)' <(log_since "$off")

# ---- the storage failing for seconds: transfers stop with a repeated alarm, then resume ---------
# sustained TAG STORAGE ERROR RESUME [LOG_STAYS]: three reports wait while STORAGE (audit or
# spool) fails with ERROR (its text); checks that nothing crosses and the alarm repeats, then
# (after running RESUME, a command) that all three cross once, without a restart. With
# LOG_STAYS, the audit log must not grow meanwhile either.
sustained() {
	local tag=$1 storage=$2 error=$3 resume=$4 stays=${5:-} size_before
	off=$(wc -c <"$DLOG")
	size_before=$(stat -c %s "$LOG")
	feed "$tag-1.xml"
	feed "$tag-2.xml"
	feed "$tag-3.xml"
	for _ in $(seq 1 100); do [ "$(grep -c "ALARM $storage storage" <(log_since "$off"))" -ge 3 ] && break; sleep 0.1; done
	check "$tag: the alarm repeats ($(grep -c "ALARM $storage storage" <(log_since "$off")) times in the first seconds)" \
		[ "$(grep -c "ALARM $storage storage" <(log_since "$off"))" -ge 3 ]
	check "$tag: ... naming the error and that transfers stopped" \
		grep -q "ALARM $storage storage: .*$error.*transfers stopped" <(log_since "$off")
	check "$tag: nothing crossed meanwhile ($(inbox_count) reports wait in the inbox)" \
		[ "$(inbox_count)" = 3 ] && [ "$(delivered_count "$tag-1.xml")" = 0 ]
	if [ -n "$stays" ]; then
		check "$tag: the audit log did not grow ($(stat -c %s "$LOG") bytes, $size_before before)" \
			[ "$(stat -c %s "$LOG")" = "$size_before" ]
	fi
	$resume
	check "$tag: once the storage is back, all three cross" wait_inbox_empty 300
	check "$tag: ... each once" [ "$(delivered_count "$tag-1.xml")$(delivered_count "$tag-2.xml")$(delivered_count "$tag-3.xml")" = 111 ]
	check "$tag: ... the daemon says transfers resumed" grep -q 'transfers resumed' <(log_since "$off")
	check "$tag: ... and no process died" lacks -q 'died' <(log_since "$off")
}
trace sluiced-auditor -P "$LOG" -e trace=write -e inject=write:error=ENOSPC:syscall=getpid:when=1+
sustained audit-enospc audit "cannot write the audit log: No space left on device" untrace stays
trace sluiced-deliver -e trace=fsync -e inject=fsync:error=EIO:syscall=getpid:when=1+
sustained spool-eio spool "Input/output error" untrace

check "SIGTERM stops the daemon cleanly" daemon_stop
check_no_sanitizer_report "$DLOG"
delivered_index
check_fed_exactly_once "$W/fed.txt" "reports of the fault cases"
check_audit_once
check_receipts
check_spool_clean

# ---- the audit storage really full: the log on a small tmpfs, filled up ----------------------
if [ "$(id -u)" = 0 ] && mkdir -p "$W/full" && mount -t tmpfs -o size=256k,mode=0755 sluice-test "$W/full" 2>/dev/null; then
	FULL=$W/full
	chown nobody "$FULL"
	LOG=$FULL/audit.log
	AUDIT_LOG=$LOG CHECKPOINT_INTERVAL=1000 CHECKPOINT_SECONDS=86400 storm_config
	DLOG=$W/daemon-full.log
	daemon_launch
	check "tmpfs: sluiced starts with its audit log on a 256 KiB tmpfs" daemon_wait_started
	dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
	check "tmpfs: the file system is full ($(df --output=avail -k "$FULL" | tail -1 | tr -d ' ') KiB left)" \
		[ "$(df --output=avail -k "$FULL" | tail -1 | tr -d ' ')" = 0 ]
	sustained tmpfs-full audit "cannot write the audit log: No space left on device" \
		"rm -f $FULL/filler" stays
	check "tmpfs: SIGTERM stops the daemon cleanly" daemon_stop
	check_no_sanitizer_report "$DLOG"
	check "tmpfs: the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$LOG"
	check "tmpfs: ... with the three records" [ "$(audit_transfers "$LOG")" = 3 ]
	umount "$FULL" && FULL=""
else
	ok "tmpfs full # SKIP needs root and mount here; the strace case above fails every write the same way"
fi

echo "# faults: $N_CASES injected-call cases (delivery and auditor: write, fsync and rename, ENOSPC, EIO, EINTR), $N_INJECTED reached their call: $N_LOGGED failed with the error in sluiced's log, $N_ABSORBED retried at once; every report delivered exactly once"
for o in "${!OUTCOMES[@]}"; do echo "#   $o: ${OUTCOMES[$o]}"; done
if [ "$FAILED" -gt 0 ]; then
	echo "--- the daemon's log (last lines):"
	grep -v ' router: transfer' "$DLOG" | tail -30
fi
finish
