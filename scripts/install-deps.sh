#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and run Sluice (apt-get).
# Each package is named for a reason: see docs/DEPENDENCIES.md.
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang      # compilers (clang for libFuzzer targets)
  libssl-dev libxml2-dev libyaml-dev libseccomp-dev libpcre2-dev libjansson-dev
  libevent-dev                                # the daemon's mutual-TLS listener (evhttp + bufferevent_openssl)
  libsqlite3-dev                              # the audit index of `sluice audit index` / query / stats
  libcmocka-dev                               # unit tests
  openssl libxml2-utils jq time curl          # demo and end-to-end tests (openssl, xmllint, jq, /usr/bin/time, curl)
  xsltproc                                    # bench/peer: the standard-tools pipeline Sluice is measured against
  xmlsec1                                     # tests: a standard XML-DSig tool verifies the ADatP-4778 bindings
  python3                                     # end-to-end tests: PNG check of the report screenshot, a UDP syslog listener
  chromium                                    # end-to-end tests only: the oversight report opened in a real browser (headless)
  sqlite3                                     # test_audit_index.sh damages index files on purpose
  strace                                      # end-to-end tests only: proof that hostile inputs make no process open a file or a socket
  librabbitmq-dev                             # the forwarder's RabbitMQ transport (config rabbitmq:), and the tests' consumer
  rabbitmq-server haproxy rsyslog             # tests only: a private broker, the load balancer and the audit collector of tests/cluster
  rsyslog-relp                                # imrelp, the collector of test_daemon_relp.sh (sluiced-relp speaks RELP itself)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# rabbitmq-server, haproxy and rsyslog are services: the tests start their own on loopback with
# private ports and folders, so the system's copies are not started by the install (policy-rc.d
# 101: "action forbidden"), unless the machine already has a policy-rc.d of its own.
policy_rc=/usr/sbin/policy-rc.d
made_policy_rc=""
if [ ! -e "$policy_rc" ] && [ -z "$SUDO" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy_rc" && chmod 755 "$policy_rc" && made_policy_rc=1
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ -z "$made_policy_rc" ] || rm -f "$policy_rc"
