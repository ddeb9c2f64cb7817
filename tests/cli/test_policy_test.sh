#!/usr/bin/env bash
# End-to-end: `sluice policy test POLICY CASES` and `sluice policy explain` (issue 5, parts 2
# and 3; docs/POLICY.md).
#   - the example policy passes its shipped tests (examples/fusion-cell/policy-tests.yaml),
#     one case per scenario of scenarios.tsv;
#   - a wrong cases file exits 1 with "not ok" and a diff naming each field that differs;
#   - malformed cases files exit 78 with FILE:LINE:COLUMN and the rule;
#   - explain (text and --json, checked with jq) on a report with withheld portions, one with
#     redactions, a refused one and an invalid one; its removals and redactions are exactly
#     those of a real `sluice release` receipt for the same transfer;
#   - neither command signs, audits or writes anything: an existing audit log is byte for
#     byte unchanged, no receipt or released report appears, explain takes no --audit or
#     --key, and --show-matches is refused (the filter never hands matched text out).
# Usage: bash tests/cli/test_policy_test.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq sha256sum

cd "$W" || exit 1
cp -r "$SLUICE_SOURCE/examples/fusion-cell" cell
chmod -R go-w cell
P=$W/cell/policy.yaml
CASES=$W/cell/policy-tests.yaml
R=$W/cell/reports
mkdir -p keys gw run cases
make_keys keys gw || { not_ok "openssl generates an Ed25519 key"; finish; }

# show FILE: the gateway's output after a failed check, as "#" lines.
show() { sed -n '1,15s/^/#   /p' "$1"; }
jqe() { jq -e "$@" >/dev/null; } # jqe FILTER FILE: the filter is true
expect_rc() { # expect_rc CODE DESCRIPTION
	if [ "$RC" = "$1" ]; then ok "$2: exit $1"; else not_ok "$2: exit $RC, expected $1"; show "$W/sl.err"; show "$W/sl.out"; fi
}

