#!/usr/bin/env python3
"""Turns bench/run.sh's raw JSON lines into BENCHMARKS.md tables and gnuplot PNGs.

usage: report.py RAW.jsonl RUNS "machine description"
"""
import collections
import json
import os
import statistics
import subprocess
import sys

raw_path, runs, machine = sys.argv[1], sys.argv[2], sys.argv[3]
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rows = [json.loads(l) for l in open(raw_path) if l.strip()]
failed = [r for r in rows if r.get("failed")]
rows = [r for r in rows if not r.get("failed")]

LABELS = [("ws-gateway", "ws-gateway, 2 threads"), ("ws-gateway-1t", "ws-gateway, 1 thread"), ("node", "Node.js (ws + ioredis)"),
          ("go", "Go (gorilla/websocket + redigo)")]


def pick(label, mode, connections=None, rate=None, messages=None):
    out = []
    for r in rows:
        if r["label"] != label or r["mode"] != mode:
            continue
        if connections is not None and r["connections"] != connections:
            continue
        if rate is not None and r.get("rate", 0) != rate:
            continue
        if messages is not None and r.get("messages") != messages:
            continue
        out.append(r)
    return out


def stat(values, fmt):
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def col(label, mode, key, fmt, sub=None, **kw):
    rs = pick(label, mode, **kw)
    vals = [(r[key][sub] if sub else r[key]) for r in rs]
    return stat(vals, fmt)


figures = [
    ("gateway CPU per delivery, 2000 sockets / 1000 users, 50k messages burst (µs)",
     dict(mode="fanout", key="gateway_cpu_us_per_delivery", fmt="{:.2f}", connections=2000, rate=0), "≤ 3"),
    ("deliveries/s in that burst",
     dict(mode="fanout", key="deliveries_per_s", fmt="{:,.0f}", connections=2000, rate=0), ""),
    ("gateway CPU per delivery, one user with 10k sockets, 100 messages (µs)",
     dict(mode="broadcast", key="gateway_cpu_us_per_delivery", fmt="{:.2f}"), "≤ 2"),
    ("RSS per idle authenticated connection (KiB)",
     dict(mode="idle", key="gateway_kib_per_connection", fmt="{:.2f}"), "≤ 2"),
    ("gateway CPU per connect + upgrade + JWT (µs)",
     dict(mode="idle", key="gateway_cpu_us_per_connect", fmt="{:.1f}"), "≤ 20"),
    ("publish→receive p99 at 5k msg/s to 2000 sockets (ms)",
     dict(mode="fanout", key="latency_us", sub="p99", fmt="{:.2f}", connections=2000, rate=5000, messages=25000), "≤ 1"),
    ("publish→receive p99.9 at 5k msg/s to 2000 sockets (ms)",
     dict(mode="fanout", key="latency_us", sub="p999", fmt="{:.2f}", connections=2000, rate=5000, messages=25000), "≤ 2"),
    ("load generator CPU per delivery in the burst (µs)",
     dict(mode="fanout", key="bench_cpu_us_per_delivery", fmt="{:.2f}", connections=2000, rate=0), ""),
]

lines = []
lines.append("# Benchmarks\n")
lines.append(f"Machine: {machine}; Debian 12, loopback, the load generator on the same machine as the "
             "gateway under test (it competes for the same 2 cores; its own CPU per delivery is in the table). "
             f"Each figure is the median of {runs} runs, with min–max in parentheses.\n")
lines.append("Reproduce with `bench/run.sh " + runs + "` (it installs what is missing, builds a Release "
             "tree in `build-release/`, starts Redis, each gateway in turn and `ws-gateway-bench` in each "
             "mode, and rewrites this file and `bench/results/`).\n")
lines.append("| figure | " + " | ".join(name for _, name in LABELS) + " | target |")
lines.append("|---|" + "---|" * len(LABELS) + "---|")
for title, spec, target in figures:
    spec = dict(spec)
    mode, key, fmt = spec.pop("mode"), spec.pop("key"), spec.pop("fmt")
    sub = spec.pop("sub", None)
    cells = []
    for label, _ in LABELS:
        if sub:
            rs = pick(label, mode, **spec)
            vals = [r[key][sub] / 1000.0 for r in rs]  # µs -> ms
            cells.append(stat(vals, fmt))
        else:
            cells.append(col(label, mode, key, fmt, **spec))
    lines.append(f"| {title} | " + " | ".join(cells) + f" | {target} |")

