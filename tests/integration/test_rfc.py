"""RFC cases on the wire: a raw peer (rawtcp.Peer, an address the kernel does
not own) talks to synack over net_tap and checks each answer segment by segment.
RFC 9293 section 3.10.7, RFC 5961 sections 3-5, RFC 7323 section 5."""
import struct
import time

from harness import Engine, Namespace, check
from rawtcp import Peer

FAST = ["--time_wait_ms=500", "--rto_ms=1000"]
RESPONSE_LEN = len("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def linux_syn_options(tsval=1000, ws=7):
    return (struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2, 8, 10]) +
            struct.pack("!II", tsval, 0) + bytes([1, 3, 3, ws]))


def ts_option(tsval, tsecr):
    return bytes([1, 1, 8, 10]) + struct.pack("!II", tsval, tsecr)


class Conversation:
    """One raw peer against one engine, in a fresh namespace."""

    def __init__(self, flags=(), sport=40000):
        self.flags = FAST + list(flags)
        self.sport = sport

    def __enter__(self):
        self.ns = Namespace().__enter__()
        try:
            self.eng = Engine(self.ns, flags=self.flags).__enter__()
        except Exception:
            self.ns.__exit__(None, None, None)
            raise
        self.p = Peer(self.ns.name, self.eng.tap, self.eng.mac, self.sport)
        return self

    def __exit__(self, *exc):
        try:
            self.eng.__exit__(*exc)
        finally:
            self.ns.__exit__(*exc)
        return False

    def expect(self, what, flags=None, seq=None, ack=None, timeout=1.0):
        r = self.p.recv(timeout)
        check(r is not None, "%s: no answer" % what)
        check(r["csum_ok"], "%s: bad TCP checksum in %s" % (what, r))
        if flags is not None:
            check(r["flags"] == flags, "%s: flags %r, want %r (%s)" % (what, r["flags"], flags, r))
        if seq is not None:
            check(r["seq"] == seq & 0xffffffff, "%s: seq %d, want %d" % (what, r["seq"], seq))
        if ack is not None:
            check(r["ack"] == ack & 0xffffffff, "%s: ack %d, want %d" % (what, r["ack"], ack))
        return r

    def silence(self, what, timeout=0.5):
        r = self.p.recv(timeout)
        check(r is None, "%s: expected no answer, got %s" % (what, r))

    def handshake(self, isn=1000, opts=b"", tsval=None):
        self.p.send("S", isn, opts=opts)
        sa = self.expect("SYN-ACK", "S.", ack=isn + 1)
        self.iss = sa["seq"]
        self.isn = isn
        final = ts_option(tsval + 1, sa["opts"]["tsval"]) if tsval is not None else b""
        self.p.send(".", isn + 1, self.iss + 1, opts=final)
        self.silence("final ACK of the handshake", 0.2)
        return sa

    def stats(self):
        return self.eng.telemetry("/synack/stats")[0]


def test_closed_port_rst():
    # RFC 9293 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
    # with ACK -> <SEQ=SEG.ACK><CTL=RST>; a RST is never answered.
    with Conversation() as c:
        c.p.send("S", 5000, 0, dport=81)
        c.expect("SYN to a closed port", "R.", seq=0, ack=5001)
        c.p.send(".", 5001, 777777, dport=81)
        c.expect("ACK to a closed port", "R", seq=777777)
        c.p.send("R", 5001, dport=81)
        c.silence("RST to a closed port")


def test_synack_options_follow_the_syn():
    # RFC 7323 1.3/2.2: window scale and timestamps only when the SYN had them.
    with Conversation() as c:
        c.p.send("S", 100)
        bare = c.expect("bare SYN", "S.", ack=101)
        check(bare["opts"].get("mss") and "ws" not in bare["opts"] and "tsval" not in bare["opts"]
              and "sack" not in bare["opts"], "bare SYN got %s" % bare["opts"])
        c.p.sport += 1
        c.p.send("S", 200, opts=linux_syn_options(tsval=4242, ws=9))
        full = c.expect("full SYN", "S.", ack=201)
        o = full["opts"]
        check(o.get("mss") and "ws" in o and o.get("sack"), "full SYN got %s" % o)
        check(o.get("tsecr") == 4242, "TSecr %s, want the SYN's TSval 4242" % o.get("tsecr"))
        check(full["wnd"] <= 65535, "SYN-ACK window is never scaled")


