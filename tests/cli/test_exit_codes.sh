#!/usr/bin/env bash
# End-to-end: the exit codes of SPEC section 5 (sysexits): 0 released, 1 refused, 64 usage,
# 65 invalid report, 74 I/O error, 78 invalid policy (with file:line:column on stderr); every
# subcommand's --help exits 0.
# Usage: bash tests/cli/test_exit_codes.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl

cd "$W" || exit 1
mkdir -p keys out lists
make_keys keys gw || { not_ok "openssl generates an Ed25519 key"; finish; }
printf '# dirty words\nHARBOUR LANTERN\n' >lists/words.txt

# ---- Policies --------------------------------------------------------------------------------
# The good policy; every bad one below differs from it in one place, marked "<-- HERE" (and
# "<-- ALSO" where either of two lines may be named).
cat >good.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
limits: {max-bytes: 1MiB, max-depth: 64, max-nodes: 50000}
caveats:
  NF:  {requires: [USA]}
  REL: {}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
  ally:    {clearance: S, holds: [FRA]}
flows:
  - from: police
    to: [customs]
    portions: redact
    marker: withheld
    redact:
      words: [lists/words.txt]
      patterns: [email]
      replace-with: "[REDACTED]"
  - from: police
    to: [ally]
    portions: refuse
EOF
cat >bad-unknown-key.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
flows:
  - from: police
    to: [customs]
    portion: redact   # <-- HERE: the key is "portions"
EOF
cat >bad-duplicate-key.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
  police:  {clearance: TS, holds: [USA]}   # <-- HERE: police defined twice
flows:
  - from: police
    to: [customs]
    portions: redact
EOF
cat >bad-alias.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  &lvl {clearance: S, holds: [USA]}   # <-- ALSO: the anchor
  customs: *lvl                                # <-- HERE: the alias
flows:
  - from: police
    to: [customs]
    portions: redact
EOF
cat >bad-tag.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: !!int 1   # <-- HERE: a tag
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
flows:
  - from: police
    to: [customs]
    portions: redact
EOF
cat >bad-wrong-type.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: seven   # <-- HERE: an integer is expected
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
flows:
  - from: police
    to: [customs]
    portions: redact
EOF
cat >bad-unknown-domain.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
flows:
  - from: police
    to: [customs, coastguard]   # <-- HERE: no such domain
    portions: redact
EOF
cat >bad-unreadable-words.yaml <<'EOF'
sluice-policy: 1
id: exit-codes
version: 1
profile: ism
caveats:
  NF:  {requires: [USA]}
domains:
  police:  {clearance: S, holds: [USA]}
  customs: {clearance: C, holds: [USA]}
flows:
  - from: police
    to: [customs]
    portions: redact
    redact:
      words: [lists/no-such-list.txt]   # <-- HERE: the list does not exist
EOF

# ---- Reports -------------------------------------------------------------------------------
cat >report.xml <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="S"
    ism:ownerProducer="USA" ism:disseminationControls="NF">
  <Para ism:classification="C" ism:ownerProducer="USA">Contact k.smith@police.example about the HARBOUR LANTERN feed.</Para>
  <Para ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Withheld from customs.</Para>
</Report>
EOF
printf '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>\n' >invalid.xml

K=(--key keys/gw.key --audit audit.log)

# ---- 0, 1 ----------------------------------------------------------------------------------
expect 0 "release police -> customs" release --policy good.yaml --from police --to customs "${K[@]}" -o out/ok.xml report.xml
check "released report written" [ -s out/ok.xml ]
check "receipt written beside it" [ -s out/ok.xml.receipt ]
check "dirty word and e-mail redacted" lacks -E 'HARBOUR LANTERN|k\.smith@police\.example' out/ok.xml
expect 0 "release to stdout (no -o)" release --policy good.yaml --from police --to customs "${K[@]}" report.xml
check "released report on stdout" grep -q 'resourceElement' "$W/sl.out"
expect 1 "refused: default deny (no customs -> police flow)" release --policy good.yaml --from customs --to police "${K[@]}" -o out/deny.xml report.xml
check "refusal writes no report" [ ! -e out/deny.xml ]
check "refusal still writes its receipt" [ -s out/deny.xml.receipt ]
expect 1 "refused: portions: refuse (S//NF portion, ally holds FRA only)" release --policy good.yaml --from police --to ally "${K[@]}" -o out/refuse.xml report.xml
check "refusal writes no report" [ ! -e out/refuse.xml ]

