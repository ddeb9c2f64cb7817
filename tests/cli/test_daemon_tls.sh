#!/usr/bin/env bash
# sluiced's mutual-TLS listener, on loopback: `sluiced -t` checks the certificates; agency
# systems submit with curl and get the signed receipt (200 released, 403 refused, 422 invalid,
# 413 too large); the client certificate alone decides the source domain; handshakes without a
# certificate, with another CA's, an expired, not-yet-valid, serverAuth-only, no-digitalSignature
# or revoked one (after SIGHUP reloads the CRL), TLS 1.0 and 1.1, weak suites and a client's
# renegotiation are refused and logged, with nothing reaching the spool or the audit log
# (docs/SECURITY.md "TLS negative cases"); malformed requests get 4xx naming the rule; the listener
# killed is restarted; SIGTERM stops cleanly and the audit log verifies.
# Usage: bash test_daemon_tls.sh PATH/TO/sluice (sluiced is found beside it).
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq pgrep pkill curl
gateway_dir intel police customs military partner-fra stranger
"$SLUICE" certs init-dev "$W/other" intel >/dev/null # another CA, same agency names
if [ "$(id -u)" = 0 ]; then
	# the unprivileged supervisor re-reads the TLS files and the CRL on SIGHUP
	chmod 755 "$D/pki"
	chown nobody "$D/pki/gateway-server.key"
fi