def test_retransmitted_syn_gets_the_same_synack():
    with Conversation() as c:
        c.p.send("S", 300)
        a = c.expect("SYN", "S.", ack=301)
        c.p.send("S", 300)
        b = c.expect("retransmitted SYN", "S.", ack=301)
        check(a["seq"] == b["seq"], "ISN changed: %d then %d" % (a["seq"], b["seq"]))
        check(c.stats()["half_open_flows"] == 1, "a second record was made")


def test_in_window_rst_gets_a_challenge_ack():
    # RFC 5961 3.2: RST in the window but not at RCV.NXT -> challenge ACK,
    # the connection stays.
    with Conversation() as c:
        c.handshake(isn=1000)
        c.p.send("R", 1000 + 1 + 500)
        c.expect("in-window RST", ".", seq=c.iss + 1, ack=1001)
        c.p.send("P.", 1001, c.iss + 1, data=b"x" * 10)
        r = c.expect("request after the challenge", None, ack=1011)
        check(r["len"] == RESPONSE_LEN, "connection did not survive: %s" % r)
        st = c.stats()
        check(st["challenge_acks_sent"] == 1 and st["rejected"]["rst_challenged"] == 1, str(st))


def test_syn_on_established_gets_a_challenge_ack():
    # RFC 5961 4.2: any SYN in a synchronized state -> challenge ACK.
    with Conversation() as c:
        c.handshake(isn=2000)
        c.p.send("S", 2000 + 1 + 100)
        c.expect("SYN on ESTABLISHED", ".", seq=c.iss + 1, ack=2001)
        check(c.stats()["established_flows"] == 1, "connection lost")


def test_exact_rst_closes_and_later_segments_get_rst():
    with Conversation() as c:
        c.handshake(isn=3000)
        c.p.send("R", 3001)
        c.silence("exact RST")
        c.p.send(".", 3001, c.iss + 1, data=b"x" * 5)
        c.expect("segment after the reset", "R", seq=c.iss + 1)
        st = c.stats()
        check(st["connections_reset"] == 1 and st["active_flows"] == 0, str(st))


def test_out_of_window_segment_gets_an_ack():
    # RFC 9293 3.10.7.4 step 1: unacceptable -> <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    with Conversation() as c:
        c.handshake(isn=4000)
        c.p.send("P.", 4001 + (1 << 30), c.iss + 1, data=b"x" * 10)
        c.expect("segment beyond the window", ".", seq=c.iss + 1, ack=4001)
        c.p.send("P.", 4001 - 50000, c.iss + 1, data=b"x" * 10)
        c.expect("old duplicate segment", ".", seq=c.iss + 1, ack=4001)


def test_ack_of_unsent_data_is_answered_and_dropped():
    # RFC 9293 3.10.7.4 step 5 / RFC 5961 5.2: SEG.ACK > SND.NXT -> ACK, drop.
    with Conversation() as c:
        c.handshake(isn=5000)
        c.p.send("P.", 5001, c.iss + 1 + 1000, data=b"x" * 10)
        c.expect("ACK of unsent data", ".", seq=c.iss + 1, ack=5001)
        c.silence("no response to a dropped request", 0.3)
        c.p.send("P.", 5001, c.iss + 1, data=b"x" * 10)
        r = c.expect("the real request", None, ack=5011)
        check(r["len"] == RESPONSE_LEN, "response %s" % r)


def test_active_close_and_fin_retransmission_in_time_wait():
    # RFC 9293 3.10.7.4 (TIME-WAIT): a retransmitted FIN is acknowledged again.
    with Conversation(["--time_wait_ms=5000"]) as c:
        c.handshake(isn=6000)
        c.p.send("P.", 6001, c.iss + 1, data=b"x" * 20)
        r = c.expect("response with FIN", "FP.", seq=c.iss + 1, ack=6021)
        fin_end = c.iss + 1 + r["len"] + 1
        c.p.send("F.", 6021, fin_end)
        c.expect("ACK of our FIN", ".", seq=fin_end, ack=6022)
        c.p.send("F.", 6021, fin_end)
        c.expect("ACK of the retransmitted FIN", ".", seq=fin_end, ack=6022)
        st = c.stats()
        check(st["time_wait_flows"] == 1, "not in TIME-WAIT: %s" % st)


