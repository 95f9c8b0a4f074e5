"""Whole connections with no kernel in the path: synack's client against
synack's server over net_memif (scenarios b, c and d).

The two processes share a memif socket in the suite's temporary directory
(copy mode, which needs no hugepages: each side's buffers are its own memfd
regions, and --no-huge -m is enough). The server's worker is lcore 1 on CPU 1;
the client's worker and both main lcores (which sleep) are on CPU 0.

Each connection: SYN, SYN-ACK, ACK, one GET, the response, the client's FIN
(--close=active), the server's FIN (a keep-alive server: --close=passive
answers each request and waits for the peer's FIN), the last ACK. The client's
TIME-WAIT is short (--time_wait_ms=CLIENT_TIME_WAIT_MS): it is the load
generator, on a link whose round trip is microseconds; its 64 source addresses
give it about 4M four-tuples, a tuple is used again no sooner than that
TIME-WAIT lets it, and the server, the passive closer, keeps no TIME-WAIT.

(c) holds 1,000,000 connections open on the server meanwhile: a first client
run (the holder, its own source range, paced at HOLD_RATE) opens them with
--close=passive against the passive server, so neither side closes, and is
stopped once they are established; the server keeps them (--idle_timeout_ms
far beyond the run), then the same client run as (b) measures the rate beside
them.

(d) puts the flood of (a) on the server's port while (b) runs: the port is a
net_failsafe device over the memif port (its preferred sub-device, which
carries every transmit) and the net_pcap replay of 65,536 SYNs. failsafe's
receive polls its sub-devices in turn, so the server's lcore sees bursts of
real traffic and of flood alternately, as a NIC queue shared by both would
deliver them. What this machine does not allow: a switch that keeps the
flood's SYN-ACKs away from the client. They go out of the one memif port with
the real replies, and the client drops them by destination MAC (counted under
its drops), which costs the client's CPU too; the report gives that count.
"""
import json
import time

import stats
from pmd import PCAP_MAC, eal, flood_pcap, mbufs_for
from procs import SYNACK, BenchError, Window

SERVER_IP = "198.18.0.2"
CLIENT_MAC = "02:00:00:00:00:0c"
CPS_SRC = "198.18.2.1-198.18.2.64"
HOLD_SRC = "198.18.1.1-198.18.1.32"
CLIENT_LCORES = "0@0,1@0"
CLIENT_TIME_WAIT_MS = 2000
HOLD = 1000000
# The holder opens at a bounded rate: unpaced, it outruns the memif ring, its
# own SYNs are dropped at transmit and come back only on the 1 s RTO.
HOLD_RATE = 50000
# memif rings of 2^12 slots (the PMD's default is 2^10): a ring absorbs the
# frames that arrive while its reader is off the CPU, and on a shared machine
# that happens; 4096 is also a common NIC descriptor ring size.
MEMIF_RING_LOG2 = 12
LONG_IDLE_MS = 600000


def _server(ws, name, sock, max_flows=65536, flood=None, memory=1024):
    memif = "net_memif0,role=server,socket=%s,id=0,mac=%s,rsize=%d" % (sock, PCAP_MAC,
                                                                        MEMIF_RING_LOG2)
    flags = ["--ip=" + SERVER_IP, "--close=passive", "--stats_interval_s=1",
             "--max_flows=%d" % max_flows, "--idle_timeout_ms=%d" % LONG_IDLE_MS,
             "--stats_json=" + ws.path(name + ".json")]
    if flood:
        pcap, count = flood
        vdev = "net_failsafe0,dev(%s),dev(net_pcap0,rx_pcap=%s,infinite_rx=1)" % (memif, pcap)
        flags.append("--num_mbufs=%d" % mbufs_for(count))
    else:
        vdev = memif
        flags.append("--num_mbufs=65535")
    p = ws.start([SYNACK] + eal(ws, name, [vdev], memory=memory) + ["--"] + flags, name)
    p.wait_for(r"^synack: \S+ on port", 60)
    return p


def _client(ws, name, sock, src, extra, memory=512):
    vdev = "net_memif0,role=client,socket=%s,id=0,mac=%s,rsize=%d" % (sock, CLIENT_MAC,
                                                                       MEMIF_RING_LOG2)
    first = src.split("-")[0]
    flags = ["--mode=client", "--ip=" + first, "--src_ips=" + src,
             "--target=%s:80" % SERVER_IP, "--stats_interval_s=1",
             "--time_wait_ms=%d" % CLIENT_TIME_WAIT_MS,
             "--stats_json=" + ws.path(name + ".json")] + list(extra)
    return ws.start([SYNACK] + eal(ws, name, [vdev], memory=memory, lcores=CLIENT_LCORES) +
                    ["--"] + flags, name)


