"""Issue 7: ACK throttling (RFC 5961 section 7, as Linux tcp_invalid_ratelimit
and tcp_challenge_ack_limit). Floods of segments that each deserve an ACK (an
in-window RST, an out-of-window segment, a duplicate SYN in SYN-RECEIVED) get
at most one answer per flow per 500 ms and at most --challenge_ack_limit per
lcore per second; every suppressed answer is counted `acks_rate_limited`, and
the connection lives on. Each flood is bounded: 2,000 frames over ~2 s."""
import math
import time

from harness import check
from wirepeer import Wire, counter, describe

FLOOD_FRAMES = 2000
FLOOD_SECONDS = 2.0
PER_FLOW_INTERVAL = 0.5
# Receive-time jitter on the tap: answers 500 ms apart by the engine's clock
# may land a little closer by ours.
GAP_SLACK = 0.1
REQUEST = b"GET / HTTP/1.1\r\nHost: synack\r\n\r\n"
RESPONSE_START = b"HTTP/1.1 200 OK\r\n"


def _paced(w, frames_, seconds):
    """Sends the frames evenly over `seconds`, draining the engine's answers
    as it goes; returns (answers, how long the flood took)."""
    n = len(frames_)
    got = []
    t0 = time.time()
    for i, fr in enumerate(frames_):
        w.port.send(fr)
        if i % 50 == 49:
            got += w.port.drain(0)
        delay = t0 + (i + 1) * seconds / n - time.time()
        if delay > 0:
            time.sleep(delay)
    took = time.time() - t0
    got += w.port.drain(0.3)
    return got, took


def _per_flow_bound(answers, took, what):
    """At most one answer per PER_FLOW_INTERVAL, and at least the first."""
    limit = int(took / PER_FLOW_INTERVAL) + 2
    check(len(answers) >= 2, "%s: %d answers in %.1f s; RFC 5961 still wants one per %.1f s" %
          (what, len(answers), took, PER_FLOW_INTERVAL))
    check(len(answers) <= limit, "%s: %d answers to %d frames in %.1f s, at most %d allowed" %
          (what, len(answers), FLOOD_FRAMES, took, limit))
    gaps = [b["t"] - a["t"] for a, b in zip(answers, answers[1:])]
    check(min(gaps) >= PER_FLOW_INTERVAL - GAP_SLACK,
          "%s: two answers %.3f s apart" % (what, min(gaps)))


def _still_serves(f, seq):
    f.send("P.", seq, f.iss + 1, data=REQUEST)
    r = f.recv(1.0)
    check(r is not None and r["payload"].startswith(RESPONSE_START),
          "connection did not survive the flood: %s" % (r and describe(r)))


def _rate_limited(w, before, expect):
    st = w.stats()
    got = counter(st, "acks_rate_limited") - before
    check(got == expect, "acks_rate_limited grew by %d, %d answers were withheld" % (got, expect))
    return st


def test_in_window_rst_flood_gets_throttled_challenge_acks():
    with Wire() as w:
        f = w.flow(40000)
        f.handshake(isn=1000)
        before = w.stats().get("acks_rate_limited", 0)
        # RFC 5961 3.2: in the window, not at RCV.NXT: each one is challenged.
        rsts = [f.frame("R", 1001 + 1 + i % 1000) for i in range(FLOOD_FRAMES)]
        got, took = _paced(w, rsts, FLOOD_SECONDS)
        answers = [a for a in got if f.mine(a)]
        check(all(a["flags"] == "." and a["ack"] == 1001 for a in answers),
              "not challenge ACKs: %s" % [describe(a) for a in answers[:3]])
        _per_flow_bound(answers, took, "in-window RSTs")
        _rate_limited(w, before, FLOOD_FRAMES - len(answers))
        time.sleep(PER_FLOW_INTERVAL + 0.1)
        _still_serves(f, 1001)


