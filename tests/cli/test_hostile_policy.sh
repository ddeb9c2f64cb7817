#!/usr/bin/env bash
# End-to-end: hostile policy files (SPEC sections 4 and 5; issue 7, item 2). Every file
# tests/fixtures/hostile-policy/make-policies.sh writes (anchors and a billion laughs, nesting,
# 20 MB scalars, tags, duplicate keys, bytes that are not UTF-8 text, NUL bytes, devices, pipes
# and a schema with an external entity among the files a policy names...) must be refused:
#   - by `sluice policy check` and by `sluice release --policy` with exit 78 and the rule its
#     expected.tsv line names, at the place it names (FILE:LINE:COLUMN, or FILE alone for a
#     property of the whole file), with nothing released;
#   - under 3 s and 200 MB of maximum RSS each (limits of a test, not benchmarks);
#   - traced with strace -f: no socket or connect, and nothing opened outside the policy's folder
#     but the system's libraries and configuration and the files the policy itself names.
# Usage: bash tests/cli/test_hostile_policy.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=trace.sh
. "$CLI_DIR/trace.sh"

require_tools openssl timeout /usr/bin/time

P=$W/policies
make_keys "$W" gw || { not_ok "openssl generates an Ed25519 key"; finish; }
"$SLUICE_FIXTURES/hostile-policy/make-policies.sh" "$P" || not_ok "make-policies.sh writes the policies"
cat >"$W/report.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA">
  <Para ism:classification="U" ism:ownerProducer="USA">A report that any valid policy here would release.</Para>
</Report>
EOF
trace_setup
trace_self_test

# refused_as LABEL FILE RULE WHERE: the last run's contract.
refused_as() {
	local label=$1 file=$2 rule=$3 where=$4 problems="" place verdict
	case $where in
	file) place="$file: " ;;
	*:*) place="$file:$where: " ;;
	*) place="/$where: " ;; # another file the policy names
	esac
	[ "$RC" = 78 ] || problems+=" exit $RC (want 78)"
	grep -qF "[$rule]" "$W/err.txt" || problems+=" no [$rule] on stderr"
	grep -qF -- "$place" "$W/err.txt" || problems+=" stderr does not name '$place'"
	problems+=$(over_limits)
	if [ "$TRACE" = 1 ]; then
		# The policy may name /dev/zero; it may not make anyone open /etc/passwd.
		verdict=$(trace_verdict "$W/trace.txt" "$W" /dev/zero)
		verdict=${verdict%kills *}
		[ -z "$verdict" ] || problems+=" trace: ${verdict//$'\n'/; }"
	fi
	if [ -z "$problems" ]; then
		ok "$label: exit 78 [$rule] at ${place% } in ${ELAPSED}s, ${RSS_KB} KB"
	else
		not_ok "$label:$problems"
		sed -n '1,2s/^/#   stderr: /p' "$W/err.txt"
	fi
}

measured_run "$W/trace.txt" policy check "$P/control-valid.yaml"
check "the control policy the cases derive from is valid (exit $RC)" [ "$RC" = 0 ]
n=0
while IFS=$'\t' read -r name rule where; do
	n=$((n + 1))
	file=$P/$name
	measured_run "$W/trace.txt" policy check "$file"
	refused_as "policy check $name" "$file" "$rule" "$where"
	measured_run "$W/trace.txt" release --policy "$file" --from a --to b --key "$W/gw.key" \
		--audit "$W/audit.log" -o "$W/out-$name.xml" "$W/report.xml"
	refused_as "release --policy $name" "$file" "$rule" "$where"
	check "release --policy $name: nothing released" absent "$W/out-$name.xml"
done <"$P/expected.tsv"
check "at least 40 hostile policies ($n)" [ "$n" -ge 40 ]
ok "figures: $n hostile policies, each checked and released against; slowest ${SLOWEST}s, largest max RSS ${LARGEST_RSS_KB} KB"
finish
