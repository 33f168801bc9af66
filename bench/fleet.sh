#!/usr/bin/env bash
# Fleet benchmark: several ws-gateway processes on one Redis, then on a Redis Cluster of three
# primaries and three replicas, all on loopback, at a fixed publish rate, in each Pub/Sub mode.
#
#   [MODES="patterns sharded"] [CHURN=2000] bench/fleet.sh [INSTANCES] [RATE] [SECONDS] [SOCKETS_PER_INSTANCE]
#   (defaults 4, 2000 messages/s in all, 20 s per phase, 500 sockets per instance)
#
# Modes (a fresh Redis or cluster for each, the same load):
#   patterns  gateways PSUBSCRIBE user_noti:* project:*:*; publishers PUBLISH to the primaries;
#   sharded   WSGW_REDIS_PUBSUB_MODE=sharded (and WSGW_REDIS_UNSUBSCRIBE_DELAY_MS=0, so the churn
#             phase sees every unsubscribe); publishers FCALL wsgw_publish, each call sent to the
#             primary owning the user's slot.
#
# For each Redis setup and mode, three phases:
#   others  publishers send RATE messages/s to users no instance holds: each gateway's CPU per
#           message is what another instance's traffic costs it; each Redis node's CPU per
#           message, divided by the instances subscribed to it, is its cost per subscriber;
#   fleet   one generator per instance, each with its own users and sockets on that instance,
#           publishing RATE/INSTANCES messages/s: every instance delivers its own share and
#           receives everyone's; own-delivery CPU = (CPU - others' cost x others' messages) /
#           deliveries; end-to-end p99 per generator. In sharded mode the Redis figures of this
#           phase include the generators' connects (one subscribe and one stream read each);
#   churn   one generator per instance connects and drops CHURN sockets of distinct users: gateway
#           and Redis CPU per connect, and (sharded) the SSUBSCRIBE and SUNSUBSCRIBE commands sent.
# Each gateway's wsgw_messages_received_total is read around the others phase (sharded: 0), and
# its warn and error log lines are counted and kept in the results.
# CPU figures come from /proc (utime + stime) of each process around each phase. Prints
# markdown tables, writes bench/results/fleet-<date>.json and plots it (bench/fleet_plot.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/build.sh build-release -DCMAKE_BUILD_TYPE=Release -DWSGW_BUILD_TESTS=OFF >/dev/null
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p bench/results
exec python3 - "$ROOT" "${1:-4}" "${2:-2000}" "${3:-20}" "${4:-500}" "${CHURN:-2000}" "${MODES:-patterns sharded}" <<'PY'
import json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

root, (instances, rate, seconds, sockets, churn), modes = sys.argv[1], map(int, sys.argv[2:7]), sys.argv[7].split()
if not modes or set(modes) - {"patterns", "sharded"}:
    raise SystemExit("fleet: MODES takes patterns and/or sharded")
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

def metric_sums(port):
    """Each metric family of a gateway, its samples summed (labels aside), and each sample by name."""
    sums = {}
    for line in metrics(port).splitlines():
        if line.startswith("#") or " " not in line: continue
        name, value = line.rsplit(" ", 1)
        family = name.split("{", 1)[0]
        sums[family] = sums.get(family, 0) + float(value)
        if family != name: sums[name] = float(value)
    return sums

FAILED_READS = 'wsgw_stream_reads_total{result="failed"}'
SHARD_COUNTERS = ("wsgw_messages_received_total", "wsgw_shard_subscribe_commands_total",
                  "wsgw_shard_unsubscribe_commands_total", "wsgw_stream_reads_total", FAILED_READS, "wsgw_connections_total")

def counters(gws):
    """Per gateway pid: the counters a phase reports as differences."""
    return {g["pid"]: {k: v for k, v in metric_sums(g["port"]).items() if k in SHARD_COUNTERS} for g in gws}

