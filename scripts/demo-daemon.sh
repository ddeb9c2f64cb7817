#!/usr/bin/env bash
# The fusion cell through the running gateway daemon: starts sluiced on examples/fusion-cell
# with a fresh development PKI and a mutual-TLS listener on loopback; the agencies' systems hand
# over the scenario reports, every other one dropped in the spool and the rest POSTed with curl
# and their client certificates; waits until each has been decided, shows what each agency
# received (and what was refused or quarantined), verifies every receipt and the audit log, and
# stops cleanly.
# Usage: scripts/demo-daemon.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
SLUICE=$root/$build/sluice
SLUICED=$root/$build/sluiced
D=$root/out/daemon
cell=$root/examples/fusion-cell
[ -x "$SLUICED" ] || { echo "demo-daemon: $SLUICED is not built" >&2; exit 1; }

rm -rf "$D"
mkdir -p "$D/state" "$D/spool"
chmod 755 "$D"
"$SLUICE" certs init-dev "$D/pki" intel police customs military partner-fra alliance-desk \
	partner-nordland natcert police-cyber >/dev/null
user_line=""
if [ "$(id -u)" = 0 ]; then
	# as root, the daemon needs an unprivileged user to become: `nobody` for the demo
	user_line="user: nobody"
	chown nobody "$D/state"
	chmod -R o+rX "$cell"
fi
# a free loopback port for the listener
port=18443
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
cat >"$D/sluiced.yaml" <<YAML
sluiced: 1
policy: $cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: state/audit.log
spool: spool
workers: 2
$user_line
tls:
  listen: 127.0.0.1:$port
  certificate: pki/gateway-server.pem
  key: pki/gateway-server.key
  client-ca: pki/ca.pem
  crl: pki/ca.crl
YAML
chmod 644 "$D/sluiced.yaml"

echo "== sluiced -t"
"$SLUICED" -t -c "$D/sluiced.yaml"
echo "== starting sluiced (log: out/daemon/sluiced.log)"
"$SLUICED" -c "$D/sluiced.yaml" -f 2>"$D/sluiced.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do grep -q "started: policy" "$D/sluiced.log" && break; sleep 0.1; done
echo "processes: $(ps -o comm= --ppid "$pid" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"

echo "== agencies hand over their reports: odd ones dropped in spool/inbox/<from>/<to>/,"
echo "   even ones POSTed over mutual TLS (curl --cert AGENCY.pem .../v1/reports?to=DEST&name=FILE)"
n=0
posted=0
while IFS=$'\t' read -r report from to _ _; do
	[ "$report" = report ] && continue
	n=$((n + 1))
	if [ $((n % 2)) = 1 ]; then
		dir=$D/spool/inbox/$from/$to
		cp "$cell/reports/$report" "$dir/.$report.tmp" && mv "$dir/.$report.tmp" "$dir/$report"
		continue
	fi
	code=$(curl -sS --cacert "$D/pki/ca.pem" --cert "$D/pki/$from.pem" --key "$D/pki/$from.key" \
		-o "$D/https-$report.receipt" -w '%{http_code}' --data-binary "@$cell/reports/$report" \
		"https://127.0.0.1:$port/v1/reports?to=$to&name=$report") || code="curl failed"
	posted=$((posted + 1))
	printf '  %-36s %-11s -> %-11s HTTP %s  %s %s\n' "$report" "$from" "$to" "$code" \
		"$(jq -r .record.decision "$D/https-$report.receipt" 2>/dev/null)" \
		"$(jq -r '.record.reason.rule // empty' "$D/https-$report.receipt" 2>/dev/null)"
done <"$cell/scenarios.tsv"
echo "$((n - posted)) reports dropped in the spool, $posted posted over mutual TLS"
echo "== what the listener refuses before any report is read"
code=$(curl -sS --cacert "$D/pki/ca.pem" -o /dev/null -w '%{http_code}' --data-binary "@$cell/reports/01-intel-to-police-plain.xml" \
	"https://127.0.0.1:$port/v1/reports?to=police" 2>/dev/null) || true
echo "  no client certificate: HTTP ${code:-000} (handshake refused; see the log)"
code=$(curl -sS --cacert "$D/pki/ca.pem" --cert "$D/pki/police.pem" --key "$D/pki/police.key" -o /dev/null -w '%{http_code}' \
	"https://127.0.0.1:$port/v1/reports?to=customs" 2>/dev/null) || true
echo "  GET instead of POST: HTTP $code"
for _ in $(seq 1 300); do
	[ -z "$(find "$D/spool/inbox" -type f ! -name '.*')" ] && break
	sleep 0.1
done

echo "== what each agency received (spool/outbox/<agency>/)"
for dir in "$D"/spool/outbox/*/; do
	agency=$(basename "$dir")
	for f in "$dir"*.xml; do
		[ -e "$f" ] || continue
		ok=no
		"$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$f.receipt" "$f" >/dev/null && ok=yes
		printf '  %-12s %-45s banner %-28s receipt verified: %s\n' "$agency" "${f##*--}" \
			"$(jq -r .record.banner "$f.receipt")" "$ok"
	done
done
echo "== refused (spool/refused/<sender>/) and quarantined (spool/quarantine/<sender>/)"
for f in "$D"/spool/refused/*/*.reason "$D"/spool/quarantine/*/*.reason; do
	[ -e "$f" ] || continue
	kind=$(basename "$(dirname "$(dirname "$f")")")
	name=${f##*--}
	printf '  %-10s %-40s %s\n' "$kind" "${name%.reason}" "$(sed 's/.*\[\(.*\)\]$/\1/' "$f")"
done

echo "== stopping (final signed checkpoint)"
kill -TERM "$pid"
wait "$pid" || true
trap - EXIT
"$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
echo
echo "Spool: out/daemon/spool/   Audit log: out/daemon/state/audit.log   Daemon log: out/daemon/sluiced.log"
