#!/usr/bin/env bash
# The standard-tools peer (bench/peer/README.md): what an administrator would script instead of
# Sluice for the bench policy, one report at a time, with the usual tools:
#   1. xmllint --schema     the report must be valid against the policy's XSD
#   2. xsltproc             withhold.xsl drops the portions the destination may not see and
#                           recomputes the banner
#   3. sed -E               dirty words (the policy's word list, case-insensitive, whole words)
#                           and e-mail, phone, passport and IBAN shapes become [REDACTED]
#   4. sha256sum, openssl   a transfer record (input and output SHA-256) signed with Ed25519
#   5. sha256sum            the record appended to a log, hash-chained to the line before
#
#   bench/peer/peer.sh POLICY_DIR KEY INDIR OUTDIR LOG
#
# POLICY_DIR holds report.xsd and words.txt (bench/gen_reports.py writes them); KEY is an
# Ed25519 private key in PEM. Writes OUTDIR/NAME, OUTDIR/NAME.record and OUTDIR/NAME.sig for
# each report of INDIR; an invalid report is logged as such and not released. Prints
# "peer: N reports, R released, I invalid".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# = 5 ] || { echo "usage: peer.sh POLICY_DIR KEY INDIR OUTDIR LOG" >&2; exit 64; }
policy=$1 key=$2 indir=$3 outdir=$4 log=$5
from=intel to=customs levels=' U R C ' holds=' USA LES '

# The detectors' sed script, made once. Dirty words: a sed alternation of the whole list costs
# 0.2 s a report to compile (1,000 words), so grep -F (Aho-Corasick) first finds which words of
# the list occur, and only those go into the report's sed command.
words=$outdir/.peer.words
grep -v -e '^#' -e '^[[:space:]]*$' "$policy/words.txt" >"$words"
script=$outdir/.peer.sed
cat >"$script" <<'SED'
s/[[:alnum:]._%+-]+@([[:alnum:]-]+\.)+[[:alpha:]]{2,63}/[REDACTED]/g
s/\b([Pp]assport|PASSPORT)( number| no\.?)?[ :#]*[A-Za-z0-9]{0,8}[0-9][A-Za-z0-9]{0,8}\b/\1 [REDACTED]/g
s/\b[A-Z]{2}[0-9]{2}( ?[A-Z0-9]{4}){2,7}( ?[A-Z0-9]{1,3})?\b/[REDACTED]/g
s/(\+[0-9]{1,3}|\([0-9]{2,5}\))([ .-]?[0-9]{1,4}){2,6}\b/[REDACTED]/g
SED
tmp=$outdir/.peer.tmp

prev=$({ tail -n 1 "$log" 2>/dev/null || true; } | cut -c1-64)
[ -n "$prev" ] || prev=$(printf '%064d' 0)
n=0 released=0 invalid=0
for in in "$indir"/*; do
	[ -f "$in" ] || continue
	name=${in##*/} out=$outdir/${in##*/}
	n=$((n + 1))
	printf -v now '%(%Y-%m-%dT%H:%M:%SZ)T' -1
	if xmllint --noout --nonet --schema "$policy/report.xsd" "$in" 2>/dev/null; then
		xsltproc --nonet --stringparam levels "$levels" --stringparam holds "$holds" \
			"$here/withhold.xsl" "$in" >"$tmp"
		found=$(LC_ALL=C grep -oiwF -f "$words" "$tmp" | sort -uf |
			sed -e 's/[][\\.*^$+?(){}|/]/\\&/g' -e 's/[[:space:]]\+/[[:space:]]+/g' | paste -sd'|') || true
		wordrule=()
		[ -z "$found" ] || wordrule=(-e "s/\\b($found)\\b/[REDACTED]/gI")
		sed -E "${wordrule[@]}" -f "$script" "$tmp" >"$out"
		read -r -d '' in_sha _ out_sha _ < <(sha256sum "$in" "$out") || true
		decision=released released=$((released + 1))
	else
		read -r in_sha _ < <(sha256sum "$in")
		out_sha="" decision=invalid invalid=$((invalid + 1))
	fi
	record=$(printf '{"time":"%s","from":"%s","to":"%s","name":"%s","decision":"%s","input_sha256":"%s","output_sha256":"%s","prev":"%s"}' \
		"$now" "$from" "$to" "$name" "$decision" "$in_sha" "$out_sha" "$prev")
	printf '%s' "$record" >"$out.record"
	openssl pkeyutl -sign -rawin -inkey "$key" -in "$out.record" -out "$out.sig"
	read -r prev _ < <(printf '%s' "$record" | sha256sum)
	printf '%s %s\n' "$prev" "$record" >>"$log"
done
echo "peer: $n reports, $released released, $invalid invalid"
