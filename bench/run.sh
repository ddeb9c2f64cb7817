#!/usr/bin/env bash
# Release benchmark (bench/README.md, issue 8): generates a corpus of IC-ISM reports
# (bench/gen_reports.py: 2 KB, 20 KB, 200 KB and 2 MB, 20-40 % of the portions withheld for
# the destination, dirty words and personal data) and measures, in one run:
#   (a) `sluice release --batch` in one process, pinned to one core (taskset -c 0), each size,
#       and 20 KB reports under 10, 1,000 and 10,000 dirty words
#   (b) sluiced through its spool: N reports dropped into the inbox, time until all handled
#   (c) sluiced over mutual TLS, keep-alive clients (tls_load) at several concurrencies, then
#       an open-loop run at half the highest rate measured: throughput, p50/p99 latency
#   (d) peak RSS of each process (/usr/bin/time for the CLI; VmHWM of each daemon process)
#   (e) micro-benchmarks of the libraries' own limits (bench_micro): "the limit"
#   (f) the standard-tools peer (bench/peer/peer.sh) on the same 20 KB reports, one core
# then prints each target of issue 8 as measured against it (met / not met), and last:
#   sluice N reports/s, peer M reports/s, ratio R, limit fraction F
# where N is the median in-process rate for 20 KB reports, M the peer's, R = N / M, and
# F = N / the limit's rate for the same reports. Nothing here asserts a timing: the exit code
# says only whether every step ran and every report was handled as expected.
#
#   bench/run.sh [BUILD_DIR]          # build first: cmake --build BUILD_DIR --target sluice
#                                     #   sluiced bench_micro tls_load
# Environment: QUICK=1 (a small run, well under a minute), BENCH_DIR (default
# /dev/shm/sluice-bench; emptied first, removed after unless BENCH_KEEP=1), REPEATS (runs of
# each in-process measurement, default 3), REPORTS (corpus, default
# 2k=300,20k=300,200k=30,2m=4), PEER_REPORTS (default 60), TLS_SECONDS (per concurrency,
# default 10), CONCURRENCIES (default "1 4 16 32"), SEED (default 1).
set -euo pipefail
umask 022 # the gateway refuses a policy or key folder others may write
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ -n "${QUICK:-}" ]; then
	: "${REPORTS:=2k=30,20k=30,200k=4,2m=2}" "${REPEATS:=1}" "${PEER_REPORTS:=8}"
	: "${TLS_SECONDS:=2}" "${CONCURRENCIES:=1 4}"
fi
reports=${REPORTS:-2k=300,20k=300,200k=30,2m=4}
repeats=${REPEATS:-3}
peer_reports=${PEER_REPORTS:-60}
tls_seconds=${TLS_SECONDS:-10}
concurrencies=${CONCURRENCIES:-1 4 16 32}
sluice=$build/sluice sluiced=$build/sluiced micro=$build/bench/bench_micro load=$build/bench/tls_load
for t in "$sluice" "$sluiced" "$micro" "$load" /usr/bin/time; do
	[ -x "$t" ] || { echo "run.sh: $t is missing (build sluice, sluiced, bench_micro, tls_load)" >&2; exit 64; }
done
for t in python3 taskset openssl xmllint xsltproc pgrep; do
	command -v "$t" >/dev/null || { echo "run.sh: $t is not installed (scripts/install-deps.sh)" >&2; exit 64; }
