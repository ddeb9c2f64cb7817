#!/usr/bin/env bash
# Audit query benchmark (bench/README.md): generates a signed audit log of RECORDS synthetic
# transfer records (default 1,000,000), times `sluice audit verify` and `sluice audit index`,
# then times queries and stats with the index and without it (--no-index: a scan of the log),
# checks that both give the same output, and prints a table: seconds and peak RSS of each.
#
#   bench/audit_query.sh [BUILD_DIR] [RECORDS]
#
# The files go to $BENCH_DIR (default /dev/shm when it exists, else $TMPDIR): the generator
# appends through the real writer, which fsyncs every record, and a million fsyncs on a disk
# take longer than the rest of the run. Exit 1 when an indexed answer differs from the scan's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
records=${2:-1000000}
case $build in /*) ;; *) build=$PWD/$build ;; esac
sluice=$build/sluice
gen=$build/bench/gen_audit_log
for t in "$sluice" "$gen" /usr/bin/time; do
	[ -x "$t" ] || { echo "audit_query.sh: $t is missing (build sluice and gen_audit_log)" >&2; exit 64; }
done
base=${BENCH_DIR:-$([ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
dir=$(mktemp -d "$base/sluice-bench.XXXXXX")
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"' EXIT
log=$dir/audit.log
openssl genpkey -algorithm ed25519 -out "$dir/gw.key" 2>/dev/null
openssl pkey -in "$dir/gw.key" -pubout -out "$dir/gw.pub" 2>/dev/null

# measure NAME CMD...: runs CMD (stdout to $dir/out, stderr to $dir/err); sets SECS and RSS_MB.
measure() {
	local name=$1
	shift
	if ! /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err"; then
		echo "audit_query.sh: $name failed:" >&2
		sed -n '1,5p' "$dir/err" >&2
		exit 1
	fi
	read -r SECS RSS_KB <"$dir/time"
	RSS_MB=$(( (RSS_KB + 512) / 1024 ))
}

printf '%s\n' "records: $records (log and index in $dir)"
measure generate "$gen" --key "$dir/gw.key" --records "$records" "$log"
gen_secs=$SECS gen_rss=$RSS_MB
log_mb=$(( $(stat -c %s "$log") / 1048576 ))
measure verify "$sluice" audit verify --pub "$dir/gw.pub" "$log"
verify_secs=$SECS verify_rss=$RSS_MB
measure index "$sluice" audit index --pub "$dir/gw.pub" "$log"
index_secs=$SECS index_rss=$RSS_MB
idx_mb=$(( $(stat -c %s "$log.idx") / 1048576 ))

printf '\n%-44s %12s %9s\n' "step" "seconds" "peak RSS"
printf '%-44s %12s %6s MB\n' "generate ($log_mb MB log)" "$gen_secs" "$gen_rss"
printf '%-44s %12s %6s MB\n' "sluice audit verify" "$verify_secs" "$verify_rss"
printf '%-44s %12s %6s MB\n' "sluice audit index ($idx_mb MB index)" "$index_secs" "$index_rss"

# A transfer id from the middle of the log.
middle=$((records / 2))
tid=$(awk -v n="$middle" 'NR >= n && /"type":"transfer"/ { print; exit }' "$log" |
	sed -E 's/.*"transfer_id":"([^"]*)".*/\1/')

queries=(
	"--transfer-id $tid"
	"--from intel --to partner-fra --decision refused --since 2026-06-01 --until 2026-06-07"
	"--rule pattern:iban --since 2026-03-01 --until 2026-03-31"
	"--policy-version 5 --decision error --json"
	"--to police --since 2026-11-30"
	"--decision invalid --json"
)
printf '\n%-88s %8s %16s %16s %5s\n' "query" "records" "index: s / MB" "scan: s / MB" "same"
status=0
run_pair() {
	local label=$1 count
	shift
	measure "$label (index)" "$sluice" audit "$@"
	local isecs=$SECS irss=$RSS_MB
	cp "$dir/out" "$dir/out.index"
	count=$(wc -l <"$dir/out")
	measure "$label (scan)" "$sluice" audit "$@" --no-index
	local same=yes
	cmp -s "$dir/out" "$dir/out.index" || { same=NO; status=1; }
	printf '%-88s %8s %9s / %4s %9s / %4s %5s\n' "$label" "$count" "$isecs" "$irss" "$SECS" "$RSS_MB" "$same"
}
for q in "${queries[@]}"; do
	# shellcheck disable=SC2086 # the query's words are options
	run_pair "query $q" query "$log" $q
done
run_pair "stats" stats "$log"
run_pair "stats --json" stats "$log" --json

# Catching up: the index brings itself up to date when records are appended.
# ... as a gateway appends them: later than every record so far (2027, after the log's year).
measure append "$gen" --key "$dir/gw.key" --records 1000 --seed 2 --start 1798761600 "$log"
measure "query after 1,000 more records" "$sluice" audit query "$log" --transfer-id "$tid"
printf '\n%-44s %12s %6s MB\n' "query catching up 1,000 appended records" "$SECS" "$RSS_MB"
exit $status
