# What a `sluice` run costs, opens and connects to, from GNU time and `strace -f` (sourced by
# test_hostile.sh and test_hostile_policy.sh after lib.sh; not a test). Issue 7: a hostile input
# must make no process open a file it names or reach the network, the filter child may open
# nothing at all once its seccomp filter is loaded, and each run stays under 3 s and 200 MB of
# maximum RSS: limits of a test, loose enough not to flake on a loaded machine, not benchmarks.
# shellcheck shell=bash disable=SC2034 # TRACE, ELAPSED, RSS_KB... are read by the tests

# trace_setup: TRACE=1 and TRACE_COMMAND (strace and its options, before -o FILE) where strace
# may trace here (some containers forbid ptrace), else TRACE=0; prints one ok line saying which.
# --seccomp-bpf stops only at the traced calls (cheaper). A call the filter child's own seccomp
# kills then never reaches strace, only its "killed by SIGSYS" does, which is counted; a call that
# succeeds in the sandbox is traced either way.
trace_setup() {
	TRACE=0
	TRACE_COMMAND=(strace -f)
	if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
		TRACE=1
		strace -f --seccomp-bpf -o /dev/null true 2>/dev/null && TRACE_COMMAND+=(--seccomp-bpf)
		TRACE_COMMAND+=(-s 4096 -e trace=open,openat,openat2,creat,connect,socket,execve,execveat,seccomp)
		ok "strace can trace here (${TRACE_COMMAND[*]:0:3}): every run is traced"
	else
		ok "skipped: strace is missing or may not trace here; no-open and no-connect rest on the sandbox alone (a killed filter is 'invalid', never a crash)"
	fi
}

# What any `sluice` process may open: the dynamic loader's files and libraries, system
# configuration read by OpenSSL and libc, /proc and /sys (sanitizer runtimes). The caller adds
# its own folder and the files on the command line.
TRACE_SYSTEM_PATHS='^(/etc/ld\.so\.(cache|preload)|/(usr/)?lib(32|64|x32)?/.*|/dev/(u?random|null)|/etc/localtime|/usr/share/zoneinfo/.*|/(usr/lib|etc)/ssl/openssl\.cnf|/proc/.*|/sys/.*|\.)$'

