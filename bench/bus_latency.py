#!/usr/bin/env python3
"""Latency of one Pub/Sub message in a Redis Cluster: subscriber on the publishing node against
subscriber on another node (the message crosses the cluster bus), with nothing else running.

    python3 bench/bus_latency.py [MESSAGES] [RATES...]
    (defaults: 2000 messages per rate, at 200, 2000 and 10000 messages/s)

Starts two cluster-enabled redis-server processes (from PATH) on free loopback ports, joins them
with CLUSTER MEET (Pub/Sub needs no slots), and for each rate publishes numbered messages from
one connection while one subscriber per node reads them; each message's latency is the time from
its PUBLISH being written to its arrival at each subscriber. Each rate runs with three publishers (MODES below): paced,
paced and reading each reply at once, and one message at a time (the next one interval after
both subscribers have the last). Prints p50/p99 per rate, publisher and path as a markdown table
and the same as JSON on the last line.
"""
import json
import os
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


MESSAGE = re.compile(rb"\r\n#(\d+)\.\r\n")  # a payload as the subscriber sees it


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def ask(port, *args):
    with connect(port) as s:
        s.sendall(resp(*args))
        return s.recv(65536)


def start_node(tmp, port):
    bus = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--cluster-enabled", "yes", "--cluster-port", str(bus), "--cluster-node-timeout", "5000",
         "--cluster-config-file", f"{tmp}/nodes-{port}.conf", "--dir", tmp],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if b"PONG" in ask(port, "PING"):
                return proc, bus
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"redis-server did not start on {port}")


# How the publisher goes on after a PUBLISH:
#   paced          at the next tick of the rate, reading replies only between messages
#   paced+reply    the same, but it reads the PUBLISH's reply before anything else
#   in turn        only once both subscribers have the message, one interval after that
MODES = ("paced", "paced+reply", "in turn")


def measure(ports, messages, rate, mode):
    """Latencies in ms to the subscriber on ports[0] (same node) and on ports[1] (across the bus)."""
    channel = f"lat{rate}{MODES.index(mode)}"
    subs = [connect(p) for p in ports]
    for s in subs:
        s.sendall(resp("SUBSCRIBE", channel))
    time.sleep(0.3)
    for s in subs:
        s.recv(65536)
    sel = selectors.DefaultSelector()
    buffers = {}
    for i, s in enumerate(subs):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
        buffers[i] = b""
    pub = connect(ports[0])
    sent = {}
    got = [dict(), dict()]
    interval = 1.0 / rate
    next_at = time.perf_counter()
    n = 0
    deadline = None
    while True:
        now = time.perf_counter()
        if mode == "in turn" and 0 < n < messages and next_at == float("inf") and all(n - 1 in g for g in got):
            next_at = max(g[n - 1] for g in got) + interval
        if n < messages and now >= next_at:
            sent[n] = time.perf_counter()
            pub.sendall(resp("PUBLISH", channel, "#%d." % n))
            if mode == "paced+reply":
                pub.recv(64)
            n += 1
            next_at = float("inf") if mode == "in turn" else next_at + interval
            if n == messages:
                deadline = now + 5
        if deadline and (now > deadline or all(len(g) == messages for g in got)):
            break
        wait = min(next_at - time.perf_counter(), 0.01) if n < messages else 0.01
        for key, _ in sel.select(timeout=max(0.0, wait)):
            i = key.data
            try:
                chunk = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            t = time.perf_counter()
            data = buffers[i] + chunk
            last = 0
            for m in MESSAGE.finditer(data):
                got[i].setdefault(int(m.group(1)), t)
                last = m.end()
            buffers[i] = data[last:]
        # drain the publisher's integer replies now and then
        pub.setblocking(False)
        try:
            pub.recv(1 << 20)
        except BlockingIOError:
            pass
        pub.setblocking(True)
    for s in subs + [pub]:
        s.close()
    out = []
    for g in got:
        lat = sorted((g[k] - sent[k]) * 1000 for k in g if k in sent)
        if len(lat) < messages:
            raise SystemExit(f"only {len(lat)} of {messages} messages arrived")
        out.append({"p50_ms": round(statistics.median(lat), 3), "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 3)})
    return out


def main():
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rates = [int(r) for r in sys.argv[2:]] or [200, 2000, 10000]
    tmp = tempfile.mkdtemp(prefix="wsgw-bus-")
    procs = []
    try:
        ports = [free_port(), free_port()]
        buses = []
        for p in ports:
            proc, bus = start_node(tmp, p)
            procs.append(proc)
            buses.append(bus)
        ask(ports[0], "CLUSTER", "MEET", "127.0.0.1", ports[1], buses[1])
        for _ in range(100):
            nodes = ask(ports[1], "CLUSTER", "NODES").decode(errors="replace")
            if nodes.count(" connected") >= 2 and "handshake" not in nodes:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the two nodes did not meet")
        results = []
        print("| rate (msg/s) | publisher | same node p50 / p99 | across the bus p50 / p99 |")
        print("|---|---|---|---|")
        for rate in rates:
            for mode in MODES:
                same, cross = measure(ports, messages, rate, mode)
                results.append({"rate": rate, "publisher": mode, "messages": messages, "same_node": same,
                                "across_bus": cross})
                print(f"| {rate} | {mode} | {same['p50_ms']} / {same['p99_ms']} ms | "
                      f"{cross['p50_ms']} / {cross['p99_ms']} ms |")
        print(json.dumps({"machine": os.uname().nodename, "cores": os.cpu_count(), "results": results}))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
