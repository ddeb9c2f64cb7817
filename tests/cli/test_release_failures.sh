#!/usr/bin/env bash
# Failure injection (issue 7, item 3, second half): `sluice release -o OUT` made to fail at each
# step of its pipeline must leave nothing partial. Steps: (a) the filter (an invalid report),
# (b) the audit log (a directory, a missing folder, read-only when not root), (c) the output
# folder, (d) the receipt path, (e) the signing key; then, under strace, every write, fsync and
# rename of the run failed in turn (ENOSPC, EIO, EXDEV). After each run:
#   - no temporary file (NAME.tmp.PID) is left in the output folder;
#   - OUT exists only with OUT.receipt, whose decision is `released`, which verifies against
#     OUT, and whose record (same output SHA-256) is in the audit log;
#   - without OUT, no receipt claims a release, and a failed run says why on stderr;
#   - the audit log, when there is one, verifies, and records the error where it can (a
#     failed closing checkpoint leaves the last records unsigned: exit 74, and the next
#     writer seals them; the test checks that it does);
#   - no canary of the report is in stderr, stdout, the receipt or the log.
# Usage: bash tests/cli/test_release_failures.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq xmllint sha256sum

FC=$W/fc
cp -R "$SLUICE_SOURCE/examples/fusion-cell" "$FC"
chmod -R u+rwX,go-w "$FC"
P=$FC/policy.yaml
mkdir -p "$W/keys"
make_keys "$W/keys" gw
KEY=$W/keys/gw.key PUB=$W/keys/gw.pub
# A report with a portion customs may not see (canaries in it) and kept text to release.
cat >"$W/report.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:DESVersion="10"
    ism:createDate="2025-03-07" ism:classification="S" ism:ownerProducer="USA"
    ism:disseminationControls="NF">
  <Title ism:classification="U" ism:ownerProducer="USA">Kept title.</Title>
  <Para ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF"
      note="CANARY_FI_ATTR">CANARY_FI_TEXT<!-- CANARY_FI_COMMENT --></Para>
</Report>
EOF
printf '<Report>CANARY_FI_BROKEN <a></b>\n' >"$W/broken.xml"

