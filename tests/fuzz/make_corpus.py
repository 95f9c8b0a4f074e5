#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<harness>/: a few small inputs
per harness that reach its deep paths at once (valid frames, real option
lists, programs for a whole connection). The outputs are checked in; rerun
after changing an input layout:  python3 tests/fuzz/make_corpus.py

Plain struct, no scapy: every byte is spelled out next to the harness layout
it feeds (see the header comment of each tests/fuzz/fuzz_*.cc)."""
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The RFC 1071 checksum the integration tests' frame builder uses.
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from frames import csum  # noqa: E402

PEER_MAC = bytes.fromhex("020000000001")
OUR_MAC = bytes.fromhex("020000000002")
PEER_IP = bytes([198, 18, 0, 1])
OUR_IP = bytes([198, 18, 0, 2])


def eth(ethertype, payload, dst=OUR_MAC, src=PEER_MAC):
    return dst + src + struct.pack("!H", ethertype) + payload


def ipv4(proto, l4, src=PEER_IP, dst=OUR_IP):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def tcp(sport, dport, seq, ack, flags, opts=b"", payload=b"", wnd=64240):
    assert len(opts) % 4 == 0
    off = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, wnd, 0, 0) + opts
    pseudo = PEER_IP + OUR_IP + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def tcp_frame(*args, **kw):
    return eth(0x0800, ipv4(6, tcp(*args, **kw)))


def arp_request():
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER_MAC, PEER_IP, b"\0" * 6, OUR_IP)
    return eth(0x0806, body, dst=b"\xff" * 6)


def icmp_echo(ident=0x1234, seq=1, data=b"abcdefgh"):
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
    return eth(0x0800, ipv4(1, msg))


# Option lists as the stacks send them on their SYNs (and Linux afterwards).
def ts_opt(val, ecr):
    return b"\x08\x0a" + struct.pack("!II", val, ecr)


LINUX_SYN = b"\x02\x04\x05\xb4" + b"\x04\x02" + ts_opt(2745123, 0) + b"\x01\x03\x03\x07"
LINUX_ACK = b"\x01\x01" + ts_opt(2745124, 1001)
WINDOWS_SYN = b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02"
MACOS_SYN = (b"\x02\x04\x05\xb4\x01\x03\x03\x06\x01\x01" + ts_opt(1862001234, 0) +
             b"\x04\x02\x00\x00")
SYNACK_OPTS = b"\x02\x04\x05\xb4\x04\x02" + ts_opt(5000, 2745123) + b"\x01\x03\x03\x07"

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"

CLI_ISN = 1000
SRV_ISS = 5000


def arp(op, spa=PEER_IP, sha=PEER_MAC, tpa=OUR_IP, dst=b"\xff" * 6):
    tha = OUR_MAC if op == 2 else b"\0" * 6
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa, tha, tpa)
    return eth(0x0806, body, dst=dst)


def ipv4_with_options(proto, l4, opts, src=PEER_IP, dst=OUR_IP):
    ihl = 5 + len(opts) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), 1, 0x4000, 64, proto, 0,
                      src, dst) + opts
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def frame_seeds():
    s, a = CLI_ISN, SRV_ISS + 1
    md5 = b"\x13\x12" + b"\xa5" * 16 + b"\x01\x01"
    rr = bytes([7, 7, 4, 0, 0, 0, 0, 0])
    lsrr = bytes([131, 7, 4, 198, 18, 0, 9, 0])
    return {
        "arp-reply": arp(2, dst=OUR_MAC),
        "arp-probe": arp(1, spa=b"\0\0\0\0"),
        "syn-md5": tcp_frame(40000, 80, s, 0, 0x02, md5),
        "syn-record-route": eth(0x0800, ipv4_with_options(6, tcp(40000, 80, s, 0, 0x02, LINUX_SYN), rr)),
        "syn-source-route": eth(0x0800, ipv4_with_options(6, tcp(40000, 80, s, 0, 0x02), lsrr)),
        "arp-request": arp_request(),
        "icmp-echo": icmp_echo(),
        "linux-syn": tcp_frame(40000, 80, s, 0, 0x02, LINUX_SYN),
        "ack": tcp_frame(40000, 80, s + 1, a, 0x10, LINUX_ACK),
        "data": tcp_frame(40000, 80, s + 1, a, 0x18, LINUX_ACK, REQUEST),
        "fin": tcp_frame(40000, 80, s + 1 + len(REQUEST), a + 38, 0x11, LINUX_ACK),
        "rst": tcp_frame(40000, 80, s + 1, 0, 0x04),
    }


def option_seeds():
    return {
        "linux-syn": LINUX_SYN,
        "linux-ack": LINUX_ACK,
        "windows-syn": WINDOWS_SYN,
        "macos-syn": MACOS_SYN,
        "synack": SYNACK_OPTS,
        "md5-signed": b"\x01\x01\x13\x12" + b"\xa5" * 16 + ts_opt(2745124, 1001),
    }


# ---- fuzz_endpoint programs (layout: tests/fuzz/fuzz_endpoint.cc) ----------------

def ep_config(response_idx=2, passive=False, wscale=7, b=0x00, retries=0x85, d=0, e=0):
    """config_from: response/close/wscale, MSS/RTO/TIME-WAIT/idle choices,
    retries, exact MSS (0 = keep), application/FIN timeout/clock/RTO.min/IW,
    the Requester's requests."""
    a = response_idx | (8 if passive else 0) | (wscale << 4)
    return bytes([a, b, retries]) + struct.pack("<H", 0) + bytes([d, e])


