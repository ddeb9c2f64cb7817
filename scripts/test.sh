#!/usr/bin/env bash
# The README's second command (and what CI runs): installs what is missing, then builds with
# warnings as errors and runs the whole test suite twice (ctest -j3: most daemon tests wait on
# timers and sockets, so three at once on two cores keep CI well under 30 minutes): a normal hardened build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Then the public SPEC conformance smoke
# test when ../shared is beside the checkout, and a short run of every fuzz target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"

status=0
echo "== build (hardened, -Werror)"
scripts/build.sh build
echo "== tests"
(cd build && ctest --output-on-failure -j3) || status=1
echo "== binary hardening and file modes (scripts/check-hardening.sh)"
scripts/check-hardening.sh build/sluice build/sluiced || status=1

echo "== build (ASan + UBSan, -Werror)"
scripts/build.sh build-asan -DSLUICE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j3) || status=1

if [ -x ../shared/conformance/run-core ]; then
  echo "== SPEC conformance smoke test (../shared/conformance/run-core)"
  ../shared/conformance/run-core build/sluice || status=1
else
  echo "== SPEC conformance smoke test skipped: ../shared/conformance/run-core not present"
fi

if [ -f fuzz/CMakeLists.txt ]; then
  echo "== fuzz targets (libFuzzer, short run each)"
  if scripts/build.sh build-fuzz -DSLUICE_FUZZ=ON -DCMAKE_C_COMPILER=clang -DBUILD_TESTING=OFF; then
    scripts/fuzz.sh build-fuzz 6 || status=1
  else
    status=1
  fi
fi

if [ $status -ne 0 ]; then
  echo "scripts/test.sh: FAILED"
fi
exit $status