N_RUNS=0 N_FAILED_CLEAN=0 N_RELEASED=0 N_RESEALED=0
# attempt NAME [ENV...] -- [RELEASE OPTIONS...] : runs `sluice release` (intel -> customs) with
# OUT=$W/NAME/out/out.xml and the log $W/NAME/audit.log unless the options say otherwise
# (LOG=, OUT=, REPORT=, SIGNKEY=, RECEIPT=, WRAP= as variables before `--`), then checks the
# invariants. Sets RC.
attempt() {
	local name=$1 LOG OUT REPORT=$W/report.xml SIGNKEY=$KEY RECEIPT="" WRAP=""
	shift
	mkdir -p "$W/$name/out"
	LOG=$W/$name/audit.log OUT=$W/$name/out/out.xml
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		local "${1?}"
		shift
	done
	[ $# -gt 0 ] && shift
	local rargs=(release --policy "$P" --from intel --to customs --key "$SIGNKEY" --audit "$LOG"
		-o "$OUT")
	[ -n "$RECEIPT" ] && rargs+=(--receipt "$RECEIPT")
	local rcpt=${RECEIPT:-$OUT.receipt}
	RC=0
	# LeakSanitizer cannot run under ptrace (it aborts the process at exit): traced runs of a
	# sanitizer build go without leak detection, as tests/cli/trace.sh does.
	local asan=${ASAN_OPTIONS:-}
	[ -n "$WRAP" ] && asan=${asan:+$asan:}detect_leaks=0
	# shellcheck disable=SC2086 # WRAP is a command line (strace ...) or nothing
	ASAN_OPTIONS=$asan $WRAP "$SLUICE" "${rargs[@]}" "$@" "$REPORT" >"$W/$name/stdout" \
		2>"$W/$name/stderr" || RC=$?
	N_RUNS=$((N_RUNS + 1))
	LAST_LOG=$LOG LAST_OUT=$OUT LAST_RCPT=$rcpt
	local bad=""
	local tmps
	tmps=$(find "$(dirname "$OUT")" "$(dirname "$rcpt")" -maxdepth 1 -name '*.tmp.*' 2>/dev/null | wc -l)
	[ "$tmps" = 0 ] || bad="$bad $tmps temporary file(s) left;"
	if [ -e "$OUT" ]; then
		N_RELEASED=$((N_RELEASED + 1))
		[ "$(receipt_field "$rcpt" .record.decision)" = released ] || bad="$bad OUT without a released receipt;"
		"$SLUICE" verify --pub "$PUB" --receipt "$rcpt" "$OUT" >/dev/null 2>&1 || bad="$bad receipt does not verify against OUT;"
		local sha
		sha=$(sha256sum <"$OUT" | cut -d' ' -f1)
		grep -q "\"output_sha256\":\"$sha\"" "$LOG" 2>/dev/null || bad="$bad OUT's release is not in the log;"
	else
		[ "$(receipt_field "$rcpt" .record.decision 2>/dev/null)" != released ] || bad="$bad a receipt claims a release with no OUT;"
		[ "$RC" != 0 ] || bad="$bad exit 0 without OUT;"
		grep -q 'sluice' "$W/$name/stderr" || bad="$bad no error on stderr;"
		[ "$RC" = 0 ] || N_FAILED_CLEAN=$((N_FAILED_CLEAN + 1))
	fi
	if [ -s "$LOG" ] && [ -f "$LOG" ]; then
		if ! "$SLUICE" audit verify --pub "$PUB" "$LOG" >"$W/$name/verify" 2>&1; then
			# A failed closing checkpoint leaves the last records unsigned: the run says so
			# (exit 74) and the next writer seals them. Anything else is a broken log.
			if grep -q 'does not end with a signed checkpoint' "$W/$name/verify" && [ "$RC" = 74 ] &&
				"$SLUICE" release --policy "$P" --from intel --to customs --key "$KEY" --audit "$LOG" \
					-o "$W/$name/reseal.xml" "$W/report.xml" >/dev/null 2>&1 &&
				"$SLUICE" audit verify --pub "$PUB" "$LOG" >/dev/null 2>&1; then
				N_RESEALED=$((N_RESEALED + 1))
				echo "# $name: the closing checkpoint failed; the next writer sealed the log"
			else
				bad="$bad the audit log does not verify;"
			fi
		fi
	fi
	if grep -rqa CANARY_FI "$W/$name/stdout" "$W/$name/stderr" "$(dirname "$OUT")" "$LOG" 2>/dev/null; then
		bad="$bad a canary leaked;"
	fi
	if [ -z "$bad" ]; then
		ok "$name: exit $RC, nothing partial$([ -e "$OUT" ] && echo ' (released whole)')"
	else
		not_ok "$name: exit $RC:$bad"
		sed -n '1,2s/^/#   stderr: /p' "$W/$name/stderr"
	fi
}
# last_decisions: the decisions of the transfer records in the last run's log, space-separated.
last_decisions() { jq -r 'select(.type == "transfer") | .record.decision' "$LAST_LOG" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# ---- The control: a run that succeeds ------------------------------------------------------
attempt control
check "control: released (exit $RC)" [ "$RC" = 0 ] && [ -s "$LAST_OUT" ]

# ---- (a) the filter fails: an invalid report -----------------------------------------------
attempt a-invalid REPORT="$W/broken.xml"
check "a-invalid: exit 65 ($RC)" [ "$RC" = 65 ]
check "a-invalid: the receipt says invalid" [ "$(receipt_field "$LAST_RCPT" .record.decision)" = invalid ]
check "a-invalid: the log records it ($(last_decisions))" [ "$(last_decisions)" = invalid ]

# ---- (b) the audit log cannot be written ---------------------------------------------------
mkdir -p "$W/b-dir/audit.log"
attempt b-dir LOG="$W/b-dir/audit.log"
check "b-dir (the log is a directory): exit 74 ($RC), no receipt" [ "$RC" = 74 ] && absent "$LAST_RCPT"
attempt b-nofolder LOG="$W/b-nofolder/missing/audit.log"
check "b-nofolder (the log's folder is missing): exit 74 ($RC), no receipt" [ "$RC" = 74 ] && absent "$LAST_RCPT"
mkdir -p "$W/b-file"
echo "not a folder" >"$W/b-file/f"
attempt b-notdir LOG="$W/b-file/f/audit.log"
check "b-notdir (the log's folder is a file): exit 74 ($RC)" [ "$RC" = 74 ]
if [ "$(id -u)" != 0 ]; then
	mkdir -p "$W/b-ro"
	"$SLUICE" release --policy "$P" --from intel --to customs --key "$KEY" --audit "$W/b-ro/audit.log" \
		-o "$W/b-ro/seed.xml" "$W/report.xml" >/dev/null 2>&1
	chmod 0444 "$W/b-ro/audit.log"
	attempt b-ro LOG="$W/b-ro/audit.log"
	check "b-ro (the log is read-only): exit 74 ($RC), no receipt" [ "$RC" = 74 ] && absent "$LAST_RCPT"
	chmod 0644 "$W/b-ro/audit.log"
else
	echo "# b-ro skipped: running as root, mode 0444 does not stop root (the strace runs below fail the log's own writes)"
fi

# ---- (c) the output folder is not writable ---------------------------------------------------
mkdir -p "$W/c-file"
echo "not a folder" >"$W/c-file/f"
attempt c-notdir OUT="$W/c-file/f/out.xml" RECEIPT="$W/c-notdir-receipt.json"
check "c-notdir (OUT's folder is a file): exit 74 ($RC)" [ "$RC" = 74 ]
check "c-notdir: no receipt is written (it would claim a release)" absent "$W/c-notdir-receipt.json"
check "c-notdir: the log records the release and then the error ($(last_decisions))" \
	[ "$(last_decisions)" = "released error" ]
check "c-notdir: the error record has no output digest" \
	[ "$(jq -r 'select(.type == "transfer") | .record.output_sha256 // "none"' "$LAST_LOG" | tail -1)" = none ]
if [ "$(id -u)" != 0 ]; then
	mkdir -p "$W/c-ro"
	chmod 0555 "$W/c-ro"
	attempt c-ro OUT="$W/c-ro/out.xml" RECEIPT="$W/c-ro-receipt.json"
	check "c-ro (OUT in a read-only folder): exit 74 ($RC), no receipt" [ "$RC" = 74 ] && absent "$W/c-ro-receipt.json"
	chmod 0755 "$W/c-ro"
fi

# ---- (d) the receipt cannot be written -------------------------------------------------------
attempt d-receipt RECEIPT="$W/d-missing/receipt.json"
check "d-receipt (the receipt's folder is missing): exit 74 ($RC), no OUT" [ "$RC" = 74 ] && absent "$LAST_OUT"
check "d-receipt: the log records the release and then the error ($(last_decisions))" \
	[ "$(last_decisions)" = "released error" ]

# ---- (e) the signing key cannot be used -------------------------------------------------------
mkdir -p "$W/e-keydir"
attempt e-keydir SIGNKEY="$W/e-keydir"
check "e-keydir (the key is a directory): fails ($RC), no log written" [ "$RC" != 0 ] && absent "$LAST_LOG"
attempt e-missing SIGNKEY="$W/e-nokey.pem"
check "e-missing (no key file): fails ($RC), no log written" [ "$RC" != 0 ] && absent "$LAST_LOG"
echo "-----BEGIN PRIVATE KEY-----" >"$W/e-garbage.pem"
attempt e-garbage SIGNKEY="$W/e-garbage.pem"
check "e-garbage (not a key): fails ($RC), no log written" [ "$RC" != 0 ] && absent "$LAST_LOG"
if [ "$(id -u)" != 0 ]; then
	cp "$KEY" "$W/e-unreadable.pem"
	chmod 000 "$W/e-unreadable.pem"
	attempt e-unreadable SIGNKEY="$W/e-unreadable.pem"
	check "e-unreadable (mode 000): fails ($RC), no log written" [ "$RC" != 0 ] && absent "$LAST_LOG"
fi

# ---- Every write, fsync and rename failed in turn, under strace -------------------------------
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	# How many of each the control run makes (all processes: the filter child too).
	strace -f -qq -o "$W/count.trace" -e trace=write,fsync,fdatasync,rename,renameat,renameat2 \
		"$SLUICE" release --policy "$P" --from intel --to customs --key "$KEY" \
		--audit "$W/count.log" -o "$W/count.xml" "$W/report.xml" >/dev/null 2>&1
	for spec in write:ENOSPC write:EIO fsync:EIO rename:EXDEV; do
		sc=${spec%%:*} errno=${spec#*:}
		# The largest per-process count bounds N (strace counts each process separately).
		max=$(awk -v sc="$sc" '$2 ~ "^"sc"\\(" { c[$1]++ } END { m = 0; for (p in c) if (c[p] > m) m = c[p]; print m }' "$W/count.trace")
		check "strace: the control run makes $sc calls ($max)" [ "${max:-0}" -ge 1 ]
		for n in $(seq 1 "$max"); do
			attempt "inject-$sc-$errno-$n" WRAP="strace -f -qq -o /dev/null -e inject=$sc:error=$errno:when=$n" --
			[ "$RC" = 0 ] || N_INJECTED_FAIL=$((${N_INJECTED_FAIL:-0} + 1))
			N_INJECTED=$((${N_INJECTED:-0} + 1))
		done
	done
	echo "# strace: ${N_INJECTED:-0} injected runs, ${N_INJECTED_FAIL:-0} of them failed (the others hit a call whose failure is retried or harmless)"

	# The same for a --batch group (release_group: records appended without fsync, one fsync
	# of the log, then the files): whatever call fails, every OUTDIR/NAME left has a receipt
	# that verifies and its release record in the log, and nothing temporary is left.
	mkdir -p "$W/batch-in"
	for i in 1 2 3; do cp "$W/report.xml" "$W/batch-in/r$i.xml"; done
	batch_run() { # NAME [WRAP...]
		local name=$1
		shift
		rm -rf "$W/$name"
		mkdir -p "$W/$name/out"
		local asan=${ASAN_OPTIONS:-}
		[ $# -gt 0 ] && asan=${asan:+$asan:}detect_leaks=0
		RC=0
		ASAN_OPTIONS=$asan "$@" "$SLUICE" release --policy "$P" --from intel --to customs \
			--key "$KEY" --audit "$W/$name/audit.log" --batch "$W/batch-in" --out "$W/$name/out" \
			>"$W/$name/stdout" 2>"$W/$name/stderr" || RC=$?
	}
	batch_invariants() { # NAME: prints what is wrong, nothing when all is well
		local name=$1 f sha
		[ -z "$(find "$W/$name/out" -name '*.tmp.*')" ] || echo "temporary files left;"
		for f in "$W/$name"/out/r?.xml; do
			[ -e "$f" ] || continue
			"$SLUICE" verify --pub "$PUB" --receipt "$f.receipt" "$f" >/dev/null 2>&1 ||
				echo "$(basename "$f"): receipt does not verify;"
			sha=$(sha256sum <"$f" | cut -d' ' -f1)
			grep -q "\"output_sha256\":\"$sha\"" "$W/$name/audit.log" 2>/dev/null ||
				echo "$(basename "$f"): its release is not in the log;"
		done
	}
	batch_run batch-control strace -f -qq -o "$W/batch-count.trace" -e trace=write,fsync
	released=$(find "$W/batch-control/out" -name 'r?.xml' | wc -l)
	check "batch control run under strace releases all three (exit $RC, $released released)" \
		[ "$RC:$released" = 0:3 ]
	for spec in write:EIO fsync:EIO; do
		sc=${spec%%:*} errno=${spec#*:}
		max=$(awk -v sc="$sc" '$2 ~ "^"sc"\\(" { c[$1]++ } END { m = 0; for (p in c) if (c[p] > m) m = c[p]; print m }' "$W/batch-count.trace")
		bad=""
		for n in $(seq 1 "${max:-0}"); do
			batch_run "batch-$sc-$n" strace -f -qq -o /dev/null -e inject="$sc:error=$errno:when=$n"
			problems=$(batch_invariants "batch-$sc-$n")
			[ -z "$problems" ] || bad="$bad [$n: $problems]"
		done
		check "batch: each of $max ${sc}s failed in turn leaves no report without a verifying receipt and a logged release$bad" [ -z "$bad" ]
	done
	# One of those failed writes is the parent's write of a report to its filter: that report
	# is an error with rule filter.io (at once: not after the filter's 30 s wall-clock limit),
	# and every report of its batch still gets its summary line. (The others' children meet
	# the same injection in their own writes, which seccomp kills: filter.seccomp there.)
	fio=$(grep -l 'filter\.io' "$W"/batch-write-*/stdout 2>/dev/null | sed -n 1p)
	check "batch: a failed write to the filter is reported as filter.io" [ -n "$fio" ]
	if [ -n "$fio" ]; then
		check "... and every report of that batch was handled" [ "$(grep -c . "$fio")" = 3 ]
	fi
else
	echo "# strace injection skipped: ptrace is not permitted here"
fi

echo "# $N_RUNS runs: $N_RELEASED released whole, $N_FAILED_CLEAN failed with nothing partial; $N_RESEALED logs left without their closing checkpoint, sealed by the next writer"
finish
