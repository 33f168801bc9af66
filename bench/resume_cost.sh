#!/usr/bin/env bash
# What the resume window costs in the loaded process: the fan-out burst (50k messages to 2000
# sockets of 1000 users) with resume on (the defaults) and off (WSGW_RESUME_WINDOW_S=0), at
# 1, 2, 4 and 8 I/O threads, alternating on and off run by run, the same build. On a machine with
# fewer cores than threads this measures what each added thread multiplies, not parallel speed.
# Raw lines go to bench/results/resume-cost.jsonl, medians and ratios to stdout.
#   bench/resume_cost.sh [RUNS]          (default 3)
# With PERF=1, also records a profile (perf record -g) of one resume-on run per thread count
# into bench/results/resume-cost-<threads>t.perf.txt (the top symbols).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"
RUNS=${1:-3}
THREADS=${BENCH_THREADS:-"1 2 4 8"}

source "$BENCH_DIR/lib.sh"
bench_prepare bench/results/resume-cost.jsonl

for r in $(seq "$RUNS"); do
  for t in $THREADS; do
    for window in 300 0; do
      echo "run $r: $t threads, resume_window_s=$window" >&2
      WSGW_RESUME_WINDOW_S=$window bench_run "window$window-threads$t" ws-gateway "$t" -- \
        --mode fanout --connections 2000 --users 1000 --messages 50000 >/dev/null
    done
  done
done

if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  for t in $THREADS; do
    port=$(free_port)
    start_gateway ws-gateway "$port" "$redis_port" "$t"
    perf record -g -o /tmp/wsgw-resume.perf -p "$GW_PID" 2>/dev/null &
    perf_pid=$!
    "$BENCH" --port "$port" --redis-port "$redis_port" --secret bench-secret --gateway-pid "$GW_PID" \
      --mode fanout --connections 2000 --users 1000 --messages 50000 >/dev/null
    kill -INT "$perf_pid"; wait "$perf_pid" || true
    stop_pid "$GW_PID"; GW_PID=""
    perf report -i /tmp/wsgw-resume.perf --no-children --sort symbol -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
      | cut -c1-150 | head -40 > "bench/results/resume-cost-${t}t.perf.txt" || true
  done
fi

python3 - "$RAW" <<'PY'
import json, statistics, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failed = [r for r in rows if r.get("failed")]
g = collections.defaultdict(list)
for r in rows:
    if not r.get("failed"): g[r["label"]].append(r["gateway_cpu_us_per_delivery"])
threads = sorted({int(k.split("threads")[1]) for k in g})
print("| I/O threads | CPU µs per delivery, resume on | resume off | on / off |")
print("|---|---|---|---|")
for t in threads:
    on, off = g.get(f"window300-threads{t}"), g.get(f"window0-threads{t}")
    if not on or not off: continue
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"| {t} | {m_on:.2f} ({min(on):.2f}–{max(on):.2f}) | {m_off:.2f} ({min(off):.2f}–{max(off):.2f}) | {m_on / m_off:.3f} |")
if failed: print(f"{len(failed)} failed runs")
PY
