"""Issue 7: the counters add up. After a mixed run (ARP, ping, kernel clients
with and without cookies, garbage, martians, RSTs and SYNs to closed ports, a
raw conversation with a challenge), every received frame is in exactly one
place: rx_packets == sum(answered) + consumed + sum(drops). The JSON also
carries the PMD's own counters (`port`) and a gauge per TCP state (`states`),
and the periodic stats line shows the PMD counters."""
import re
import time

import frames
from harness import ENGINE_IP, check, wait_for
from test_tcp import _client, _kernel_sockets
from wirepeer import PEER_IP, Wire, icmp_echo_frame, tcp_frame

ANSWER_KINDS = ("arp", "icmp_echo", "syn_ack", "cookie_syn_ack", "rst", "ack", "data")
STATES = ("syn_sent", "syn_received", "established", "fin_wait_1", "fin_wait_2", "close_wait",
          "closing", "last_ack", "time_wait")
PORT_COUNTERS = ("imissed", "ierrors", "rx_nombuf", "oerrors")
GARBAGE = ("truncated", "ethertype", "bad_ip_checksum", "bad_ip_header", "fragment", "udp",
           "not_for_us", "bad_tcp_checksum", "bad_tcp_header", "bad_tcp_options",
           "bad_icmp_checksum", "bad_source")
REQUEST = b"GET / HTTP/1.1\r\nHost: synack\r\n\r\n"


def _object(st, key, names):
    check(isinstance(st.get(key), dict), "no %r object in the JSON" % key)
    missing = [n for n in names if not isinstance(st[key].get(n), int)]
    check(not missing, "%s lacks %s: %s" % (key, missing, st[key]))
    return st[key]


def _mixed_traffic(w):
    ns, port = w.ns, w.port
    p = ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", ENGINE_IP], check_rc=False)
    check("3 received" in p.stdout, "ping: " + p.stdout)
    r = _client(ns, "many", 10, 5)
    check(r["ok"] == 10, "kernel clients: %s" % r)
    w.eng.telemetry("/synack/syncookies,always")
    r = _client(ns, "many", 5, 5)
    check(r["ok"] == 5, "kernel clients with cookies: %s" % r)
    w.eng.telemetry("/synack/syncookies,overload")
    for kind in GARBAGE:
        for _ in range(2):
            port.send(frames.build(kind, w.eng.mac, port.mac))
    for src in ("224.0.0.1", ENGINE_IP, "0.1.2.3", "240.0.0.1"):
        port.send(tcp_frame(w.eng.mac, port.mac, src, ENGINE_IP, 40000, 80, "S", 1))
        port.send(icmp_echo_frame(w.eng.mac, port.mac, src, ENGINE_IP))
    port.send(tcp_frame(w.eng.mac, "01:00:5e:00:00:01", PEER_IP, ENGINE_IP, 40001, 80, "S", 1))
    closed = w.flow(40002, dport=81)
    closed.send("R", 5000)            # a RST to a closed port: nothing
    closed.send("S", 5000)            # SYN: RST,ACK
    closed.send(".", 5001, 777777)    # ACK: RST
    f = w.flow(40003)
    f.handshake(isn=6000)             # SYN-ACK, then the final ACK is consumed
    f.send("R", 6000 + 1 + 100)       # in-window RST: challenge ACK
    acks = [f.recv(1.0)]
    time.sleep(0.6)                   # one such ACK per flow per 500 ms (RFC 5961 7)
    f.send("P.", 6001 + (1 << 30), f.iss + 1, data=b"x")  # out of window: ACK
    acks.append(f.recv(1.0))
    check(all(a is not None and a["flags"] == "." for a in acks), "ACKs: %s" % acks)
    f.send("P.", 6001, f.iss + 1, data=REQUEST)           # response and FIN
    resp = f.recv(1.0)
    check(resp is not None and resp["payload"], "raw request: %s" % resp)
    fin_end = f.iss + 1 + len(resp["payload"]) + 1
    f.send(".", 6001 + len(REQUEST), fin_end)             # consumed
    f.send("F.", 6001 + len(REQUEST), fin_end)            # ACK (TIME-WAIT)
    # Flows in several states at once: the gauges must add up to active_flows.
    half = w.flow(40004)
    half.send("S", 7000)
    held = w.flow(40005)
    held.handshake(isn=8000)
    time.sleep(0.3)
    st = w.stats()
    states = _object(st, "states", STATES)
    check(states["syn_received"] >= 1 and states["established"] >= 1,
          "gauges with a half-open and an established flow: %s" % states)
    # Records in the flow table, and TIME-WAIT entries in their own store.
    check(sum(states.values()) - states["time_wait"] == st["active_flows"] and
          states["time_wait"] == st["time_wait_flows"],
          "states %s vs active_flows %d, time_wait_flows %d" %
          (states, st["active_flows"], st["time_wait_flows"]))
    held.send("R", 8001)              # exact RST: consumed, the flow ends


def test_every_received_frame_is_counted_once():
    with Wire(["--stats_interval_s=1", "--time_wait_ms=300", "--rto_ms=200",
               "--synack_retries=1"]) as w:
        _mixed_traffic(w)
        wait_for(lambda: not _kernel_sockets(w.ns), 10, "kernel sockets to close")
        wait_for(lambda: w.stats()["active_flows"] == 0, 10, "the engine's flows to end")
        time.sleep(1.2)  # one more stats line
        st = w.eng.stop_and_stats()
        answered = _object(st, "answered", ANSWER_KINDS)
        check(isinstance(st.get("consumed"), int), "no 'consumed' counter in the JSON")
        total = sum(answered.values()) + st["consumed"] + sum(st["drops"].values())
        check(st["rx_packets"] == total,
              "rx_packets %d != answered %d + consumed %d + drops %d (answered %s)" %
              (st["rx_packets"], sum(answered.values()), st["consumed"],
               sum(st["drops"].values()), answered))
        check(answered["arp"] >= 1 and answered["icmp_echo"] == 3,
              "answered %s: the kernel's ARP and 3 pings" % answered)
        check(answered["cookie_syn_ack"] == st["cookies_sent"] >= 5 and
              answered["syn_ack"] >= 12 and answered["rst"] >= 2 and answered["ack"] >= 2 and
              answered["data"] >= 16, "answered %s" % answered)
        check(st["consumed"] >= 16, "consumed %s" % st["consumed"])
        _object(st, "port", PORT_COUNTERS)
        states = _object(st, "states", STATES)
        check(not any(states.values()), "states at exit with no flows: %s" % states)
        lines = [l for l in w.eng.output().splitlines() if re.search(r"rx \d+ pps", l)]
        check(lines, "no stats line:\n" + w.eng.output())
        missing = [c for c in PORT_COUNTERS if c not in lines[-1]]
        check(not missing, "stats line lacks %s: %s" % (missing, lines[-1]))
