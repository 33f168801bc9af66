#!/usr/bin/env python3
"""Capacity model of a ws-gateway fleet, from the constants bench/fleet.sh measured.

    bench/scaling_model.py bench/results/fleet-<date>.json [--instances 50] [--connections 1000000]
                           [--rates 10000,100000,1000000] [--primaries 3,6,12] [--payload 300]

Prints the constants it derived and one markdown table row per (rate, Redis setup, mode).
patterns: every instance subscribes to every message (PSUBSCRIBE user_noti:* project:*:*); in a
cluster each instance subscribes to one node, instances spread evenly over primaries and
replicas, and publishers spread over the primaries; the bus copies every message to every node.
sharded (when the results hold a sharded run): each message is one FCALL wsgw_publish on the
primary of its user's slot (XADD + PEXPIRE + SPUBLISH), pushed only to the instances holding
that user (--instances-per-user), so an instance receives rate x instances-per-user / instances;
each primary carries rate / primaries and its replica applies the same writes.
"""
import argparse
import json
import statistics

KIB = 1024
MIB = 1024 * KIB


def cpu_per_message(phase, node):
    return phase["cpu"][str(node["pid"])] * 1e6 / phase["messages"]


def subscribers(setup, node):
    return sum(g["node"] == node["port"] for g in setup["gateways"])


def of_mode(results, mode, cluster):
    """The result of one mode on one setup; results from before sharded mode are patterns mode."""
    return next((r for r in results if r.get("mode", "patterns") == mode and (len(r["nodes"]) > 1) == cluster), None)


def derive(results, payload):
    single = of_mode(results, "patterns", False)
    cluster = of_mode(results, "patterns", True)
    o = cluster["others"]
    nodes = cluster["nodes"]
    # A replica no instance subscribes to only receives each message over the bus.
    c_bus = statistics.median(cpu_per_message(o, n) for n in nodes if n["role"] == "replica" and not subscribers(cluster, n))
    # A node with k subscribers pays c_bus plus k pushes (its publishes aside).
    per_sub = [(cpu_per_message(o, n) - c_bus) / subscribers(cluster, n)
               for n in nodes if n["role"] == "replica" and subscribers(cluster, n)]
    c_sub = statistics.median(per_sub) if per_sub else 0.0
    # A single node pays a + N x c_sub per message.
    n_single = len(single["gateways"])
    a = max(0.0, cpu_per_message(single["others"], single["nodes"][0]) - n_single * c_sub)
    # A primary no instance subscribes to: 1/P of the publishes (each sent to every other node)
    # and the rest over the bus.
    primaries = [n for n in nodes if n["role"] == "primary"]
    p = len(primaries)
    idle_primaries = [cpu_per_message(o, n) for n in primaries if not subscribers(cluster, n)]
    c_publish = p * (statistics.median(idle_primaries) - (p - 1) / p * c_bus) if idle_primaries else a
    c_send = max(0.0, (c_publish - a) / (len(nodes) - 1))
    # Bytes: the bus carries a fixed header per message per destination node.
    m = o["messages"]
    bus_bytes = statistics.median(o["bytes"][str(n["pid"])][1] / m for n in primaries) * p / (len(nodes) - 1)
    sub_bytes = statistics.median(o["bytes"][str(n["pid"])][0] / m / subscribers(cluster, n)
                                  for n in nodes if subscribers(cluster, n))
    gen_payload = 70  # the generator's notification payload, about
    gws = [g for r in (single,) for g in r["gateways"]]
    others = statistics.median(single["others"]["cpu"][str(g["pid"])] * 1e6 / single["others"]["messages"] for g in gws)
    own = []
    for g, gen in zip(single["gateways"], single["fleet"]["generators"]):
        other_us = single["others"]["cpu"][str(g["pid"])] * 1e6 / single["others"]["messages"]
        own_cpu = gen["gateway_cpu_s"] - other_us * 1e-6 * (single["fleet"]["messages"] - gen["messages"])
        own.append(own_cpu * 1e6 / gen["received"])
    return {
        "c_bus_receive_us": c_bus,
        "c_push_per_subscriber_us": c_sub,
        "c_publish_single_us": a,
        "c_bus_send_per_node_us": c_send,
        "bus_header_bytes": bus_bytes - gen_payload,
        "push_overhead_bytes": sub_bytes - gen_payload,
        "gateway_others_us_per_message": others,
        "gateway_own_us_per_delivery": statistics.median(own),
        "measured_rate": single["fleet"]["generators"][0]["rate"] * len(gws),
        "payload": payload,
    }


def own_delivery_us(setup):
    """Median gateway CPU per own delivery in the fleet phase, others' traffic taken out."""
    o, f = setup["others"], setup["fleet"]
    own = []
    for g, gen in zip(setup["gateways"], f["generators"]):
        other_us = o["cpu"][str(g["pid"])] * 1e6 / o["messages"]
        own.append((gen["gateway_cpu_s"] - other_us * 1e-6 * (f["messages"] - gen["messages"])) * 1e6 / gen["received"])
    return statistics.median(own)


