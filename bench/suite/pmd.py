"""Runs of synack and dpdk-testpmd on one forwarding lcore, on net_pcap
(scenario a: a SYN flood replayed from memory) and on net_memif (the ceiling of
the link scenario b runs on).

Pinning: the worker or forwarding lcore is lcore 1 on CPU 1; the main lcore,
which sleeps (synack's control loop naps 50 ms, testpmd's stats thread waits),
is lcore 0 on CPU 0. No hugepages: --no-huge with -m, --no-pci, a unique
--file-prefix per process (removed afterwards by the Workspace).
"""
import json
import os
import re
import time

import stats
from procs import SYNACK, SYNFLOOD, BenchError, Window, run

PCAP_MAC = "02:70:63:61:70:00"  # net_pcap's MAC ("\x02pcap\0"); memif is given it too
ENGINE_IP = "198.18.0.2"
FLOOD_NET = "198.18.128.0/17"
WORKER_LCORES = "0@0,1@1"


def eal(ws, name, vdevs, memory=1024, lcores=WORKER_LCORES, extra=()):
    prefix = ws.file_prefix(name)
    args = ["--no-huge", "-m", str(memory), "--no-pci", "--file-prefix=" + prefix,
            "--lcores=" + lcores]
    args += ["--vdev=" + v for v in vdevs]
    return args + list(extra)


def flood_pcap(ws, count, dst_mac=PCAP_MAC):
    """`count` SYNs with options from distinct (address, port) sources in
    198.18.128.0/17 to 198.18.0.2:80 (tests/tools/synflood --pcap)."""
    path = ws.path("flood-%d-%s.pcap" % (count, dst_mac.replace(":", "")))
    if not os.path.exists(path):
        run([SYNFLOOD, "--pcap=" + path, "--count=%d" % count, "--dst_mac=" + dst_mac,
             "--dst_ip=" + ENGINE_IP, "--dst_port=80", "--src_net=" + FLOOD_NET])
    return path


def mbufs_for(count):
    """net_pcap's infinite_rx copies the whole file into mbufs of the port's
    pool at queue set-up: the pool holds the file plus the rings and caches."""
    n = 16383
    while n < count + 8192:
        n = n * 2 + 1
    return n


def testpmd_pcap(ws, pcap, count, mode, secs):
    """dpdk-testpmd `mode` (macswap or io) forwarding on one lcore, net_pcap
    replaying `pcap` forever, the PMD dropping what it sends: Rx-pps."""
    vdev = "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap
    argv = (["dpdk-testpmd"] + eal(ws, "tp-" + mode, [vdev]) +
            ["--", "--forward-mode=" + mode, "--auto-start", "--nb-cores=1", "--stats-period=1",
             "--total-num-mbufs=%d" % (mbufs_for(count) + 1), "--disable-link-check"])
    p = ws.start(argv, "testpmd-pcap-%s-%d" % (mode, count))
    p.wait_for(r"Port statistics", 60)
    w = Window()
    time.sleep(secs + 1.5)
    win = w.close()
    p.stop()
    iv = stats.testpmd_intervals(p.output())
    rx = [r for r, _ in iv]
    pps = stats.steady(rx)
    if pps <= 0:
        raise BenchError("testpmd %s forwarded nothing:\n%s" % (mode, p.output()[-2500:]))
    return {"pps": pps, "spread": stats.spread(rx), "intervals": len(rx), "window": win}


def synack_flood(ws, pcap, count, secs, simd512):
    """synack --syncookies=always on one worker lcore answering the replayed
    flood: SYN-ACKs per second (its stats lines' tx pps)."""
    vdev = "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap
    extra = ["--force-max-simd-bitwidth=512"] if simd512 else []
    tag = "avx512" if simd512 else "default"
    js = ws.path("synack-flood-%d-%s.json" % (count, tag))
    argv = ([SYNACK] + eal(ws, "sa-flood", [vdev], extra=extra) +
            ["--", "--ip=" + ENGINE_IP, "--syncookies=always", "--duration_s=%d" % (secs + 1),
             "--stats_interval_s=1", "--num_mbufs=%d" % mbufs_for(count), "--stats_json=" + js])
    p = ws.start(argv, "synack-flood-%d-%s" % (count, tag))
    p.wait_for(r"^synack: \S+ on port", 60)
    w = Window()
    rc = p.wait(secs + 40)
    win = w.close()
    if rc is None:
        p.stop()
        raise BenchError("synack did not stop after --duration_s:\n" + p.output()[-2500:])
    out = p.output()
    if rc != 0:
        raise BenchError("synack exited %d:\n%s" % (rc, out[-2500:]))
    m = banner(out)
    iv = stats.server_intervals(out)
    if not iv:
        raise BenchError("no stats line of synack's parsed (has its format changed? "
                         "bench/suite/stats.py):\n" + out[-2000:])
    tx = [i["tx"] for i in iv]
    with open(js) as f:
        report = json.load(f)
    return {
        "synack_pps": stats.steady(tx),
        "rx_pps": stats.steady([i["rx"] for i in iv]),
        "spread": stats.spread(tx),
        "siphash": m.get("siphash", "?"),
        "drops": report.get("drops", {}),
        "tx_dropped": report.get("tx_dropped", 0),
        "mbufs_in_use": report.get("mbufs_in_use"),
        "window": win,
    }


def banner(out):
    """Fields of synack's start-up line."""
    m = re.search(r"^synack: (\S+) on port (\d+) \((\S+), mac ([0-9a-f:]+)\).*SipHash (\S+),",
                  out, re.M)
    if not m:
        return {}
    return {"ip": m.group(1), "driver": m.group(3), "mac": m.group(4),
            "siphash": m.group(5)}


