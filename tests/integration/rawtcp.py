"""A tiny packetdrill-style TCP peer for wire-level RFC tests: it crafts
segments from an address the kernel does not own (so the kernel's own stack
stays out of the conversation), sends them on the tap with AF_PACKET and reads
the engine's answers back. The socket is opened inside the test's namespace
(setns on this thread only, then back), so the test itself stays plain Python."""
import ctypes
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames  # noqa: E402

PEER_IP = "198.18.0.77"  # not configured on any interface: only we answer for it
ENGINE_IP = "198.18.0.2"

FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10}


def flag_str(f):
    return "".join(c for c, b in (("S", 2), ("F", 1), ("R", 4), ("P", 8), (".", 16)) if f & b)


def parse_opts(b):
    o, i = {}, 0
    while i < len(b):
        k = b[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        ln = b[i + 1]
        body = b[i + 2:i + ln]
        if k == 2:
            o["mss"] = struct.unpack("!H", body)[0]
        elif k == 3:
            o["ws"] = body[0]
        elif k == 4:
            o["sack"] = True
        elif k == 8:
            o["tsval"], o["tsecr"] = struct.unpack("!II", body)
        i += ln
    return o


CLONE_NEWNET = 0x40000000


def socket_in_netns(ns_name, *args):
    """A socket created inside network namespace `ns_name`."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + ns_name, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into " + ns_name)
        try:
            return socket.socket(*args)
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(target)


class Peer:
    def __init__(self, ns_name, iface, engine_mac, sport):
        self.s = socket_in_netns(ns_name, socket.AF_PACKET, socket.SOCK_RAW,
                                 socket.htons(0x0800))
        self.s.bind((iface, 0))
        self.mac = ":".join("%02x" % b for b in self.s.getsockname()[4][:6])
        self.engine_mac = engine_mac
        self.sport = sport

    def send(self, flags, seq, ack=0, data=b"", opts=b"", dport=80, wnd=65535):
        f = sum(FLAGS[c] for c in flags)
        seg = frames.tcp(PEER_IP, ENGINE_IP, self.sport, dport, seq & 0xffffffff,
                         ack & 0xffffffff, f, wnd=wnd, opts=opts, payload=data)
        self.s.send(frames.eth(self.engine_mac, self.mac, 0x0800,
                               frames.ipv4(PEER_IP, ENGINE_IP, 6, seg)))

    def recv(self, timeout=1.0):
        """The engine's next TCP segment to us, as a dict, or None."""
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], max(0, end - time.time()))
            if not r:
                break
            pkt = self.s.recv(65535)
            if len(pkt) < 54 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
                continue
            ip = pkt[14:]
            ihl = (ip[0] & 15) * 4
            if socket.inet_ntoa(ip[16:20]) != PEER_IP or socket.inet_ntoa(ip[12:16]) != ENGINE_IP:
                continue
            t = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
            sport, dport, seq, ack, off, fl, wnd = struct.unpack("!HHIIBBH", t[:16])
            if dport != self.sport:
                continue
            hl = (off >> 4) * 4
            tcp_ok = frames.csum(socket.inet_aton(ENGINE_IP) + socket.inet_aton(PEER_IP) +
                                 struct.pack("!BBH", 0, 6, len(t)) + t) == 0
            return {"flags": flag_str(fl), "seq": seq, "ack": ack, "wnd": wnd,
                    "len": len(t) - hl, "opts": parse_opts(t[20:hl]), "csum_ok": tcp_ok}
        return None
