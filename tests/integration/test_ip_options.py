"""Issue 7: IPv4 options (RFC 791 3.1) and the TCP-MD5 option (RFC 2385) on
the wire. Linux drops source-routed packets (accept_source_route=0), drops
options ip_options_compile() rejects, answers the rest without echoing them,
and drops MD5-signed segments when no key is configured (TCPMD5UNEXPECTED)."""
import struct

import frames
from harness import check
from wirepeer import (ENGINE_IP, IPOPT_EOL, IPOPT_LSRR, IPOPT_NOP, IPOPT_RA, IPOPT_SSRR, PEER_IP,
                      Wire, describe, drop_count, icmp_echo_frame, ipv4, md5_option, tcp_frame)

QUIET = ["--rto_ms=60000"]  # no SYN-ACK retransmission inside a test
RESPONSE_START = b"HTTP/1.1 200 OK\r\n"


def _route(kind):
    # type, length 7, pointer 4, one hop, then EOL to end the 32-bit word.
    return bytes([kind, 7, 4]) + frames.ip4("198.18.0.1") + bytes([IPOPT_EOL])


def _syn(w, sport, ip_options, isn=1000):
    return tcp_frame(w.eng.mac, w.port.mac, PEER_IP, ENGINE_IP, sport, 80, "S", isn,
                     ip_options=ip_options)


def _silent(w, label, frame):
    for _ in range(2):
        w.port.send(frame)
    got = w.port.quiet(0.3)
    return "%s: answered with %s" % (label, describe(got[0])) if got else None


def _control(w, sport=45000):
    f = w.flow(sport)
    f.send("S", 5)
    r = f.recv(1.0)
    check(r is not None and r["flags"] == "S.", "control SYN without options: %s" % r)


def test_source_routed_packets_dropped():
    with Wire(QUIET) as w:
        cases = {
            "SYN with LSRR": _syn(w, 40000, _route(IPOPT_LSRR)),
            "SYN with SSRR": _syn(w, 40001, _route(IPOPT_SSRR)),
            "SYN with NOP then LSRR": _syn(w, 40002, bytes([IPOPT_NOP]) + _route(IPOPT_LSRR)[:7]),
        }
        echo = icmp_echo_frame(w.eng.mac, w.port.mac, PEER_IP, ENGINE_IP)
        # The same echo, its IP header rebuilt with SSRR in it.
        cases["echo with SSRR"] = echo[:14] + ipv4(PEER_IP, ENGINE_IP, 1, echo[14 + 20:],
                                                   options=_route(IPOPT_SSRR))
        problems = [p for p in (_silent(w, k, fr) for k, fr in cases.items()) if p]
        _control(w)
        check(not problems, "source-routed packets answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "ip_source_route") == 2 * len(cases),
              "drops[ip_source_route] %s, sent %d" % (drop_count(st, "ip_source_route"),
                                                      2 * len(cases)))


def test_malformed_ip_options_dropped():
    # Each as Linux ip_options_compile() rejects it.
    malformed = {
        "option length 1": bytes([IPOPT_RA, 1, 0, 0]),
        "option length 0": bytes([IPOPT_RA, 0, 0, 0]),
        "option longer than the header": bytes([IPOPT_RA, 8, 0, 0]),
        "kind in the last byte, no length": bytes([IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_RA]),
        "record route pointer below 4": bytes([7, 7, 3, 0, 0, 0, 0, IPOPT_EOL]),
        "router alert shorter than 4": bytes([IPOPT_RA, 3, 0, IPOPT_EOL]),
    }
    with Wire(QUIET) as w:
        problems = [p for p in (_silent(w, k, _syn(w, 40100 + i, opt))
                                for i, (k, opt) in enumerate(malformed.items())) if p]
        _control(w)
        check(not problems, "malformed IP options answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "bad_ip_options") == 2 * len(malformed),
              "drops[bad_ip_options] %s, sent %d" % (drop_count(st, "bad_ip_options"),
                                                     2 * len(malformed)))


def test_harmless_ip_options_answered_without_options():
    # Linux answers these and its SYN-ACK carries no IP options: NOP and EOL
    # are padding, Router Alert (RFC 2113) is not echoed, and bytes after EOL
    # are ignored (ip_options_compile rewrites them to EOL).
    harmless = {
        "four NOPs": bytes([IPOPT_NOP] * 4),
        "NOP, EOL, padding": bytes([IPOPT_NOP, IPOPT_EOL, 0, 0]),
        "router alert": bytes([IPOPT_RA, 4, 0, 0]),
        "EOL then junk": bytes([IPOPT_EOL, 0xAA, 0xBB, 0xCC]),
        "40 bytes of NOPs": bytes([IPOPT_NOP] * 40),
    }
    with Wire(QUIET) as w:
        problems = []
        for i, (label, opt) in enumerate(harmless.items()):
            f = w.flow(40200 + i)
            w.port.send(_syn(w, f.sport, opt, isn=3000))
            r = f.recv(1.0)
            if r is None or r["flags"] != "S." or r["ack"] != 3001:
                problems.append("%s: SYN-ACK %s" % (label, r and describe(r)))
            elif r["ip_ihl"] != 20:
                problems.append("%s: SYN-ACK with a %d-byte IP header" % (label, r["ip_ihl"]))
        check(not problems, "harmless IP options:\n  " + "\n  ".join(problems))
        # A whole exchange with Router Alert on every segment of ours.
        f = w.flow(40300)
        ra = bytes([IPOPT_RA, 4, 0, 0])
        w.port.send(_syn(w, f.sport, ra, isn=4000))
        sa = f.recv(1.0)
        check(sa is not None and sa["flags"] == "S.", "SYN-ACK %s" % sa)
        f.send(".", 4001, sa["seq"] + 1, ip_options=ra)
        f.send("P.", 4001, sa["seq"] + 1, data=b"GET / HTTP/1.1\r\n\r\n", ip_options=ra)
        r = f.recv(1.0)
        check(r is not None and r["payload"].startswith(RESPONSE_START) and r["ip_ihl"] == 20,
              "response to a request with Router Alert: %s" % (r and describe(r)))


def test_tcp_md5_option_without_a_key_dropped():
    mss = struct.pack("!BBH", 2, 4, 1460)
    with Wire(QUIET) as w:
        f = w.flow(40400)
        f.send("S", 9000, opts=mss + md5_option())
        got = w.port.quiet(0.4)
        check(not got, "SYN with TCP-MD5 answered: %s" % [describe(g) for g in got])
        # On an established connection: the signed request is dropped, the same
        # request unsigned is answered.
        g = w.flow(40401)
        g.handshake(isn=9100)
        g.send("P.", 9101, g.iss + 1, data=b"GET / HTTP/1.1\r\n\r\n", opts=md5_option())
        got = w.port.quiet(0.4)
        check(not got, "request with TCP-MD5 answered: %s" % [describe(x) for x in got])
        g.send("P.", 9101, g.iss + 1, data=b"GET / HTTP/1.1\r\n\r\n")
        r = g.recv(1.0)
        check(r is not None and r["payload"].startswith(RESPONSE_START),
              "unsigned request after the dropped one: %s" % (r and describe(r)))
        st = w.stats()
        check(drop_count(st, "tcp_md5_unexpected") == 2,
              "drops[tcp_md5_unexpected] %s, want 2" % drop_count(st, "tcp_md5_unexpected"))
