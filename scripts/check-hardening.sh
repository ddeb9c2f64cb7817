#!/usr/bin/env bash
# Binary hardening of the programs Sluice ships, and no world-writable files (issue 7, item 7).
# What CMakeLists.txt asks of the compiler and linker (STYLE.md 15) is checked in the ELF files
# themselves with readelf (binutils), so that a changed flag, toolchain or build type cannot
# quietly drop it:
#   pie             ELF type DYN with the PIE flag (address space layout randomisation)
#   relro           a GNU_RELRO segment (relocations made read-only after start-up)
#   bind-now        BIND_NOW: every symbol resolved at start-up, so all of RELRO applies (full RELRO)
#   stack-protector __stack_chk_fail imported (-fstack-protector-strong instrumented something)
#   fortify         at least one __*_chk function imported (_FORTIFY_SOURCE checked calls)
#   nx-stack        a GNU_STACK segment that is not executable
#   no-rpath        no RPATH/RUNPATH (libraries come from the system's paths only)
# then that no file of the checkout (git ls-files) or installed tree is world-writable.
#
# Usage: scripts/check-hardening.sh [BINARY...]   (default: build/sluice build/sluiced)
#        scripts/check-hardening.sh --expect-weak BINARY
#          the negative control: BINARY was built without any hardening, and every check above
#          must fail on it, which shows that each check can fail.
# Prints one "ok -" / "not ok -" line per check and "N passed, M failed"; exits 1 on a failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

expect_weak=0
if [ "${1:-}" = --expect-weak ]; then
	expect_weak=1
	shift
fi
if [ $# -eq 0 ]; then
	set -- "$root/build/sluice" "$root/build/sluiced"
fi
command -v readelf >/dev/null || { echo "not ok - readelf (binutils) is installed"; exit 1; }

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# verdict NAME BINARY DETAIL COMMAND...: the check passes when COMMAND succeeds; under
# --expect-weak it must fail instead.
verdict() {
	local name=$1 bin=$2 detail=$3
	shift 3
	if "$@"; then
		if [ $expect_weak = 1 ]; then not_ok "$bin: $name passes on the weak control ($detail)"
		else ok "$bin: $name ($detail)"; fi
	else
		if [ $expect_weak = 1 ]; then ok "$bin: $name fails on the weak control, as it must ($detail)"
		else not_ok "$bin: $name ($detail)"; fi
	fi
}

# The predicates, on the readelf output check_binary holds in $header, $dynamic, $segments and
# $symbols (bash's dynamic scope).
is_pie() { grep -q 'Type: *DYN' <<<"$header" && grep -qE '\(FLAGS_1\).*\bPIE\b' <<<"$dynamic"; }
has_relro() { grep -q GNU_RELRO <<<"$segments"; }
binds_now() { grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*\bNOW\b' <<<"$dynamic"; }
has_stack_protector() { grep -q '^__stack_chk_fail' <<<"$symbols"; }
has_nx_stack() { awk '$1 == "GNU_STACK" { found = 1; if ($7 ~ /E/) exec = 1 } END { exit !(found && !exec) }' <<<"$segments"; }
has_no_rpath() { ! grep -qE '\((RPATH|RUNPATH)\)' <<<"$dynamic"; }
not_world_writable() { [ -z "$(find "$1" -maxdepth 0 -perm -0002)" ]; }

check_binary() {
	local bin=$1 name header dynamic segments symbols chk
	name=$(basename "$bin")
	if [ ! -f "$bin" ]; then
		not_ok "$name: $bin exists (build it first)"
		return
	fi
	header=$(readelf -hW "$bin" 2>/dev/null)
	dynamic=$(readelf -dW "$bin" 2>/dev/null)
	segments=$(readelf -lW "$bin" 2>/dev/null)
	symbols=$(readelf --dyn-syms -W "$bin" 2>/dev/null | awk '$7 == "UND" { print $8 }')
	chk=$(grep -E '^__[a-z_0-9]+_chk(@|$)' <<<"$symbols" | grep -v '^__stack_chk_fail' | sed 's/@.*//' | sort -u)

	verdict pie "$name" "$(grep -o 'Type: *[A-Z]*' <<<"$header" | tr -s ' '), $(grep -o 'Flags:.*' <<<"$dynamic" | head -n 1)" is_pie
	verdict relro "$name" "GNU_RELRO segment" has_relro
	verdict bind-now "$name" "dynamic FLAGS BIND_NOW or FLAGS_1 NOW: full RELRO" binds_now
	verdict stack-protector "$name" "__stack_chk_fail imported" has_stack_protector
	verdict fortify "$name" "$(wc -w <<<"$chk" | tr -d ' ') checked functions: $(tr '\n' ' ' <<<"$chk" | sed 's/ $//')" test -n "$chk"
	verdict nx-stack "$name" "GNU_STACK $(awk '$1 == "GNU_STACK" { print $7 }' <<<"$segments")" has_nx_stack
	verdict no-rpath "$name" "no RPATH or RUNPATH" has_no_rpath
	if [ $expect_weak = 0 ]; then
		# The program itself, as built, must not be writable by others either.
		verdict not-world-writable "$name" "mode $(stat -c %a "$bin")" not_world_writable "$bin"
	fi
}

for bin in "$@"; do
	check_binary "$bin"
done

# ---- No world-writable files ----------------------------------------------------------------
# CMakeLists.txt has no install() rules yet, so what is shipped is the checkout: every tracked
# file. Once install rules exist, the installed tree is checked too.
if [ $expect_weak = 0 ]; then
	if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# %A is the mode as ls shows it; its ninth character is the others' write bit (links
		# are always rwxrwxrwx and mean nothing).
		writable=$(cd "$root" && git ls-files -z | xargs -0 -r stat -c '%A %n' 2>/dev/null |
			awk 'substr($1, 1, 1) != "l" && substr($1, 9, 1) == "w" { print $2 }' | head -n 5)
		tracked=$(cd "$root" && git ls-files | wc -l)
		if [ -z "$writable" ]; then ok "none of the $tracked tracked files is world-writable"
		else not_ok "world-writable tracked files: $(tr '\n' ' ' <<<"$writable")"; fi
	else
		ok "skipped: $root is not a git checkout, no tracked files to check"
	fi
	build_dir=$(dirname "$1")
	if grep -qE '^[[:space:]]*install[[:space:]]*\(' "$root/CMakeLists.txt" && [ -f "$build_dir/CMakeCache.txt" ]; then
		staging=$(mktemp -d)
		if cmake --install "$build_dir" --prefix "$staging" >/dev/null 2>&1; then
			writable=$(find "$staging" -perm -0002 ! -type l | head -n 5)
			if [ -z "$writable" ]; then ok "no installed file is world-writable ($(find "$staging" -type f | wc -l) files)"
			else not_ok "world-writable installed files: $(tr '\n' ' ' <<<"${writable//$staging/}")"; fi
		else
			not_ok "cmake --install $build_dir works"
		fi
		rm -rf "$staging"
	else
		ok "no install() rules in CMakeLists.txt: the installed tree is the checkout checked above"
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
