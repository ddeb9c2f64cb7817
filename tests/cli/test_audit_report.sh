#!/usr/bin/env bash
# `sluice audit report --html OUT LOG` (SPEC section 5, issue 6 item 5) without a browser: the
# page of a demo log has the log's figures and says it verifies; without --pub it says "not
# verified"; --since/--until limit the figures; an empty log, a changed record (the page names
# the bad line and the last good checkpoint) and a garbage line; a hand-made log full of markup
# is escaped; missing log 74, usage 64. test_audit_report_browser.sh opens the pages in Chromium.
# Usage: bash test_audit_report.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools jq
make_keys "$W" gw
L=$W/audit.log
n=$(demo_audit_log "$W/gw.key" "$L")
check "the demo log of $n releases verifies" "$SLUICE" audit verify --pub "$W/gw.pub" "$L"
jqcount() { jq -s "[.[] | select(.type == \"transfer\") | .record | $1] | length" "$L"; }
# cell ID: the number in the page's element with that id
cell() { grep -o "id=\"$1\">[0-9]*<" "$2" | grep -o '[0-9]*' | head -1; }
state() { grep -o 'data-state="[a-z-]*"' "$1" | cut -d'"' -f2; }

P=$W/report.html
expect 0 "report --pub on the intact demo log" audit report --html "$P" --pub "$W/gw.pub" "$L"
check "... says it is verified" [ "$(state "$P")" = verified ]
check "... up to a signed tree head: its size and Merkle root" grep -qE "tree size [0-9]+, root <code>[0-9a-f]{64}</code>" "$P"
check "... names the last checkpoint, covering all $n records" [ "$(cell covered "$P")" = "$n" ]
check "... counts every record ($(cell records-total "$P") of $n)" [ "$(cell records-total "$P")" = "$n" ]
for d in released refused invalid error; do
	check "... $d: $(jqcount "select(.decision == \"$d\")")" [ "$(cell "records-$d" "$P")" = "$(jqcount "select(.decision == \"$d\")")" ]
done
flows=$(jq -r 'select(.type == "transfer") | .record | .time[0:10] + " " + .from + " " + .to' "$L" | sort -u | wc -l)
rows=$(grep -o '<table id="flows">.*</table>' "$P" | sed 's/<\/table>.*//' | grep -o '<tr><td>' | wc -l)
check "one row per flow and day ($rows of $flows)" [ "$rows" = "$flows" ]
phone=$(jq -s '[.[] | select(.type == "transfer") | .record.redactions[] | select(.rule == "pattern:phone") | .count] | add' "$L")
check "redactions by rule: pattern:phone made $phone replacements" grep -q "<td class=\"mono\">pattern:phone</td><td class=\"n\">$phone</td>" "$P"
check "refusals by reason name policy.no-flow" grep -q '<td class="mono">policy.no-flow</td>' "$P"
V=$(sed -n 's/^version: *\([0-9]*\).*/\1/p' "$SLUICE_SOURCE/examples/fusion-cell/policy.yaml")
check "policy versions: fusion-cell v$V used for all $n" grep -Eq "<td>fusion-cell</td><td class=\"n\">$V</td>.*<td class=\"n\">$n</td></tr>" "$P"
check "charts are inline SVG" [ "$(grep -o '<svg ' "$P" | wc -l)" -ge 4 ]
check "a Content-Security-Policy that forbids every load" grep -q "http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" "$P"
check "no script, no external reference" lacks -Ei '<script|src=|href=|@import|url\(' "$P"
check "the page is mode 0644" [ "$(stat -c %a "$P")" = 644 ]

expect 0 "report without --pub" audit report --html "$W/unverified.html" "$L"
check "... says not verified" [ "$(state "$W/unverified.html")" = not-verified ]
check "... with the same figures" [ "$(cell records-total "$W/unverified.html")" = "$n" ]
expect 0 "--since after the log" audit report --html "$W/later.html" --since 2999-01-01 "$L"
check "... has no records, and says so" [ "$(cell records-total "$W/later.html")" = 0 ] && grep -q 'No transfer records in this period' "$W/later.html"
today=$(jq -rs '[.[] | select(.type == "transfer")][0].record.time[0:10]' "$L")
expect 0 "--since and --until the log's day" audit report --html "$W/day.html" --since "$today" --until "$today" "$L"
check "... has every record" [ "$(cell records-total "$W/day.html")" = "$n" ]

