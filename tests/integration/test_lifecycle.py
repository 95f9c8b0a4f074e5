"""Issue 7: connection lifetimes at their edges, against a raw peer: a silent
peer in FIN-WAIT-2, a peer that holds its window at zero but keeps answering
our probes, and SYN-cookie secrets rotated twice during one handshake."""
import time

from harness import check
from wirepeer import Wire, counter, describe

REQUEST = b"GET / HTTP/1.1\r\nHost: synack\r\n\r\n"
# The default response of --close=active (the default).
ACTIVE_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def _states(st):
    check("states" in st, "no 'states' object in the engine's counters")
    return st["states"]


def test_fin_wait_2_with_a_silent_peer_times_out():
    # Linux tcp_fin_timeout: an orphaned FIN-WAIT-2 ends quietly (no RST);
    # the connection is gone, so a late FIN is answered as for CLOSED
    # (RFC 9293 3.10.7.1: a RST).
    fin_timeout_ms = 2000
    with Wire(["--fin_timeout_ms=%d" % fin_timeout_ms, "--rto_ms=1000"]) as w:
        f = w.flow(40000)
        f.handshake(isn=1000)
        f.send("P.", 1001, f.iss + 1, data=REQUEST)
        r = f.recv(1.0)
        check(r is not None and "F" in r["flags"] and r["payload"] == ACTIVE_RESPONSE,
              "response with our FIN: %s" % (r and describe(r)))
        rcv = 1001 + len(REQUEST)
        fin_end = f.iss + 1 + len(r["payload"]) + 1
        f.send(".", rcv, fin_end)  # ACKs our FIN; the peer's own FIN never comes
        t_acked = time.time()
        st = w.stats()
        check(_states(st).get("fin_wait_2") == 1 and counter(st, "active_flows") == 1,
              "after the peer's ACK of our FIN: states %s" % _states(st))
        got = w.port.quiet(fin_timeout_ms / 1000 + 1.0)
        check(not got, "sent in FIN-WAIT-2 / at its timeout: %s" % [describe(g) for g in got])
        st = w.stats()
        check(counter(st, "fin_wait_2_timeouts") == 1,
              "fin_wait_2_timeouts %s" % st.get("fin_wait_2_timeouts"))
        check(counter(st, "active_flows") == 0 and _states(st).get("fin_wait_2") == 0,
              "flow left %.1f s after FIN-WAIT-2 began: active_flows %s, states %s" %
              (time.time() - t_acked, st["active_flows"], _states(st)))
        check(st["connections_reset"] == 0 and st["rst_sent"] == 0,
              "reset %s, rst_sent %s" % (st["connections_reset"], st["rst_sent"]))
        f.send("F.", rcv, fin_end)
        late = f.recv(1.0)
        check(late is not None and late["flags"] == "R" and late["seq"] == fin_end,
              "late FIN after the timeout: %s" % (late and describe(late)))


def test_zero_window_peer_that_answers_probes_is_never_reset():
    # RFC 9293 3.8.6.1 (MUST-37): while the receiver keeps answering the
    # zero-window probes, the sender MUST NOT close the connection, however
    # many probes it takes; --data_retries bounds unanswered retransmissions
    # only. With --rto_ms=100 and --data_retries=1, a probe budget treated as
    # a retransmission budget would reset at the second probe.
    retries = 1
    want_probes = retries + 4
    with Wire(["--rto_ms=100", "--data_retries=%d" % retries]) as w:
        f = w.flow(40010)
        f.handshake(isn=2000)
        rcv = 2001 + len(REQUEST)
        f.send("P.", 2001, f.iss + 1, data=REQUEST, wnd=0)
        r = f.recv(1.0)
        check(r is not None and r["flags"] == "." and not r["payload"] and r["ack"] == rcv,
              "ACK of the request into a zero window: %s" % (r and describe(r)))
        probes = []
        deadline = time.time() + 15
        while len(probes) < want_probes and time.time() < deadline:
            p = f.recv(deadline - time.time())
            if p is None:
                break
            check("R" not in p["flags"], "reset after %d answered probes: %s" %
                  (len(probes), describe(p)))
            probes.append(p)
            # Window still zero; the probe's byte, if any, is not taken.
            f.send(".", rcv, f.iss + 1, wnd=0)
        check(len(probes) >= want_probes, "%d zero-window probes in 15 s (want %d): %s" %
              (len(probes), want_probes, [describe(p) for p in probes]))
        st = w.stats()
        # ESTABLISHED or FIN-WAIT-1 (--close=active queues the FIN behind the
        # response): alive either way.
        check(st["active_flows"] == 1 and st["connections_reset"] == 0,
              "after %d answered probes: active_flows %s, reset %s" %
              (len(probes), st["active_flows"], st["connections_reset"]))
        # The window opens: the whole response follows, from SND.UNA.
        f.send(".", rcv, f.iss + 1, wnd=65535)
        data, fin = {}, False
        end = time.time() + 10  # a probe byte left unacknowledged may wait for its RTO
        while time.time() < end and (not fin or len(data) < len(ACTIVE_RESPONSE)):
            s = f.recv(end - time.time())
            if s is None:
                break
            check("R" not in s["flags"], "reset after the window opened: %s" % describe(s))
            off = (s["seq"] - (f.iss + 1)) & 0xffffffff
            for i, b in enumerate(s["payload"]):
                data[off + i] = b
            fin = fin or "F" in s["flags"]
        got = bytes(data.get(i, 0) for i in range(len(ACTIVE_RESPONSE)))
        check(got == ACTIVE_RESPONSE and len(data) == len(ACTIVE_RESPONSE),
              "after the window opened: %r" % bytes(data[i] for i in sorted(data)))


def test_cookie_survives_two_secret_rotations():
    # Rotation must never invalidate a cookie still inside its lifetime, even
    # two rotations between the SYN-ACK and the final ACK.
    with Wire(["--syncookies=always"]) as w:
        f = w.flow(40020)
        f.send("S", 3000)
        sa = f.recv(1.0)
        check(sa is not None and sa["flags"] == "S.", "cookie SYN-ACK: %s" % sa)
        # Apart in time, so that every worker sees each rotation (a worker that
        # only saw the last one would still hold the SYN-ACK's secret).
        (first,) = w.eng.telemetry("/synack/rotate_secret")
        time.sleep(0.2)
        (second,) = w.eng.telemetry("/synack/rotate_secret")
        check(second["secret_generation"] == first["secret_generation"] + 1,
              "rotations: %s then %s" % (first, second))
        time.sleep(0.2)
        f.iss = sa["seq"]
        f.send(".", 3001, f.iss + 1)
        got = w.port.quiet(0.5)
        check(not got, "final ACK after two rotations answered: %s" % [describe(g) for g in got])
        st = w.stats()
        check(st["cookies_validated"] == 1 and st["established_flows"] == 1,
              "cookies_validated %s, established %s, rejected %s" %
              (st["cookies_validated"], st["established_flows"], st["cookies_rejected"]))
        f.send("P.", 3001, f.iss + 1, data=REQUEST)
        r = f.recv(1.0)
        check(r is not None and r["payload"] == ACTIVE_RESPONSE,
              "response: %s" % (r and describe(r)))