def test_paws_drops_an_old_timestamp():
    # RFC 7323 5.3: TSval older than TS.Recent -> ACK and drop.
    with Conversation() as c:
        sa = c.handshake(isn=7000, opts=linux_syn_options(tsval=50000), tsval=50000)
        c.p.send("P.", 7001, c.iss + 1, data=b"x" * 10, opts=ts_option(40000, sa["opts"]["tsval"]))
        c.expect("segment with an old timestamp", ".", ack=7001)
        check(c.stats()["rejected"]["paws"] == 1, "paws not counted")


def test_forged_cookie_ack_gets_rst():
    with Conversation(["--syncookies=always"]) as c:
        c.p.send("S", 8000, opts=linux_syn_options())
        sa = c.expect("cookie SYN-ACK", "S.", ack=8001)
        c.p.send(".", 8001, sa["seq"] + 1 + 4)
        c.expect("forged cookie ACK", "R", seq=sa["seq"] + 1 + 4)
        c.p.send(".", 8001, sa["seq"] + 1, opts=ts_option(1001, sa["opts"]["tsval"]))
        c.silence("valid cookie ACK")
        st = c.stats()
        check(st["cookies_validated"] == 1 and st["active_flows"] == 1, str(st))
        check(st["cookies_rejected"]["bad_hash"] + st["cookies_rejected"]["too_old"] == 1, str(st))


def test_peer_window_and_its_scale_are_honoured(tmp_response=b"r" * 1000):
    # RFC 7323 2.3: the peer's window field is shifted by the scale it sent in
    # its SYN; RFC 9293 3.8.6: never send beyond SND.UNA + SND.WND.
    import os
    path = "/tmp/sa-rfc-resp-%d" % os.getpid()
    with open(path, "wb") as f:
        f.write(tmp_response)
    try:
        with Conversation(["--response=" + path]) as c:
            sa = c.handshake(isn=9000, opts=linux_syn_options(tsval=10, ws=7), tsval=10)
            ts = ts_option(12, sa["opts"]["tsval"])
            # Window field 1 with scale 7: 128 bytes.
            c.p.send("P.", 9001, c.iss + 1, data=b"x" * 10, opts=ts, wnd=1)
            r = c.expect("response under a 128-byte window", None, seq=c.iss + 1, ack=9011)
            check(r["len"] == 128, "sent %d bytes into a 128-byte (1 << 7) window" % r["len"])
            # Nothing beyond the window until it opens: at most the same 128
            # bytes again, when the RTO (RFC 6298, 200 ms floor) fires first.
            end = time.time() + 0.5
            while time.time() < end:
                again = c.p.recv(max(0, end - time.time()))
                check(again is None or (again["seq"] == r["seq"] and again["len"] <= 128),
                      "past the 128-byte window before it opened: %s" % again)
            c.p.send(".", 9011, c.iss + 1 + 128, opts=ts, wnd=100)  # 12800 bytes
            got = 128
            while got < len(tmp_response):
                r = c.expect("rest of the response", None, seq=c.iss + 1 + got)
                got += r["len"]
            check(got == len(tmp_response), "sent %d of %d" % (got, len(tmp_response)))
    finally:
        os.unlink(path)


def test_zero_window_holds_the_response():
    with Conversation() as c:
        c.handshake(isn=9500)
        c.p.send("P.", 9501, c.iss + 1, data=b"x" * 10, wnd=0)
        r = c.expect("request into a zero window", ".", seq=c.iss + 1, ack=9511)
        check(r["len"] == 0, "sent %d bytes into a zero window" % r["len"])
        c.p.send(".", 9511, c.iss + 1, wnd=65535)  # window update
        r = c.expect("response once the window opens", None, seq=c.iss + 1, ack=9511)
        check(r["len"] == RESPONSE_LEN, "response %s" % r)


def test_peer_fin_before_any_request_is_answered_with_our_fin():
    with Conversation() as c:
        c.handshake(isn=9700)
        c.p.send("F.", 9701, c.iss + 1)
        r = c.expect("our answer to the peer's FIN", None, ack=9702)
        check("F" in r["flags"], "no FIN from the engine: %s" % r)
        c.p.send(".", 9702, r["seq"] + r["len"] + 1)
        c.silence("last ACK")
        check(c.stats()["active_flows"] == 0, "flow left after LAST-ACK")