# ---- A real release first, so that there is an audit log to leave alone --------------------
AUDIT=$W/gw/audit.log
for n in 02-intel-to-customs-clearance:customs 13-intel-to-police-patterns:police; do
	rep=${n%%:*} to=${n##*:}
	sl release --policy "$P" --from intel --to "$to" --key keys/gw.key --audit "$AUDIT" \
		-o "gw/$rep.xml" "$R/$rep.xml"
	expect_rc 0 "release $rep (the reference for explain)"
done
audit_before=$(sha256sum "$AUDIT" | cut -d' ' -f1)
tree_before=$(cd "$W" && find cell gw run -printf '%p %s %T@\n' | sort)

# ---- policy test: the shipped example ------------------------------------------------------
cd "$W/run" || exit 1
sl policy test "$P" "$CASES"
expect_rc 0 "policy test on the example's policy-tests.yaml"
scenarios=$(grep -cv '^report' "$W/cell/scenarios.tsv")
check "every scenario of scenarios.tsv is a case ($scenarios)" \
	[ "$(grep -c '^ok - [0-9][0-9] ' "$W/sl.out")" = "$scenarios" ]
missing=""
for rep in $(cut -f1 "$W/cell/scenarios.tsv" | grep -v '^report'); do
	grep -q "report: reports/$rep\$" "$CASES" || missing="$missing $rep"
done
check "every report of scenarios.tsv is named by a case${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "no case fails" lacks '^not ok' "$W/sl.out"
check "the last line is 'N passed, 0 failed'" \
	grep -Eq '^[0-9]+ passed, 0 failed$' <(tail -n 1 "$W/sl.out")
check "the header names the policy and its version" grep -q '^# policy fusion-cell version ' "$W/sl.out"
check "nothing on stderr" [ ! -s "$W/sl.err" ]
# The expected exit codes of scenarios.tsv, as cases generated here: the same answers.
{
	echo 'sluice-policy-tests: 1'
	echo 'cases:'
	while IFS=$'\t' read -r rep from to code _; do
		[ "$rep" = report ] && continue
		printf '  - {name: "tsv %s", report: "../cell/reports/%s", from: %s, to: %s, expect: {exit: %s}}\n' \
			"$rep" "$rep" "$from" "$to" "$code"
	done <"$W/cell/scenarios.tsv"
} >"$W/cases/from-tsv.yaml"
sl policy test "$P" "$W/cases/from-tsv.yaml"
expect_rc 0 "policy test on cases generated from scenarios.tsv (expected exit codes)"
check "... all $scenarios of them pass" grep -qx "$scenarios passed, 0 failed" "$W/sl.out"
sl policy test "$P" ../cell/policy-tests.yaml
expect_rc 0 "policy test with a relative CASES path (reports resolve against its folder)"

# ---- policy test: a wrong cases file -------------------------------------------------------
cat >"$W/cases/wrong.yaml" <<'EOF'
sluice-policy-tests: 1
cases:
  - name: right
    report: ../cell/reports/01-intel-to-police-plain.xml
    from: intel
    to: police
    expect: {decision: released, withheld: 0, banner: "S//NF"}
  - name: wrong withheld and banner
    report: ../cell/reports/02-intel-to-customs-clearance.xml
    from: intel
    to: customs
    expect: {decision: released, exit: 0, withheld: 1, banner: "S//NF"}
  - name: wrong redaction counts
    report: ../cell/reports/13-intel-to-police-patterns.xml
    from: intel
    to: police
    expect: {redactions: {"pattern:email": 1, "pattern:phone": 4, "pattern:passport": 2}}
  - name: expects an ORCON report to be released
    report: ../cell/reports/08-intel-to-police-orcon.xml
    from: intel
    to: police
    expect: {decision: released, exit: 0}
  - name: wrong rule
    report-inline: "<not-xml"
    from: intel
    to: police
    expect: {decision: invalid, rule: xml.doctype}
EOF
sl policy test "$P" "$W/cases/wrong.yaml"
expect_rc 1 "policy test with failing cases"
check "the passing case is ok" grep -qx 'ok - right' "$W/sl.out"
check "each failing case is 'not ok - NAME'" [ "$(grep -c '^not ok - ' "$W/sl.out")" = 4 ]
check "the diff names the case's line" grep -q '^    case at .*wrong.yaml:8$' "$W/sl.out"
check "diff: withheld expected 1, got 2" grep -qx '    withheld: expected 1, got 2' "$W/sl.out"
check "diff: banner expected vs got" grep -qx '    banner: expected "S//NF", got "C"' "$W/sl.out"
check "diff: a redaction rule's count" \
	grep -qx '    redactions\[pattern:email\]: expected 1, got 3' "$W/sl.out"
check "diff: a rule that redacts but is not listed" \
	grep -qx '    redactions\[pattern:iban\]: expected 0 (not listed), got 3' "$W/sl.out"
check "diff: decision and exit code" \
	grep -qx '    decision: expected released, got refused' "$W/sl.out"
check "diff: exit code" grep -qx '    exit: expected 0, got 1' "$W/sl.out"
check "diff: why the filter refused" grep -q '^    why: caveat.refuse (report line 8): ' "$W/sl.out"
check "diff: rule expected vs got" \
	grep -qx '    rule: expected "xml.doctype", got "xml.not-well-formed"' "$W/sl.out"
check "fields that match are not in the diff" lacks -E '^    (redactions\[pattern:phone\]|decision: expected invalid)' "$W/sl.out"
check "the last line is '1 passed, 4 failed'" grep -qx '1 passed, 4 failed' <(tail -n 1 "$W/sl.out")

# ---- policy test: malformed cases files (78, FILE:LINE:COLUMN and the rule) ----------------
# bad NAME RULE LINE:COLUMN: writes $W/cases/NAME.yaml from stdin and checks the error.
bad() {
	local name=$1 rule=$2 pos=$3
	cat >"$W/cases/$name.yaml"
	sl policy test "$P" "$W/cases/$name.yaml"
	expect_rc 78 "malformed cases ($name)"
	if grep -q "$W/cases/$name.yaml:$pos: .*\[$rule\]" "$W/sl.err"; then
		ok "malformed cases ($name): stderr names $name.yaml:$pos and $rule"
	else
		not_ok "malformed cases ($name): stderr names $name.yaml:$pos and $rule"
		show "$W/sl.err"
	fi
	check "malformed cases ($name): no case runs" [ ! -s "$W/sl.out" ]
}
HEAD='sluice-policy-tests: 1
cases:
  - name: a
    report: ../cell/reports/01-intel-to-police-plain.xml
    from: intel
    to: police'
bad unknown-key cases.unknown-key 7:34 <<EOF
$HEAD
    expect: {decision: released, colour: red}
EOF
bad duplicate-key cases.duplicate-key 7:5 <<EOF
$HEAD
    from: police
    expect: {decision: released}
EOF
bad alias cases.alias 7:13 <<EOF
$HEAD
    expect: &e {decision: released}
EOF
bad tag cases.tag 7:24 <<EOF
$HEAD
    expect: {decision: !!str released}
EOF
bad wrong-type cases.type 7:20 <<EOF
$HEAD
    expect: {exit: "0"}
EOF
bad unknown-decision cases.value 7:24 <<EOF
$HEAD
    expect: {decision: allowed}
EOF
bad empty-expect cases.missing-key 7:13 <<EOF
$HEAD
    expect: {}
EOF
bad missing-report-file cases.report-file 4:13 <<'EOF'
sluice-policy-tests: 1
cases:
  - name: a
    report: ../cell/reports/no-such-report.xml
    from: intel
    to: police
    expect: {decision: released}
EOF
bad both-reports cases.value 5:5 <<'EOF'
sluice-policy-tests: 1
cases:
  - name: a
    report: ../cell/reports/01-intel-to-police-plain.xml
    report-inline: "<a/>"
    from: intel
    to: police
    expect: {decision: released}
EOF
bad duplicate-name cases.duplicate-name 8:11 <<EOF
$HEAD
    expect: {decision: released}
  - name: a
    report-inline: "<a/>"
    from: intel
    to: police
    expect: {decision: invalid}
EOF
bad exit-contradicts-decision cases.value 7:39 <<EOF
$HEAD
    expect: {decision: refused, exit: 0}
EOF
bad wrong-format cases.value 1:22 <<'EOF'
sluice-policy-tests: 2
cases: []
EOF
bad syntax cases.syntax 3:1 <<'EOF'
sluice-policy-tests: 1
cases: [
EOF
cp "$CASES" "$W/cases/writable.yaml"
chmod 0666 "$W/cases/writable.yaml"
sl policy test "$P" "$W/cases/writable.yaml"
expect_rc 78 "a cases file writable by others is refused"
check "... naming the rule" grep -q 'cases.permissions' "$W/sl.err"

# ---- policy test: invalid policy, usage -----------------------------------------------------
sed 's/^version: 3 /versio: 3 /' "$P" >"$W/cases/bad-policy.yaml"
sl policy test "$W/cases/bad-policy.yaml" "$CASES"
expect_rc 78 "policy test with an invalid policy"
check "... with FILE:LINE:COLUMN" grep -q 'bad-policy.yaml:[0-9]*:[0-9]*: ' "$W/sl.err"
sl policy test "$P"
expect_rc 64 "policy test without CASES"
sl policy test --help
expect_rc 0 "policy test --help"

# ---- explain: withheld portions -------------------------------------------------------------
sl policy explain --policy "$P" --from intel --to customs "$R/02-intel-to-customs-clearance.xml"
expect_rc 0 "explain a release with withheld portions (text)"
check "text: decision released" grep -q '^decision    released (exit 0)' "$W/sl.out"
check "text: the flow and its rules" grep -q '^flow        intel -> customs (policy line [0-9]*): portions redact, marker withheld' "$W/sl.out"
check "text: banner after re-marking" grep -q '^            after:  C$' "$W/sl.out"
check "text: banner before re-marking" grep -q '^banner      before: S//NF$' "$W/sl.out"
check "text: every portion with its marking and decision" grep -q '^portions    4$' "$W/sl.out"
check "... a kept one" grep -Eq '^  11 +/IntelReport/Indicators +kept +C$' "$W/sl.out"
check "... the withheld one" grep -Eq '^  13 +/IntelReport/Sourcing +withheld +S//NF$' "$W/sl.out"
check "text: two pieces withheld" grep -q '^withheld    2 ' "$W/sl.out"
check "text: the withheld portion, its line and rule" \
	grep -Eq '^  13 +/IntelReport/Sourcing +classification S above clearance C$' "$W/sl.out"
check "text: says nothing was signed or logged" grep -q 'nothing was signed, logged or written' "$W/sl.out"

sl policy explain --policy "$P" --from intel --to customs --json "$R/02-intel-to-customs-clearance.xml"
expect_rc 0 "explain a release with withheld portions (--json)"
J=$W/sl.out
check "json: one object" [ "$(jq -s 'length' "$J")" = 1 ]
check "json: decision, exit, dry_run" [ "$(jq -r '"\(.decision) \(.exit) \(.dry_run)"' "$J")" = "released 0 true" ]
check "json: banner_after" [ "$(jq -r '.banner_after' "$J")" = C ]
check "json: banner_before" [ "$(jq -r '.banner_before' "$J")" = S//NF ]
check "json: portions with marking and decision" \
	jqe '.portions | length == 4 and .[3] == {"location": "/IntelReport/Sourcing", "line": 13, "marking": "S//NF", "withheld": true} and ([.[] | select(.withheld | not)] | length) == 3' "$J"
check "json: withheld 2, removals[2]" [ "$(jq '"\(.withheld) \(.removals | length)"' -r "$J")" = "2 2" ]
check "json: a removal's location, line and rule" \
	jqe '.removals[0] == {"location": "/IntelReport/Sourcing", "line": 13, "rule": "classification S above clearance C"}' "$J"
check "json: rule null when released" jqe '.rule == null' "$J"
check "json: the policy's id, version and sha256" \
	jqe '.policy.id == "fusion-cell" and (.policy.version | type) == "number" and (.policy.sha256 | length) == 64' "$J"
check "json: removals equal the release receipt's" \
	[ "$(jq -cS '.removals' "$J")" = "$(jq -cS '.record.removals' "$W/gw/02-intel-to-customs-clearance.xml.receipt")" ]
check "json: banner equals the release receipt's" \
	[ "$(jq -r '.banner_after' "$J")" = "$(jq -r '.record.banner' "$W/gw/02-intel-to-customs-clearance.xml.receipt")" ]

# ---- explain: redactions --------------------------------------------------------------------
sl policy explain --policy "$P" --from intel --to police --json "$R/13-intel-to-police-patterns.xml"
expect_rc 0 "explain a release with redactions (--json)"
check "json: 12 redacted in 6 places" [ "$(jq -r '"\(.redacted) \(.redactions | length)"' "$J")" = "12 6" ]
check "json: a redaction's location, rule and count" \
	jqe '.redactions[0] == {"location": "/IntelReport/@reportedBy", "rule": "pattern:email", "count": 1}' "$J"
check "json: redactions equal the release receipt's" \
	[ "$(jq -cS '.redactions | sort_by(.location, .rule)' "$J")" = "$(jq -cS '.record.redactions | sort_by(.location, .rule)' "$W/gw/13-intel-to-police-patterns.xml.receipt")" ]
cp "$J" "$W/explain13.json"
sl policy explain --policy "$P" --from intel --to police "$R/13-intel-to-police-patterns.xml"
expect_rc 0 "explain a release with redactions (text)"
check "text: a redaction row" grep -Eq '^  /IntelReport/Accounts/text\(\) +3 +pattern:iban$' "$W/sl.out"
for secret in analyst.desk@nis.example lena.osk@mailbox.example GB82WEST12345698765432; do
	check "the matched text '$secret' is in neither output" lacks -F "$secret" "$W/sl.out" "$W/explain13.json"
done
check "no released report text either ([REDACTED] never appears)" lacks -F '[REDACTED]' "$W/sl.out" "$W/explain13.json"

# ---- explain: refused, invalid, default deny ------------------------------------------------
sl policy explain --policy "$P" --from intel --to police --json "$R/08-intel-to-police-orcon.xml"
expect_rc 1 "explain a refused report (--json)"
check "json: refused, rule caveat.refuse, report line 8" \
	jqe '.decision == "refused" and .exit == 1 and .rule == "caveat.refuse" and .line == 8 and (.message | test("OC"))' "$J"
check "json: banner_after null when refused" jqe '.banner_after == null' "$J"
sl policy explain --policy "$P" --from intel --to police "$R/08-intel-to-police-orcon.xml"
expect_rc 1 "explain a refused report (text)"
check "text: decision refused" grep -q '^decision    refused (exit 1)' "$W/sl.out"
check "text: why, with the rule and the line" grep -q '^why         caveat.refuse (report line 8): ' "$W/sl.out"
check "text: no banner after" grep -q 'after:  none (nothing released)' "$W/sl.out"

sl policy explain --policy "$P" --from customs --to partner-fra --json "$R/11-customs-to-fra-default-deny.xml"
expect_rc 1 "explain a transfer no flow allows"
check "json: policy.no-flow, flow null" jqe '.rule == "policy.no-flow" and .flow == null' "$J"
sl policy explain --policy "$P" --from intel --to police --json "$R/15-hostile-doctype-entity.xml"
expect_rc 65 "explain a hostile report (parsed only in the sandboxed filter)"
check "json: invalid, xml.doctype" jqe '.decision == "invalid" and .rule == "xml.doctype"' "$J"
check "the hostile entity's target was not read" lacks -F 'root:' "$J"

# ---- explain: errors and refused options ----------------------------------------------------
sl policy explain --policy "$W/cases/bad-policy.yaml" --from intel --to police "$R/01-intel-to-police-plain.xml"
expect_rc 78 "explain with an invalid policy"
sl policy explain --policy "$P" --from intel --to police "$R/no-such-report.xml"
expect_rc 74 "explain a report that cannot be read"
sl policy explain --policy "$P" --from intel --to police --show-matches "$R/13-intel-to-police-patterns.xml"
expect_rc 64 "--show-matches is refused"
check "... saying why" grep -q 'show-matches is not available' "$W/sl.err"
sl policy explain --policy "$P" --from intel --to police --audit "$W/run/new-audit.log" "$R/01-intel-to-police-plain.xml"
expect_rc 64 "explain takes no --audit"
sl policy explain --policy "$P" --from intel --to police --key "$W/keys/gw.key" "$R/01-intel-to-police-plain.xml"
expect_rc 64 "explain takes no --key"
sl policy explain --policy "$P" --from intel "$R/01-intel-to-police-plain.xml"
expect_rc 64 "explain without --to"
sl policy explain --help
expect_rc 0 "explain --help"

# ---- nothing signed, audited or written -----------------------------------------------------
check "the audit log is byte for byte unchanged" [ "$(sha256sum "$AUDIT" | cut -d' ' -f1)" = "$audit_before" ]
check "the audit log still has its 2 transfer records" [ "$(audit_transfers "$AUDIT")" = 2 ]
check "explain --audit created no log" absent "$W/run/new-audit.log"
check "the working folder is still empty (no report, no receipt)" [ -z "$(ls -A "$W/run")" ]
tree_after=$(cd "$W" && find cell gw run -printf '%p %s %T@\n' | sort)
check "no file was added or changed in the example, the release outputs or the working folder" \
	[ "$tree_after" = "$tree_before" ]
check "no receipt anywhere but the two real releases" [ "$(find "$W" -name '*.receipt' | wc -l)" = 2 ]

finish
