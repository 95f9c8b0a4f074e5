#!/usr/bin/env python3
"""Builds raw Ethernet frames (good and deliberately broken) and sends them on
an interface with AF_PACKET. Run inside the test's namespace:

  frames.py IFACE DST_MAC KIND [COUNT]

Sources are always inside 198.18.0.0/15.
"""
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ip4(a):
    return socket.inet_aton(a)


def ipv4(src, dst, proto, payload, frag=0x4000, ihl=5, bad_csum=False, total=None, ttl=64):
    opts = b"\x01" * ((ihl - 5) * 4)
    tl = total if total is not None else 20 + len(opts) + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tl, 1, frag, ttl, proto, 0,
                      ip4(src), ip4(dst)) + opts
    c = csum(hdr)
    if bad_csum:
        c ^= 0x5555
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def tcp(src, dst, sport, dport, seq, ack, flags, wnd=65535, opts=b"", payload=b"",
        bad_csum=False, doff=None):
    d = doff if doff is not None else (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, d << 4, flags, wnd, 0, 0) + opts
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    if bad_csum:
        c ^= 0x1234
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def eth(dst, src, etype, payload):
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", etype) + payload


SRC = "198.18.0.1"
DST = "198.18.0.2"


def build(kind, dst_mac, src_mac):
    syn = tcp(SRC, DST, 40000, 80, 1000, 0, 0x02)
    good_ip = ipv4(SRC, DST, 6, syn)
    if kind == "truncated":
        return eth(dst_mac, src_mac, 0x0800, good_ip[:30])
    if kind == "ethertype":
        return eth(dst_mac, src_mac, 0x88B5, b"\0" * 46)
    if kind == "bad_ip_checksum":
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, DST, 6, syn, bad_csum=True))
    if kind == "bad_ip_header":
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, DST, 6, syn, total=12))
    if kind == "fragment":
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, DST, 6, syn, frag=0x2000))
    if kind == "udp":
        udp = struct.pack("!HHHH", 1000, 53, 8, 0)
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, DST, 17, udp))
    if kind == "not_for_us":
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, "198.18.0.99", 6,
                                                  tcp(SRC, "198.18.0.99", 40000, 80, 1, 0, 2)))
    if kind == "bad_tcp_checksum":
        return eth(dst_mac, src_mac, 0x0800,
                   ipv4(SRC, DST, 6, tcp(SRC, DST, 40000, 80, 1, 0, 2, bad_csum=True)))
    if kind == "bad_tcp_header":
        return eth(dst_mac, src_mac, 0x0800,
                   ipv4(SRC, DST, 6, tcp(SRC, DST, 40000, 80, 1, 0, 2, doff=15)))
    if kind == "bad_tcp_options":
        # MSS option with length 3: malformed (RFC 9293 3.2 says MSS is 4 bytes).
        opts = b"\x02\x03\x05\x00"
        return eth(dst_mac, src_mac, 0x0800,
                   ipv4(SRC, DST, 6, tcp(SRC, DST, 40000, 80, 1, 0, 2, opts=opts)))
    if kind == "bad_icmp_checksum":
        icmp = struct.pack("!BBHHH", 8, 0, 0xBEEF, 1, 1) + b"x" * 8
        return eth(dst_mac, src_mac, 0x0800, ipv4(SRC, DST, 1, icmp))
    if kind == "bad_source":
        return eth(dst_mac, src_mac, 0x0800, ipv4("224.0.0.1", DST, 6,
                                                  tcp("224.0.0.1", DST, 1, 80, 1, 0, 2)))
    raise SystemExit("unknown kind " + kind)


def main():
    iface, dst_mac, kind = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src_mac = ":".join("%02x" % b for b in s.getsockname()[4][:6])
    frame = build(kind, dst_mac, src_mac)
    for _ in range(count):
        s.send(frame)


if __name__ == "__main__":
    main()