# an empty log: nothing to show, and with --pub it does not verify (there is no checkpoint)
: >"$W/empty.log"
expect 0 "report on an empty log" audit report --html "$W/empty.html" "$W/empty.log"
check "... shows 0 records" [ "$(cell records-total "$W/empty.html")" = 0 ]
expect 1 "report --pub on an empty log" audit report --html "$W/empty-pub.html" --pub "$W/gw.pub" "$W/empty.log"
check "... still writes the page, which says NOT VERIFIED at line 1" [ "$(state "$W/empty-pub.html")" = failed ] && [ "$(cell bad-line "$W/empty-pub.html")" = 1 ]

# a changed record: the chain breaks at the next line, the page says where and how far it holds
cp "$L" "$W/changed.log"
victim=$(jq -r 'select(.type == "transfer" and .record.decision == "refused") | .seq' "$L" | head -1)
sed -i "${victim}s/\"decision\":\"refused\"/\"decision\":\"released\"/" "$W/changed.log"
check "(the record at line $victim was changed)" [ "$(sha256sum <"$L")" != "$(sha256sum <"$W/changed.log")" ]
expect 1 "report --pub on a log with a changed record" audit report --html "$W/changed.html" --pub "$W/gw.pub" "$W/changed.log"
bad=$((victim + 1))
check "... says NOT VERIFIED, bad line $bad" [ "$(state "$W/changed.html")" = failed ] && [ "$(cell bad-line "$W/changed.html")" = "$bad" ]
check "... and why" grep -q "line $bad: prev does not match" "$W/changed.html"
good=$(jq -s "[.[] | select(.type == \"checkpoint\" and .seq < $victim)] | last | .records" "$L")
check "... verified up to the checkpoint before it ($good records)" [ "$(cell covered "$W/changed.html")" = "$good" ]
check "... and warns that the figures include $((n - good)) unverified records" grep -q "include $((n - good)) transfer records that no verified checkpoint covers" "$W/changed.html"
check "... stderr names the line" grep -q "line $bad" "$W/sl.err"

cp "$L" "$W/garbage.log"
printf 'this is not JSON\n' >>"$W/garbage.log"
expect 1 "report on a log with a garbage line (no --pub)" audit report --html "$W/garbage.html" "$W/garbage.log"
check "... names the line and leaves it out" grep -q "the first is line $(wc -l <"$W/garbage.log") (not JSON)" "$W/garbage.html" && [ "$(cell records-total "$W/garbage.html")" = "$n" ]

# hostile strings in a hand-made log
H=$W/hostile.log
jq -cn '{type: "transfer", seq: 1, prev: "0", record: {time: "2026-11-30T10:00:00Z",
	decision: "refused", from: "<script>alert(1)</script>", to: "x\"><img src=y onerror=alert(2)>",
	reason: {rule: "</td><script>alert(3)</script>", message: "m"},
	redactions: [{rule: "<svg onload=alert(4)>", count: 2}], removals: [],
	policy: {id: "<b>p</b>", version: 1, sha256: "<i>"}}}' >"$H"
expect 0 "report on a hand-made log of markup" audit report --html "$W/hostile.html" "$H"
check "... holds no markup from the log" lacks -Ei '<script|<img|<svg onload|<b>|<i>' "$W/hostile.html"
check "... but shows it, escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$W/hostile.html" && grep -q '&lt;/td&gt;&lt;script&gt;alert(3)' "$W/hostile.html"
check "... counts the record" [ "$(cell records-refused "$W/hostile.html")" = 1 ]

expect 74 "a missing log" audit report --html "$W/missing.html" "$W/missing.log"
check "... writes no page" absent "$W/missing.html"
expect 74 "a missing log with --pub" audit report --html "$W/missing.html" --pub "$W/gw.pub" "$W/missing.log"
expect 74 "a page in a missing folder" audit report --html "$W/no/such/dir/r.html" "$L"
expect 64 "no --html" audit report "$L"
expect 64 "no LOG" audit report --html "$W/x.html"
expect 64 "two LOGs" audit report --html "$W/x.html" "$L" "$L"
expect 64 "--since that is not a time" audit report --html "$W/x.html" --since yesterday "$L"
expect 64 "an unknown option" audit report --html "$W/x.html" --pdf "$L"
expect 0 "--help" audit report --help
check "... prints the usage" grep -q '^usage: sluice audit report --html OUT' "$W/sl.out"
finish
