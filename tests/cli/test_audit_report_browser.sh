#!/usr/bin/env bash
# The oversight page of `sluice audit report --html` in a real browser (issue 6 item 5):
# headless Chromium (Debian package `chromium`) loads the page of a demo log with no console
# message at all (no CSP violation, no refused load, no script error), its DOM has the log's
# figures, and its screenshot is a real picture (the status box's green and the chart colours
# are drawn: the hashed stylesheet and the SVG both took effect). A hand-made log of markup
# yields no script element in the DOM. A control page whose style hash is wrong must be caught
# by the same console check. Exit 77 (ctest SKIP) when chromium is not installed; CI has it.
# Usage: bash test_audit_report_browser.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
if ! command -v chromium >/dev/null 2>&1; then
	echo "ok - chromium is not installed # SKIP (scripts/install-deps.sh installs it)"
	exit 77
fi
require_tools jq python3 timeout
make_keys "$W" gw
L=$W/audit.log
n=$(demo_audit_log "$W/gw.key" "$L")
P=$W/report.html
check "the page of the demo log ($n records) is written" "$SLUICE" audit report --html "$P" --pub "$W/gw.pub" "$L"

# browse URL ARGS...: headless Chromium with a fresh profile; stdout to $W/browser.out, its log
# (console messages are "...:INFO:CONSOLE..." lines) to $W/browser.err.
browse() {
	local url=$1 profile
	shift
	profile=$(mktemp -d "$W/chromium.XXXXXX")
	timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
		--enable-logging=stderr --v=0 --no-first-run --disable-extensions "$@" "$url" \
		>"$W/browser.out" 2>"$W/browser.err"
}
# quiet_console: the page said nothing on the console (our page has no script, so any message
# is a blocked load, a CSP violation or an error).
quiet_console() {
	if grep -q ':CONSOLE' "$W/browser.err"; then
		grep ':CONSOLE' "$W/browser.err" | head -3 | sed 's/^/#   /'
		return 1
	fi
}

check "chromium dumps the DOM of the page" browse "file://$P" --dump-dom
check "... with nothing on the console" quiet_console
check "... nothing blocked or uncaught" lacks -Ei 'Refused to|Uncaught|Content Security Policy' "$W/browser.err"
D=$W/browser.out
cp "$D" "$W/dom.html"
check "the DOM says verified" grep -q 'data-state="verified"' "$W/dom.html"
check "... and has the $n records" grep -q "id=\"records-total\">$n<" "$W/dom.html"
refused=$(jq -s '[.[] | select(.type == "transfer" and .record.decision == "refused")] | length' "$L")
check "... $refused of them refused" grep -q "id=\"records-refused\">$refused<" "$W/dom.html"
check "... the refusal table" grep -q '<td class="mono">caveat.refuse</td>' "$W/dom.html"
check "... the charts ($(grep -o '<svg ' "$W/dom.html" | wc -l) SVG)" [ "$(grep -o '<svg ' "$W/dom.html" | wc -l)" -ge 4 ]

check "chromium takes a screenshot" browse "file://$P" --screenshot="$W/shot.png" --window-size=1280,2000
check "... with nothing on the console" quiet_console
size=$(stat -c %s "$W/shot.png" 2>/dev/null || echo 0)
check "... that is not empty ($size bytes)" [ "$size" -gt 20000 ]
python3 "$SLUICE_SOURCE/tests/cli/png_colours.py" "$W/shot.png" '#1a7f37' '#0072b2' '#d55e00' >"$W/colours" 2>&1
read -r width height colours <"$W/colours"
check "... 1280x2000 (${width:-?}x${height:-?})" [ "${width:-0}" = 1280 ] && [ "${height:-0}" = 2000 ]
check "... and not blank (${colours:-0} colours)" [ "${colours:-0}" -gt 16 ]
pixels() { awk -v c="$1" '$1 == c { print $2 }' "$W/colours"; }
check "... the verified box is drawn in green (stylesheet applied: $(pixels '#1a7f37') px)" [ "$(pixels '#1a7f37')" -gt 1000 ]
check "... the charts are drawn ($(pixels '#0072b2') blue, $(pixels '#d55e00') vermilion px)" [ "$(pixels '#0072b2')" -gt 1000 ] && [ "$(pixels '#d55e00')" -gt 1000 ]

# a hand-made log of markup: no element comes out of it
jq -cn '{type: "transfer", seq: 1, prev: "0", record: {time: "2026-11-30T10:00:00Z",
	decision: "refused", from: "<script>document.title=\"owned\"</script>",
	to: "x\"><img src=/etc/passwd onerror=alert(2)>", reason: {rule: "</td><script>alert(3)</script>"},
	redactions: [{rule: "<svg onload=alert(4)>", count: 1}], removals: [],
	policy: {id: "p", version: 1, sha256: "s"}}}' >"$W/hostile.log"
"$SLUICE" audit report --html "$W/hostile.html" "$W/hostile.log" >/dev/null
check "chromium loads the page of a log of markup" browse "file://$W/hostile.html" --dump-dom
check "... with nothing on the console (no script ran, no load was tried)" quiet_console
check "... no script, image or event handler in its DOM" lacks -Ei '<script|<img|onload="|onerror="' "$W/browser.out"
check "... the title is still the report's" grep -q '<title>Sluice audit report</title>' "$W/browser.out"
check "... the markup is shown as text" grep -q '&lt;script&gt;document.title=' "$W/browser.out"

# control: the console check catches a stylesheet the CSP refuses
sed "s/style-src 'sha256-[^']*'/style-src 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='/" "$P" >"$W/control.html"
browse "file://$W/control.html" --dump-dom
check "control: a wrong style hash is reported on the console" grep -q ':CONSOLE.*Content Security Policy' "$W/browser.err"
finish
