#!/usr/bin/env bash
# End-to-end: hostile and invalid reports (SPEC section 3). Every file of
# tests/fixtures/hostile/*.xml, the generated inputs too big to commit, and (when present) the
# public corpus ../shared/corpus/xml-attacks must be refused with exit 65:
#   - within 3 s and with a maximum RSS under 200 MB (GNU time, %e and %M),
#   - with no released report written (the -o target stays absent),
#   - with a signed receipt all the same, decision "invalid",
# and afterwards the audit log verifies and holds one transfer record per run.
# Usage: bash tests/cli/test_hostile.sh PATH/TO/sluice
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_tools openssl jq xmllint iconv timeout /usr/bin/time

HOSTILE=$SLUICE_FIXTURES/hostile
MAX_SECONDS=3
MAX_RSS_KB=204800

mkdir -p "$W/keys" "$W/out" "$W/gen"
make_keys "$W/keys" gw || { not_ok "openssl generates an Ed25519 key"; finish; }
KEY=$W/keys/gw.key
PUB=$W/keys/gw.pub
AUDIT=$W/audit.log
cp "$HOSTILE/policy.yaml" "$W/policy.yaml"
chmod 0644 "$W/policy.yaml"
POLICY=$W/policy.yaml
RUNS=0

# release_measured FILE OUT: runs one release under GNU time; sets RC, ELAPSED, RSS_KB.
release_measured() {
	local tf=$W/time.txt
	rm -f "$tf"
	RC=0
	timeout -k 5 60 /usr/bin/time -f '%e %M' -o "$tf" \
		"$SLUICE" release --policy "$POLICY" --from a --to b --key "$KEY" --audit "$AUDIT" \
		-o "$2" "$1" >/dev/null 2>"$W/err.txt" || RC=$?
	RUNS=$((RUNS + 1))
	ELAPSED=999
	RSS_KB=999999999
	if [ -s "$tf" ]; then
		# GNU time prefixes "Command exited with non-zero status N": the figures are last.
		read -r ELAPSED RSS_KB < <(tail -n 1 "$tf") || true
	fi
}

# expect_invalid LABEL FILE: the whole contract for one hostile input.
expect_invalid() {
	local label=$1 file=$2 out
	out=$W/out/$(printf '%s' "$label" | tr '/ ' '__')
	release_measured "$file" "$out"
	local problems="" decision
	[ "$RC" = 65 ] || problems+=" exit $RC (want 65)"
	awk -v e="$ELAPSED" -v m="$MAX_SECONDS" 'BEGIN { exit !(e + 0 < m + 0) }' ||
		problems+=" took ${ELAPSED}s (limit ${MAX_SECONDS}s)"
	[ "$RSS_KB" -lt "$MAX_RSS_KB" ] 2>/dev/null || problems+=" max RSS ${RSS_KB} KB (limit ${MAX_RSS_KB} KB)"
	[ ! -e "$out" ] || problems+=" a released report was written"
	decision=$(receipt_field "$out.receipt" '.record.decision')
	[ "$decision" = invalid ] || problems+=" receipt decision '${decision:-<no receipt>}' (want invalid)"
	if [ -z "$problems" ]; then
		ok "$label: exit 65 in ${ELAPSED}s, ${RSS_KB} KB, nothing released, receipt 'invalid'"
	else
		not_ok "$label:$problems"
		sed -n '1,3s/^/#   stderr: /p' "$W/err.txt"
	fi
}

# ---- Controls: a clean report passes, so the refusals below mean something --------------------
cat >"$W/gen/control-clean.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="S"
    ism:ownerProducer="USA" ism:disseminationControls="NF">
  <Para ism:classification="U" ism:ownerProducer="USA">A clean paragraph.</Para>
  <Para ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">A secret one.</Para>
</Report>
EOF
{
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA">'
	printf '<Para ism:classification="U" ism:ownerProducer="USA">'
	yes '<d>' | head -n 40 | tr -d '\n'
	printf 'forty levels, well within max-depth 64'
	yes '</d>' | head -n 40 | tr -d '\n'
	printf '</Para></Report>\n'
} >"$W/gen/control-depth-40.xml"
for c in control-clean control-depth-40; do
	release_measured "$W/gen/$c.xml" "$W/out/$c.xml"
	if [ "$RC" = 0 ] && [ -s "$W/out/$c.xml" ]; then
		ok "$c.xml: a valid report is released (exit 0) under the hostile policy"
	else
		not_ok "$c.xml: a valid report is released under the hostile policy (exit $RC)"
		sed -n '1,3s/^/#   stderr: /p' "$W/err.txt"
	fi
done

