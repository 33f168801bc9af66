#!/usr/bin/env bash
# Sets up and runs the whole test suite: unit tests and integration tests (which start their own
# redis-server processes and the real daemon on free loopback ports), once in a normal build and
# once under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            both builds
#   scripts/test.sh --quick    normal build only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

# Integration tests open many sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGW_SANITIZE=OFF
if [ "${1:-}" != "--quick" ]; then
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DWSGW_SANITIZE=ON
  echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2
fi
echo "== tests (RelWithDebInfo) =="
ctest --test-dir build --output-on-failure -j 2
