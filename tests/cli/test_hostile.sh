#!/usr/bin/env bash
# End-to-end: hostile and invalid reports (SPEC section 3; issue 7, item 2). Every
# project-written input of tests/fixtures/hostile (the committed files, schema/, probes/ and the
# big ones make-large.sh writes at test time) and every file of the public corpus
# ../shared/corpus/xml-attacks (when present) goes through `sluice release`, and for each:
#   - the exit code and the rule are those tests/fixtures/hostile/expected.tsv names (65 and a
#     rule for the hostile ones; 0 for the controls at the limits and the recorded probes); every
#     corpus file is refused with 65 unless corpus-exceptions.tsv says otherwise, and why;
#   - a refused report writes no released report, and still a signed receipt, decision "invalid";
#   - no process opens a file the report names, and nothing opens a socket or connects: the run
#     is traced with strace -f, and after the filter child has loaded its seccomp filter it may
#     open nothing at all (an attempt the sandbox kills is counted and named, a successful one
#     fails the check); the parent may open only shared libraries, system configuration and the
#     files on its command line;
#   - wall time under 3 s and maximum RSS under 200 MB, measured with GNU time around strace and
#     sluice together (an upper bound). These are limits of a test, loose enough not to flake on
#     a loaded machine: not benchmarks.
# Afterwards the audit log verifies and holds one transfer record per run.
# Usage: bash tests/cli/test_hostile.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=trace.sh
. "$CLI_DIR/trace.sh"

require_tools openssl jq timeout /usr/bin/time

HOSTILE=$SLUICE_FIXTURES/hostile
EXPECTED=$HOSTILE/expected.tsv

mkdir -p "$W/keys" "$W/out" "$W/gen" "$W/schema"
make_keys "$W/keys" gw || { not_ok "openssl generates an Ed25519 key"; finish; }
KEY=$W/keys/gw.key
PUB=$W/keys/gw.pub
AUDIT=$W/audit.log
cp "$HOSTILE/policy.yaml" "$W/policy.yaml"
# make-large.sh's 4MiB/ files need the default max-bytes to reach the parser; nothing else differs.
sed 's/max-bytes: 1MiB/max-bytes: 4MiB/' "$HOSTILE/policy.yaml" > "$W/policy-4MiB.yaml"
cp "$HOSTILE/schema/policy.yaml" "$SLUICE_FIXTURES/ism/schemas/report.xsd" \
	"$SLUICE_FIXTURES/ism/schemas/portion.xsd" "$W/schema/"
chmod 0644 "$W/policy.yaml" "$W/policy-4MiB.yaml" "$W/schema/"*
RUNS=0
SANDBOX_KILLS=0
TRACED=0

trace_setup