# ---- The committed fixtures -----------------------------------------------------------------
n=0
for f in "$HOSTILE"/*.xml; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	expect_invalid "hostile/$(basename "$f")" "$f"
done
check "at least 40 committed hostile fixtures (found $n)" [ "$n" -ge 40 ]

# ---- Generated inputs (too big to commit) ---------------------------------------------------
HEAD_XML='<?xml version="1.0" encoding="UTF-8"?>'
ROOT_OPEN='<Report xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA">'
PARA_OPEN='<Para ism:classification="U" ism:ownerProducer="USA"'
{
	printf '%s\n%s%s>' "$HEAD_XML" "$ROOT_OPEN" "$PARA_OPEN"
	yes '<d>' | head -n 100000 | tr -d '\n'
	yes '</d>' | head -n 100000 | tr -d '\n'
	printf '</Para></Report>\n'
} >"$W/gen/nesting-100000-levels.xml" # about 700 KB: under max-bytes, over max-depth
{
	printf '%s\n%s%s note="' "$HEAD_XML" "$ROOT_OPEN" "$PARA_OPEN"
	head -c 2097152 /dev/zero | tr '\0' 'A'
	printf '">text</Para></Report>\n'
} >"$W/gen/attribute-2MB.xml"
{
	printf '%s\n%s%s>' "$HEAD_XML" "$ROOT_OPEN" "$PARA_OPEN"
	head -c 20971520 /dev/zero | tr '\0' 'x'
	printf '</Para></Report>\n'
} >"$W/gen/text-20MB.xml"
{
	printf '%s\n<!DOCTYPE Report [\n  <!ENTITY big "' "$HEAD_XML"
	head -c 204800 /dev/zero | tr '\0' 'a'
	printf '">\n]>\n%s%s>' "$ROOT_OPEN" "$PARA_OPEN"
	yes '&big;' | head -n 4000 | tr -d '\n'
	printf '</Para></Report>\n'
} >"$W/gen/quadratic-blowup-200KB-x4000.xml" # 800 MB once expanded
{
	printf '%s\n%s%s>' "$HEAD_XML" "$ROOT_OPEN" "$PARA_OPEN"
	yes '<p/>' | head -n 60000 | tr -d '\n'
	printf '</Para></Report>\n'
} >"$W/gen/nodes-60000.xml" # 240 KB: under max-bytes and max-depth, over max-nodes
for g in nesting-100000-levels attribute-2MB text-20MB quadratic-blowup-200KB-x4000 nodes-60000; do
	expect_invalid "generated/$g.xml" "$W/gen/$g.xml"
done

# ---- The public corpus, when it sits beside the checkout ------------------------------------
CORPUS=$SLUICE_SOURCE/../shared/corpus/xml-attacks
# A corpus file must be refused when it is hostile or invalid by this rule: it contains a
# DOCTYPE, an entity declaration, an XInclude element (xi:include or the XInclude namespace), a
# NUL byte, bytes that are not UTF-8, or xmllint --noout --nonet rejects it or reports any error
# (namespace errors are non-fatal in libxml2). The others (well-formed, harmless: e.g.
# defusedxml/simple.xml) are skipped; none of them carries an ism label anyway.
corpus_must_refuse() {
	local f=$1 size nonul
	grep -aqE '<!DOCTYPE|<!ENTITY|xi:include|http://www\.w3\.org/2001/XInclude' "$f" && return 0
	size=$(wc -c <"$f")
	nonul=$(tr -d '\000' <"$f" | wc -c)
	[ "$size" -ne "$nonul" ] && return 0
	iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || return 0
	[ -n "$(xmllint --noout --nonet "$f" 2>&1)" ] && return 0
	xmllint --noout --nonet "$f" >/dev/null 2>&1 || return 0
	return 1
}
if [ -d "$CORPUS" ]; then
	skipped=0
	refused=0
	while IFS= read -r -d '' f; do
		rel=${f#"$CORPUS"/}
		if corpus_must_refuse "$f"; then
			refused=$((refused + 1))
			expect_invalid "corpus/$rel" "$f"
		else
			skipped=$((skipped + 1))
		fi
	done < <(find "$CORPUS" -type f -name '*.xml' -print0 | sort -z)
	ok "corpus: $refused hostile files run, $skipped well-formed harmless files skipped"
else
	ok "skipped: no corpus at $CORPUS"
fi

# ---- Afterwards ---------------------------------------------------------------------------
stray=$(find "$W/out" -type f ! -name '*.receipt' ! -name 'control-*' | head -n 5)
check "no stray files (temporary or partial reports) left in the output folder${stray:+: $stray}" \
	[ -z "$stray" ]
sl audit verify --pub "$PUB" "$AUDIT"
check "audit log verifies after $RUNS runs (exit $RC)" [ "$RC" = 0 ]
records=$(audit_transfers "$AUDIT")
check "audit log has one transfer record per run ($records records, $RUNS runs)" [ "$records" = "$RUNS" ]
check "audit log holds digests and decisions, never report content" \
	lacks -E "root:x:0:0|forty levels|A clean paragraph" "$AUDIT"

finish
