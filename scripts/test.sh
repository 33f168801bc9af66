#!/usr/bin/env bash
# Sets up and runs the whole test suite. Unit tests, and integration tests that start their own
# redis-server processes and the real daemon on free loopback ports, run in three builds:
# normal, AddressSanitizer + UndefinedBehaviorSanitizer, and ThreadSanitizer. Then each
# libFuzzer target runs for a bounded time on its seed corpus, and the container image is built
# and run.
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    normal build only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

# Integration tests open many sockets (10k connection churn).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

quick=false
[ "${1:-}" = "--quick" ] && quick=true

# The container stage needs a machine that can run containers; say so now, not after the builds.
# WSGW_REQUIRE_CONTAINER_TEST=1 (CI) makes a machine that cannot a failure instead of a skip.
container=true
if ! $quick; then
  if ! why=$(scripts/container-test.sh --probe); then
    if [ "${WSGW_REQUIRE_CONTAINER_TEST:-0}" = 1 ]; then
      echo "ws-gateway: $why; the container stage is required here (WSGW_REQUIRE_CONTAINER_TEST=1)" >&2
      exit 1
    fi
    echo "== container stage SKIPPED: $why. Run scripts/container-test.sh on a machine (or VM) that can run rootful podman. =="
    container=false
  fi
fi

if ! $quick; then
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DWSGW_SANITIZE=ON
  echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2

  scripts/build.sh build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGW_TSAN=ON
  echo "== tests under ThreadSanitizer (the gateway runs 2 I/O threads) =="
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    setarch "$(uname -m)" -R ctest --test-dir build-tsan --output-on-failure -j 2

  echo "== fuzzing =="
  scripts/fuzz.sh "${WSGW_FUZZ_SECONDS:-30}"

  if $container; then
    echo "== container image (docker/Dockerfile, rootful podman) =="
    scripts/container-test.sh
  fi
fi

# Warnings are errors in the project's own code here (sanitizer builds add instrumentation that
# makes GCC's flow analysis warn where the normal build does not).
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWSGW_WERROR=ON
echo "== tests (RelWithDebInfo) =="
ctest --test-dir build --output-on-failure -j 2