def gateway_us_per_connect(setup):
    """Median gateway CPU per connect of the churn phase (0 for results from before it)."""
    if not setup or "churn" not in setup:
        return 0.0
    ch = setup["churn"]
    return statistics.median(ch["cpu"][str(g["pid"])] * 1e6 / max(1, gen["registered"])
                             for g, gen in zip(setup["gateways"], ch["generators"]))


def derive_sharded(results, k):
    """Sharded mode's constants, or None when the results hold no sharded run."""
    single, cluster = of_mode(results, "sharded", False), of_mode(results, "sharded", True)
    if not single or not cluster:
        return None
    o = cluster["others"]
    primaries = [n for n in cluster["nodes"] if n["role"] == "primary"]
    replicas = [n for n in cluster["nodes"] if n["role"] == "replica"]
    m = o["messages"]
    gws = single["gateways"] + cluster["gateways"]
    churn = cluster["churn"]
    connects = churn["connects"]
    return {
        # Every FCALL runs on one primary: the primaries' CPU summed, per message, is one call
        # (with its replication and its copy over the bus to the shard's replica).
        "c_fcall_primary_us": sum(cpu_per_message(o, n) for n in primaries),
        "c_fcall_replica_us": sum(cpu_per_message(o, n) for n in replicas),
        "c_fcall_single_us": cpu_per_message(single["others"], single["nodes"][0]),
        # The shard's bus copy to its replica: bytes out of the primaries per message, summed.
        "shard_bus_bytes": sum(o["bytes"][str(n["pid"])][1] for n in primaries) / m,
        "gateway_others_us_per_message": statistics.median(
            r["others"]["cpu"][str(g["pid"])] * 1e6 / r["others"]["messages"]
            for r in (single, cluster) for g in r["gateways"]),
        "gateway_own_us_per_delivery": statistics.median([own_delivery_us(single), own_delivery_us(cluster)]),
        "redis_us_per_connect": sum(churn["cpu"][str(n["pid"])] for n in cluster["nodes"]) * 1e6 / connects,
        "gateway_us_per_connect": gateway_us_per_connect(cluster),
        "patterns_gateway_us_per_connect": gateway_us_per_connect(of_mode(results, "patterns", True)),
        "push_per_subscriber_us": k["c_push_per_subscriber_us"],  # modelled: as a pattern push
    }


def model_sharded(ks, k, rate, instances, connections, primaries, args):
    """One row of sharded mode: no bus broadcast, no traffic of others' users."""
    per_instance = connections / instances
    fanout = args.instances_per_user
    push_bytes = args.payload + k["push_overhead_bytes"]
    row = {}
    if primaries == 0:
        cpu = rate * (ks["c_fcall_single_us"] + fanout * ks["push_per_subscriber_us"]) / 1e6
        row["node"] = (f"{rate / 1e3:.0f}k FCALL/s, {rate * fanout * push_bytes / MIB:.0f} MiB/s to subscribers; "
                       f"CPU {cpu:.2f} cores")
        redis_limit = cpu
    else:
        per = rate / primaries
        primary = per * (ks["c_fcall_primary_us"] + fanout * ks["push_per_subscriber_us"]) / 1e6
        replica = per * ks["c_fcall_replica_us"] / 1e6
        row["node"] = (f"{per / 1e3:.0f}k FCALL/s ({per * fanout * push_bytes / MIB:.0f} MiB/s) to "
                       f"{fanout:g} subscriber(s) each + bus {per * ks['shard_bus_bytes'] / MIB:.0f} MiB/s to its replica;"
                       f" CPU {primary:.2f} cores per primary, {replica:.2f} per replica")
        redis_limit = primary
    own = rate * fanout / instances * ks["gateway_own_us_per_delivery"] / 1e6
    others = 0.0  # measured: an instance receives nothing of users it does not hold
    row["gateway"] = f"{own:.2f} + {others:.2f} cores"
    users = connections / args.sockets_per_user
    entries = min(rate * args.resume_window_s, users * args.resume_max_messages_per_user)
    streams = min(users, rate * args.resume_window_s)
    stream_mem = entries * (args.payload + args.stream_entry_overhead) + streams * args.stream_overhead
    subs = users * fanout
    sub_mem = subs * args.subscription_bytes
    n = max(1, primaries)
    row["memory"] = (f"{per_instance * args.socket_kib * KIB / MIB:.0f} MiB sockets per instance; per primary: "
                     f"{stream_mem / n / MIB:,.0f} MiB streams + {subs / n / 1e3:.0f}k subscriptions ({sub_mem / n / MIB:.0f} MiB)")
    row["first"] = first_limit(redis_limit, (own + others) / args.cores)
    return row


def first_limit(redis_cores, gateway_share):
    """Which resource runs out first (at or past 100 %), or the highest one when none does."""
    limits = {"Redis CPU (one core per node)": redis_cores, "gateway CPU (cores per instance)": gateway_share}
    first = max(limits, key=limits.get)
    return f"{first} at {limits[first]:.0%}" if limits[first] >= 1 else f"nothing yet (highest: {first} at {limits[first]:.0%})"