REQUESTER = 0x01


def ep_ts(delta=1):
    """options_from: TSopt with TSval = the peer's last + delta, TSecr = ours."""
    return bytes([0x01, delta & 0xFF])


def ep_payload(n):
    return bytes([n]) if n < 0xF0 else b"\xf0" + struct.pack("<H", n)


def ep_seg(flags, payload=0, ts=True, ms=1, seq_delta=0, ack_delta=0):
    """An op 0 segment: seq = RCV.NXT + delta, ack = SND.NXT + delta."""
    modes = (0x20 if payload else 0) | (0x40 if ts else 0)
    out = bytes([ms << 5, flags, modes, seq_delta & 0xFF, ack_delta & 0xFF])
    if payload:
        out += ep_payload(payload)
    if ts:
        out += ep_ts()
    return out


def ep_listen_syn(seq=CLI_ISN, iss=SRV_ISS):
    """open byte 0 (listen) + time, then flags, seq, wnd, no payload, Linux
    options (TS, MSS 1460, WS 7, SACK), our ISS."""
    opts = bytes([0x01 | 0x08 | 0x10 | 0x20, 0]) + struct.pack("<H", 1460) + bytes([7])
    return (bytes([0, 1, 0x02]) + struct.pack("<IH", seq, 64240) + b"\0" + opts +
            struct.pack("<I", iss))


def ep_fire(extra=0):
    return bytes([5, extra])


# The server's responses, as ServerStream::compose writes them.
def http_cl(n, close=False):
    return (b"HTTP/1.1 200 OK\r\n" + (b"Connection: close\r\n" if close else b"") +
            b"Content-Length: %d\r\n\r\n" % n + bytes(ord("A") + i % 26 for i in range(n)))


def ep_server_stream(pieces):
    """compose: the piece count, then kind and body length of each."""
    out = bytes([len(pieces)])
    for kind, body in pieces:
        out += bytes([kind, body]) if body < 256 else bytes([kind | 0x80]) + struct.pack("<H", body)
    return out


def ep_active_open(pieces, iss=7000, peer_isn=9000):
    """open byte + time, the server's stream, our ISS, then the server's
    SYN-ACK (raw seq, ack = SND.NXT, TSopt, MSS 1460, WS 7, SACK)."""
    out = bytes([1, 1]) + ep_server_stream(pieces) + struct.pack("<I", iss)
    opts = bytes([0x01 | 0x08 | 0x10 | 0x20, 1]) + struct.pack("<H", 1460) + bytes([7])
    out += bytes([1 << 5, 0x12, 0x03 | 0x40]) + struct.pack("<I", peer_isn) + b"\0" + opts
    return out