# Certificates the development PKI does not make: an expired one, and one whose CN is mapped
# to a domain by `tls.clients`. Signed by the development CA with `openssl ca`.
X=$W/xca
mkdir -p "$X/new"
: >"$X/index.txt"
echo 1000 >"$X/serial"
cat >"$X/ca.cnf" <<CNF
[ca]
default_ca = dev
[dev]
database = $X/index.txt
new_certs_dir = $X/new
serial = $X/serial
policy = any
unique_subject = no
default_md = default
[any]
commonName = supplied
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[server_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
[no_signature]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = clientAuth
CNF
issue() { # issue NAME CN START END [EXTENSIONS]
	openssl genpkey -algorithm ed25519 -out "$X/$1.key" 2>/dev/null &&
		openssl req -new -key "$X/$1.key" -subj "/CN=$2" -out "$X/$1.csr" 2>/dev/null &&
		openssl ca -batch -config "$X/ca.cnf" -cert "$D/pki/ca.pem" -keyfile "$D/pki/ca.key" \
			-startdate "$3" -enddate "$4" -extensions "${5:-client}" -in "$X/$1.csr" -out "$X/$1.pem" \
			>/dev/null 2>&1
}
check "an expired client certificate is made" issue expired intel 20200101000000Z 20210101000000Z
check "a certificate with CN police-gw is made" issue mapped police-gw 20250101000000Z 20350101000000Z
# issue 7 item 6: valid from 2099 on; for servers only (extendedKeyUsage serverAuth); a keyUsage
# without digitalSignature (keyEncipherment only). All from the right CA, CN intel.
check "a not-yet-valid client certificate is made" issue future intel 20990101000000Z 21000101000000Z
check "a serverAuth-only certificate is made" issue serveronly intel 20250101000000Z 20350101000000Z server_only
check "a certificate whose keyUsage lacks digitalSignature is made" issue nosig intel 20250101000000Z 20350101000000Z no_signature

PORT=$((20000 + RANDOM % 30000))
write_config() {
	cat >"$D/sluiced.yaml" <<YAML
sluiced: 1
policy: cell/policy.yaml
signing-key: pki/gateway-signing.key
audit-log: state/audit.log
spool: spool
workers: 2
$user_line
tls:
  listen: 127.0.0.1:$PORT
  certificate: pki/gateway-server.pem
  key: pki/gateway-server.key
  client-ca: pki/ca.pem
  crl: pki/ca.crl
  clients:
    police-gw: police
YAML
	chmod 644 "$D/sluiced.yaml"
}
write_config

sl_d() { RC=0; "$SLUICED" "$@" >"$W/d.out" 2>"$W/d.err" || RC=$?; }
sl_d -t -c "$D/sluiced.yaml"
check "sluiced -t accepts a TLS listener (got $RC)" [ "$RC" = 0 ]
check "... and names it" grep -q "TLS listener on 127.0.0.1 port $PORT" "$W/d.out"

# -t refuses TLS material that cannot work, naming the file
sed "s|key: pki/gateway-server.key|key: pki/intel.key|" "$D/sluiced.yaml" >"$D/badkey.yaml"
chmod 644 "$D/badkey.yaml"
sl_d -t -c "$D/badkey.yaml"
check "a server key that does not match its certificate is refused, 78 (got $RC)" [ "$RC" = 78 ]
check "... naming the key file and the rule" grep -q 'intel.key.*config.tls' "$W/d.err"
sed "s|crl: pki/ca.crl|crl: pki/ca.pem|" "$D/sluiced.yaml" >"$D/badcrl.yaml"
chmod 644 "$D/badcrl.yaml"
sl_d -t -c "$D/badcrl.yaml"
check "a CRL file holding no CRL is refused, 78 (got $RC)" [ "$RC" = 78 ]
sed "s|client-ca: pki/ca.pem|client-ca: pki/missing.pem|" "$D/sluiced.yaml" >"$D/noca.yaml"
chmod 644 "$D/noca.yaml"
sl_d -t -c "$D/noca.yaml"
check "a missing client CA file is refused, 78 (got $RC)" [ "$RC" = 78 ]
check "... naming it" grep -q 'missing.pem' "$W/d.err"

start() { # starts the daemon (another port if this one is taken) and waits until it listens
	local tries
	for tries in 1 2 3 4 5; do
		"$SLUICED" -c "$D/sluiced.yaml" -f >>"$W/daemon.log" 2>&1 &
		DPID=$!
		for _ in $(seq 1 50); do
			if grep -q "sluiced\[$DPID\] supervisor: started" "$W/daemon.log" &&
				grep -q "tls: listening .*:$PORT\$" "$W/daemon.log"; then
				return 0
			fi
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q "port $PORT: Address already in use" "$W/daemon.log"; then
			PORT=$((20000 + RANDOM % 30000))
			write_config
			continue
		fi
		return 1
	done
	return 1
}
wait_log() { # wait_log PATTERN: up to 10 s for a line in the daemon's log
	for _ in $(seq 1 100); do grep -q "$1" "$W/daemon.log" && return 0; sleep 0.1; done
	return 1
}

check "sluiced starts with a TLS listener" start
check "a sluiced-tls process runs" pgrep -P "$DPID" -x sluiced-tls >/dev/null
# Every child runs under seccomp with no_new_privs; started as root, none stays root (so the
# network-facing and filter processes cannot read the root-only signing key), and the listener
# holds no descriptor to the key or the audit log.
count_walled() {
	walled=0 children=0
	local pid st
	for pid in $(pgrep -P "$DPID"); do
		children=$((children + 1))
		st=/proc/$pid/status
		grep -q '^Seccomp:[[:space:]]*2' "$st" && grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || continue
		if [ "$(id -u)" = 0 ]; then awk '/^Uid:/ {exit ($2 == 0 || $3 == 0)}' "$st" || continue; fi
		walled=$((walled + 1))
	done
	[ "$walled" = "$children" ] && [ "$children" -ge 7 ]
}
for _ in $(seq 1 50); do count_walled && break; sleep 0.1; done # children still starting
check "every child of the supervisor is under seccomp, no_new_privs, not root ($walled of $children)" count_walled
tls_pid=$(pgrep -P "$DPID" -x sluiced-tls)
check "the TLS listener holds no descriptor to the signing key or the audit log" \
	bash -c "! ls -l /proc/$tls_pid/fd 2>/dev/null | grep -q -e gateway-signing -e audit.log"
U="https://127.0.0.1:$PORT/v1/reports"
R=$D/cell/reports
# post AGENCY-CERT-PREFIX URL FILE [CURL ARGS...]: HTTP code in $CODE (000: no HTTP answer),
# curl's exit status in $CURL, body in $W/body, headers in $W/headers.
post() {
	local cert=$1 url=$2 file=$3
	shift 3
	CURL=0
	CODE=$(curl -sS --max-time 20 --cacert "$D/pki/ca.pem" --cert "$cert.pem" --key "$cert.key" \
		-o "$W/body" -D "$W/headers" -w '%{http_code}' --data-binary "@$file" "$@" "$url" \
		2>"$W/curl.err") || CURL=$?
}

# 1. the three decisions, each answered with its signed receipt
post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "a releasable report gets 200 (got $CODE)" [ "$CODE" = 200 ]
cp "$W/body" "$W/r1.receipt"
check "... with a receipt that verifies" "$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$W/r1.receipt"
check "... saying released, from intel to police" [ "$(jq -r '.record.decision + " " + .record.from + " " + .record.to' "$W/r1.receipt")" = "released intel police" ]
tid=$(jq -r .record.transfer_id "$W/r1.receipt")
out=$(find "$D/spool/outbox/police" -name "$tid--*" ! -name '*.receipt' 2>/dev/null | head -1)
check "the released report is in police's outbox" [ -n "$out" ]
check "... and the receipt names its bytes" "$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$W/r1.receipt" "$out"

post "$D/pki/police" "$U?to=partner-fra" "$R/09-police-to-fra-refused.xml"
check "a refused report gets 403 (got $CODE)" [ "$CODE" = 403 ]
check "... with a refused receipt" [ "$(jq -r .record.decision "$W/body")" = refused ]
check "... and the rule in X-Sluice-Rule" grep -qi '^X-Sluice-Rule: [a-z]' "$W/headers"
check "... the receipt verifies against the submitted report" "$SLUICE" verify --pub "$D/pki/gateway-signing.pub" --receipt "$W/body" "$R/09-police-to-fra-refused.xml"

post "$D/pki/customs" "$U?to=partner-fra" "$R/11-customs-to-fra-default-deny.xml"
check "a transfer no flow allows gets 403 (got $CODE)" [ "$CODE" = 403 ]
check "... rule policy.no-flow" grep -qi '^X-Sluice-Rule: policy.no-flow' "$W/headers"

post "$D/pki/intel" "$U?to=police" "$R/19-invalid-malformed.xml"
check "a malformed report gets 422 (got $CODE)" [ "$CODE" = 422 ]
check "... with an invalid receipt" [ "$(jq -r .record.decision "$W/body")" = invalid ]

post "$D/pki/intel" "$U?to=police" "$R/15-hostile-doctype-entity.xml"
check "a hostile DOCTYPE report gets 422 (got $CODE)" [ "$CODE" = 422 ]

post "$D/pki/police" "$U?to=customs&name=case-7.xml" "$R/07-customs-to-police-propin.xml"
check "name= names the delivered file (got $CODE)" [ -n "$(find "$D/spool/outbox/customs" -name '*--case-7.xml')" ]
post "$D/pki/police" "$U?to=customs&name=../../etc/x" "$R/07-customs-to-police-propin.xml"
check "a name that is no plain file name gets 400 (got $CODE)" [ "$CODE" = 400 ]
check "... rule http.query" grep -q 'http.query' "$W/body"
post "$D/pki/police" "$U?to=customs&name=.hidden" "$R/07-customs-to-police-propin.xml"
check "a name starting with a dot gets 400 (got $CODE)" [ "$CODE" = 400 ]

# 2. the certificate decides the source domain, nothing the client writes
post "$D/pki/police" "$U?to=customs" "$R/14-police-to-customs-case.xml" -H "X-Sluice-From: intel" -H "From: intel"
check "headers cannot change the source: police's certificate speaks for police" [ "$(jq -r .record.from "$W/body")" = police ]
post "$D/pki/police" "$U?to=customs&from=intel" "$R/14-police-to-customs-case.xml"
check "a second query parameter is refused, 400 (got $CODE)" [ "$CODE" = 400 ]
post "$X/mapped" "$U?to=customs" "$R/14-police-to-customs-case.xml"
check "a CN mapped by tls.clients speaks for its domain (police-gw -> police)" [ "$(jq -r .record.from "$W/body")" = police ]
post "$D/pki/stranger" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "a certificate whose CN is no domain of the policy gets 403 (got $CODE)" [ "$CODE" = 403 ]
check "... rule tls.unknown-domain" grep -q 'tls.unknown-domain' "$W/body"
check "... logged" wait_log "certificate CN 'stranger' is not a domain"

# 3. handshakes that must fail
CURL=0
CODE=$(curl -sS --max-time 20 --cacert "$D/pki/ca.pem" -o /dev/null -w '%{http_code}' --data-binary "@$R/01-intel-to-police-plain.xml" "$U?to=police" 2>/dev/null) || CURL=$?
check "no client certificate: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged" wait_log "refused a TLS connection from 127.0.0.1 port [0-9]*: alert 116, certificate required"
post "$W/other/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "a certificate from another CA: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as unknown CA" wait_log "alert 48, unknown CA"
post "$X/expired" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "an expired certificate: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as expired" wait_log "certificate has expired (depth 0, /CN=intel)"
post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml" --tls-max 1.1
check "TLS 1.1: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as protocol version" wait_log "alert 70, protocol version"
proto=$(openssl s_client -connect "127.0.0.1:$PORT" -cert "$D/pki/intel.pem" -key "$D/pki/intel.key" -CAfile "$D/pki/ca.pem" </dev/null 2>/dev/null | sed -n 's/^New, \(TLSv[0-9.]*\), .*/\1/p' | head -1)
check "TLS 1.3 is negotiated by a modern client (got '$proto')" [ "$proto" = TLSv1.3 ]
cipher=$(openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cert "$D/pki/intel.pem" -key "$D/pki/intel.key" -CAfile "$D/pki/ca.pem" </dev/null 2>/dev/null | sed -n 's/^ *Cipher *: *//p' | head -1)
check "TLS 1.2 uses an ECDHE AEAD suite (got '$cipher')" bash -c "[[ '$cipher' == ECDHE-*-GCM-* || '$cipher' == ECDHE-*-CHACHA20-* ]]"
weak=$(openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher 'AES128-SHA:AES256-SHA' -cert "$D/pki/intel.pem" -key "$D/pki/intel.key" -CAfile "$D/pki/ca.pem" </dev/null 2>/dev/null | sed -n 's/^ *Cipher *: *//p' | head -1)
check "a client offering only non-forward-secret suites gets none (got '$weak')" bash -c "[ -z '$weak' ] || [ '$weak' = '0000' ] || [ '$weak' = '(NONE)' ]"

# 3b. the other TLS negative cases of issue 7 item 6 (docs/SECURITY.md "TLS negative cases"):
# each refused at the handshake, or the connection closed, with no report accepted.
spool_state() { find "$D/spool" -type f | sort | md5sum; audit_transfers "$D/state/audit.log"; }
seen() { grep -c -e "$1" "$W/daemon.log"; } # seen PATTERN: how many log lines so far
wait_more() { # wait_more PATTERN N: up to 10 s for more than N log lines with PATTERN
	for _ in $(seq 1 100); do [ "$(seen "$1")" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}
sc() { # sc ARGS...: openssl s_client to the listener as intel, stdin from /dev/null, all output
	timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$D/pki/ca.pem" "$@" </dev/null 2>&1
}
no_session() { grep -q 'Cipher is (NONE)' <<<"$1" && ! grep -q '^ *Session-ID: [0-9A-F]' <<<"$1"; }
state0=$(spool_state)
sr=$R/01-intel-to-police-plain.xml
post "$X/future" "$U?to=police" "$sr"
check "a not-yet-valid certificate: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as not yet valid" wait_log "client certificate refused: certificate is not yet valid (depth 0, /CN=intel)"
purpose='client certificate refused: [a-z]* certificate purpose (depth 0, /CN=intel)' # OpenSSL's wording varies
n=$(seen "$purpose")
post "$X/serveronly" "$U?to=police" "$sr"
check "a certificate for TLS servers only (EKU serverAuth): no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as a certificate purpose refusal" wait_more "$purpose" "$n"
n=$(seen "$purpose")
post "$X/nosig" "$U?to=police" "$sr"
check "a certificate whose keyUsage lacks digitalSignature: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as a certificate purpose refusal" wait_more "$purpose" "$n"
# TLS 1.0: OpenSSL 3 sends it only at security level 0; the new alert 70 in the log shows that
# the gateway saw the TLS 1.0 hello and refused it (not a client that gave up by itself).
n=$(seen "alert 70, protocol version")
out=$(sc -tls1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$D/pki/intel.pem" -key "$D/pki/intel.key")
check "TLS 1.0: no session" no_session "$out"
check "... refused by the gateway, logged as protocol version" wait_more "alert 70, protocol version" "$n"
n=$(seen "alert 70, protocol version")
out=$(sc -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$D/pki/intel.pem" -key "$D/pki/intel.key")
check "TLS 1.1 (openssl s_client): no session" no_session "$out"
check "... logged as protocol version" wait_more "alert 70, protocol version" "$n"
# weak suites: forward-secret but CBC (no AEAD), 3DES, RC4 and NULL (offered at level 0), and
# TLS 1.3's CCM_8 (not in the server's list)
for suite in ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256 \
	DES-CBC3-SHA:ECDHE-RSA-DES-CBC3-SHA:RC4-SHA:ECDHE-ECDSA-NULL-SHA:NULL-SHA256; do
	n=$(seen "alert 40, handshake failure")
	out=$(sc -tls1_2 -cipher "$suite:@SECLEVEL=0" -cert "$D/pki/intel.pem" -key "$D/pki/intel.key")
	check "TLS 1.2 offering only $suite: no session" no_session "$out"
	check "... logged as handshake failure" wait_more "alert 40, handshake failure" "$n"
done
n=$(seen "alert 40, handshake failure")
out=$(sc -tls1_3 -ciphersuites TLS_AES_128_CCM_8_SHA256 -cert "$D/pki/intel.pem" -key "$D/pki/intel.key")
check "TLS 1.3 offering only TLS_AES_128_CCM_8_SHA256: no session" no_session "$out"
check "... logged as handshake failure" wait_more "alert 40, handshake failure" "$n"
# Client-initiated renegotiation (TLS 1.2, s_client's R command), then a request on the same
# connection: one handshake only, the renegotiation refused, and the request never served.
sed 's|</[A-Za-z]*>$|<!-- after renegotiation -->&|' "$sr" >"$W/reneg.xml"
printf '\n<!-- after renegotiation -->\n' >>"$W/reneg.xml"
n=$(seen "refused a renegotiation")
out=$({
	sleep 1
	echo R
	sleep 2
	printf 'POST /v1/reports?to=police HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$W/reneg.xml")"
	cat "$W/reneg.xml"
	sleep 3
} | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -msg -CAfile "$D/pki/ca.pem" \
	-cert "$D/pki/intel.pem" -key "$D/pki/intel.key" 2>&1)
check "renegotiation: the client asked for it" grep -q '^RENEGOTIATING' <<<"$out"
check "... one handshake only ($(grep -c 'ServerHello$' <<<"$out") ServerHello)" [ "$(grep -c 'ServerHello$' <<<"$out")" = 1 ]
check "... the gateway answered no_renegotiation" grep -qi 'no.renegotiation' <<<"$out"
check "... the request after it was not served" bash -c "! grep -q '^HTTP/1.1 ' <<<\"\$1\"" _ "$out"
check "... logged, and the connection closed at the first request" wait_more "refused a renegotiation from .*; connection closed" "$n"
check "no negative case reached the spool or the audit log" [ "$(spool_state)" = "$state0" ]

# 4. malformed and oversized requests
post "$D/pki/intel" "https://127.0.0.1:$PORT/v1/other?to=police" "$R/01-intel-to-police-plain.xml"
check "another path gets 404 (got $CODE)" [ "$CODE" = 404 ]
CODE=$(curl -sS --max-time 20 --cacert "$D/pki/ca.pem" --cert "$D/pki/intel.pem" --key "$D/pki/intel.key" -o "$W/body" -D "$W/headers" -w '%{http_code}' "$U?to=police" 2>/dev/null)
check "GET gets 405 (got $CODE)" [ "$CODE" = 405 ]
check "... with Allow: POST" grep -qi '^Allow: POST' "$W/headers"
post "$D/pki/intel" "$U" "$R/01-intel-to-police-plain.xml"
check "no destination gets 400 (got $CODE)" [ "$CODE" = 400 ]
post "$D/pki/intel" "$U?to=police&to=customs" "$R/01-intel-to-police-plain.xml"
check "two destinations get 400 (got $CODE)" [ "$CODE" = 400 ]
post "$D/pki/intel" "$U?to=../police" "$R/01-intel-to-police-plain.xml"
check "a destination that is no domain name gets 400 (got $CODE)" [ "$CODE" = 400 ]
post "$D/pki/intel" "$U?to=nowhere" "$R/01-intel-to-police-plain.xml"
check "a destination that is no domain of the policy gets 403 (got $CODE)" [ "$CODE" = 403 ]
post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml" --http1.0
check "HTTP/1.0 gets 505 (got $CODE)" [ "$CODE" = 505 ]
post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml" -H "X-Padding: $(head -c 9000 /dev/zero | tr '\0' a)"
check "headers over 8 KiB get 400 (got $CODE)" [ "$CODE" = 400 ]
max=$(sed -n 's/.*max-bytes: *\([0-9]*\)MiB.*/\1/p' "$D/cell/policy.yaml")
head -c $(((max + 1) * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$W/huge.xml"
post "$D/pki/intel" "$U?to=police" "$W/huge.xml"
check "a body over the policy's max-bytes ($max MiB) gets 413 (got $CODE)" [ "$CODE" = 413 ]
CODE=$(printf 'POST /v1/reports?to=police HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' |
	timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" -cert "$D/pki/intel.pem" -key "$D/pki/intel.key" -CAfile "$D/pki/ca.pem" 2>/dev/null | head -1 | cut -d' ' -f2)
check "a negative Content-Length gets 400 (got $CODE)" [ "$CODE" = 400 ]

# 5. the same report twice: one transfer, delivered once, the same receipt's transfer id
post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "a duplicate submission is answered 200 (got $CODE)" [ "$CODE" = 200 ]
check "... with the same transfer id" [ "$(jq -r .record.transfer_id "$W/body")" = "$tid" ]
check "... and delivered once" [ "$(find "$D/spool/outbox/police" -name "$tid--*" ! -name '*.receipt' | wc -l)" = 1 ]

# 6. several clients at once
pids=()
for i in 1 2 3 4 5 6; do
	sed "s|</[A-Za-z]*>\$|<!-- parallel $i -->&|" "$R/02-intel-to-customs-clearance.xml" >"$W/par$i.xml"
	printf '\n<!-- parallel %d -->\n' "$i" >>"$W/par$i.xml"
	curl -sS --max-time 30 --cacert "$D/pki/ca.pem" --cert "$D/pki/intel.pem" --key "$D/pki/intel.key" \
		-o "$W/par$i.out" -w '%{http_code}\n' --data-binary "@$W/par$i.xml" "$U?to=customs" >"$W/par$i.code" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}" # not the daemon
codes=$(cat "$W"/par*.code | sort | uniq -c | tr -s ' ')
check "six clients at once each get 200 ($codes)" [ "$(grep -c '^200$' "$W"/par*.code | awk -F: '{s+=$2} END {print s}')" = 6 ]

# 7. revocation: a certificate that works, revoked, CRL reloaded on SIGHUP, then refused
post "$D/pki/partner-fra" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "partner-fra's certificate works before revocation (got $CODE)" [ "$CODE" = 403 ] || [ "$CODE" = 200 ]
"$SLUICE" certs revoke "$D/pki" partner-fra >/dev/null
kill -HUP "$DPID"
check "SIGHUP reloads the TLS certificates and CRL" wait_log "reloaded: policy .*, TLS certificates and CRL"
check "... and the listener is back" wait_log "sluiced\[[0-9]*\] tls: listening.*" 
sleep 0.5
post "$D/pki/partner-fra" "$U?to=police" "$R/01-intel-to-police-plain.xml"
check "a revoked certificate: no HTTP answer (got $CODE, curl $CURL)" [ "$CODE" = 000 ] && [ "$CURL" != 0 ]
check "... logged as revoked" wait_log "certificate revoked"
post "$D/pki/police" "$U?to=customs" "$R/14-police-to-customs-case.xml"
check "other agencies still get through (got $CODE)" [ "$CODE" = 200 ]

# a broken CRL on SIGHUP keeps the old material
cp "$D/pki/ca.crl" "$W/crl.good"
echo "not a crl" >"$D/pki/ca.crl"
kill -HUP "$DPID"
check "a broken CRL on SIGHUP is refused and logged" wait_log "reload refused.*config.tls"
post "$D/pki/police" "$U?to=customs" "$R/14-police-to-customs-case.xml"
check "... the listener keeps working (got $CODE)" [ "$CODE" = 200 ]
cp "$W/crl.good" "$D/pki/ca.crl"

# 8. the listener killed: the pipeline is restarted and serves again
pkill -9 -P "$DPID" -x sluiced-tls || true
check "a killed listener is noticed" wait_log "the TLS listener (pid [0-9]*) was killed"
ok_again() {
	for _ in $(seq 1 50); do
		post "$D/pki/intel" "$U?to=police" "$R/01-intel-to-police-plain.xml"
		[ "$CODE" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}
check "... and the restarted listener answers 200" ok_again

# 9. SIGTERM: clean stop, the audit log verifies
kill -TERM "$DPID"
for _ in $(seq 1 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops the daemon" bash -c "! kill -0 $DPID 2>/dev/null"
check "the audit log verifies" "$SLUICE" audit verify --pub "$D/pki/gateway-signing.pub" "$D/state/audit.log"
no_daemon_left() { ! pgrep -f "$D/sluiced.yaml" >/dev/null; }
check "no process left behind" no_daemon_left
pkill -9 -f "$D/sluiced.yaml" 2>/dev/null || true
if [ "$FAILED" -gt 0 ]; then
	echo "--- the daemon's log:"
	tail -40 "$W/daemon.log"
fi
finish
