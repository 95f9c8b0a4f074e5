"""The Linux kernel of this machine as the baseline, on a veth pair between two
namespaces, with the kernel's work for the server side held on one CPU.

How the server side is kept on one CPU: a veth has no IRQ. A frame sent into
one end is queued to the per-CPU backlog of the CPU that sent it, and the
peer's receive softirq runs there, unless RPS on the receiving end's queue
names other CPUs (netif_rx consults RPS before it picks a backlog). So RPS on
the server end's rx-0 queue holds the server's TCP receive processing, and
what it transmits back in that softirq (the SYN-ACKs), on CPU 1 (the server's
core), and RPS on the client end's rx-0 holds the client side's receive work on
CPU 0 with the flooder or the client. The listener or server process is pinned
to CPU 1 with taskset, the flooder or client to CPU 0. /proc/stat tells how
much of CPU 1 went to softirq over the measured window, and /proc/PID/stat how
much to nginx: when the server's share is well below 100 % (the load generator
set the pace, or other processes took CPU 1), the report also gives the figure
per 100 % of that share, marked as an estimate.
"""
import json
import os
import re
import time

from procs import SYNFLOOD, BenchError, Netns, Window, cpu_times, proc_cpu_s

SERVER_CPU = 1
CLIENT_CPU = 0
SERVER_IP = "198.18.0.2"
PEER_IP = "198.18.0.1"
FLOOD_NET = "198.18.128.0/17"
FLOOD_GW = "198.18.0.3"
NOBODY_MAC = "02:00:00:00:00:99"

LISTENER_PY = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80))
s.listen(4096)
print("listening", flush=True)
time.sleep(float(sys.argv[2]))
"""

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 16384; use epoll; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx-body;
  proxy_temp_path {dir}/nginx-proxy;
  fastcgi_temp_path {dir}/nginx-fastcgi;
  uwsgi_temp_path {dir}/nginx-uwsgi;
  scgi_temp_path {dir}/nginx-scgi;
  server {{
    listen {ip}:80 backlog=16384 reuseport;
    location / {{ return 200; }}
  }}
}}
"""


def _veth_pair(ws, server_tag, client_tag):
    """Two namespaces joined by a veth pair: server end 198.18.0.2, client end
    198.18.0.1, no IPv6, RPS on each end's rx-0 as the module docstring says."""
    srv = Netns(ws, server_tag)
    cli = Netns(ws, client_tag)
    vs, vc = "vs%d" % (os.getpid() % 100000), "vc%d" % (os.getpid() % 100000)
    srv.run(["ip", "link", "add", vs, "type", "veth", "peer", "name", vc, "netns", cli.name])
    for ns, dev, ip, cpu in ((srv, vs, SERVER_IP, SERVER_CPU), (cli, vc, PEER_IP, CLIENT_CPU)):
        ns.sysctl("net.ipv6.conf.all.disable_ipv6", 1)
        ns.sysctl("net.ipv4.conf.all.rp_filter", 0)
        ns.sysctl("net.ipv4.conf.default.rp_filter", 0)
        ns.run(["ip", "addr", "add", ip + "/24", "dev", dev])
        ns.run(["ip", "link", "set", dev, "up"])
        ns.run(["sh", "-c", "echo %x > /sys/class/net/%s/queues/rx-0/rps_cpus" % (1 << cpu, dev)])
    mac_s = _mac(srv, vs)
    mac_c = _mac(cli, vc)
    # Static neighbours: no ARP in the measured window.
    srv.run(["ip", "neigh", "replace", PEER_IP, "lladdr", mac_c, "dev", vs, "nud", "permanent"])
    cli.run(["ip", "neigh", "replace", SERVER_IP, "lladdr", mac_s, "dev", vc, "nud", "permanent"])
    return srv, cli, vs, vc, mac_s


def _mac(ns, dev):
    return json.loads(ns.run(["ip", "-j", "link", "show", "dev", dev]).stdout)[0]["address"]


def _link_stats(ns, dev):
    s = json.loads(ns.run(["ip", "-j", "-s", "link", "show", "dev", dev]).stdout)[0]["stats64"]
    return s["rx"]["packets"], s["tx"]["packets"]


def _cpu_share(before, after):
    busy = after[0] - before[0]
    soft = after[1] - before[1]
    total = after[2] - before[2]
    return (busy / total if total else 0.0), (soft / total if total else 0.0)


