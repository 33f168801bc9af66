#!/usr/bin/env bash
# Fleet benchmark: several ws-gateway processes on one Redis, then on a Redis Cluster of three
# primaries and three replicas, all on loopback, at a fixed publish rate.
#
#   bench/fleet.sh [INSTANCES] [RATE] [SECONDS] [SOCKETS_PER_INSTANCE]
#   (defaults 4, 2000 messages/s in all, 20 s per phase, 500 sockets per instance)
#
# For each Redis setup, two phases of SECONDS each:
#   others  publishers send RATE messages/s to users no instance holds: each gateway's CPU per
#           message is what another instance's traffic costs it; each Redis node's CPU per
#           message, divided by the instances subscribed to it, is its cost per subscriber;
#   fleet   one generator per instance, each with its own users and sockets on that instance,
#           publishing RATE/INSTANCES messages/s: every instance delivers its own share and
#           receives everyone's; own-delivery CPU = (CPU - others' cost x others' messages) /
#           deliveries; end-to-end p99 per generator.
# CPU figures come from /proc (utime + stime) of each process around each phase. Prints
# markdown tables, writes bench/results/fleet-<date>.json and plots it (bench/fleet_plot.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench/results
exec python3 - "$ROOT" "${1:-4}" "${2:-2000}" "${3:-20}" "${4:-500}" <<'PY'
import json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

root, instances, rate, seconds, sockets = sys.argv[1], *map(int, sys.argv[2:])
gateway_bin = f"{root}/build-release/ws-gateway"
bench_bin = f"{root}/build-release/bench/ws-gateway-bench"
secret = "fleet-secret"
tick = os.sysconf("SC_CLK_TCK")
work = tempfile.mkdtemp(prefix="wsgw-fleet-")
procs = []

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

def socket_bytes():
    """Bytes sent so far by each (pid, local port) over established TCP sockets (ss -tinp)."""
    out = subprocess.run(["ss", "-tinpH", "state", "established"], capture_output=True, text=True).stdout
    sent, cur = {}, None
    for line in out.splitlines():
        if not line[:1].isspace():
            pid = re.search(r"pid=(\d+)", line)
            cur = (int(pid.group(1)), int(line.split()[2].rsplit(":", 1)[1])) if pid else None
        elif cur and (m := re.search(r"bytes_sent:(\d+)", line)):
            sent[cur] = sent.get(cur, 0) + int(m.group(1))
    return sent

def node_bytes(before, after, node):
    """(to clients, over the cluster bus) sent by a Redis node between two socket_bytes()."""
    clients = bus = 0
    for (pid, port), b in after.items():
        if pid != node["pid"]: continue
        d = b - before.get((pid, port), 0)
        if port == node["port"]: clients += d
        else: bus += d
    return clients, bus

def spawn(argv, env=None, log=None):
    p = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdout=open(log or os.devnull, "w"),
                         stderr=subprocess.STDOUT)
    procs.append(p)
    return p

def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout

def wait(pred, timeout=30, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred(): return
        except Exception:
            pass
        time.sleep(0.1)
    raise SystemExit(f"fleet: timed out waiting for {what}")

def start_redis(cluster):
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if cluster:
        argv += ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000", "--cluster-port", str(free_port()),
                 "--cluster-config-file", f"{work}/nodes-{port}.conf", "--dir", work]
    p = spawn(argv)
    wait(lambda: redis_cli(port, "ping").strip() == "PONG", what=f"redis on {port}")
    return {"port": port, "pid": p.pid}

def cluster_whole(nodes):
    for n in nodes:
        if "cluster_state:ok" not in redis_cli(n["port"], "cluster", "info"): return False
        lines = redis_cli(n["port"], "cluster", "nodes").strip().splitlines()
        if len(lines) != 6 or sum("slave" in l.split()[2] for l in lines) != 3: return False
        repl = redis_cli(n["port"], "info", "replication")
        if "role:slave" in repl and "master_link_status:up" not in repl: return False
    return True