done
dir=${BENCH_DIR:-/dev/shm/sluice-bench}
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"
DPID=""
status=0 # 1 when the gateway stopped handling reports (a finding, not a figure)
stop_daemon() { # SIGTERM to our own daemon only, then its children by pid if any is left
	[ -n "$DPID" ] || return 0
	local kids
	kids=$(pgrep -P "$DPID" || true)
	kill -TERM "$DPID" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null || true
	# shellcheck disable=SC2086 # a list of pids
	[ -z "$kids" ] || kill -KILL $kids 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=""
}
cleanup() {
	stop_daemon
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
fail() {
	echo "run.sh: $*" >&2
	exit 1
}

# stats V...: "min median max" of the numbers given.
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
# calc EXPR: floating-point arithmetic (awk).
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
fmt() { awk -v v="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, v }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # kB -> MB
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT MET"; fi; }

echo "== Sluice release benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "load at start: $(uptime | sed 's/.*load average/load average/')"
echo "corpus: $reports; repeats: $repeats; files in $dir${QUICK:+ (QUICK)}"

# ---------------------------------------------------------------------------------------------
# Corpus and keys.
python3 "$root/bench/gen_reports.py" --out "$dir" --seed "${SEED:-1}" --count "$reports"
openssl genpkey -algorithm ed25519 -out "$dir/gw.key" 2>/dev/null
sizes=$(awk 'NR > 1 { print $1 }' "$dir/corpus.txt")
declare -A count bytes
while read -r s n b p w; do
	[ "$s" = size ] && continue
	count[$s]=$n bytes[$s]=$b
	printf '  %-5s %5d reports, mean %8d bytes, %4.1f %% of portions withheld\n' "$s" "$n" \
		$((b / n)) "$(calc "100 * $w / $p")"
done <"$dir/corpus.txt"
[ -n "${count[20k]:-}" ] || fail "the corpus must have 20k reports (REPORTS)"

# ---------------------------------------------------------------------------------------------
# (a) in process: sluice release --batch, one core. Sets RATES (reports/s), CPURATES (reports
# per CPU second: user + system) and RSSES (peak RSS, kB), one entry per repeat.
batch() { # batch NAME POLICY_DIR SIZE
	local name=$1 policy=$2 size=$3 n=${count[$3]} r out released
	RATES=() CPURATES=() RSSES=()
	for r in $(seq 1 "$repeats"); do
		out=$dir/out-$name-$r
		mkdir "$out"
		if ! /usr/bin/time -f '%e %U %S %M' -o "$dir/time" taskset -c 0 "$sluice" release \
			--policy "$policy/policy.yaml" --from intel --to customs --key "$dir/gw.key" \
			--audit "$out.log" --batch "$dir/reports/$size" --out "$out" >"$out.summary" 2>"$out.err"; then
			sed -n '1,5p' "$out.err" >&2
			fail "sluice release --batch ($name) failed"
		fi
		released=$(awk -F'\t' '$2 == "released"' "$out.summary" | wc -l)
		[ "$released" = "$n" ] || fail "$name: $released of $n reports released ($out.summary)"
		read -r secs user sys rss <"$dir/time"
		RATES+=("$(calc "$n / $secs")") CPURATES+=("$(calc "$n / ($user + $sys)")") RSSES+=("$rss")
		rm -rf "$out" "$out.log"
	done
}
echo
echo "== (a) in process: sluice release --batch, pinned to one core (taskset -c 0), $repeats run(s) each"
printf '%-28s %22s %22s %12s %12s\n' "reports" "reports/s min/med/max" "CPU-bound reports/s" "us per KB" "peak RSS"
declare -A rate_med us_per_kb
for s in $sizes; do
	batch "$s" "$dir/policy-1000" "$s"
	read -r lo med hi < <(stats "${RATES[@]}")
	read -r _ cmed _ < <(stats "${CPURATES[@]}")
	read -r _ _ rss < <(stats "${RSSES[@]}")
	rate_med[$s]=$med
	us_per_kb[$s]=$(calc "1e6 / $med / (${bytes[$s]} / ${count[$s]} / 1024)")
	printf '%-28s %6s /%6s /%6s %22s %12s %9s MB\n' "$s, 1,000 words" "$(fmt "$lo")" "$(fmt "$med")" \
		"$(fmt "$hi")" "$(fmt "$cmed")" "$(fmt "${us_per_kb[$s]}" 1)" "$(mb "$rss")"
	[ "$s" != 20k ] || read -r n_lo n_med n_hi < <(stats "${RATES[@]}")
done
declare -A words_med
words_med[1000]=${rate_med[20k]}
for w in 10 10000; do
	batch "words$w" "$dir/policy-$w" 20k
	read -r lo med hi < <(stats "${RATES[@]}")
	read -r _ cmed _ < <(stats "${CPURATES[@]}")
	read -r _ _ rss < <(stats "${RSSES[@]}")
	words_med[$w]=$med
	printf '%-28s %6s /%6s /%6s %22s %12s %9s MB\n' "20k, $w words" "$(fmt "$lo")" "$(fmt "$med")" \
		"$(fmt "$hi")" "$(fmt "$cmed")" "" "$(mb "$rss")"
done
echo "(CPU-bound: reports / (user + system CPU seconds), what one idle core would do; peak RSS:"
echo " the largest of the process and its filter children)"

# ---------------------------------------------------------------------------------------------
# The gateway folder for (b) and (c): a development PKI, the bench policy, a spool.
gw=$dir/gw
mkdir -p "$gw"
"$sluice" certs init-dev "$gw/pki" intel customs >/dev/null
user_line=""
[ "$(id -u)" != 0 ] || user_line="user: nobody"
port=$((23000 + RANDOM % 1000))
write_config() { # write_config WITH_TLS
	{
		printf 'sluiced: 1\npolicy: %s\nsigning-key: %s\naudit-log: %s\nspool: %s\nworkers: 2\n%s\n' \
			"$dir/policy-1000/policy.yaml" "$gw/pki/gateway-signing.key" "$gw/state/audit.log" \
			"$gw/spool" "$user_line"
		[ "$1" = no ] || printf 'tls:\n  listen: 127.0.0.1:%s\n  certificate: %s\n  key: %s\n  client-ca: %s\n' \
			"$port" "$gw/pki/gateway-server.pem" "$gw/pki/gateway-server.key" "$gw/pki/ca.pem"
	} >"$gw/sluiced.yaml"
}
start_daemon() { # start_daemon WITH_TLS: a fresh state and spool, then sluiced -f
	rm -rf "$gw/state" "$gw/spool"
	mkdir -p "$gw/state" "$gw/spool/inbox/intel/customs"
	[ "$(id -u)" != 0 ] || chown nobody "$gw/state"
	local tries
	for tries in 1 2 3 4 5; do
		write_config "$1"
		: >"$gw/daemon.log"
		"$sluiced" -c "$gw/sluiced.yaml" -f >>"$gw/daemon.log" 2>&1 &
		DPID=$!
		for _ in $(seq 1 100); do
			if grep -q "supervisor: started" "$gw/daemon.log" &&
				{ [ "$1" = no ] || grep -q "tls: listening .*:$port\$" "$gw/daemon.log"; }; then
				return 0
			fi
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		grep -q "Address already in use" "$gw/daemon.log" || break
		stop_daemon
		port=$((23000 + RANDOM % 1000))
	done
	sed -n '1,20p' "$gw/daemon.log" >&2
	fail "sluiced did not start (log above)"
}
# daemon_rss: "NAME kB" of every process of our daemon (VmHWM, the peak resident set).
daemon_rss() {
	local pid
	for pid in "$DPID" $(pgrep -P "$DPID"); do
		printf '%s %s\n' "$(cat "/proc/$pid/comm" 2>/dev/null)" \
			"$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
	done
}
files_in() { find "$1" -type f ! -name '.*' 2>/dev/null | wc -l; }

# ---------------------------------------------------------------------------------------------
echo
echo "== (b) sluiced through the spool: 2 workers, a fresh daemon per size; all reports dropped"
echo "   at once (renamed into inbox/intel/customs), timed until the inbox is empty"
printf '%-8s %8s %12s %10s %18s   %s\n' "reports" "count" "reports/s" "MB/s" "worker peak RSS" "other processes' peak RSS (MB)"
declare -A worker_rss
for s in $sizes; do
	start_daemon no
	stage=$dir/stage
	rm -rf "$stage"
	cp -r "$dir/reports/$s" "$stage"
	t0=$(date +%s.%N)
	mv "$stage"/* "$gw/spool/inbox/intel/customs/"
	n=${count[$s]}
	left=$n last_change=$SECONDS stalled=""
	while [ "$left" != 0 ]; do
		sleep 0.02
		now_left=$(files_in "$gw/spool/inbox")
		if [ "$now_left" != "$left" ]; then
			left=$now_left last_change=$SECONDS
		elif [ $((SECONDS - last_change)) -ge 30 ]; then
			stalled=$left
			break
		fi
	done
	t1=$(date +%s.%N)
	out=$(find "$gw/spool/outbox" -type f ! -name '*.receipt' ! -name '.*' | wc -l)
	daemon_rss >"$dir/rss"
	worker_rss[$s]=$(awk '$1 == "sluiced-worker" && $2 > m { m = $2 } END { print m + 0 }' "$dir/rss")
	others=$(awk '$1 != "sluiced-worker" { sub(/^sluiced-?/, "", $1); printf "%s%s %.1f", sep, ($1 == "" ? "supervisor" : $1), $2 / 1024; sep = ", " }' "$dir/rss")
	if [ -n "$stalled" ]; then
		# Not a figure: the daemon stopped handling reports. Say what is where, and go on.
		status=1
		{
			echo "run.sh: spool ($s): no progress for 30 s, $stalled of $n reports still in the inbox;"
			echo "  outbox $out, refused $(files_in "$gw/spool/refused"), quarantine $(files_in "$gw/spool/quarantine");"
			echo "  where each daemon process waits (wchan):"
			for pid in "$DPID" $(pgrep -P "$DPID"); do
				echo "    $(cat "/proc/$pid/comm" 2>/dev/null) $(cat "/proc/$pid/wchan" 2>/dev/null)"
			done
			grep -v ': released$' "$gw/daemon.log" | tail -n 5 | sed 's/^/    /'
		} >&2
		[ "$out" != 0 ] || unset "worker_rss[$s]"
		stop_daemon
		printf '%-8s %8d %12s %10s %15s MB   %s\n' "$s" "$n" "STALLED" "" "$(mb "${worker_rss[$s]:-0}")" "$others"
		continue
	fi
	[ "$out" = "$n" ] || fail "spool ($s): $out of $n reports in the outbox"
	secs=$(calc "$t1 - $t0")
	stop_daemon
	printf '%-8s %8d %12s %10s %15s MB   %s\n' "$s" "$n" "$(fmt "$(calc "$n / $secs")")" \
		"$(fmt "$(calc "${bytes[$s]} / 1048576 / $secs")" 1)" "$(mb "${worker_rss[$s]}")" "$others"
done

# ---------------------------------------------------------------------------------------------
echo
echo "== (c) sluiced over mutual TLS (127.0.0.1, 2 workers), 20 KB reports, keep-alive clients"
echo "   (tls_load, on the same 2 cores as the daemon), $tls_seconds s per run"
start_daemon yes
mapfile -t tls_reports < <(find "$dir/reports/20k" -name '*.xml' | sort | sed -n 1,100p)
printf '%-26s %10s %9s %9s %9s %9s %8s %10s\n' "clients" "reports/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors" "reconnects"
tls_run=0
tls_max=0
tls() { # tls LABEL ARGS...: one tls_load run; sets RATE and P99
	local label=$1 line
	shift
	tls_run=$((tls_run + 1))
	line=$("$load" --connect "127.0.0.1:$port" --ca "$gw/pki/ca.pem" --cert "$gw/pki/intel.pem" \
		--key "$gw/pki/intel.key" --to customs --id-base $((900000000000 + tls_run * 10000000)) \
		--seconds "$tls_seconds" "$@" "${tls_reports[@]}") || fail "tls_load $label: $line"
	local -A f
	local kv
	for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
	RATE=${f[rate]} P99=${f[p99_ms]}
	printf '%-26s %10s %9s %9s %9s %9s %8s %10s\n' "$label" "$(fmt "$RATE")" "${f[p50_ms]}" "${f[p90_ms]}" \
		"$P99" "${f[max_ms]}" $((f[other] + f[failed])) "${f[reconnects]}"
	find "$gw/spool/outbox" -type f -delete # as the receiving side would take them
}
for c in $concurrencies; do
	tls "$c, closed loop" --concurrency "$c"
	awk "BEGIN { exit !($RATE > $tls_max) }" && tls_max=$RATE
done
half=$(calc "$tls_max / 2")
tls "16, open loop at $(fmt "$half")/s" --concurrency 16 --rate "$half"
half_p99=$P99
daemon_rss >"$dir/rss"
echo "peak RSS (MB) after the TLS runs: $(awk '{ sub(/^sluiced-?/, "", $1); printf "%s%s %.1f", sep, ($1 == "" ? "supervisor" : $1), $2 / 1024; sep = ", " }' "$dir/rss")"
stop_daemon

# ---------------------------------------------------------------------------------------------
echo
echo "== (e) micro-benchmarks of the machine's limits (bench_micro, one core): per-stage minimum"
echo "   and median over many rounds; the limit is the sum of the minima"
micro_reports=() # the 20 KB report last, so that the last line is its limit
for s in $sizes; do [ "$s" = 20k ] || micro_reports+=("$dir/reports/$s/r000000.xml"); done
iterations=$([ -n "${QUICK:-}" ] && echo 30 || echo 300)
taskset -c 0 "$micro" "$dir/policy-1000/report.xsd" "$iterations" "${micro_reports[@]}" \
	"$dir/reports/20k/r000000.xml" | tee "$dir/micro.out"
limit_rps=$(awk '/^limit / { print $4 }' "$dir/micro.out")
[ -n "$limit_rps" ] || fail "bench_micro printed no limit"

# ---------------------------------------------------------------------------------------------
echo
echo "== (f) the standard-tools peer (bench/peer/peer.sh), pinned to one core, $peer_reports 20 KB reports"
mkdir -p "$dir/peer-in" "$dir/peer-out"
find "$dir/reports/20k" -name '*.xml' | sort | sed -n "1,${peer_reports}p" | xargs -I{} ln {} "$dir/peer-in/"
/usr/bin/time -f '%e %U %S %M' -o "$dir/time" taskset -c 0 "$root/bench/peer/peer.sh" \
	"$dir/policy-1000" "$dir/gw.key" "$dir/peer-in" "$dir/peer-out" "$dir/peer.log" >"$dir/peer.summary" ||
	fail "the peer failed"
cat "$dir/peer.summary"
read -r secs user sys _ <"$dir/time"
peer_rate=$(calc "$peer_reports / $secs")
echo "peer: $(fmt "$peer_rate" 1) reports/s ($(fmt "$(calc "$peer_reports / ($user + $sys)")" 1) CPU-bound)"

# ---------------------------------------------------------------------------------------------
echo
echo "load at end: $(uptime | sed 's/.*load average/load average/')"
echo
echo "== targets (issue 8 item 3): measured against target"
ratio=$(calc "${rate_med[20k]} / $peer_rate")
fraction=$(calc "${rate_med[20k]} / $limit_rps")
kb_lo=$(for s in $sizes; do echo "${us_per_kb[$s]}"; done | sort -g | sed -n 1p)
kb_hi=$(for s in $sizes; do echo "${us_per_kb[$s]}"; done | sort -g | tail -1)
per_byte=$(calc "$kb_hi / $kb_lo")
words_ratio=$(calc "${words_med[10]} / ${words_med[10000]}")
rss20=$(mb "${worker_rss[20k]}")
# linear growth: the worker's RSS per report byte between 200 KB and 2 MB, against 20 KB to 200 KB
if [ -n "${worker_rss[200k]:-}" ] && [ -n "${worker_rss[2m]:-}" ]; then
	slope1=$(calc "(${worker_rss[200k]} - ${worker_rss[20k]}) * 1024 / (${bytes[200k]} / ${count[200k]} - ${bytes[20k]} / ${count[20k]})")
	slope2=$(calc "(${worker_rss[2m]} - ${worker_rss[200k]}) * 1024 / (${bytes[2m]} / ${count[2m]} - ${bytes[200k]} / ${count[200k]})")
	linear="$(fmt "$slope1" 1) then $(fmt "$slope2" 1) bytes of RSS per report byte"
	linear_ok=$(verdict "$slope2 > 0 && $slope1 <= 2 * $slope2 && $slope2 <= 2 * ($slope1 > 0.5 ? $slope1 : 0.5)")
else
	linear="(needs 200k and 2m reports)" linear_ok="not measured"
fi
row() { printf '%-68s %-40s %s\n' "$1" "$2" "$3"; }
row "target" "measured" "verdict"
row "in process, 20 KB, 1,000 words + 4 detectors, one core: >= 2,000/s" \
	"$(fmt "$n_lo") / $(fmt "$n_med") / $(fmt "$n_hi") reports/s" "$(verdict "$n_med >= 2000")"
row "in process >= 60 % of the limit ($(fmt "$limit_rps")/s)" "$(fmt "$(calc "100 * $fraction")" 1) %" "$(verdict "$fraction >= 0.6")"
row "in process >= 20x the standard-tools peer ($(fmt "$peer_rate" 1)/s)" "$(fmt "$ratio" 1)x" "$(verdict "$ratio >= 20")"
row "sluiced over mutual TLS, 2 cores: >= 1,000 reports/s" "$(fmt "$tls_max") reports/s" "$(verdict "$tls_max >= 1000")"
row "p99 latency < 50 ms at half that rate ($(fmt "$half")/s)" "$half_p99 ms" "$(verdict "$half_p99 < 50")"
row "filter worker peak RSS < 32 MB, 20 KB reports" "$rss20 MB" "$(verdict "$rss20 < 32")"
row "worker RSS grows linearly with report size" "$linear" "$linear_ok"
row "cost per byte from 2 KB to 2 MB within 2x" "$(fmt "$kb_lo" 1) to $(fmt "$kb_hi" 1) us/KB: $(fmt "$per_byte" 1)x" \
	"$(verdict "$per_byte <= 2")"
row "10 versus 10,000 dirty words within 1.5x" "$(fmt "${words_med[10]}") vs $(fmt "${words_med[10000]}")/s: $(fmt "$words_ratio" 2)x" \
	"$(verdict "$words_ratio <= 1.5")"
echo
printf 'sluice %s reports/s, peer %s reports/s, ratio %s, limit fraction %s\n' "$(fmt "${rate_med[20k]}")" \
	"$(fmt "$peer_rate" 1)" "$(fmt "$ratio" 1)" "$(fmt "$fraction" 3)"
exit $status