def testpmd_memif_io(ws, secs):
    """The ceiling of the memif link for one lcore: testpmd io forwarding on the
    memif server port (lcore 1, CPU 1, bursts of 32 as synack's), its peer a
    second testpmd io forwarding on the memif client port (CPU 0) that put 512
    packets in flight (--tx-first --burst=512) once the link was up, so the
    packets go round between the two processes, the topology of scenario (b).
    Each packet costs the measured lcore one memif receive and one memif
    transmit, as the frames synack's server lcore receives and sends do; the
    figure compared is packets handled per second (rx + tx). Both processes
    must run at once for the link to move: on a shared machine, time another
    process takes from either CPU lowers this figure and synack's (b) alike."""
    sock = ws.path("tp-memif.sock")
    # The rings of scenario (b) (lifecycle.MEMIF_RING_LOG2).
    srv_vdev = "net_memif0,role=server,socket=%s,id=0,mac=%s,rsize=12" % (sock, PCAP_MAC)
    cli_vdev = "net_memif0,role=client,socket=%s,id=0,rsize=12" % sock
    common = ["--auto-start", "--nb-cores=1", "--stats-period=1", "--total-num-mbufs=16384",
              "--forward-mode=io"]
    srv = ws.start(["dpdk-testpmd"] + eal(ws, "tp-memif-s", [srv_vdev], memory=512) +
                   ["--"] + common + ["--disable-link-check"], "testpmd-memif-io")
    srv.wait_for(r"io packet forwarding", 60)
    # Without --disable-link-check the peer waits for the link before its
    # first burst, so the 512 packets are not sent into a link still down.
    peer = ws.start(["dpdk-testpmd"] + eal(ws, "tp-memif-c", [cli_vdev], memory=512,
                                           lcores="0@0,1@0") +
                    ["--"] + common + ["--tx-first", "--burst=512"], "testpmd-memif-peer")
    t0 = time.time()
    while not any(r for r, _ in stats.testpmd_intervals(srv.output())):
        if time.time() - t0 > 60 or not peer.alive() or not srv.alive():
            break
        time.sleep(0.2)
    link_up_s = time.time() - t0
    mark = len(stats.testpmd_intervals(srv.output()))
    w = Window()
    time.sleep(secs + 1.5)
    win = w.close()
    peer.stop()
    srv.stop()
    iv = stats.testpmd_intervals(srv.output())[mark:]
    rx = [r for r, _ in iv]
    tx = [t for _, t in iv]
    io = stats.steady(rx, skip=0)
    if io <= 0:
        raise BenchError("testpmd io on memif forwarded nothing:\n%s\n%s" %
                         (srv.output()[-2000:], peer.output()[-2000:]))
    return {
        "io_pps": io,
        "packets_pps": io + stats.steady(tx, skip=0),
        "spread": stats.spread(rx, skip=0),
        "link_up_s": link_up_s,
        "window": win,
    }


def testpmd_memif_looped(ws, secs):
    """testpmd io on one lcore between two memif ports of its own process joined
    by one socket, packets put in flight with --tx-first: every packet costs
    the lcore a memif transmit and a memif receive with no other core involved
    (no cache lines cross cores). An upper bound of the PMD's own cost, shown
    beside the two-process ceiling; not the target's baseline."""
    sock = ws.path("tp-loop.sock")
    vdevs = ["net_memif0,role=server,socket=%s,id=0,rsize=12" % sock,
             "net_memif1,role=client,socket=%s,id=0,rsize=12" % sock]
    p = ws.start(["dpdk-testpmd"] + eal(ws, "tp-loop", vdevs, memory=512) +
                 ["--", "--forward-mode=io", "--auto-start", "--tx-first", "--nb-cores=1",
                  "--stats-period=1", "--total-num-mbufs=16384"], "testpmd-memif-looped")
    p.wait_for(r"Port statistics", 60)
    w = Window()
    time.sleep(secs + 1.5)
    win = w.close()
    p.stop()
    iv = stats.testpmd_intervals(p.output())
    rx = stats.steady([r for r, _ in iv])
    tx = stats.steady([t for _, t in iv])
    if rx <= 0:
        raise BenchError("looped testpmd forwarded nothing:\n" + p.output()[-2000:])
    return {"packets_pps": rx + tx, "rx_pps": rx, "window": win}


def memory_run(ws, max_flows):
    """synack's own account of its tables at a given capacity: a server started
    with --max_flows on an idle net_pcap port (16 SYNs, read once) for a second;
    its JSON has flow_table_bytes, flow_capacity, time_wait_bytes and
    time_wait_capacity (the memory the tables allocate, whatever they hold)."""
    pcap = flood_pcap(ws, 16)
    js = ws.path("synack-memory.json")
    argv = ([SYNACK] + eal(ws, "sa-mem", ["net_pcap0,rx_pcap=%s" % pcap], memory=1024) +
            ["--", "--ip=" + ENGINE_IP, "--max_flows=%d" % max_flows, "--duration_s=1",
             "--stats_json=" + js])
    p = ws.start(argv, "synack-memory")
    rc = p.wait(60)
    if rc != 0:
        p.stop()
        raise BenchError("synack --max_flows=%d exited %s:\n%s" % (max_flows, rc,
                                                                   p.output()[-2000:]))
    with open(js) as f:
        rep = json.load(f)
    keys = ("flow_table_bytes", "flow_capacity", "time_wait_bytes", "time_wait_capacity")
    return {k: rep.get(k) for k in keys}