def start_cluster():
    nodes = [start_redis(True) for _ in range(6)]
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{n['port']}" for n in nodes],
                    "--cluster-replicas", "1", "--cluster-yes"], check=True, capture_output=True)
    wait(lambda: cluster_whole(nodes), 60, "the cluster")
    for n in nodes:
        n["role"] = "primary" if "role:master" in redis_cli(n["port"], "info", "replication") else "replica"
    return nodes

def metrics(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()

def start_gateways(nodes, cluster):
    gws = []
    for i in range(instances):
        port = free_port()
        env = {"WSGW_LISTEN": f"127.0.0.1:{port}", "WSGW_JWT_SECRET": secret, "WSGW_THREADS": "1",
               "WSGW_LOG_LEVEL": "warn", "WSGW_INSTANCE_ID": f"fleet-{i}",
               "WSGW_MAX_CONNECTIONS_PER_ADDRESS": "100000", "WSGW_MAX_CONNECTIONS_PER_USER": "100000",
               "WSGW_SEND_QUEUE_MAX_MESSAGES": "100000", "WSGW_SEND_QUEUE_MAX_BYTES": "104857600"}
        if cluster:
            env["WSGW_REDIS_CLUSTER_NODES"] = ",".join(f"127.0.0.1:{n['port']}" for n in nodes)
        else:
            env["WSGW_REDIS_URL"] = f"redis://127.0.0.1:{nodes[0]['port']}/0"
        p = spawn([gateway_bin], env, f"{work}/gateway-{i}.log")
        wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200,
             what=f"gateway {i}")
        node = re.search(r'wsgw_redis_node\{node="127\.0\.0\.1:(\d+)"\} 1', metrics(port))
        gws.append({"port": port, "pid": p.pid, "node": int(node.group(1)) if node else 0})
    return gws

def snapshot(pids):
    return {pid: cpu_s(pid) for pid in pids}

def phase_others(nodes, gws, publish_nodes):
    pids = [g["pid"] for g in gws] + [n["pid"] for n in nodes]
    per = rate // len(publish_nodes)
    bytes0 = socket_bytes()
    before = snapshot(pids)
    pubs = [subprocess.Popen([bench_bin, "--mode", "publish", "--redis-port", str(n["port"]), "--users", "10000",
                              "--user-prefix", f"nobody{k}-", "--messages", str(per * seconds), "--rate", str(per)],
                             stdout=subprocess.PIPE, text=True) for k, n in enumerate(publish_nodes)]
    outs = [json.loads(p.communicate()[0]) for p in pubs]
    after = snapshot(pids)
    bytes1 = socket_bytes()
    messages = sum(o["messages"] for o in outs)
    return {"messages": messages, "cpu": {pid: after[pid] - before[pid] for pid in pids},
            "bytes": {n["pid"]: node_bytes(bytes0, bytes1, n) for n in nodes}}