def endpoint_seeds():
    ack, psh_ack, fin_ack, rst = 0x10, 0x18, 0x11, 0x04
    handshake = ep_listen_syn() + ep_seg(ack)
    seeds = {
        # SYN, ACK, request, response+FIN (active close), ACK, FIN, TIME-WAIT out.
        "active-close": ep_config() + handshake + ep_seg(psh_ack, 20) + ep_seg(ack) +
        ep_seg(fin_ack) + ep_fire(),
        # Passive close: the peer's FIN first, then our FIN, its ACK (LAST-ACK).
        "passive-close": ep_config(passive=True) + handshake + ep_seg(psh_ack, 20) +
        ep_seg(fin_ack) + ep_seg(ack),
        # A 4000-byte response over several segments, the last ones lost:
        # retransmission with backoff until the peer acknowledges.
        "retransmit": ep_config(response_idx=5) + handshake + ep_seg(psh_ack, 20) +
        ep_fire() + ep_fire() + ep_seg(ack) + ep_seg(fin_ack),
        # The handshake never completes: SYN-ACK retransmissions, then give-up.
        "synack-timeout": ep_config(retries=0x21) + ep_listen_syn() + ep_fire() + ep_fire() +
        ep_fire(),
        # RFC 5961: a RST in the window but not at RCV.NXT, then at RCV.NXT.
        "rst-challenge": ep_config() + handshake + ep_seg(rst, ts=False, seq_delta=5) +
        ep_seg(rst, ts=False),
        # Idle timeout (10 ms): an abort after the response was acknowledged.
        "idle": ep_config(passive=True, b=0x80) + handshake + ep_seg(psh_ack, 20) +
        ep_seg(ack) + ep_fire(),
        # TIME-WAIT kept compactly: the peer's FIN retransmitted (restarts 2 MSL),
        # an old duplicate, a SYN that may reopen it, then the expiry.
        "time-wait": ep_config() + handshake + ep_seg(psh_ack, 20) + ep_seg(ack) +
        ep_seg(fin_ack) + ep_seg(fin_ack, seq_delta=-1) + ep_seg(0x02, seq_delta=10) +
        ep_fire(),
        # The clock just before 2^32 ms: TSval wraps during the connection.
        "clock-wrap": ep_config(d=0x08) + handshake + ep_seg(psh_ack, 20) + bytes([0x0e]) +
        struct.pack("<H", 40) + ep_seg(ack) + ep_seg(fin_ack) + ep_fire(),
    }
    # A validated cookie's ACK carrying the request: ESTABLISHED at once.
    cookie = bytes([1, 1, psh_ack]) + struct.pack("<IIH", CLI_ISN + 1, SRV_ISS + 1, 502)
    cookie += bytes([20]) + ep_ts() + bytes([0x07 | (7 << 3) | 0x80])
    seeds["cookie-ack"] = ep_config() + cookie + ep_seg(ack) + ep_seg(fin_ack) + ep_fire()
    # The Requester: one GET, a Content-Length response, our FIN, the server's.
    r1 = http_cl(10)
    seeds["requester-one"] = (ep_config(d=REQUESTER) + ep_active_open([(0, 10)]) +
                              ep_seg(psh_ack, len(r1)) + ep_seg(fin_ack) + ep_fire())
    # Three requests on one connection (passive close): each response whole in
    # one segment, the next request after it; the server closes, we answer.
    rs = [http_cl(5), http_cl(300), http_cl(0)]
    prog = ep_config(passive=True, d=REQUESTER, e=2) + ep_active_open([(0, 5), (0, 300), (0, 0)])
    for r in rs:
        prog += ep_seg(psh_ack, len(r))
    seeds["requester-keepalive"] = prog + ep_seg(fin_ack) + ep_seg(ack)
    # A response in two segments, the first cut in its head; a chunked one;
    # then the server's FIN inside a third response (truncated).
    r2 = http_cl(40)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nABCDEFG\r\n0\r\n\r\n"
    prog = ep_config(passive=True, d=REQUESTER, e=3) + ep_active_open([(0, 40), (2, 7), (0, 100)])
    prog += ep_seg(psh_ack, 20) + ep_seg(psh_ack, len(r2) - 20) + ep_seg(psh_ack, len(chunked))
    seeds["requester-split"] = prog + ep_seg(psh_ack, 30) + ep_seg(fin_ack)
    # Bytes before any request is outstanding: the Requester aborts.
    seeds["requester-unasked"] = (ep_config(d=REQUESTER) + ep_active_open([(0, 10), (0, 10)]) +
                                  ep_seg(psh_ack, 2 * len(r1)))
    return seeds