def model(k, rate, instances, connections, primaries, args):
    per_instance = connections / instances
    push_bytes = args.payload + k["push_overhead_bytes"]
    row = {}
    if primaries == 0:
        cpu = rate * (k["c_publish_single_us"] + instances * k["c_push_per_subscriber_us"]) / 1e6
        row["node"] = f"{rate * instances / 1e3:.0f}k msg/s, {rate * instances * push_bytes / MIB:.0f} MiB/s to subscribers; CPU {cpu:.2f} cores"
        redis_limit = cpu
    else:
        n = 2 * primaries
        subs = instances / n
        publish = k["c_publish_single_us"] + (n - 1) * k["c_bus_send_per_node_us"]
        primary = rate / primaries * publish + rate * (1 - 1 / primaries) * k["c_bus_receive_us"] + rate * subs * k["c_push_per_subscriber_us"]
        replica = rate * k["c_bus_receive_us"] + rate * subs * k["c_push_per_subscriber_us"]
        bus_out = rate / primaries * (n - 1) * (k["bus_header_bytes"] + args.payload)
        row["node"] = (f"{rate * subs / 1e3:.0f}k msg/s ({rate * subs * push_bytes / MIB:.0f} MiB/s) to {subs:.1f} subscribers"
                       f" + bus {rate / primaries * (n - 1) / 1e3:.0f}k msg/s ({bus_out / MIB:.0f} MiB/s) out of a primary;"
                       f" CPU {primary / 1e6:.2f} cores per primary, {replica / 1e6:.2f} per replica")
        redis_limit = primary / 1e6
    own = rate / instances * k["gateway_own_us_per_delivery"] / 1e6
    others = rate * (1 - 1 / instances) * k["gateway_others_us_per_message"] / 1e6
    row["gateway"] = f"{own:.2f} + {others:.2f} cores"
    sockets = per_instance * args.socket_kib * KIB
    window = min(args.resume_max_bytes, rate * args.resume_window_s * (args.payload + args.retained_overhead))
    window_s = args.resume_max_bytes / (rate * (args.payload + args.retained_overhead))
    row["memory"] = (f"{sockets / MIB:.0f} MiB sockets + {window / MIB:.0f} MiB resume window"
                     f" (covers {min(window_s, args.resume_window_s):.0f} s at the default {args.resume_max_bytes / MIB:.0f} MiB)")
    row["first"] = first_limit(redis_limit, (own + others) / args.cores)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fleet_json")
    ap.add_argument("--instances", type=int, default=50)
    ap.add_argument("--connections", type=int, default=1_000_000)
    ap.add_argument("--rates", default="10000,100000,1000000")
    ap.add_argument("--primaries", default="3,6,12")
    ap.add_argument("--payload", type=int, default=300, help="bytes of a published message")
    ap.add_argument("--socket-kib", type=float, default=1.78, help="RSS per idle socket (BENCHMARKS.md)")
    ap.add_argument("--retained-overhead", type=int, default=120, help="window bytes per message beyond the frame")
    ap.add_argument("--resume-window-s", type=int, default=300)
    ap.add_argument("--resume-max-bytes", type=int, default=64 * MIB)
    ap.add_argument("--cores", type=int, default=2, help="cores per instance")
    # Sharded mode only.
    ap.add_argument("--instances-per-user", type=float, default=1,
                    help="instances holding a socket of a message's user (1: a user's sockets on one instance)")
    ap.add_argument("--sockets-per-user", type=float, default=2)
    ap.add_argument("--resume-max-messages-per-user", type=int, default=256)
    ap.add_argument("--stream-entry-overhead", type=int, default=40, help="stream bytes per entry beyond the message")
    ap.add_argument("--stream-overhead", type=int, default=4400, help="bytes of a user's stream with its first (4 KiB) listpack node, measured")
    ap.add_argument("--subscription-bytes", type=int, default=220, help="primary memory per shard channel subscription, measured")
    args = ap.parse_args()
    results = json.load(open(args.fleet_json))
    k = derive(results, args.payload)
    ks = derive_sharded(results, k)
    print("constants (this machine):")
    for name, v in list(k.items()) + [(f"sharded_{n}", v) for n, v in (ks or {}).items()]:
        print(f"  {name} = {v:.2f}" if isinstance(v, float) else f"  {name} = {v}")
    print()
    print(f"| published msg/s | mode | Redis | each Redis node | each instance: CPU own + others' | memory | runs out first |")
    print("|---|---|---|---|---|---|---|")
    for rate in map(int, args.rates.split(",")):
        for mode in ["patterns"] + (["sharded"] if ks else []):
            for p in [0] + [int(x) for x in args.primaries.split(",")]:
                r = model(k, rate, args.instances, args.connections, p, args) if mode == "patterns" else \
                    model_sharded(ks, k, rate, args.instances, args.connections, p, args)
                setup = "one node" if p == 0 else f"cluster, {p} primaries + {p} replicas"
                print(f"| {rate / 1e3:.0f}k | {mode} | {setup} | {r['node']} | {r['gateway']} | {r['memory']} | {r['first']} |")


if __name__ == "__main__":
    main()
