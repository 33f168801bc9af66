#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time on its seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 30 seconds, every target)
#   WSGW_FUZZ_SEED   libFuzzer's -seed (default 1, so a run repeats the same mutations; 0: random)
#   WSGW_FUZZ_JOBS   parallel fuzzing processes per target (default 1)
#
# Nothing a run finds is thrown away. Each target gets build-fuzz/runs/<target>/ with
#   corpus/     the seeds (tests/fuzz/corpus/<target>/, copied: the repository is never written)
#               plus every input the run added
#   artifacts/  crash-*, leak-*, timeout-*, oom-* inputs, kept across runs
#   log         the whole output (with several jobs, fuzz-<n>.log files beside it)
# A failing target prints its whole report, each artifact in hex and how to replay it, and the
# script exits non-zero after the remaining targets have run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_message fuzz_channel fuzz_token fuzz_config fuzz_ws_frame fuzz_ws_deflate fuzz_request_headers fuzz_jwks)
seed=${WSGW_FUZZ_SEED:-1}
jobs=${WSGW_FUZZ_JOBS:-1}

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DWSGW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j 2

root=$(pwd)
failed=()
for target in "${targets[@]}"; do
  run="$root/build-fuzz/runs/$target"
  rm -rf "$run/corpus" "$run"/log "$run"/fuzz-*.log
  mkdir -p "$run/corpus" "$run/artifacts"
  cp "tests/fuzz/corpus/$target"/* "$run/corpus/"
  args=(-max_total_time="$seconds" -max_len=70000 -seed="$seed" -print_final_stats=1
        -artifact_prefix="$run/artifacts/")
  [ -f "tests/fuzz/$target.dict" ] && args+=(-dict="$root/tests/fuzz/$target.dict")
  [ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
  touch "$run/.start"
  echo "== $target: ${seconds}s, seed $seed, $jobs job(s); kept in $run =="
  status=0
  # Run from the target's folder: with -jobs, libFuzzer writes fuzz-<n>.log to the working directory.
  (cd "$run" && ASAN_OPTIONS=detect_leaks=1 "$root/build-fuzz/tests/fuzz/$target" "${args[@]}" corpus >log 2>&1) \
    || status=$?
  if [ "$status" -eq 0 ]; then
    cat "$run/log" "$run"/fuzz-*.log 2>/dev/null | grep -E '^Done [0-9]+ runs' || true
    continue
  fi
  failed+=("$target")
  echo "!! $target failed (exit $status). Whole report:"
  cat "$run/log"
  for f in "$run"/fuzz-*.log; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
  find "$run/artifacts" -type f -newer "$run/.start" | while read -r a; do
    echo "--- input $a ($(wc -c <"$a") bytes), first 4 KiB in hex:"
    head -c 4096 "$a" | od -A x -t x1z -v
    echo "replay: build-fuzz/tests/fuzz/$target $a"
    echo "keep as a regression test: cp $a tests/fuzz/corpus/$target/<name>"
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (inputs kept under build-fuzz/runs/<target>/artifacts/)" >&2
  exit 1
fi
