#!/usr/bin/env python3
"""Plots a bench/fleet.sh result: CPU per message of each Redis node and each gateway, for both
Redis setups and each Pub/Sub mode run, as bench/results/fleet.png (gnuplot).
    bench/fleet_plot.py FLEET_JSON [OUT_PNG]"""
import json
import os
import subprocess
import sys
import tempfile

results = json.load(open(sys.argv[1]))
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), "fleet.png")
rows = []
for r in results:
    # Results from before sharded mode carry no mode: they are patterns mode.
    short = ("one Redis" if len(r["nodes"]) == 1 else "cluster") + ", " + r.get("mode", "patterns")
    o = r["others"]
    for n in r["nodes"]:
        subs = sum(g["node"] == n["port"] for g in r["gateways"]) if len(r["nodes"]) > 1 else len(r["gateways"])
        rows.append((f"{short}: {n['role']} ({subs} sub.)", o["cpu"][str(n["pid"])] * 1e6 / o["messages"]))
    for i, g in enumerate(r["gateways"]):
        rows.append((f"{short}: gateway {i}, others' msgs", o["cpu"][str(g["pid"])] * 1e6 / o["messages"]))
with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as f:
    for label, v in rows:
        f.write(f'"{label}" {v:.3f}\n')
    data = f.name
plot = f"""
set terminal pngcairo size 1400,650 font ',9'
set output '{out}'
set title 'bench/fleet.sh: CPU µs per published message (publish-only phase: users no instance holds)'
set style data histograms
set style fill solid 0.6
set boxwidth 0.8
set xtics rotate by -40 left
set ylabel 'CPU µs per message'
set grid ytics
set yrange [0:*]
set bmargin 11
set rmargin 12
unset key
plot '{data}' using 2:xtic(1)
"""
subprocess.run(["gnuplot"], input=plot.encode(), check=True)
os.unlink(data)
print(out)