# The floor: the kernel's CPU per write of a small frame to one of 2000 loopback sockets
# (bench/floor.cpp), measured in the same run.
floor_rows = [r for r in rows if r["mode"] == "floor"]
floor_batches = sorted({r["batch"] for r in floor_rows})
floor_per_frame = {b: [r["cpu_ns_per_frame"] / 1000.0 for r in floor_rows if r["batch"] == b] for b in floor_batches}
if floor_rows:
    lines.append("\n## Against the floor\n")
    lines.append("The kernel's CPU for the write a delivery needs: `ws-gateway-floor` (bench/floor.cpp) writes "
                 f"{floor_rows[0]['frame_bytes']}-byte frames round robin to {floor_rows[0]['sockets']} loopback TCP "
                 "sockets with TCP_NODELAY, K frames per `writev`, and counts the writing thread's CPU; on loopback "
                 "that includes the receiving side's TCP work, as it does for the gateways above.\n")
    lines.append("| frames per write | kernel CPU per write (µs) | per frame (µs) |")
    lines.append("|---|---|---|")
    for b in floor_batches:
        per_write = [r["cpu_ns_per_write"] / 1000.0 for r in floor_rows if r["batch"] == b]
        lines.append(f"| {b} | {stat(per_write, '{:.2f}')} | {stat(floor_per_frame[b], '{:.2f}')} |")
    if 1 in floor_per_frame and floor_per_frame[1]:
        one = statistics.median(floor_per_frame[1])
        most = max(floor_batches)
        best = statistics.median(floor_per_frame[most])
        lines.append("\nEach CPU-per-delivery figure as a multiple of the floor per frame with one frame per write "
                     f"({one:.2f} µs) and with {most} ({best:.2f} µs). Below 1× the first, a gateway spends less per "
                     "delivery, all its work included, than one write per delivery alone would cost; the second "
                     "is what batching can reach at best:\n")
        lines.append("| figure | " + " | ".join(name for _, name in LABELS) + " |")
        lines.append("|---|" + "---|" * len(LABELS))
        for title, mode, key, kw in [
                ("CPU per delivery, burst (2000 sockets)", "fanout", "gateway_cpu_us_per_delivery",
                 dict(connections=2000, rate=0)),
                ("CPU per delivery, one user with 10k sockets", "broadcast", "gateway_cpu_us_per_delivery", {})]:
            cells = []
            for label, _ in LABELS:
                vals = [r[key] for r in pick(label, mode, **kw)]
                cells.append(f"{statistics.median(vals) / one:.2f}× / {statistics.median(vals) / best:.1f}×" if vals else "n/a")
            lines.append(f"| {title} | " + " | ".join(cells) + " |")

lines.append("\n## Latency and throughput against connections (5k msg/s, 2 sockets per user)\n")
lines.append("| connections | " + " | ".join(f"{name} deliveries/s | {name} p99 ms" for _, name in LABELS) + " |")
lines.append("|---|" + "---|---|" * len(LABELS))
scale = sorted({r["connections"] for r in rows if r["mode"] == "fanout" and r.get("rate") == 5000})
plot_rows = []
for c in scale:
    cells, plot = [], [str(c)]
    for label, _ in LABELS:
        rs = pick(label, "fanout", connections=c, rate=5000)
        d = [r["deliveries_per_s"] for r in rs]
        p = [r["latency_us"]["p99"] / 1000.0 for r in rs]
        cells += [stat(d, "{:,.0f}"), stat(p, "{:.2f}")]
        plot += [f"{statistics.median(d):.0f}" if d else "NaN", f"{statistics.median(p):.3f}" if p else "NaN"]
    lines.append(f"| {c} | " + " | ".join(cells) + " |")
    plot_rows.append(" ".join(plot))

# Runs that lost deliveries are failed runs (bench/lib.sh) and left out of the tables above.
lost = sum(r.get("lost", 0) for r in rows + failed)
dups = sum(r.get("duplicates", 0) for r in rows + failed)
lines.append(f"\nAcross all runs: {lost} deliveries lost, {dups} duplicates, {len(failed)} failed runs"
             f"{' (' + '; '.join(r.get('failure', 'the generator failed') for r in failed) + ')' if failed else ''}.\n")
lines.append("![deliveries/s and p99 latency against connections](bench/results/scale.png)\n")

results = os.path.join(root, "bench", "results")
os.makedirs(results, exist_ok=True)
with open(os.path.join(results, "scale.dat"), "w") as f:
    f.write("\n".join(plot_rows) + "\n")
plot = f"""
set terminal pngcairo size 1100,420 noenhanced
set output '{results}/scale.png'
set multiplot layout 1,2
set xlabel 'connections'
set key top left
set ylabel 'deliveries/s'
plot '{results}/scale.dat' using 1:2 with linespoints title '{LABELS[0][1]}', '' using 1:4 with linespoints title '{LABELS[1][1]}', '' using 1:6 with linespoints title '{LABELS[2][1]}', '' using 1:8 with linespoints title '{LABELS[3][1]}'
set ylabel 'p99 latency (ms)'
plot '{results}/scale.dat' using 1:3 with linespoints title '{LABELS[0][1]}', '' using 1:5 with linespoints title '{LABELS[1][1]}', '' using 1:7 with linespoints title '{LABELS[2][1]}', '' using 1:9 with linespoints title '{LABELS[3][1]}'
unset multiplot
"""
try:
    subprocess.run(["gnuplot"], input=plot.encode(), check=True)
except (OSError, subprocess.CalledProcessError) as e:
    print(f"gnuplot failed: {e}", file=sys.stderr)

# Keep the hand-written analysis below the generated part.
bench_md = os.path.join(root, "BENCHMARKS.md")
tail = ""
if os.path.exists(bench_md):
    text = open(bench_md).read()
    marker = "<!-- analysis -->"
    if marker in text:
        tail = text[text.index(marker):]
with open(bench_md, "w") as f:
    f.write("\n".join(lines) + "\n" + (tail or "<!-- analysis -->\n"))
print("\n".join(lines))