def syn_cookie_rate(ws, secs, warmup=2.0):
    """SYN-ACKs per second the kernel sends with net.ipv4.tcp_syncookies=2 to a
    flood of SYNs from 198.18.128.0/17 (tests/tools/synflood on AF_PACKET),
    counted as frames arriving back at the flooding end of the veth."""
    srv, cli, vs, vc, mac_s = _veth_pair(ws, "ls", "lf")
    srv.sysctl("net.ipv4.tcp_syncookies", 2)
    srv.sysctl("net.core.somaxconn", 4096)
    # The flood's sources are reached through a next hop whose MAC nobody owns:
    # the SYN-ACKs cross the veth (and are counted at its flooding end), then
    # that namespace drops them as PACKET_OTHERHOST at the top of ip_rcv, so
    # its CPU spends its time on the flood rather than on routing replies.
    srv.run(["ip", "neigh", "replace", FLOOD_GW, "lladdr", NOBODY_MAC, "dev", vs, "nud",
             "permanent"])
    srv.run(["ip", "route", "add", FLOOD_NET, "via", FLOOD_GW, "dev", vs])
    total = secs + warmup + 1
    lst = ws.start(srv.cmd(["taskset", "-c", str(SERVER_CPU), "/usr/bin/python3", "-c",
                            LISTENER_PY, SERVER_IP, str(total + 5)]), "linux-listener")
    lst.wait_for("listening", 10)
    flood = ws.start(cli.cmd(["taskset", "-c", str(CLIENT_CPU), SYNFLOOD, "--iface=" + vc,
                              "--dst_mac=" + mac_s, "--dst_ip=" + SERVER_IP, "--dst_port=80",
                              "--src_net=" + FLOOD_NET, "--duration_s=%g" % total]),
                     "linux-synflood")
    time.sleep(warmup)
    rx0, tx0 = _link_stats(cli, vc)
    c0 = cpu_times(SERVER_CPU)
    w = Window()
    t0 = time.time()
    time.sleep(secs)
    rx1, tx1 = _link_stats(cli, vc)
    c1 = cpu_times(SERVER_CPU)
    dt = time.time() - t0
    win = w.close()
    flood.wait(total + 10)
    flood.stop()
    lst.stop()
    busy, soft = _cpu_share(c0, c1)
    synacks = (rx1 - rx0) / dt
    syns = (tx1 - tx0) / dt
    if synacks <= 0:
        raise BenchError("the kernel sent no SYN-ACKs:\n" + flood.output()[-2000:])
    return {
        "synack_pps": synacks,
        "syn_pps_offered": syns,
        "server_cpu_busy": busy,
        "server_cpu_softirq": soft,
        "window": win,
        "how": "veth between two namespaces; listener (python, listen(4096)) pinned to CPU %d, "
               "RPS of the listener end's rx-0 to CPU %d; synflood AF_PACKET on CPU %d; "
               "SYN-ACKs counted as rx packets at the flooding end" %
               (SERVER_CPU, SERVER_CPU, CLIENT_CPU),
    }


def connection_rate(ws, secs, connections=200):
    """Whole HTTP connections per second (connect, GET, response, close) of
    nginx on one core against wrk on the other, over a veth pair."""
    srv, cli, vs, vc, _ = _veth_pair(ws, "ns", "nc")
    srv.sysctl("net.core.somaxconn", 16384)
    srv.sysctl("net.ipv4.tcp_max_syn_backlog", 16384)
    cli.sysctl("net.ipv4.ip_local_port_range", "1024 65535")
    cli.sysctl("net.ipv4.tcp_tw_reuse", 1)
    conf = ws.path("nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=ws.dir, ip=SERVER_IP))
    ng = ws.start(srv.cmd(["taskset", "-c", str(SERVER_CPU), "nginx", "-c", conf, "-p", ws.dir]),
                  "linux-nginx")
    deadline = time.time() + 10
    while not os.path.exists(ws.path("nginx.pid")):
        if not ng.alive() or time.time() > deadline:
            raise BenchError("nginx did not start:\n" + ng.output() +
                             _read(ws.path("nginx-error.log")))
        time.sleep(0.05)
    c0 = cpu_times(SERVER_CPU)
    n0 = proc_cpu_s(ng.pid)
    w = Window()
    wrk = ws.start(cli.cmd(["taskset", "-c", str(CLIENT_CPU), "wrk", "-t1", "-c%d" % connections,
                            "-d%ds" % secs, "-H", "Connection: close",
                            "http://%s/" % SERVER_IP]), "linux-wrk")
    if wrk.wait(secs + 30) is None:
        raise BenchError("wrk did not finish:\n" + wrk.output())
    win = w.close()
    c1 = cpu_times(SERVER_CPU)
    nginx_share = (proc_cpu_s(ng.pid) - n0) / win["secs"]
    ng.stop()
    out = wrk.output()
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise BenchError("wrk printed no rate:\n" + out)
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    busy, soft = _cpu_share(c0, c1)
    lat = {}
    m2 = re.search(r"Latency\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)", out)
    if m2:
        lat = {"mean_us": _us(m2.group(1), m2.group(2)), "max_us": _us(m2.group(5), m2.group(6))}
    return {
        "cps": float(m.group(1)),
        "socket_errors": errors.group(1).strip() if errors else "none",
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "server_cpu_busy": busy,
        "server_cpu_softirq": soft,
        "server_cpu_nginx": nginx_share,
        "latency": lat,
        "window": win,
        "how": "nginx (1 process, return 200) pinned to CPU %d, RPS of its veth end to CPU %d; "
               "wrk -t1 -c%d with 'Connection: close' (one request per connection) on CPU %d" %
               (SERVER_CPU, SERVER_CPU, connections, CLIENT_CPU),
    }


def _us(v, unit):
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""