# ---- 64 ------------------------------------------------------------------------------------
expect 64 "usage: release without --policy" release --from police --to customs "${K[@]}" -o out/u1.xml report.xml
expect 64 "usage: release with an unknown option" release --policy good.yaml --from police --to customs --frobnicate "${K[@]}" -o out/u2.xml report.xml
expect 64 "usage: release without a report argument" release --policy good.yaml --from police --to customs "${K[@]}" -o out/u3.xml
expect 64 "usage: unknown subcommand" frobnicate report.xml
expect 64 "usage: no subcommand at all"
check "usage errors release nothing" absent out/u1.xml out/u2.xml out/u3.xml

# ---- 65 ------------------------------------------------------------------------------------
expect 65 "invalid report (DOCTYPE)" release --policy good.yaml --from police --to customs "${K[@]}" -o out/inv.xml invalid.xml
check "invalid report: nothing released" [ ! -e out/inv.xml ]

# ---- 74 ------------------------------------------------------------------------------------
expect 74 "I/O: report file missing" release --policy good.yaml --from police --to customs "${K[@]}" -o out/io1.xml no-such-report.xml
expect 74 "I/O: output folder does not exist" release --policy good.yaml --from police --to customs "${K[@]}" -o no-such-dir/out.xml report.xml

# ---- 78 ------------------------------------------------------------------------------------
expect 0 "policy check on a valid policy" policy check good.yaml
demo=$W/fusion-cell
cp -R "$SLUICE_SOURCE/examples/fusion-cell" "$demo"
chmod -R go-w "$demo"
expect 0 "policy check on the demo policy (examples/fusion-cell/policy.yaml)" policy check "$demo/policy.yaml"
hostile_policy=$W/hostile-policy.yaml
cp "$SLUICE_FIXTURES/hostile/policy.yaml" "$hostile_policy"
expect 0 "policy check on tests/fixtures/hostile/policy.yaml" policy check "$hostile_policy"

# names_position FILE LINE...: stderr has FILE:LINE:COLUMN for one of the lines.
# shellcheck disable=SC2317 # called through check
names_position() {
	local f=$1 l
	shift
	for l in "$@"; do
		grep -qE "(^|[^A-Za-z0-9_.-])$(printf '%s' "$f" | sed 's/[.]/\\./g'):$l:[0-9]+" "$W/sl.err" && return 0
	done
	sed -n '1,2s/^/#   stderr: /p' "$W/sl.err"
	return 1
}
for p in bad-unknown-key bad-duplicate-key bad-alias bad-tag bad-wrong-type bad-unknown-domain \
	bad-unreadable-words; do
	mapfile -t lines < <(grep -nE '<-- (HERE|ALSO)' "$p.yaml" | cut -d: -f1)
	expect 78 "policy check $p.yaml" policy check "$p.yaml"
	check "policy check $p.yaml: stderr names $p.yaml:${lines[*]}:COLUMN" names_position "$p.yaml" "${lines[@]}"
	expect 78 "release --policy $p.yaml" release --policy "$p.yaml" --from police --to customs "${K[@]}" -o "out/$p.xml" report.xml
	check "release --policy $p.yaml: stderr names $p.yaml:${lines[*]}:COLUMN" names_position "$p.yaml" "${lines[@]}"
	check "release --policy $p.yaml: nothing released" [ ! -e "out/$p.xml" ]
done
cp good.yaml writable.yaml
chmod 0666 writable.yaml
expect 78 "policy writable by others is refused" policy check writable.yaml

# ---- --help ------------------------------------------------------------------------------
# Every subcommand of SPEC section 5. The "yes" ones must exist now. A "no" one that the binary
# rejects as unknown (exit 64, "unknown ... subcommand/command") is reported as SKIP, named,
# until it is implemented; once it exists, its --help must exit 0 like the others.
help_check() { # help_check REQUIRED(yes|no) COMMAND...
	local required=$1
	shift
	sl "$@" --help
	if [ "$required" = no ] && [ "$RC" = 64 ] && grep -qi 'unknown' "$W/sl.err"; then
		ok "sluice $* --help: not implemented yet (SPEC section 5) # SKIP"
		return
	fi
	if [ "$RC" = 0 ]; then ok "sluice $* --help: exit 0"; else not_ok "sluice $* --help: exit $RC, expected 0"; fi
	check "sluice $* --help prints its usage on stdout" [ -s "$W/sl.out" ]
}
while read -r required cmd; do
	[ -n "$cmd" ] || continue
	read -ra words <<<"$cmd"
	help_check "$required" "${words[@]}"
done <<'EOF'
yes release
yes verify
yes audit verify
yes policy check
yes keygen
yes certs init-dev
no audit prove
no audit check-proof
no audit consistency
yes audit query
yes audit stats
no audit report
yes policy test
yes policy explain
yes policy diff
yes policy bundle
yes policy sign
yes policy verify
yes label show
yes label check
EOF
expect 0 "sluice --help" --help

finish
