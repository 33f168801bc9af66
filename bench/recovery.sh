#!/usr/bin/env bash
# Measures recovery from Redis faults with the resilience tests (real redis-server, real
# sentinel, the real daemon), several runs, and prints the median and range of each figure.
#   bench/recovery.sh [RUNS]   (default 5; needs a built ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
filter='ResilienceTest.RedisKilled*:ResilienceTest.Frozen*:ResilienceTest.Sentinel*'
for i in $(seq "$runs"); do
  build/tests/integration_tests --gtest_filter="$filter" --gtest_output="xml:$out/run$i.xml" >/dev/null
done
python3 - "$out" <<'PY'
import glob, statistics, sys, xml.etree.ElementTree as ET
values = {}
for f in sorted(glob.glob(sys.argv[1] + "/run*.xml")):
    for prop in ET.parse(f).iter("property"):
        values.setdefault(prop.get("name"), []).append(float(prop.get("value")))
print("| figure | median ms | min-max ms | runs |")
print("|---|---|---|---|")
for name, v in values.items():
    print(f"| {name} | {statistics.median(v):.0f} | {min(v):.0f}-{max(v):.0f} | {len(v)} |")
PY