# release_measured FILE OUT POLICY: one release, timed and traced; sets RC, ELAPSED, RSS_KB,
# DECISION, RULE, TRACE_PROBLEMS and KILLS.
release_measured() {
	local st=$W/strace.txt
	measured_run "$st" release --policy "$3" --from a --to b --key "$KEY" --audit "$AUDIT" \
		-o "$2" "$1"
	RUNS=$((RUNS + 1))
	# The receipt is canonical JSON (sorted keys, no spaces): read with bash, not one jq per run.
	local receipt=""
	[ -f "$2.receipt" ] && receipt=$(<"$2.receipt")
	DECISION="<no receipt>"
	RULE=-
	[[ $receipt =~ \"record\":\{\"decision\":\"([a-z]+)\" ]] && DECISION=${BASH_REMATCH[1]}
	[[ $receipt =~ \"rule\":\"([^\"]*)\"\},\"redactions\" ]] && RULE=${BASH_REMATCH[1]}
	TRACE_PROBLEMS=""
	KILLS=0
	if [ "$TRACE" = 1 ]; then
		TRACED=$((TRACED + 1))
		local verdict
		verdict=$(trace_verdict "$st" "$W" "$1")
		KILLS=${verdict##*kills }
		TRACE_PROBLEMS=${verdict%kills *}
		TRACE_PROBLEMS=${TRACE_PROBLEMS//$'\n'/; }
		SANDBOX_KILLS=$((SANDBOX_KILLS + KILLS))
	fi
}

# expect_outcome LABEL FILE POLICY WANT: the whole contract for one input. WANT is a rule (exit
# 65, decision invalid, that rule), "invalid" (exit 65, any rule) or "released" (exit 0).
expect_outcome() {
	local label=$1 file=$2 policy=$3 want=$4 out problems=""
	out=$W/out/$(printf '%s' "$label" | tr '/ ' '__')
	release_measured "$file" "$out" "$policy"
	if [ "$want" = released ]; then
		[ "$RC" = 0 ] || problems+=" exit $RC (want 0)"
		[ -s "$out" ] || problems+=" no released report"
	else
		[ "$RC" = 65 ] || problems+=" exit $RC (want 65)"
		[ ! -e "$out" ] || problems+=" a released report was written"
		[ "$DECISION" = invalid ] || problems+=" receipt decision '$DECISION' (want invalid)"
		[ "$want" = invalid ] || [ "$RULE" = "$want" ] || problems+=" rule $RULE (want $want)"
	fi
	problems+=$(over_limits)
	[ -z "$TRACE_PROBLEMS" ] || problems+=" trace: $TRACE_PROBLEMS"
	local traced=""
	[ "$TRACE" = 1 ] && traced=", no open/connect"
	[ "${KILLS:-0}" = 0 ] || traced+=", the sandbox killed $KILLS attempt(s)"
	if [ -z "$problems" ]; then
		if [ "$want" = released ]; then ok "$label: released (exit 0) in ${ELAPSED}s, ${RSS_KB} KB$traced"
		else ok "$label: exit 65 [$RULE] in ${ELAPSED}s, ${RSS_KB} KB, nothing released$traced"; fi
	else
		not_ok "$label:$problems"
		sed -n '1,3s/^/#   stderr: /p' "$W/err.txt"
	fi
}

# expected_for NAME: the manifest's expectation, or nothing.
expected_for() { awk -F '\t' -v n="$1" '$1 == n { print $2; exit }' "$EXPECTED"; }

# run_set PREFIX DIR POLICY: every *.xml of DIR, each against its manifest line PREFIX/NAME.
PROJECT_FILES=0
PROJECT_HOSTILE=0
run_set() {
	local prefix=$1 dir=$2 policy=$3 f name want
	for f in "$dir"/*.xml; do
		[ -e "$f" ] || continue
		name=$prefix$(basename "$f")
		want=$(expected_for "$name")
		PROJECT_FILES=$((PROJECT_FILES + 1))
		if [ -z "$want" ]; then
			not_ok "$name has a line in tests/fixtures/hostile/expected.tsv"
			continue
		fi
		[ "$want" = released ] || PROJECT_HOSTILE=$((PROJECT_HOSTILE + 1))
		expect_outcome "hostile/$name" "$f" "$policy" "$want"
	done
}

trace_self_test

# ---- The project's own inputs ---------------------------------------------------------------
"$HOSTILE/make-large.sh" "$W/gen" || not_ok "make-large.sh writes the generated inputs"
run_set "" "$HOSTILE" "$W/policy.yaml"
committed=$PROJECT_HOSTILE
run_set "schema/" "$HOSTILE/schema" "$W/schema/policy.yaml"
run_set "probes/" "$HOSTILE/probes" "$W/policy.yaml"
generated_before=$PROJECT_HOSTILE
run_set "generated/" "$W/gen" "$W/policy.yaml"
grep -q 'max-bytes: 4MiB' "$W/policy-4MiB.yaml" || not_ok "policy-4MiB.yaml raises max-bytes to 4 MiB"
run_set "generated/4MiB/" "$W/gen/4MiB" "$W/policy-4MiB.yaml"
generated=$((PROJECT_HOSTILE - generated_before))
stale=$(awk -F '\t' '!/^#/ && NF == 2 { print $1 }' "$EXPECTED" | while read -r n; do
	case $n in generated/*) [ -e "$W/gen/${n#generated/}" ] ;; *) [ -e "$HOSTILE/$n" ] ;; esac || echo "$n"
done | head -n 5)
check "every line of expected.tsv names an existing input${stale:+ (missing: $stale)}" [ -z "$stale" ]
check "at least 100 project-written hostile inputs ($PROJECT_HOSTILE: $committed committed, $generated generated, the rest under schema/)" \
	[ "$PROJECT_HOSTILE" -ge 100 ]
released_probe=$W/out/hostile_probes_schemalocation-hint-stripped.xml
check "the schemaLocation probe is released (README.md, Probes)" [ -s "$released_probe" ]
check "the schemaLocation hint does not reach the receiver (SECURITY.md, Findings 2)" \
	lacks 'beacon.xsd\|schemaLocation' "$released_probe"
released_probe=$W/out/hostile_probes_xml-base-and-lang.xml
check "the xml:base probe is released, xml:lang kept" grep -q 'xml:lang="en"' "$released_probe"
check "xml:base does not reach the receiver (SECURITY.md, Findings 4)" \
	lacks 'xml:base=\|127.0.0.1' "$released_probe"

# ---- The public corpus, when it sits beside the checkout: every file -------------------------
CORPUS=$SLUICE_SOURCE/../shared/corpus/xml-attacks
EXCEPTIONS=$HOSTILE/corpus-exceptions.tsv
if [ -d "$CORPUS" ]; then
	corpus_files=0
	while IFS= read -r -d '' f; do
		rel=${f#"$CORPUS"/}
		corpus_files=$((corpus_files + 1))
		want=$(awk -F '\t' -v n="$rel" '!/^#/ && $1 == n { print $2; exit }' "$EXCEPTIONS")
		expect_outcome "corpus/$rel" "$f" "$W/policy.yaml" "${want:-invalid}"
	done < <(find "$CORPUS" -type f -print0 | sort -z)
	ok "corpus: $corpus_files files of xml-attacks run (every file, not only *.xml), $(grep -vc '^#' "$EXCEPTIONS") recorded exceptions"
else
	ok "skipped: no corpus at $CORPUS"
fi

# ---- Afterwards ---------------------------------------------------------------------------
stray=$(find "$W/out" -type f ! -name '*.receipt' ! -name '*control-*' ! -name '*probes_*' | head -n 5)
check "no stray files (temporary or partial reports) left in the output folder${stray:+: $stray}" \
	[ -z "$stray" ]
sl audit verify --pub "$PUB" "$AUDIT"
check "audit log verifies after $RUNS runs (exit $RC)" [ "$RC" = 0 ]
records=$(audit_transfers "$AUDIT")
check "audit log has one transfer record per run ($records records, $RUNS runs)" [ "$records" = "$RUNS" ]
check "audit log holds digests and decisions, never report content" \
	lacks -E "root:x:0:0|Looks TOP SECRET|Summary\." "$AUDIT"
ok "figures: $RUNS runs ($PROJECT_FILES project files, $PROJECT_HOSTILE of them hostile), slowest ${SLOWEST}s, largest max RSS ${LARGEST_RSS_KB} KB, $TRACED traced, $SANDBOX_KILLS attempts killed by the sandbox"

finish
