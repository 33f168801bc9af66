#!/usr/bin/env bash
# CI smoke test of the load generator: a small fanout against the real daemon. Checks only
# that every delivery arrived once (no timing: it must pass on a slow machine).
#   bench/smoke.sh GATEWAY_BIN BENCH_BIN
set -euo pipefail
GATEWAY_BIN=$1
BENCH_BIN=$2
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/lib.sh"
redis_port=$(free_port); gw_port=$(free_port)
trap 'stop_pid "${GW_PID:-}"; stop_pid "${REDIS_PID:-}"' EXIT
start_redis "$redis_port"
start_gateway ws-gateway "$gw_port" "$redis_port" 2
out=$("$BENCH_BIN" --mode fanout --port "$gw_port" --redis-port "$redis_port" --secret bench-secret \
  --connections 200 --users 100 --messages 2000 --gateway-pid "$GW_PID")
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["received"] == r["expected"] == 4000, f"expected 4000 deliveries, got {r['received']}"
assert r["lost"] == 0 and r["duplicates"] == 0, r
print("bench smoke ok: every delivery arrived once")
PY