# trace_verdict TRACE_FILE DIR [PATH...]: prints one line per problem and, last, "kills N" (the
# attempts the sandbox killed). Allowed: the system paths above, anything below DIR, each PATH.
# A pid is "sandboxed" from its successful seccomp(SECCOMP_SET_MODE_FILTER) on; the first execve
# is the program itself.
trace_verdict() {
	local trace=$1 dir=$2
	shift 2
	awk -v allowed="$TRACE_SYSTEM_PATHS" -v dir="${dir%/}/" -v extra="$(printf '%s\n' "$@")" '
	BEGIN { n = split(extra, list, "\n"); for (i = 1; i <= n; i++) if (list[i] != "") named[list[i]] = 1 }
	NR == 1 { first = 1 }
	{ pid = $1; line = $0; sub(/^[0-9]+ +/, "", line) }
	line ~ /^seccomp\(SECCOMP_SET_MODE_FILTER, 0,/ && line ~ /= 0$/ { sandboxed[pid] = 1; next }
	line ~ /^\+\+\+ killed by SIGSYS/ { kills++; delete attempt[pid]; next }
	{
		call = line; sub(/\(.*/, "", call)
		if (call ~ /^(socket|connect)$/) { print "network: " line; next }
		if (call ~ /^execve/) { if (!first) print "exec: " line; first = 0; next }
		if (call !~ /^(open|openat|openat2|creat)$/) next
		if (pid in sandboxed) { attempt[pid] = line; next }
		if (match(line, /"[^"]*"/) == 0) { print "open of an unreadable path: " line; next }
		path = substr(line, RSTART + 1, RLENGTH - 2)
		if (path !~ allowed && index(path "/", dir) != 1 && !(path in named))
			print "opened " path
	}
	END {
		for (p in attempt) print "the sandboxed filter opened something and lived: " attempt[p]
		printf "kills %d", kills
	}' "$trace"
}

# trace_self_test: the check must be able to fail: three made-up traces it has to flag, one it
# must pass. Uses check from lib.sh and $W.
trace_self_test() {
	local t=$W/selftest.trace verdict
	local exec_line='100 execve("/x/sluice", ["sluice"], 0x7ffc /* 1 var */) = 0'
	local seccomp_ok='seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=35, filter=0x5555}) = 0'
	printf '%s\n101 %s\n101 openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = 3\n' "$exec_line" "$seccomp_ok" >"$t"
	verdict=$(trace_verdict "$t" "$W" /r.xml)
	check "trace check flags an open that succeeded inside the sandbox" grep -q 'opened something and lived' <<<"$verdict"
	printf '%s\n100 openat(AT_FDCWD, "/etc/shadow", O_RDONLY) = 3\n100 socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 4\n' "$exec_line" >"$t"
	verdict=$(trace_verdict "$t" "$W" /r.xml)
	check "trace check flags a process opening a file it was not given" grep -q '^opened /etc/shadow' <<<"$verdict"
	check "trace check flags a socket" grep -q '^network: socket' <<<"$verdict"
	printf '%s\n100 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3\n100 openat(AT_FDCWD, "/r.xml", O_RDONLY) = 3\n101 %s\n101 openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = ?\n101 +++ killed by SIGSYS +++\n' \
		"$exec_line" "$seccomp_ok" >"$t"
	verdict=$(trace_verdict "$t" "$W" /r.xml)
	check "trace check passes libraries and the report, and counts a killed attempt as a kill" [ "$verdict" = "kills 1" ]
}

MAX_SECONDS=3
MAX_RSS_KB=204800
SLOWEST=0
LARGEST_RSS_KB=0

# centis VAR SECONDS: sets VAR to GNU time's "%e" (like 0.12 or 12.34) in hundredths, for
# integer comparison without a subshell per run.
centis() {
	local int=${2%.*} frac=${2#*.}
	[ "$frac" = "$2" ] && frac=0
	printf -v "$1" '%d' $((10#$int * 100 + 10#${frac:0:2}))
}

# measured_run TRACE_FILE ARGS...: `sluice ARGS` under timeout, GNU time and (when TRACE=1)
# strace writing TRACE_FILE; stdout discarded, stderr in $W/err.txt. Sets RC, ELAPSED, RSS_KB
# and ELAPSED_CENTIS, and keeps SLOWEST and LARGEST_RSS_KB. The figures cover strace and sluice
# together: an upper bound.
measured_run() {
	local st=$1 tf=$W/time.txt slowest
	shift
	local -a tracer=()
	rm -f "$tf" "$st"
	local asan=${ASAN_OPTIONS:-}
	if [ "$TRACE" = 1 ]; then
		tracer=("${TRACE_COMMAND[@]}" -o "$st")
		# LeakSanitizer cannot work under ptrace (it aborts the program): in sanitizer builds the
		# traced runs leave leaks to the untraced tests. No effect on other builds.
		asan=${asan:+$asan:}detect_leaks=0
	fi
	RC=0
	ASAN_OPTIONS=$asan timeout -k 5 60 /usr/bin/time -f '%e %M' -o "$tf" "${tracer[@]}" "$SLUICE" "$@" \
		>/dev/null 2>"$W/err.txt" || RC=$?
	ELAPSED=999
	RSS_KB=999999999
	# GNU time prefixes "Command exited with non-zero status N": the figures are last.
	[ -s "$tf" ] && { read -r ELAPSED RSS_KB < <(tail -n 1 "$tf") || true; }
	centis ELAPSED_CENTIS "$ELAPSED"
	centis slowest "$SLOWEST"
	[ "$ELAPSED_CENTIS" -gt "$slowest" ] && SLOWEST=$ELAPSED
	[ "$RSS_KB" -gt "$LARGEST_RSS_KB" ] 2>/dev/null && [ "$RSS_KB" -lt 999999999 ] && LARGEST_RSS_KB=$RSS_KB
	return 0
}

# over_limits: what of the last measured_run broke the test's limits ("" when nothing did).
over_limits() {
	local over=""
	[ "$ELAPSED_CENTIS" -lt $((MAX_SECONDS * 100)) ] || over+=" took ${ELAPSED}s (limit ${MAX_SECONDS}s)"
	[ "$RSS_KB" -lt "$MAX_RSS_KB" ] 2>/dev/null || over+=" max RSS ${RSS_KB} KB (limit ${MAX_RSS_KB} KB)"
	printf '%s' "$over"
}
