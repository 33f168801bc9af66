#!/usr/bin/env bash
# permessage-deflate side by side, in one run: the same gateway build, sockets that offer the
# extension and sockets that do not, alternating run by run. For each message size: the TCP
# payload bytes the sockets received per delivered message (TCP_INFO) and the gateway's CPU per
# delivery, in a fan-out burst (2000 sockets of 1000 users) and a broadcast (10k sockets of one
# user); a progress run (phased project_progress, ~330 bytes, at 5k msg/s); then RSS per idle
# socket with the extension agreed. Run it with the gateway's defaults (compression_min_bytes
# 1024: the seed's messages, progress and the 400-byte ones go out plain either way); the seed's
# notification and the progress run also run with compression_min_bytes = 0 ("deflate-min0").
# Raw lines go to bench/results/compression.jsonl, medians to stdout.
#   bench/compression.sh [RUNS]          (default 3)
# Sizes: BENCH_PAYLOAD_SIZES (default "0 400 1500 6000"; 0 is the seed's ~90-byte notification).
# Each burst fits what a default Redis and the kernel hold, so that nothing is lost and every
# delivery is counted: a fan-out burst publishes at most 12 MB (Redis closes a subscriber whose
# pubsub output buffer passes 32 MB, client-output-buffer-limit), and a broadcast delivers at
# most 400 MB (more, queued in 10k loopback sockets behind one load generator, puts the kernel's
# TCP memory under pressure and its drops and retransmits stall the run). A run that lost a
# delivery anyway is marked failed and left out (bench/lib.sh).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
cd "$ROOT"
RUNS=${1:-3}
SIZES=${BENCH_PAYLOAD_SIZES:-"0 400 1500 6000"}

source "$BENCH_DIR/lib.sh"
bench_prepare bench/results/compression.jsonl
# The gateway's compression_min_bytes for a side: 0 for deflate-min0, else its default.
min_bytes() { if [ "$1" = deflate-min0 ]; then export WSGW_COMPRESSION_MIN_BYTES=0; else unset WSGW_COMPRESSION_MIN_BYTES; fi; }

for r in $(seq "$RUNS"); do
  for size in $SIZES; do
    # The seed's notification is under the default minimum: it also runs with
    # compression_min_bytes = 0 ("deflate-min0"), to show what compressing it would save and cost.
    sides="plain deflate"; [ "$size" = 0 ] && sides="plain deflate deflate-min0"
    for side in $sides; do
      flag=(); [ "$side" != plain ] && flag=(--deflate)
      min_bytes "$side"
      echo "run $r: $size bytes, $side" >&2
      bytes=$(( size > 400 ? size : 400 ))
      fanout_messages=$(( 12000000 / bytes < 30000 ? 12000000 / bytes : 30000 ))
      broadcast_messages=$(( 40000 / bytes < 100 ? 40000 / bytes : 100 ))
      bench_run "$side" ws-gateway 2 -- --mode fanout --connections 2000 --users 1000 --messages "$fanout_messages" \
        --payload-bytes "$size" "${flag[@]}" >/dev/null
      bench_run "$side" ws-gateway 2 -- --mode broadcast --connections 10000 --messages "$broadcast_messages" \
        --payload-bytes "$size" "${flag[@]}" >/dev/null
    done
  done
  # A progress run (the phased form, ~330 bytes) at a steady 5k msg/s: a burst would coalesce
  # the queued progress of a project (by design), which counts as lost here.
  for side in plain deflate deflate-min0; do
    flag=(); [ "$side" != plain ] && flag=(--deflate)
    min_bytes "$side"
    echo "run $r: progress, $side" >&2
    bench_run "$side" ws-gateway 2 -- --mode fanout --connections 2000 --users 1000 --messages 25000 --rate 5000 \
      --channel progress "${flag[@]}" >/dev/null
  done
  min_bytes plain
  for side in plain deflate; do
    flag=(); [ "$side" = deflate ] && flag=(--deflate)
    bench_run "$side" ws-gateway 2 -- --mode idle --connections "${BENCH_IDLE_CONNECTIONS:-10000}" --users 1000 \
      "${flag[@]}" >/dev/null
  done
done

python3 - "$RAW" <<'PY'
import json, statistics, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failed = [r for r in rows if r.get("failed")]
rows = [r for r in rows if not r.get("failed")]
g = collections.defaultdict(list)
for r in rows:
    what = "progress" if r.get("channel") == "progress" else (r.get("payload_bytes", 0) or "seed")
    g[(r["mode"], str(what), r["label"])].append(r)
med = lambda rs, k: statistics.median(x[k] for x in rs)
print("| mode | message | side | messages | wire bytes per delivery, plain → side | ratio | CPU µs per delivery, plain → side | ratio |")
print("|---|---|---|---|---|---|---|---|")
for (mode, what, label) in sorted(k for k in g if k[2] != "plain" and k[0] != "idle"):
    p, d = g.get((mode, what, "plain"), []), g[(mode, what, label)]
    if not p: continue
    bp, bd = med(p, "wire_bytes_per_delivery"), med(d, "wire_bytes_per_delivery")
    cp, cd = med(p, "gateway_cpu_us_per_delivery"), med(d, "gateway_cpu_us_per_delivery")
    print(f"| {mode} | {what} | {label} | {p[0]['messages']} | {bp:.0f} → {bd:.0f} | {bp / bd:.2f}× fewer | {cp:.2f} → {cd:.2f} | {cd / cp:.2f}× |")
for label in ("plain", "deflate"):
    rs = g.get(("idle", "seed", label), [])
    if rs: print(f"| idle | | {label} | | KiB per connection {med(rs, 'gateway_kib_per_connection'):.2f} | | | |")
for r in failed:
    print(f"failed, left out: {r['label']} {r.get('args', '')}: {r.get('failure', 'the generator failed')}")
PY
