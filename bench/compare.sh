#!/usr/bin/env bash
# Before/after comparison of ws-gateway itself: builds git ref BASE (default HEAD~1) in a
# temporary worktree and the working tree, both Release, then runs the main figures RUNS times
# (default 3), alternating the two builds run by run so that machine noise hits both alike.
# Prints a table of medians and the after/before ratio; raw lines go to
# bench/results/compare.jsonl.
#   bench/compare.sh [BASE] [RUNS]
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"
BASE=${1:-HEAD~1}
RUNS=${2:-3}

scripts/deps.sh
base_tree=$(mktemp -d /tmp/wsgw-base.XXXXXX)
git worktree add --detach "$base_tree" "$BASE" >/dev/null
trap 'git worktree remove --force "$base_tree"; stop_pid "${GW_PID:-}"; stop_pid "${REDIS_PID:-}"' EXIT
"$base_tree/scripts/build.sh" build -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF >/dev/null
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF >/dev/null
# One load generator (the working tree's) measures both.
BENCH=$ROOT/build-release/bench/ws-gateway-bench
source "$BENCH_DIR/lib.sh"
ulimit -n "$(ulimit -Hn)"

mkdir -p bench/results
RAW=bench/results/compare.jsonl
: > "$RAW"
redis_port=$(free_port)
start_redis "$redis_port"

for r in $(seq "$RUNS"); do
  for side in before after; do
    GATEWAY_BIN=$ROOT/build-release/ws-gateway
    [ "$side" = before ] && GATEWAY_BIN=$base_tree/build/ws-gateway
    echo "run $r: $side" >&2
    {
      bench_run "$side" ws-gateway 2 -- --mode fanout --connections 2000 --users 1000 --messages 50000
      bench_run "$side" ws-gateway 2 -- --mode broadcast --connections 10000 --messages 100
      bench_run "$side" ws-gateway 2 -- --mode idle --connections "${BENCH_IDLE_CONNECTIONS:-10000}" --users 1000
      bench_run "$side" ws-gateway 2 -- --mode fanout --connections 2000 --users 1000 --messages 25000 --rate 5000
    } >/dev/null
  done
done

python3 - "$RAW" "$BASE" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failed = [r for r in rows if r.get("failed")]
rows = [r for r in rows if not r.get("failed")]
figures = [
    ("CPU/delivery, fanout burst (µs)", lambda r: r["mode"] == "fanout" and not r.get("rate"), lambda r: r["gateway_cpu_us_per_delivery"]),
    ("deliveries/s, fanout burst", lambda r: r["mode"] == "fanout" and not r.get("rate"), lambda r: r["deliveries_per_s"]),
    ("CPU/delivery, broadcast (µs)", lambda r: r["mode"] == "broadcast", lambda r: r["gateway_cpu_us_per_delivery"]),
    ("RSS per idle connection (KiB)", lambda r: r["mode"] == "idle", lambda r: r["gateway_kib_per_connection"]),
    ("CPU per connect (µs)", lambda r: r["mode"] == "idle", lambda r: r["gateway_cpu_us_per_connect"]),
    ("p99 at 5k msg/s (ms)", lambda r: r["mode"] == "fanout" and r.get("rate"), lambda r: r["latency_us"]["p99"] / 1000),
    ("p99.9 at 5k msg/s (ms)", lambda r: r["mode"] == "fanout" and r.get("rate"), lambda r: r["latency_us"]["p999"] / 1000),
]
print(f"| figure (median of runs) | before ({sys.argv[2]}) | after | after/before |")
print("|---|---|---|---|")
for name, match, value in figures:
    med = {}
    for side in ("before", "after"):
        vals = [value(r) for r in rows if r["label"] == side and match(r)]
        med[side] = statistics.median(vals) if vals else None
    b, a = med["before"], med["after"]
    ratio = f"{a / b:.2f}" if a is not None and b else "n/a"
    fmt = lambda v: "n/a" if v is None else (f"{v:,.0f}" if v >= 1000 else f"{v:.2f}")
    print(f"| {name} | {fmt(b)} | {fmt(a)} | {ratio} |")
for r in failed:
    print(f"failed: {r['label']} {r['args']}")
PY
