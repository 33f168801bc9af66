#!/usr/bin/env bash
# Side-by-side benchmark: Redis, then each gateway in turn (ws-gateway with 1 and 2 threads, the
# Node.js and Go peers), the load generator in each mode, RUNS times each. Writes raw JSON lines to
# bench/results/, the tables to BENCHMARKS.md and plots to bench/results/*.png.
#   bench/run.sh [RUNS]          (default 3)
# Environment: BENCH_IDLE_CONNECTIONS (default 10000), BENCH_SCALE ("1000 5000 10000 19000").
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"
RUNS=${1:-3}
IDLE=${BENCH_IDLE_CONNECTIONS:-10000}
SCALE=${BENCH_SCALE:-"1000 5000 10000 19000"}

scripts/deps.sh
command -v gnuplot >/dev/null || { apt-get update && apt-get install -y --no-install-recommends gnuplot-nox; }
command -v node >/dev/null || { apt-get update && apt-get install -y --no-install-recommends nodejs npm; }
bench/peers/install.sh
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF
GATEWAY_BIN=$ROOT/build-release/ws-gateway
BENCH=$ROOT/build-release/bench/ws-gateway-bench
source "$BENCH_DIR/lib.sh"
ulimit -n "$(ulimit -Hn)"

mkdir -p bench/results
RAW=bench/results/raw.jsonl
: > "$RAW"
redis_port=$(free_port)
start_redis "$redis_port"
trap 'stop_pid "${GW_PID:-}"; stop_pid "$REDIS_PID"' EXIT

GATEWAYS=("ws-gateway:ws-gateway:2" "ws-gateway-1t:ws-gateway:1" "node:node:1" "go:go:1")
FLOOR=$ROOT/build-release/bench/ws-gateway-floor
for r in $(seq "$RUNS"); do
  # The kernel's cost per write to one of 2000 loopback sockets, 1/2/4/16 frames per write, in
  # the same run: every CPU-per-delivery figure is reported as a multiple of it.
  "$FLOOR" --sockets 2000 --frames 200000 --batch 1 --batch 2 --batch 4 --batch 16 | tee -a "$RAW"
  for g in "${GATEWAYS[@]}"; do
    IFS=: read -r label kind threads <<<"$g"
    bench_run "$label" "$kind" "$threads" -- --mode fanout --connections 2000 --users 1000 --messages 50000
    bench_run "$label" "$kind" "$threads" -- --mode broadcast --connections 10000 --messages 100
    bench_run "$label" "$kind" "$threads" -- --mode idle --connections "$IDLE" --users 1000
    bench_run "$label" "$kind" "$threads" -- --mode fanout --connections 2000 --users 1000 --messages 25000 --rate 5000
    for c in $SCALE; do
      bench_run "$label" "$kind" "$threads" -- --mode fanout --connections "$c" --users $((c / 2)) --messages 25000 --rate 5000
    done
  done
done
python3 bench/report.py "$RAW" "$RUNS" "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