# ---- fuzz_cookie inputs (layout: tests/fuzz/fuzz_cookie.cc) ------------------------

def c_syn(port, isn, syn_opts=True, other_local=False):
    """One SYN of the burst: tuple (host order), client ISN, options."""
    out = PEER_IP[::-1] + (bytes([0x80]) + bytes([198, 18, 9, 9])[::-1] if other_local else b"\0")
    out += struct.pack("<HH", port, 80) + struct.pack("<I", isn)
    if syn_opts == "windows":  # MSS 1460, WS 8, SACK, no TS
        out += bytes([0x07]) + struct.pack("<H", 1460) + bytes([8])
    elif syn_opts:  # MSS 1460, WS 7, SACK, TS
        out += bytes([0x0F]) + struct.pack("<H", 1460) + bytes([7]) + struct.pack("<II", 777, 0)
    else:
        out += b"\0"
    return out


def cookie_input(rotations=0, syns=((40000, True),), delay_s=30, random_acks=2):
    out = b""
    for k in (0x0123456789ABCDEF, 0x1111, 0x2222):  # three secrets: k0, k1
        out += struct.pack("<QQ", k, k ^ 0xFFFF)
    out += OUR_IP[::-1]                                 # the codec's local address
    out += struct.pack("<I", 100000) + b"\0"           # codec start, no high offset
    out += struct.pack("<H", 5)                         # the SYNs 5 s later
    out += struct.pack("<I", 0x12345678)                # our ms clock
    out += bytes([len(syns) - 1])
    for i, (port, opts) in enumerate(syns):
        out += c_syn(port, CLI_ISN + i, opts)
    out += bytes([rotations]) + struct.pack("<H", 10) * rotations
    out += struct.pack("<H", delay_s)
    for _, opts in syns:
        if opts is True:
            out += struct.pack("<I", 778)               # the ACK's TSval
    out += bytes([3]) + bytes([0, 0, 0, 33, 0, 70])     # three tampered copies of ACK 0
    for i in range(random_acks):
        out += b"\1\0" + struct.pack("<II", CLI_ISN + 1, 0xDEADBEEF + i) + b"\0" + struct.pack("<H", 7)
    return out


def cookie_seeds():
    burst = tuple((40000 + i, [True, False, "windows"][i % 3]) for i in range(8))
    return {
        "linux-syn": cookie_input(),
        "no-options": cookie_input(syns=((40000, False),)),
        "burst-of-8": cookie_input(syns=burst),
        "one-rotation": cookie_input(rotations=1, delay_s=60),
        "three-rotations-stale": cookie_input(rotations=3, delay_s=300, syns=burst[:3]),
    }


# ---- fuzz_worker programs (layout: tests/fuzz/fuzz_worker.cc) ------------------------

def w_setup(mode=0, passive=False, backlog_small=False, b=0):
    return bytes([mode | (4 if passive else 0) | (32 if backlog_small else 0), b])


CLIENT = 0x02


def w_seg(flags, who=0, payload=0, opts=2, seq_raw=None):
    """op 1: a segment from peer `who` at its own numbers (ack = the engine's
    next, as last seen), with TSopt (opts 2) or Linux SYN options (opts 1)."""
    modes = 0x20 | (0x10 if payload else 0) | (2 if seq_raw is not None else 0)
    out = bytes([1, who, flags, modes])
    if seq_raw is not None:
        out += struct.pack("<I", seq_raw)
    if payload:
        out += bytes([payload]) if payload < 0xF0 else b"\xf0" + struct.pack("<H", payload)
    return out + bytes([opts])


END = b"\x04"


def w_pass(seconds):
    return b"\x0d" + struct.pack("<H", seconds)


def w_connection(who=0):
    return (w_seg(0x02, who, opts=1, seq_raw=CLI_ISN + who) + END + w_seg(0x10, who) + END +
            w_seg(0x18, who, payload=20) + END + w_seg(0x10, who) + w_seg(0x11, who) + END)


