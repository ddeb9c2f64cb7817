#!/usr/bin/env bash
# `sluice audit verify` and `sluice audit stats` over several nodes' logs at once (issue 9):
# each log with its own key; every log verified and named, the exit 1 when any is not intact;
# usage errors for a LOG without a key before it and a --head after the last LOG; stats add the
# logs up and say how many.
# Usage: bash test_audit_nodes.sh PATH/TO/sluice
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
require_tools openssl jq
for n in 1 2; do
	make_keys "$W" "node$n"
	demo_audit_log "$W/node$n.key" "$W/node$n.log" >"$W/count$n"
done
expect 0 "two nodes' logs verify, each with its key" audit verify --pub "$W/node1.pub" "$W/node1.log" --pub "$W/node2.pub" "$W/node2.log"
check "... each named in its line" grep -q "node2.log: audit log intact" "$W/sl.out"
check "... and counted" grep -q "^2 nodes: 2 intact, 0 not$" "$W/sl.out"
expect 1 "a log under another node's key is not intact" audit verify --pub "$W/node1.pub" "$W/node1.log" "$W/node2.log"
check "... --pub carries over to the next LOG, and the count says so" grep -q "^2 nodes: 1 intact, 1 not$" "$W/sl.out"
sed '1s/"from":"[a-z-]*"/"from":"forged"/' "$W/node2.log" >"$W/bad.log"
check "a copy of node 2's log with its first record changed is made" bash -c '! cmp -s "$0" "$1"' "$W/node2.log" "$W/bad.log"
expect 1 "a tampered node's log fails the run" audit verify --pub "$W/node2.pub" "$W/bad.log" --pub "$W/node1.pub" "$W/node1.log"
check "... the other node is still verified" grep -q "node1.log: audit log intact" "$W/sl.out"
check "... and the bad one named with its line" grep -q "bad.log" "$W/sl.out" "$W/sl.err"
expect 64 "a LOG without --pub before it is a usage error" audit verify "$W/node1.log" --pub "$W/node1.pub"
expect 64 "a --head after the last LOG is a usage error" audit verify --pub "$W/node1.pub" "$W/node1.log" --head "$W/x.sth"
expect 0 "one LOG still verifies as before" audit verify --pub "$W/node1.pub" "$W/node1.log"
check "... without a node count" lacks -q "nodes:" "$W/sl.out"
expect 0 "stats over two logs" audit stats --no-index "$W/node1.log" "$W/node2.log"
check "... say how many" grep -q "^nodes: 2" "$W/sl.out"
r1=$(audit_transfers "$W/node1.log")
r2=$(audit_transfers "$W/node2.log")
check "... and add the records up ($((r1 + r2)))" grep -q "^records      $((r1 + r2)) transfer records" "$W/sl.out"
expect 0 "stats --json over two logs" audit stats --no-index --json "$W/node1.log" "$W/node2.log"
check "... carry logs: 2" [ "$(jq -r .logs "$W/sl.out")" = 2 ]
expect 64 "--index FILE with two logs is a usage error" audit stats --index "$W/x.idx" "$W/node1.log" "$W/node2.log"
finish