def test_out_of_window_segment_flood_gets_throttled_acks():
    with Wire() as w:
        f = w.flow(40010)
        f.handshake(isn=2000)
        before = w.stats().get("acks_rate_limited", 0)
        # RFC 9293 3.10.7.4 step 1: unacceptable -> ACK; far beyond the window.
        segs = [f.frame("P.", 2001 + (1 << 30) + 10 * i, f.iss + 1, data=b"x" * 10)
                for i in range(FLOOD_FRAMES)]
        got, took = _paced(w, segs, FLOOD_SECONDS)
        answers = [a for a in got if f.mine(a)]
        check(all(a["flags"] == "." and a["ack"] == 2001 for a in answers),
              "not duplicate ACKs: %s" % [describe(a) for a in answers[:3]])
        _per_flow_bound(answers, took, "out-of-window segments")
        _rate_limited(w, before, FLOOD_FRAMES - len(answers))
        time.sleep(PER_FLOW_INTERVAL + 0.1)
        _still_serves(f, 2001)


def test_duplicate_syn_flood_in_syn_received_gets_throttled_synacks():
    # An RTO longer than the flood: every SYN-ACK seen answers a duplicate SYN.
    with Wire(["--rto_ms=10000"]) as w:
        f = w.flow(40020)
        f.send("S", 3000)
        sa = f.recv(1.0)
        check(sa is not None and sa["flags"] == "S.", "SYN-ACK %s" % sa)
        before = w.stats().get("acks_rate_limited", 0)
        got, took = _paced(w, [f.frame("S", 3000)] * FLOOD_FRAMES, FLOOD_SECONDS)
        answers = [a for a in got if f.mine(a)]
        check(all(a["flags"] == "S." and a["seq"] == sa["seq"] for a in answers),
              "not our SYN-ACK again: %s" % [describe(a) for a in answers[:3]])
        _per_flow_bound(answers, took, "duplicate SYNs in SYN-RECEIVED")
        _rate_limited(w, before, FLOOD_FRAMES - len(answers))
        f.iss = sa["seq"]
        f.send(".", 3001, f.iss + 1)
        _still_serves(f, 3001)


def test_challenge_ack_limit_per_lcore():
    # 100 flows on one lcore, each sent an in-window RST every 100 ms: the
    # per-flow limit alone would let ~500 through in 2 s; the lcore limit of
    # 50/s holds them to 50 per second (plus one second's worth at the edges).
    limit, n_flows, rounds = 50, 100, FLOOD_FRAMES // 100
    with Wire(["--challenge_ack_limit=%d" % limit]) as w:
        flows = [w.flow(41000 + i) for i in range(n_flows)]
        for i, f in enumerate(flows):
            f.handshake(isn=10000 * (i + 1))
        time.sleep(0.2)
        w.port.drain(0)
        before = w.stats().get("acks_rate_limited", 0)
        rsts = [f.frame("R", f.isn + 2 + r) for r in range(rounds) for f in flows]
        got, took = _paced(w, rsts, FLOOD_SECONDS)
        answers = [a for a in got if a.get("flags") == "."]
        check(len(answers) == len(got), "not challenge ACKs: %s" %
              [describe(a) for a in got if a.get("flags") != "."][:3])
        most = limit * (math.ceil(took) + 1)
        check(len(answers) <= most, "%d challenge ACKs in %.1f s from one lcore, limit %d/s: at "
              "most %d" % (len(answers), took, limit, most))
        check(len(answers) >= limit // 2, "only %d challenge ACKs in %.1f s (limit %d/s)" %
              (len(answers), took, limit))
        for f in flows:
            mine = [a for a in answers if f.mine(a)]
            gaps = [b["t"] - a["t"] for a, b in zip(mine, mine[1:])]
            check(not gaps or min(gaps) >= PER_FLOW_INTERVAL - GAP_SLACK,
                  "port %d: two challenge ACKs %.3f s apart" % (f.sport, min(gaps or [0])))
        _rate_limited(w, before, len(rsts) - len(answers))
        # Every connection lives on.
        time.sleep(PER_FLOW_INTERVAL + 0.1)
        for f in flows:
            f.send("P.", f.isn + 1, f.iss + 1, data=REQUEST)
        served = set()
        for fr in w.port.drain(1.5):
            if fr.get("payload", b"").startswith(RESPONSE_START):
                served.add(fr["dport"])
        check(len(served) == n_flows, "%d of %d connections answered after the flood" %
              (len(served), n_flows))