def counter_deltas(before, after):
    return {pid: {k: after[pid].get(k, 0) - before[pid].get(k, 0) for k in SHARD_COUNTERS} for pid in after}

def settled(gws, mode):
    """No socket left on any gateway, and (sharded) every shard channel let go."""
    for g in gws:
        m = metric_sums(g["port"])
        if m.get("wsgw_connections", 0) or (mode == "sharded" and m.get("wsgw_shard_subscriptions", 0)): return False
    return True

def start_gateways(nodes, cluster, mode):
    gws = []
    for i in range(instances):
        port = free_port()
        env = {"WSGW_LISTEN": f"127.0.0.1:{port}", "WSGW_JWT_SECRET": secret, "WSGW_THREADS": "1",
               "WSGW_LOG_LEVEL": "warn", "WSGW_INSTANCE_ID": f"fleet-{i}",
               "WSGW_MAX_CONNECTIONS_PER_ADDRESS": "100000", "WSGW_MAX_CONNECTIONS_PER_USER": "100000",
               "WSGW_SEND_QUEUE_MAX_MESSAGES": "100000", "WSGW_SEND_QUEUE_MAX_BYTES": "104857600"}
        if mode == "sharded":
            env.update({"WSGW_REDIS_PUBSUB_MODE": "sharded", "WSGW_REDIS_UNSUBSCRIBE_DELAY_MS": "0"})
        if cluster:
            env["WSGW_REDIS_CLUSTER_NODES"] = ",".join(f"127.0.0.1:{n['port']}" for n in nodes)
        else:
            env["WSGW_REDIS_URL"] = f"redis://127.0.0.1:{nodes[0]['port']}/0"
        p = spawn([gateway_bin], env, f"{work}/gateway-{i}.log")
        wait(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200,
             what=f"gateway {i}")
        node = re.search(r'wsgw_redis_node\{node="127\.0\.0\.1:(\d+)"\} 1', metrics(port))
        gws.append({"port": port, "pid": p.pid, "node": int(node.group(1)) if node else 0, "log": f"{work}/gateway-{i}.log"})
    if mode == "sharded":  # the gateways load the wsgw library on every primary; FCALL needs it
        primaries = [n for n in nodes if n.get("role") != "replica"]
        wait(lambda: all("wsgw_publish" in redis_cli(n["port"], "function", "list", "libraryname", "wsgw") for n in primaries),
             what="the wsgw function library on every primary")
    return gws