def w_server_seg(flags, who=0, payload=0, opts=2, stream=None):
    """Client mode, op 1: the target answers connection `who`; its first
    segment composes the connection's response stream (ServerStream)."""
    modes = 0x20 | (0x10 if payload else 0)
    out = bytes([1, who, flags])
    if stream is not None:
        out += stream
    out += bytes([modes])
    if payload:
        out += bytes([payload]) if payload < 0xF0 else b"\xf0" + struct.pack("<H", payload)
    return out + bytes([opts])


def worker_seeds():
    seeds = {
        "connection-never": w_setup(0) + w_connection() + w_pass(61),
        "connection-always": w_setup(2) + w_connection() + w_pass(61),
        "passive-close": w_setup(0, passive=True) + w_connection() + w_pass(61),
    }
    # Overload: ten SYNs in one burst with a backlog of 4, then the handshakes.
    flood = b"".join(w_seg(0x02, who, opts=1, seq_raw=CLI_ISN + who) for who in range(10)) + END
    flood += b"".join(w_seg(0x10, who) for who in range(10)) + END
    seeds["overload"] = w_setup(1, backlog_small=True) + flood
    # ARP and an echo request (4 data bytes, id 7, seq 1), and a raw frame
    # (checksums fixed, aimed at us): an ICMP echo built here.
    icmp = icmp_echo()
    seeds["arp-icmp"] = (w_setup(1) + b"\x07\x00" + b"\x0f\x00\x04" + struct.pack("<HHH", 7, 0, 1) +
                         END + b"\x18" + struct.pack("<H", len(icmp)) + icmp + END)
    # Runtime control: switch to always, rotate the secret, a millisecond for
    # the worker to read them, then a connection (answered with a cookie).
    seeds["control"] = (w_setup(1) + b"\x06\x02" + b"\x0e" + struct.pack("<Q", 99) +
                        b"\x05\x01\x00" + w_connection(1) + w_pass(61))
    # Every option the setup has: RX checksum offload, other-host frames, the
    # widest SipHash variant, an address range, the clock just below 2^32 ms.
    seeds["setup-options"] = (w_setup(2, b=0x04 | 0x08 | 0x30 | 0x40 | 0x80) + w_connection() +
                              w_pass(61))
    # Client mode: our ARP for the target, its reply, our SYNs (concurrency 4),
    # the server's SYN-ACK on the first, the response to our GET, its FIN.
    resp = http_cl(10)
    arp_reply = b"\x47\x80"  # op 7, ARP reply (64), from the target (who 0x80)
    prog = w_setup(0, b=CLIENT) + arp_reply + END
    prog += w_server_seg(0x12, opts=1, stream=bytes([1, 0, 10])) + END
    prog += w_server_seg(0x18, payload=len(resp)) + END
    prog += w_server_seg(0x11) + END + w_pass(61)
    seeds["client-one"] = prog
    # Client mode, keep-alive: three requests per connection (a = 0x10), one
    # connection at a time (0x20), passive close; chunked and 204 responses.
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nABCDE\r\n0\r\n\r\n"
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    prog = bytes([0x10 | 0x20 | 0x04, CLIENT]) + arp_reply + END
    prog += w_server_seg(0x12, opts=1, stream=bytes([3, 0, 10, 2, 5, 1, 0])) + END
    for r in (resp, chunked, no_content):
        prog += w_server_seg(0x18, payload=len(r)) + END
    prog += w_server_seg(0x11) + END + w_server_seg(0x10) + END + w_pass(61)
    seeds["client-keepalive"] = prog
    # Client mode, the target never answers ARP: every connection fails (no_arp).
    seeds["client-no-arp"] = w_setup(0, b=CLIENT) + b"".join(w_pass(1) for _ in range(4)) + w_pass(30)
    return seeds


def main():
    sets = {
        "fuzz_frame": frame_seeds(),
        "fuzz_options": option_seeds(),
        "fuzz_endpoint": endpoint_seeds(),
        "fuzz_cookie": cookie_seeds(),
        "fuzz_worker": worker_seeds(),
    }
    for harness, seeds in sets.items():
        d = os.path.join(HERE, "corpus", harness)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%-14s %2d seeds, %5d bytes" % (harness, len(seeds), sum(map(len, seeds.values()))))


if __name__ == "__main__":
    main()
