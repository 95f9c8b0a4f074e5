"""Sends segment_cases.Case segments from a raw AF_PACKET peer (an address the
target's kernel does not own) and collects every TCP answer, matched to its
case by destination port."""
import select
import socket
import struct
import time

import frames
from rawtcp import PEER_IP, socket_in_netns

LISTEN_IP = "198.18.0.2"


def parse_options(b):
    """The options of a reply; tolerant of anything (a reply is what we test)."""
    o, i = {}, 0
    while i < len(b):
        k = b[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2:
            o["malformed"] = True
            break
        ln = b[i + 1]
        body = b[i + 2:i + ln]
        if k == 2 and ln == 4:
            o["mss"] = struct.unpack("!H", body)[0]
        elif k == 3 and ln == 3:
            o["ws"] = body[0]
        elif k == 4 and ln == 2:
            o["sack"] = True
        elif k == 8 and ln == 10:
            o["tsval"], o["tsecr"] = struct.unpack("!II", body)
        else:
            o.setdefault("other", []).append(k)
        i += ln
    return o


class Prober:
    """A raw peer on `iface` of namespace `ns_name`, talking to `dst_mac`."""

    def __init__(self, ns_name, iface, dst_mac, dst_ip=LISTEN_IP, src_ip=PEER_IP):
        self.s = socket_in_netns(ns_name, socket.AF_PACKET, socket.SOCK_RAW,
                                 socket.htons(0x0800))
        self.s.bind((iface, 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.mac = ":".join("%02x" % b for b in self.s.getsockname()[4][:6])
        self.dst_mac, self.dst_ip, self.src_ip = dst_mac, dst_ip, src_ip

    def close(self):
        self.s.close()

    def send(self, sport, dport, seq, ack, flags, opts=b"", payload=b"", wnd=64240):
        seg = frames.tcp(self.src_ip, self.dst_ip, sport, dport, seq & 0xffffffff,
                         ack & 0xffffffff, flags, wnd=wnd, opts=opts, payload=payload)
        self.s.send(frames.eth(self.dst_mac, self.mac, 0x0800,
                               frames.ipv4(self.src_ip, self.dst_ip, 6, seg)))

    def _decode(self, pkt):
        if len(pkt) < 54 or pkt[12:14] != b"\x08\x00":
            return None
        ip = pkt[14:]
        if ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != self.dst_ip or \
                socket.inet_ntoa(ip[16:20]) != self.src_ip:
            return None
        ihl = (ip[0] & 15) * 4
        t = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
        sport, dport, seq, ack, off, fl, wnd = struct.unpack("!HHIIBBH", t[:16])
        hl = (off >> 4) * 4
        pseudo = socket.inet_aton(self.dst_ip) + socket.inet_aton(self.src_ip) + \
            struct.pack("!BBH", 0, 6, len(t))
        return {"sport": sport, "dport": dport, "seq": seq, "ack": ack, "flags": fl, "wnd": wnd,
                "len": len(t) - hl, "opts": parse_options(t[20:hl]),
                "csum_ok": frames.csum(pseudo + t) == 0, "tos": ip[1]}

    def _drain(self, until, into):
        while True:
            left = until - time.time()
            r, _, _ = select.select([self.s], [], [], max(0.0, left))
            if not r:
                return
            pkt = self.s.recv(65535)
            d = self._decode(pkt)
            if d is not None:
                d["t"] = time.time()
                into.append(d)

    def run(self, cases, window=0.8, gap=0.0005):
        """Sends every case (one every `gap` seconds) and returns
        {case.index: [replies]} with the replies that came within `window`
        seconds of their segment (a retransmitted SYN-ACK, 1 s later at the
        earliest on both stacks, is left out)."""
        got, sent_at = [], {}
        for c in cases:
            sent_at[c.sport] = (c, time.time())
            self.send(c.sport, c.dport, c.seq, c.ack, c.flags, c.opts, c.payload)
            self._drain(time.time() + gap, got)
        self._drain(time.time() + window, got)
        out = {c.index: [] for c in cases}
        for r in got:
            hit = sent_at.get(r["dport"])
            if hit and r["sport"] == hit[0].dport and r["t"] - hit[1] <= window:
                out[hit[0].index].append(r)
        return out