def _json(ws, name):
    with open(ws.path(name + ".json")) as f:
        return json.load(f)


def _finish(ws, proc, timeout):
    rc = proc.wait(timeout)
    if rc is None:
        proc.stop()
        raise BenchError("%s did not end by its --duration_s:\n%s" %
                         (proc.name, proc.output()[-2500:]))
    if rc != 0:
        raise BenchError("%s exited %d:\n%s" % (proc.name, rc, proc.output()[-2500:]))
    return _json(ws, proc.name)


class Server:
    """The synack server of one scenario, restarted when it dies. DPDK 22.11's
    net_memif can fault in rx_burst when its peer disconnects while the lcore
    polls (the EAL interrupt thread unmaps the peer's regions in
    memif_disconnect): each client's exit is such a disconnect. A death is
    recorded (signal, last lines), and the next client run gets a new server;
    the client's own figures, written by the client, are not affected."""

    def __init__(self, ws, name, **kw):
        self.ws, self.name, self.kw = ws, name, kw
        self.count = 0
        self.deaths = []
        self.reports = []
        self.proc = None
        self.sock = None

    def ensure(self):
        if self.proc is not None and self.proc.alive():
            return self.proc
        if self.proc is not None:
            self._dead()
        self.sock = self.ws.path("%s-%d.sock" % (self.name, self.count))
        self.proc = _server(self.ws, "%s-%d" % (self.name, self.count), self.sock, **self.kw)
        self.count += 1
        return self.proc

    def _dead(self):
        rc = self.proc.stop()
        self.deaths.append({"exit": rc, "last_lines": self.proc.output()[-1200:]})
        self.proc = None

    def stop(self):
        if self.proc is None:
            return
        if not self.proc.alive():
            self._dead()
            return
        rc = self.proc.stop()
        if rc == 0:
            self.reports.append(_server_summary(_json(self.ws, self.proc.name)))
        else:
            self.deaths.append({"exit": rc, "last_lines": self.proc.output()[-1200:]})
        self.proc = None

    def summary(self):
        return {"report": self.reports[-1] if self.reports else None,
                "restarts_after_death": len(self.deaths), "deaths": self.deaths}


def cps_run(ws, srv, sock, name, secs, concurrency):
    """The measuring client run: closed loop at `concurrency`, as fast as the
    server answers, for `secs`. Returns the client's and server's figures over
    the same steady 1-second intervals."""
    srv_mark = len(stats.server_intervals(srv.output()))
    cli = _client(ws, name, sock, CPS_SRC,
                  ["--close=active", "--concurrency=%d" % concurrency, "--rate=0",
                   "--duration_s=%d" % secs])
    cli.wait_for(r"^synack: \S+ on port", 60)
    w = Window()
    report = _finish(ws, cli, secs + 60)
    win = w.close()
    civ = stats.client_intervals(cli.output())
    siv = stats.server_intervals(srv.output())[srv_mark:]
    if not civ or not siv:
        raise BenchError("no %s stats line parsed (has the format changed? "
                         "bench/suite/stats.py):\n%s" % ("client" if not civ else "server",
                                                         cli.output()[-2000:]))
    failed = report.get("connections_failed", {})
    return {
        "client": {
            "cps": stats.steady([i["cps"] for i in civ]),
            "cps_spread": stats.spread([i["cps"] for i in civ]),
            "cps_over_run": report.get("cps"),
            "completed": report.get("connections_completed"),
            "started": report.get("connections_started"),
            "failed": failed,
            "connect_latency_us": report.get("connect_latency_us"),
            "response_latency_us": report.get("response_latency_us"),
            "drops": _nonzero(report.get("drops", {})),
            "concurrency": concurrency,
        },
        "window": win,
        "server": {
            "new_conn_per_s": stats.steady([i["new"] for i in siv]),
            "rx_pps": stats.steady([i["rx"] for i in siv]),
            "tx_pps": stats.steady([i["tx"] for i in siv]),
            "packets_pps": stats.steady([i["rx"] + i["tx"] for i in siv]),
            "cookies_per_s": stats.steady([i["cookies"] for i in siv], skip=0),
            "established_during": max((i["est"] for i in siv), default=0),
        },
    }


def _nonzero(d):
    return {k: v for k, v in d.items() if v}


