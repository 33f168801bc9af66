#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time on its seed corpus
# (tests/fuzz/corpus/<target>/, copied so that runs never write into the repository).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DWSGW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in fuzz_message fuzz_channel fuzz_token fuzz_config fuzz_ws_frame; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  echo "== $target: ${seconds}s =="
  ASAN_OPTIONS=detect_leaks=1 build-fuzz/tests/fuzz/$target -max_total_time="$seconds" -max_len=70000 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/$target" 2>&1 | tail -n 12
  # libFuzzer exits non-zero on a crash, a leak or a sanitizer report; set -e stops here then.
done