def phase_fleet(nodes, gws, publish_nodes):
    pids = [g["pid"] for g in gws] + [n["pid"] for n in nodes]
    per = rate // instances
    users = max(1, sockets // 2)
    gens = []
    for i, g in enumerate(gws):
        n = publish_nodes[i % len(publish_nodes)]
        gens.append(subprocess.Popen([bench_bin, "--mode", "fanout", "--port", str(g["port"]), "--redis-port", str(n["port"]),
                                      "--secret", secret, "--gateway-pid", str(g["pid"]), "--label", f"fleet-{i}",
                                      "--connections", str(sockets), "--users", str(users), "--user-prefix", f"fleet{i}-",
                                      "--messages", str(per * seconds), "--rate", str(per)],
                                     stdout=subprocess.PIPE, text=True))
    before = snapshot(pids)  # the generators' connects cost Redis nothing; gateway CPU is the generators' own window
    outs = [json.loads(p.communicate()[0]) for p in gens]
    after = snapshot(pids)
    return {"messages": sum(o["messages"] for o in outs), "generators": outs,
            "cpu": {pid: after[pid] - before[pid] for pid in pids}}

def run_setup(name, cluster):
    nodes = start_cluster() if cluster else [dict(start_redis(False), role="single")]
    gws = start_gateways(nodes, cluster)
    publish_nodes = [n for n in nodes if n["role"] != "replica"]
    time.sleep(1)
    others = phase_others(nodes, gws, publish_nodes)
    fleet = phase_fleet(nodes, gws, publish_nodes)
    result = {"setup": name, "nodes": nodes, "gateways": gws, "others": others, "fleet": fleet}
    for p in procs:
        p.send_signal(signal.SIGKILL); p.wait()
    procs.clear()
    return result

def report(r):
    nodes, gws, others, fleet = r["nodes"], r["gateways"], r["others"], r["fleet"]
    m_o, m_f = others["messages"], fleet["messages"]
    print(f"\n### {r['setup']}: {instances} instances, {rate} messages/s, {seconds} s per phase, {sockets} sockets per instance\n")
    print("| Redis node | role | instances subscribed | CPU µs per message (others phase) | per subscribed instance | CPU µs per message (fleet phase) | bytes per message to subscribers | bytes per message on the cluster bus |")
    print("|---|---|---|---|---|---|---|---|")
    for n in nodes:
        subs = sum(g["node"] == n["port"] or (len(nodes) == 1) for g in gws)
        co = others["cpu"][n["pid"]] * 1e6 / m_o
        cf = fleet["cpu"][n["pid"]] * 1e6 / m_f
        to_clients, bus = (b / m_o for b in others["bytes"][n["pid"]])
        per_sub = f"{co / subs:.2f}" if subs else "-"
        print(f"| :{n['port']} | {n['role']} | {subs} | {co:.2f} | {per_sub} | {cf:.2f} | {to_clients:.0f} | {bus:.0f} |")
    print("\n| instance | node | others' traffic: CPU µs per message | own deliveries | CPU µs per own delivery | p50 ms | p99 ms | lost |")
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    for i, (g, gen) in enumerate(zip(gws, fleet["generators"])):
        other_us = others["cpu"][g["pid"]] * 1e6 / m_o
        others_in_fleet = m_f - gen["messages"]
        own_cpu = gen["gateway_cpu_s"] - other_us * 1e-6 * others_in_fleet
        own_us = own_cpu * 1e6 / gen["received"] if gen["received"] else 0
        rows.append((other_us, own_us, gen["latency_us"]["p99"] / 1000))
        print(f"| fleet-{i} | :{g['node']} | {other_us:.2f} | {gen['received']} | {own_us:.2f} | "
              f"{gen['latency_us']['p50'] / 1000:.2f} | {gen['latency_us']['p99'] / 1000:.2f} | {gen['lost']} |")
    med = lambda k: statistics.median(x[k] for x in rows)
    print(f"\nmedians: others' traffic {med(0):.2f} µs/message, own delivery {med(1):.2f} µs, p99 {med(2):.2f} ms; "
          f"distinct nodes used: {len({g['node'] for g in gws})}")

try:
    results = [run_setup("one Redis", False), run_setup("Redis Cluster, 3 primaries + 3 replicas", True)]
    for r in results: report(r)
    out = f"{root}/bench/results/fleet-{time.strftime('%Y%m%d-%H%M%S')}.json"
    with open(out, "w") as f: json.dump(results, f, indent=1)
    print(f"\nraw: {out}")
    if shutil.which("gnuplot"):
        subprocess.run([sys.executable, f"{root}/bench/fleet_plot.py", out], check=False)
finally:
    for p in procs:
        p.kill()
    shutil.rmtree(work, ignore_errors=True)
PY
