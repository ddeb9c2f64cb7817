# Helpers shared by the end-to-end tests tests/cli/test_*.sh (sourced, not run; not a test).
#
# A test is run as `bash tests/cli/test_X.sh PATH/TO/sluice` with SLUICE_SOURCE (the repository
# root) and SLUICE_FIXTURES (tests/fixtures) in the environment; both default to this checkout.
# It prints one line per check, "ok - ..." or "not ok - ...", then exactly one line
# "N passed, M failed", and exits non-zero when any check failed.
# shellcheck shell=bash disable=SC2034 # RC, W... are read by the tests that source this

set -u
umask 022 # the gateway refuses a policy file writable by group or others

if [ $# -lt 1 ] || [ -z "$1" ]; then
	echo "usage: bash $0 PATH/TO/sluice" >&2
	exit 64
fi
SLUICE=$1
case $SLUICE in /*) ;; *) SLUICE=$PWD/$SLUICE ;; esac

CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SLUICE_SOURCE=${SLUICE_SOURCE:-$(cd "$CLI_DIR/../.." && pwd)}
SLUICE_FIXTURES=${SLUICE_FIXTURES:-$SLUICE_SOURCE/tests/fixtures}

W=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cli.XXXXXX")
trap '[ -n "${SLUICE_KEEP_TEST_DIR:-}" ] || rm -rf "$W"' EXIT  # SLUICE_KEEP_TEST_DIR=1 keeps it for a post-mortem

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -eq 0 ]; then exit 0; else exit 1; fi
}

require_tools() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			not_ok "required tool '$t' is installed"
			finish
		fi
	done
	if [ ! -x "$SLUICE" ]; then
		not_ok "sluice binary exists and is executable: $SLUICE"
		finish
	fi
}

# make_keys DIR NAME: DIR/NAME.key (PKCS#8 Ed25519) and DIR/NAME.pub, as SPEC section 6 says.
make_keys() {
	openssl genpkey -algorithm ed25519 -out "$1/$2.key" 2>/dev/null &&
		openssl pkey -in "$1/$2.key" -pubout -out "$1/$2.pub" 2>/dev/null
}

# sl ARGS...: runs sluice, stdout to $W/sl.out, stderr to $W/sl.err, exit code in $RC.
RC=0
sl() {
	RC=0
	"$SLUICE" "$@" >"$W/sl.out" 2>"$W/sl.err" || RC=$?
}

# expect WANT DESCRIPTION ARGS...: runs sluice ARGS (see sl) and checks its exit code.
expect() {
	local want=$1 desc=$2
	shift 2
	sl "$@"
	if [ "$RC" = "$want" ]; then
		ok "$desc: exit $RC"
	else
		not_ok "$desc: exit $RC, expected $want"
		sed -n '1,3s/^/#   stderr: /p' "$W/sl.err"
	fi
}

# receipt_field RECEIPT JQ_EXPR: prints the value, or nothing when the receipt is missing/bad.
receipt_field() {
	jq -r "$2" "$1" 2>/dev/null
}

# lacks GREP_ARGS... FILES: true when grep finds nothing (the files lack the pattern).
lacks() { ! grep -q "$@"; }

# absent FILE...: none of the files exists.
absent() {
	local f
	for f in "$@"; do [ ! -e "$f" ] || return 1; done
}

# between N LOW HIGH: LOW <= N <= HIGH.
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# Number of transfer records in an audit log (JSON Lines, one object a line).
audit_transfers() {
	jq -r 'select(.type == "transfer") | .seq' "$1" 2>/dev/null | wc -l | tr -d ' '
}

# xml_root_attr FILE LOCALNAME: value of an attribute of the root element (any namespace).
xml_root_attr() {
	xmllint --nonet --xpath "string(/*/@*[local-name()='$2'])" "$1" 2>/dev/null
}

# gateway_dir AGENCY...: the daemon tests' gateway folder $D (a copy of the example fusion
# cell in $D/cell, a development PKI for the agencies in $D/pki, $D/state and $D/spool), with
# SLUICED set and checked. Started as root, the daemon runs as nobody ($user_line is the
# configuration line saying so), which must still read the policy to reload it on SIGHUP
# (docs/OPERATIONS.md): the test's private folder lets it through.
gateway_dir() {
	SLUICED=$(dirname "$SLUICE")/sluiced
	check "sluiced is built beside sluice" [ -x "$SLUICED" ]
	D=$W/gw
	mkdir -p "$D/state" "$D/spool"
	chmod 755 "$W" "$D"
	cp -r "$SLUICE_SOURCE/examples/fusion-cell" "$D/cell"
	chmod -R go-w "$D/cell"
	"$SLUICE" certs init-dev "$D/pki" "$@" >/dev/null
	user_line=""
	if [ "$(id -u)" = 0 ]; then
		user_line="user: nobody"
		chown nobody "$D/state"
	fi
}

# demo_audit_log KEY LOG: releases every scenario of the fusion-cell demo with `sluice release`,
# signing with KEY, into the audit log LOG; prints how many were run.
demo_audit_log() {
	local report from to n=0 ex=$SLUICE_SOURCE/examples/fusion-cell
	while IFS=$'\t' read -r report from to _ _; do
		[ "$report" = report ] && continue
		n=$((n + 1))
		"$SLUICE" release --policy "$ex/policy.yaml" --from "$from" --to "$to" --key "$1" \
			--audit "$2" -o "$W/demo-out-$n.xml" "$ex/reports/$report" >/dev/null 2>&1 || true
	done <"$ex/scenarios.tsv"
	echo "$n"
}

# sluiced_start: starts sluiced -f on $D/sluiced.yaml (log appended to $W/daemon.log), sets DPID
# and waits up to 5 s for this daemon's "started" line; false when it exits or does not start.
sluiced_start() {
	"$SLUICED" -c "$D/sluiced.yaml" -f >>"$W/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 1 50); do
		grep -q "sluiced\[$DPID\] supervisor: started: policy" "$W/daemon.log" 2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wide_report OUT OPEN CLOSE HELD: a report of 2,000 portions between the root's start tag OPEN
# and end tag CLOSE, every second one with the ism attributes HELD (to be withheld, text
# "WIDE-CANARY N"), the others unclassified: its receipt lists 1,000 removals.
wide_report() {
	awk -v start="$2" -v end="$3" -v held="$4" 'BEGIN {
		print start
		for (i = 0; i < 2000; i++)
			if (i % 2)
				printf "<P %s>WIDE-CANARY %d</P>\n", held, i
			else
				printf "<P ism:classification=\"U\" ism:ownerProducer=\"USA\">open %d</P>\n", i
		print end }' >"$1"
}