def _cps_runs(server, name, secs, concurrency, repeats, restart=True):
    """`repeats` client runs one after the other; the one with the most
    connections per second is reported, every run's figure under "repeats".
    A server that died after a run is restarted for the next one when
    `restart` (not in (c), whose held connections would be gone)."""
    runs, failed = [], []
    ws = server.ws
    for i in range(repeats):
        if server.proc is None or not server.proc.alive():
            if not restart and runs:
                failed.append("server died: repeat %d not run" % i)
                break
            server.ensure()
        try:
            runs.append(cps_run(ws, server.proc, server.sock, "%s-%d" % (name, i), secs,
                                concurrency))
        except BenchError as e:
            failed.append(str(e))
    if not runs:
        raise BenchError("no client run completed: " + " | ".join(f[:500] for f in failed))
    best = dict(max(runs, key=lambda r: r["client"]["cps"]))
    best["repeats"] = [r["client"]["cps"] for r in runs]
    if failed:
        best["failed_repeats"] = failed
    return best


def scenario_b(ws, secs, concurrency, repeats=1):
    server = Server(ws, "b-server")
    try:
        r = _cps_runs(server, "b-client", secs, concurrency, repeats)
    finally:
        server.stop()
    r["server"].update(server.summary())
    return r


def scenario_c(ws, secs, concurrency, repeats=1, hold=HOLD, hold_timeout=120,
               hold_rate=HOLD_RATE, attempts=3):
    """(b) beside `hold` established connections that the holder opened; the
    whole scenario is tried again (up to `attempts`) when the server dies as
    the holder leaves."""
    max_flows = hold + hold // 10
    server = Server(ws, "c-server", max_flows=max_flows, memory=2048)
    held = None
    try:
        for attempt in range(attempts):
            held = _hold(ws, server, attempt, hold, max_flows, hold_timeout, hold_rate)
            if server.proc.alive():
                break
        if not server.proc.alive():
            raise BenchError("the server died each time the holder left (%d attempts)" %
                             attempts)
        r = _cps_runs(server, "c-client", secs, concurrency, repeats, restart=False)
        iv = stats.server_intervals(server.proc.output())
        held["established_after"] = iv[-1]["est"] if iv else 0
    finally:
        server.stop()
    r["server"].update(server.summary())
    r["held"] = held
    return r


def _hold(ws, server, attempt, hold, max_flows, hold_timeout, hold_rate):
    """Opens `hold` connections from HOLD_SRC that neither side closes, and
    leaves them on the server."""
    srv = server.ensure()
    name = "c-holder-%d" % attempt
    holder = _client(ws, name, server.sock, HOLD_SRC,
                     ["--close=passive", "--connections=%d" % hold,
                      "--concurrency=%d" % hold, "--rate=%d" % hold_rate,
                      "--max_flows=%d" % max_flows, "--idle_timeout_ms=%d" % LONG_IDLE_MS,
                      "--duration_s=%d" % hold_timeout], memory=2048)
    t0 = time.time()
    est, last_est, still = 0, -1, 0
    while time.time() - t0 < hold_timeout:
        iv = stats.server_intervals(srv.output())
        est = iv[-1]["est"] if iv else 0
        still = still + 1 if est == last_est else 0
        last_est = est
        # Done when all are up, or 99 % and no progress for 3 s: the rest
        # come only on retransmission timeouts, if at all (a SYN whose
        # retries were all lost times out), and the figure is the count held.
        if est >= hold or (est >= hold * 0.99 and still >= 6) or not holder.alive():
            break
        time.sleep(0.5)
    open_s = time.time() - t0
    holder.stop()
    held_report = _json(ws, name)
    time.sleep(1.5)
    iv = stats.server_intervals(srv.output())
    est_before = iv[-1]["est"] if iv else 0
    if srv.alive() and est_before < hold * 0.99:
        raise BenchError("the holder established %d of %d connections in %.0f s:\n%s" %
                         (est_before, hold, open_s, holder.output()[-2500:]))
    return {"target": hold, "established_before": est_before, "open_s": open_s,
            "rate": hold_rate, "attempt": attempt,
            "holder_failed": _nonzero(held_report.get("connections_failed", {})),
            "holder_tx_dropped": held_report.get("tx_dropped"),
            "holder_retransmits": held_report.get("retransmits")}


def scenario_d(ws, secs, concurrency, repeats=1, flood_count=65536):
    pcap = flood_pcap(ws, flood_count)
    server = Server(ws, "d-server", flood=(pcap, flood_count))
    try:
        r = _cps_runs(server, "d-client", secs, concurrency, repeats)
    finally:
        server.stop()
    r["server"].update(server.summary())
    r["flood_count"] = flood_count
    return r


def _server_summary(rep):
    keys = ("flow_table_bytes", "flow_capacity", "time_wait_bytes", "time_wait_capacity",
            "established_flows", "connections_established", "cookies_sent", "cookies_validated",
            "tx_dropped", "mbufs_in_use", "syncookies", "uptime_s")
    out = {k: rep.get(k) for k in keys}
    out["drops"] = _nonzero(rep.get("drops", {}))
    return out
