"""A Linux client completes a SYN-cookie handshake (--syncookies=always) and
reads a response far larger than its receive window, with timestamps off and on.

A cookie can carry window scale and SACK-permitted only in the low bits of our
TSval (as Linux's does): without timestamps the SYN-ACK must offer neither, or
the two ends disagree on what the window field means. With timestamps both are
offered and the engine sends under the client's scaled window."""
import os
import sys

from harness import ENGINE_IP, Engine, Namespace, check, unique
from test_tcp import Capture

BODY = bytes((i * 7 + i // 251) % 256 for i in range(64 * 1024))
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)
RCVBUF = 4096

# The client: a small receive buffer set before connect (so the window it
# offers in its SYN is small), reads slowly so the window fills, writes what it
# got to a file.
CLIENT = r"""
import socket, sys, time
s = socket.socket()
if int(sys.argv[3]):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(sys.argv[3]))
s.settimeout(20)
s.connect((sys.argv[1], 80))
s.sendall(b"GET / HTTP/1.1\r\nHost: synack\r\n\r\n")
data = b""
while True:
    chunk = s.recv(2048)
    if not chunk:
        break
    data += chunk
    time.sleep(0.002)
s.close()
open(sys.argv[2], "wb").write(data)
"""


def _cookie_fetch(timestamps, rcvbuf=RCVBUF):
    """One connection; rcvbuf 0 leaves the client's receive buffer alone (its
    window scale is then above 0, which a 4 KiB buffer's is not)."""
    resp = "/tmp/%s.http" % unique("sacookie")
    got = resp + ".got"
    with open(resp, "wb") as f:
        f.write(HEAD + BODY)
    try:
        flags = ["--syncookies=always", "--response=" + resp, "--time_wait_ms=300"]
        with Namespace() as ns, Engine(ns, flags=flags) as eng:
            ns.run(["sysctl", "-qw", "net.ipv4.tcp_timestamps=%d" % timestamps])
            ns.run(["sysctl", "-qw", "net.ipv4.tcp_window_scaling=1"])
            ns.run(["sysctl", "-qw", "net.ipv4.tcp_sack=1"])
            with Capture(ns, eng.tap) as cap:
                ns.run([sys.executable, "-c", CLIENT, ENGINE_IP, got, str(rcvbuf)], timeout=60)
            with open(got, "rb") as f:
                data = f.read()
            check(data == HEAD + BODY, "response: %d bytes, want %d%s" % (
                len(data), len(HEAD + BODY), "" if len(data) != len(HEAD + BODY)
                else " (same length, different bytes)"))

            syn = cap.fields("tcp.flags.syn==1 && tcp.flags.ack==0", "tcp.options.wscale.shift",
                             "tcp.options.sack_perm", "tcp.options.timestamp.tsval")
            check(len(syn) == 1 and syn[0][0] and syn[0][1], "client SYN: %s" % syn)
            check(bool(syn[0][2]) == bool(timestamps), "client SYN timestamps: %s" % syn)
            sa = cap.fields("tcp.flags.syn==1 && tcp.flags.ack==1", "tcp.options.wscale.shift",
                            "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
                            "tcp.options.mss_val")
            check(len(sa) == 1, "SYN-ACKs: %s" % sa)
            ws, sack, ts, mss = (sa[0] + ["", "", "", ""])[:4]
            check(mss, "SYN-ACK without MSS: %s" % sa)
            if timestamps:
                check(ws and sack and ts, "cookie SYN-ACK with timestamps should offer WS, "
                      "SACK-permitted and TS: ws=%r sack=%r ts=%r" % (ws, sack, ts))
            else:
                check(not ws and not sack and not ts,
                      "cookie SYN-ACK without timestamps offers what the cookie cannot carry: "
                      "ws=%r sack=%r ts=%r" % (ws, sack, ts))

            exceeded = cap.count("tcp.analysis.window_exceeded")
            check(exceeded == 0, "%d segments beyond the client's window" % exceeded)
            bad = cap.count("ip.src==%s && (tcp.checksum.status==2 || ip.checksum.status==2)" %
                            ENGINE_IP)
            check(bad == 0, "%d engine frames with a bad checksum" % bad)
            # The response needed many windows: the engine waited for the
            # client's window to open again.
            full = cap.count("ip.src==%s && tcp.analysis.window_full" % ENGINE_IP)
            acks = cap.fields("ip.src==198.18.0.1 && tcp.flags.syn==0", "tcp.window_size_value",
                              "tcp.window_size")
            check(acks, "no client segments in the capture")
            biggest_raw = max(int(a[0]) for a in acks)
            flight = [int(f[0]) for f in cap.fields("ip.src==%s && tcp.len>0" % ENGINE_IP,
                                                    "tcp.analysis.bytes_in_flight") if f and f[0]]
            check(flight, "no engine data segments")
            check(biggest_raw < len(BODY), "client window field %d >= the body" % biggest_raw)
            if timestamps and int(syn[0][0]) > 0:
                # Scaled window: more in flight than the raw field ever said.
                check(max(flight) > biggest_raw, "bytes in flight %d never above the raw window "
                      "field %d: the client's window scale is ignored" % (max(flight), biggest_raw))
            elif not timestamps:
                check(max(flight) <= biggest_raw, "bytes in flight %d above the client's largest "
                      "unscaled window %d" % (max(flight), biggest_raw))
            st = eng.stop_and_stats()
            check(st["cookies_sent"] == 1 and st["cookies_validated"] == 1,
                  "cookies sent %s validated %s" % (st["cookies_sent"], st["cookies_validated"]))
            check(st["mbufs_in_use"] == 0, "mbufs_in_use %s" % st["mbufs_in_use"])
            print("    timestamps=%d rcvbuf=%d: client WS %s, SYN-ACK ws=%r sack=%r ts=%r, "
                  "%d bytes, max in flight %d, "
                  "client window field <= %d, window full %d times" %
                  (timestamps, rcvbuf, syn[0][0], ws, sack, bool(ts), len(data), max(flight),
                   biggest_raw, full))
    finally:
        for p in (resp, got):
            if os.path.exists(p):
                os.unlink(p)


def test_cookie_without_timestamps_offers_no_wscale_or_sack():
    _cookie_fetch(timestamps=0)


def test_cookie_with_timestamps_offers_wscale_and_sack():
    _cookie_fetch(timestamps=1)
    _cookie_fetch(timestamps=1, rcvbuf=0)
