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
import time

import stats
from procs import SYNACK, SYNFLOOD, BenchError, run

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
    time.sleep(secs + 3)
    p.stop()
    iv = stats.testpmd_intervals(p.output())
    rx = [r for r, _ in iv]
    pps = stats.steady(rx)
    if pps <= 0:
        raise BenchError("testpmd %s forwarded nothing:\n%s" % (mode, p.output()[-2500:]))
    return {"pps": pps, "spread": stats.spread(rx), "intervals": len(rx)}


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
    rc = p.wait(secs + 40)
    if rc is None:
        p.stop()
        raise BenchError("synack did not stop after --duration_s:\n" + p.output()[-2500:])
    out = p.output()
    if rc != 0:
        raise BenchError("synack exited %d:\n%s" % (rc, out[-2500:]))
    m = banner(out)
    iv = stats.server_intervals(out)
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
    }


def banner(out):
    """Fields of synack's start-up line."""
    import re
    m = re.search(r"^synack: (\S+) on port (\d+) \((\S+), mac ([0-9a-f:]+)\).*SipHash (\S+),",
                  out, re.M)
    if not m:
        return {}
    return {"ip": m.group(1), "driver": m.group(3), "mac": m.group(4),
            "siphash": m.group(5)}


def testpmd_memif_io(ws, secs):
    """The ceiling of the memif link for one lcore: testpmd io forwarding on the
    memif server port (lcore 1, CPU 1), fed and drained by a testpmd flowgen
    peer on the memif client port (CPU 0). Each packet costs the io lcore one
    memif receive and one memif transmit, as each frame synack's server lcore
    answers does; the figure compared is packets handled per second (rx + tx)."""
    sock = ws.path("tp-memif.sock")
    srv_vdev = "net_memif0,role=server,socket=%s,id=0,mac=%s" % (sock, PCAP_MAC)
    cli_vdev = "net_memif0,role=client,socket=%s,id=0" % sock
    common = ["--auto-start", "--nb-cores=1", "--stats-period=1", "--total-num-mbufs=16384",
              "--disable-link-check"]
    srv = ws.start(["dpdk-testpmd"] + eal(ws, "tp-memif-s", [srv_vdev]) +
                   ["--", "--forward-mode=io"] + common, "testpmd-memif-io")
    srv.wait_for(r"Press enter to exit|Start automatic packet forwarding|io packet forwarding", 30)
    gen = ws.start(["dpdk-testpmd"] + eal(ws, "tp-memif-c", [cli_vdev], lcores="0@0,1@0") +
                   ["--", "--forward-mode=flowgen"] + common, "testpmd-memif-flowgen")
    time.sleep(secs + 4)
    gen.stop()
    srv.stop()
    iv = stats.testpmd_intervals(srv.output())
    g = stats.testpmd_intervals(gen.output())
    rx = [r for r, _ in iv]
    tx = [t for _, t in iv]
    io = stats.steady(rx)
    if io <= 0:
        raise BenchError("testpmd io on memif forwarded nothing:\n%s\n%s" %
                         (srv.output()[-2000:], gen.output()[-2000:]))
    return {
        "io_pps": io,
        "packets_pps": io + stats.steady(tx),
        "spread": stats.spread(rx),
        "generator_tx_pps": stats.steady([t for _, t in g]),
    }