def log_events(gws):
    """Warn and error lines of each gateway's log: counts by level and event, and the first few."""
    out = {}
    for i, g in enumerate(gws):
        counts, first = {}, []
        with open(g["log"], errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                    key = f"{rec.get('level', '?')} {rec.get('event', rec.get('msg', '?'))}"
                except ValueError:
                    key = "unparsed " + line.strip()[:80]
                counts[key] = counts.get(key, 0) + 1
                if len(first) < 5: first.append(line.strip()[:400])
        out[f"fleet-{i}"] = {"counts": counts, "first": first}
    return out

def publisher_args(mode, nodes, node):
    """How a generator publishes: PUBLISH on `node`, or FCALL routed by slot (cluster) / on `node`."""
    if mode == "patterns": return ["--redis-port", str(node["port"])]
    if len(nodes) == 1: return ["--publish", "fcall", "--redis-port", str(node["port"])]
    primaries = [n for n in nodes if n["role"] == "primary"]
    return ["--publish", "fcall", "--cluster-nodes", ",".join(f"127.0.0.1:{n['port']}" for n in primaries)]

def snapshot(pids):
    return {pid: cpu_s(pid) for pid in pids}

def phase_others(nodes, gws, publish_nodes, mode):
    pids = [g["pid"] for g in gws] + [n["pid"] for n in nodes]
    per = rate // len(publish_nodes)
    bytes0 = socket_bytes()
    counters0 = counters(gws)
    before = snapshot(pids)
    pubs = [subprocess.Popen([bench_bin, "--mode", "publish", *publisher_args(mode, nodes, n), "--users", "10000",
                              "--user-prefix", f"nobody{k}-", "--messages", str(per * seconds), "--rate", str(per)],
                             stdout=subprocess.PIPE, text=True) for k, n in enumerate(publish_nodes)]
    outs = [json.loads(p.communicate()[0]) for p in pubs]
    after = snapshot(pids)
    bytes1 = socket_bytes()
    time.sleep(0.5)  # what was published is in by now: count it
    messages = sum(o["messages"] for o in outs)
    return {"messages": messages, "cpu": {pid: after[pid] - before[pid] for pid in pids},
            "bytes": {n["pid"]: node_bytes(bytes0, bytes1, n) for n in nodes},
            "counters": counter_deltas(counters0, counters(gws))}

def phase_fleet(nodes, gws, publish_nodes, mode):
    pids = [g["pid"] for g in gws] + [n["pid"] for n in nodes]
    per = rate // instances
    users = max(1, sockets // 2)
    gens = []
    for i, g in enumerate(gws):
        n = publish_nodes[i % len(publish_nodes)]
        gens.append(subprocess.Popen([bench_bin, "--mode", "fanout", "--port", str(g["port"]), *publisher_args(mode, nodes, n),
                                      "--secret", secret, "--gateway-pid", str(g["pid"]), "--label", f"fleet-{i}",
                                      "--connections", str(sockets), "--users", str(users), "--user-prefix", f"fleet{i}-",
                                      "--messages", str(per * seconds), "--rate", str(per)],
                                     stdout=subprocess.PIPE, text=True))
    # Patterns mode: the generators' connects cost Redis nothing. Sharded: each costs a subscribe
    # and a stream read, inside this window (the churn phase measures them alone). Gateway CPU is
    # the generators' own window, after their sockets registered.
    before = snapshot(pids)
    outs = [json.loads(p.communicate()[0]) for p in gens]
    after = snapshot(pids)
    return {"messages": sum(o["messages"] for o in outs), "generators": outs,
            "cpu": {pid: after[pid] - before[pid] for pid in pids}}

def phase_churn(nodes, gws, mode):
    """CHURN sockets of distinct users per instance connect, register and drop, in parallel."""
    pids = [g["pid"] for g in gws] + [n["pid"] for n in nodes]
    wait(lambda: settled(gws, mode), 60, "the fleet phase's sockets and subscriptions to go")
    counters0 = counters(gws)
    before = snapshot(pids)
    gens = [subprocess.Popen([bench_bin, "--mode", "churn", "--port", str(g["port"]), "--secret", secret,
                              "--gateway-pid", str(g["pid"]), "--label", f"churn-{i}", "--connections", str(churn),
                              "--users", str(churn), "--user-prefix", f"churn{i}-", "--batch", "250"],
                             stdout=subprocess.PIPE, text=True) for i, g in enumerate(gws)]
    outs = [json.loads(p.communicate()[0]) for p in gens]
    # Until every socket is gone and (sharded) unsubscribed: the unsubscribe belongs to the connect.
    wait(lambda: settled(gws, mode), 60, "the churned sockets and subscriptions to go")
    after = snapshot(pids)
    return {"connects": sum(o["registered"] for o in outs), "generators": outs,
            "cpu": {pid: after[pid] - before[pid] for pid in pids},
            "counters": counter_deltas(counters0, counters(gws))}

def run_setup(name, cluster, mode):
    nodes = start_cluster() if cluster else [dict(start_redis(False), role="single")]
    gws = start_gateways(nodes, cluster, mode)
    publish_nodes = [n for n in nodes if n["role"] != "replica"]
    time.sleep(1)
    others = phase_others(nodes, gws, publish_nodes, mode)
    fleet = phase_fleet(nodes, gws, publish_nodes, mode)
    churned = phase_churn(nodes, gws, mode)
    result = {"setup": name, "mode": mode, "nodes": nodes, "gateways": gws, "others": others, "fleet": fleet,
              "churn": churned, "logs": log_events(gws)}
    for p in procs:
        p.send_signal(signal.SIGKILL); p.wait()
    procs.clear()
    return result

def summary(r):
    """One mode on one setup in a few figures: the comparison table's row."""
    nodes, gws, others, fleet, ch = r["nodes"], r["gateways"], r["others"], r["fleet"], r["churn"]
    m_o, n_c = others["messages"], max(1, ch["connects"])
    redis_o = [others["cpu"][n["pid"]] * 1e6 / m_o for n in nodes]
    rows = []
    for g, gen in zip(gws, fleet["generators"]):
        other_us = others["cpu"][g["pid"]] * 1e6 / m_o
        own_cpu = gen["gateway_cpu_s"] - other_us * 1e-6 * (fleet["messages"] - gen["messages"])
        rows.append((other_us, own_cpu * 1e6 / gen["received"] if gen["received"] else 0,
                     gen["latency_us"]["p50"] / 1000, gen["latency_us"]["p99"] / 1000))
    med = lambda k: statistics.median(x[k] for x in rows)
    total = lambda phase, key: sum(c[key] for c in phase["counters"].values())
    return {"redis_us_per_message_all_nodes": sum(redis_o), "redis_us_per_message_max_node": max(redis_o),
            "gateway_us_per_others_message": med(0), "received_in_others_phase": total(others, "wsgw_messages_received_total"),
            "gateway_us_per_own_delivery": med(1), "p50_ms": med(2), "p99_ms": med(3),
            "lost": sum(g["lost"] for g in fleet["generators"]),
            "gateway_us_per_connect": statistics.median(ch["cpu"][g["pid"]] * 1e6 / max(1, o["registered"])
                                                        for g, o in zip(gws, ch["generators"])),
            "redis_us_per_connect_all_nodes": sum(ch["cpu"][n["pid"]] for n in nodes) * 1e6 / n_c,
            "ssubscribe_per_connect": total(ch, "wsgw_shard_subscribe_commands_total") / n_c,
            "sunsubscribe_per_connect": total(ch, "wsgw_shard_unsubscribe_commands_total") / n_c,
            "stream_reads_per_connect": total(ch, "wsgw_stream_reads_total") / n_c,
            "failed_stream_reads_per_connect": total(ch, FAILED_READS) / n_c,
            "connects": ch["connects"], "churn_failures": sum(o["failures"] for o in ch["generators"])}

def report(r):
    nodes, gws, others, fleet, ch = r["nodes"], r["gateways"], r["others"], r["fleet"], r["churn"]
    m_o, m_f = others["messages"], fleet["messages"]
    sharded = r["mode"] == "sharded"
    print(f"\n### {r['setup']}, {r['mode']} mode: {instances} instances, {rate} messages/s, {seconds} s per phase, {sockets} sockets per instance\n")
    print("| Redis node | role | instances subscribed | CPU µs per message (others phase) | per subscribed instance | CPU µs per message (fleet phase) | bytes per message to subscribers | bytes per message on the cluster bus | CPU µs per connect (churn phase) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in nodes:
        # In sharded mode an instance's subscription on its node carries only the probe and the
        # control channel: shard channels are on their slot's primary, so no per-subscriber figure.
        subs = sum(g["node"] == n["port"] or (len(nodes) == 1) for g in gws)
        co = others["cpu"][n["pid"]] * 1e6 / m_o
        cf = fleet["cpu"][n["pid"]] * 1e6 / m_f
        cc = ch["cpu"][n["pid"]] * 1e6 / max(1, ch["connects"])
        to_clients, bus = (b / m_o for b in others["bytes"][n["pid"]])
        per_sub = f"{co / subs:.2f}" if subs and not sharded else "-"
        print(f"| :{n['port']} | {n['role']} | {subs} | {co:.2f} | {per_sub} | {cf:.2f} | {to_clients:.0f} | {bus:.0f} | {cc:.2f} |")
    print("\n| instance | node | others' traffic: CPU µs per message | received from Redis in the others phase | own deliveries | CPU µs per own delivery | p50 ms | p99 ms | lost | churn: connects | CPU µs per connect | SSUBSCRIBE | SUNSUBSCRIBE | stream reads (failed) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, (g, gen, cg) in enumerate(zip(gws, fleet["generators"], ch["generators"])):
        other_us = others["cpu"][g["pid"]] * 1e6 / m_o
        others_in_fleet = m_f - gen["messages"]
        own_cpu = gen["gateway_cpu_s"] - other_us * 1e-6 * others_in_fleet
        own_us = own_cpu * 1e6 / gen["received"] if gen["received"] else 0
        oc, cc = others["counters"][g["pid"]], ch["counters"][g["pid"]]
        print(f"| fleet-{i} | :{g['node']} | {other_us:.2f} | {oc['wsgw_messages_received_total']:.0f} | {gen['received']} | {own_us:.2f} | "
              f"{gen['latency_us']['p50'] / 1000:.2f} | {gen['latency_us']['p99'] / 1000:.2f} | {gen['lost']} | "
              f"{cg['registered']} | {ch['cpu'][g['pid']] * 1e6 / max(1, cg['registered']):.1f} | "
              f"{cc['wsgw_shard_subscribe_commands_total']:.0f} | {cc['wsgw_shard_unsubscribe_commands_total']:.0f} | "
              f"{cc['wsgw_stream_reads_total']:.0f} ({cc[FAILED_READS]:.0f}) |")
    s = summary(r)
    print(f"\nmedians: others' traffic {s['gateway_us_per_others_message']:.2f} µs/message, own delivery "
          f"{s['gateway_us_per_own_delivery']:.2f} µs, p99 {s['p99_ms']:.2f} ms, connect {s['gateway_us_per_connect']:.1f} µs; "
          f"Redis, all nodes: {s['redis_us_per_message_all_nodes']:.2f} µs per message, {s['redis_us_per_connect_all_nodes']:.2f} µs per connect; "
          f"distinct nodes used: {len({g['node'] for g in gws})}")
    noisy = {}
    for i in r["logs"].values():
        for k, v in i["counts"].items(): noisy[k] = noisy.get(k, 0) + v
    print(f"gateway log lines at warn and above: {json.dumps(noisy) if noisy else 'none'}")

def compare(results):
    print("\n### Modes side by side (medians over instances; Redis CPU summed over all nodes)\n")
    print("| setup | mode | Redis µs per message (others phase) | busiest node | gateway µs per others' message | received in others phase | µs per own delivery | p50 ms | p99 ms | lost | gateway µs per connect | Redis µs per connect | SSUBSCRIBE per connect | SUNSUBSCRIBE per connect | stream reads per connect (failed) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        s = summary(r)
        print(f"| {r['setup']} | {r['mode']} | {s['redis_us_per_message_all_nodes']:.2f} | {s['redis_us_per_message_max_node']:.2f} | "
              f"{s['gateway_us_per_others_message']:.2f} | {s['received_in_others_phase']:.0f} | {s['gateway_us_per_own_delivery']:.2f} | "
              f"{s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['lost']} | {s['gateway_us_per_connect']:.1f} | "
              f"{s['redis_us_per_connect_all_nodes']:.2f} | {s['ssubscribe_per_connect']:.3f} | {s['sunsubscribe_per_connect']:.3f} | "
              f"{s['stream_reads_per_connect']:.3f} ({s['failed_stream_reads_per_connect']:.3f}) |")

try:
    results = [run_setup(name, cluster, mode) for name, cluster in
               (("one Redis", False), ("Redis Cluster, 3 primaries + 3 replicas", True)) for mode in modes]
    for r in results: report(r)
    compare(results)
    for r in results: r["summary"] = summary(r)
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
