"""A raw port on the kernel side of the tap for hostile and edge-case tests:
it sends any frame the test builds (any Ethernet/IP source, IP options, ARP)
and keeps everything the engine sends back, so a test can say both "this was
answered like so" and "nothing at all came back".

Frames are built here from the RFC layouts (RFC 791 3.1, RFC 826, RFC 9293
3.1), never with the engine's own writer. The socket listens to every
ethertype; frames the kernel or another socket in the namespace transmit
(PACKET_OUTGOING) are not the engine's and are skipped, our own sends never
loop back to us."""
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frames  # noqa: E402
from harness import Engine, Namespace, TestFailure, check  # noqa: E402
from rawtcp import FLAGS, flag_str, parse_opts, socket_in_netns  # noqa: E402

PEER_IP = "198.18.0.77"  # on no interface: only the engine answers for it
ENGINE_IP = "198.18.0.2"
BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; Python does not export it

# IPv4 option kinds (RFC 791 3.1, RFC 2113).
IPOPT_EOL, IPOPT_NOP, IPOPT_LSRR, IPOPT_SSRR, IPOPT_RA = 0, 1, 131, 137, 148


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def is_group(mac):
    return int(mac.split(":")[0], 16) & 1 == 1


def ipv4(src, dst, proto, payload, options=b"", ttl=64, ihl=None):
    """An IPv4 header with `options` exactly as given (the test pads them to a
    multiple of 4 itself, so a malformed list stays malformed); `ihl` overrides
    the header length to put an option past the header's end."""
    if ihl is None:
        if len(options) % 4:
            raise ValueError("IPv4 options must fill whole 32-bit words")
        ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 1,
                      0x4000, ttl, proto, 0, frames.ip4(src), frames.ip4(dst)) + options
    c = frames.csum(hdr[:ihl * 4])
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def tcp_frame(dst_mac, src_mac, src, dst, sport, dport, flags, seq, ack=0, data=b"", opts=b"",
              wnd=65535, ip_options=b""):
    f = sum(FLAGS[c] for c in flags) if isinstance(flags, str) else flags
    seg = frames.tcp(src, dst, sport, dport, seq & 0xffffffff, ack & 0xffffffff, f, wnd=wnd,
                     opts=opts, payload=data)
    return frames.eth(dst_mac, src_mac, 0x0800, ipv4(src, dst, 6, seg, options=ip_options))


def icmp_echo_frame(dst_mac, src_mac, src, dst, ident=0x5a5a, seq=1):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"synack-echo!"
    body = body[:2] + struct.pack("!H", frames.csum(body)) + body[4:]
    return frames.eth(dst_mac, src_mac, 0x0800, ipv4(src, dst, 1, body))


def arp_frame(eth_dst, eth_src, op, sha, spa, tha, tpa):
    """RFC 826 Ethernet/IPv4 ARP; op 1 = request, 2 = reply."""
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, frames.mac_bytes(sha),
                       frames.ip4(spa), frames.mac_bytes(tha), frames.ip4(tpa))
    return frames.eth(eth_dst, eth_src, 0x0806, body + b"\0" * 18)


def md5_option():
    """TCP-MD5 signature option (RFC 2385: kind 19, length 18), any digest."""
    return bytes([19, 18]) + bytes(range(16)) + b"\x01\x01"


def parse(pkt):
    """One received frame as a dict: eth_dst/eth_src/etype, then arp_* or
    ip_* fields, then TCP fields (flags as rawtcp spells them)."""
    d = {"eth_dst": mac_str(pkt[0:6]), "eth_src": mac_str(pkt[6:12]),
         "etype": struct.unpack("!H", pkt[12:14])[0], "len": len(pkt)}
    if d["etype"] == 0x0806 and len(pkt) >= 42:
        op, sha, spa, tha, tpa = struct.unpack("!6xH6s4s6s4s", pkt[14:42])
        d.update(arp_op=op, arp_sha=mac_str(sha), arp_spa=socket.inet_ntoa(spa),
                 arp_tha=mac_str(tha), arp_tpa=socket.inet_ntoa(tpa))
    elif d["etype"] == 0x0800 and len(pkt) >= 34:
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        d.update(ip_src=socket.inet_ntoa(ip[12:16]), ip_dst=socket.inet_ntoa(ip[16:20]),
                 ip_ihl=ihl, proto=ip[9])
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] == 6 and total >= ihl + 20:
            t = ip[ihl:total]
            sport, dport, seq, ack, off, fl, wnd = struct.unpack("!HHIIBBH", t[:16])
            hl = (off >> 4) * 4
            d.update(sport=sport, dport=dport, seq=seq, ack=ack, flags=flag_str(fl), wnd=wnd,
                     payload=t[hl:], opts=parse_opts(t[20:hl]))
        elif ip[9] == 1 and total >= ihl + 8:
            d.update(icmp_type=ip[ihl])
    return d


def describe(fr):
    if "arp_op" in fr:
        return "ARP op %d %s/%s -> %s/%s (eth %s)" % (fr["arp_op"], fr["arp_spa"], fr["arp_sha"],
                                                     fr["arp_tpa"], fr["arp_tha"], fr["eth_dst"])
    if "flags" in fr:
        return "TCP %s:%d -> %s:%d %s seq %d ack %d len %d (eth %s)" % (
            fr["ip_src"], fr["sport"], fr["ip_dst"], fr["dport"], fr["flags"], fr["seq"],
            fr["ack"], len(fr["payload"]), fr["eth_dst"])
    if "ip_src" in fr:
        return "IPv4 proto %d %s -> %s (eth %s)" % (fr["proto"], fr["ip_src"], fr["ip_dst"],
                                                    fr["eth_dst"])
    return "ethertype %#06x to %s" % (fr["etype"], fr["eth_dst"])


class RawPort:
    """AF_PACKET on the tap, inside the test's namespace. Every frame from the
    engine lands in `log` (all of them, in order) and in a queue that
    take()/drain() consume."""

    def __init__(self, ns_name, iface, engine_mac):
        self.s = socket_in_netns(ns_name, socket.AF_PACKET, socket.SOCK_RAW,
                                 socket.htons(ETH_P_ALL))
        # Floods provoke bursts of answers: room for all of them.
        self.s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        self.s.bind((iface, 0))
        self.mac = mac_str(self.s.getsockname()[4][:6])
        self.engine_mac = engine_mac
        self.log = []
        self._queue = []

    def close(self):
        self.s.close()

    def send(self, frame):
        self.s.send(frame)

    def _read(self, timeout):
        """Keeps what arrives within `timeout` seconds (0: what is already there)."""
        end = time.time() + timeout
        while True:
            r, _, _ = select.select([self.s], [], [], max(0.0, end - time.time()))
            if not r:
                return
            pkt, addr = self.s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            fr = parse(pkt)
            fr["t"] = time.time()
            self.log.append(fr)
            self._queue.append(fr)

    def drain(self, timeout=0.0):
        """Everything received so far (waiting up to `timeout` for more)."""
        self._read(timeout)
        out, self._queue = self._queue, []
        return out

    def take(self, pred, timeout=1.0):
        """The first queued or arriving frame that satisfies pred, or None;
        the frames before it stay queued."""
        end = time.time() + timeout
        while True:
            for i, fr in enumerate(self._queue):
                if pred(fr):
                    del self._queue[i]
                    return fr
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if r:
                self._read(0)

    def quiet(self, seconds):
        """Frames the engine sent over the next `seconds` (expected: none)."""
        return self.drain(seconds)


class Flow:
    """One TCP conversation from a raw source (default PEER_IP) to the engine,
    sequence numbers kept by the test."""

    def __init__(self, port, sport, src_ip=PEER_IP, dport=80, src_mac=None):
        self.port, self.sport, self.src_ip, self.dport = port, sport, src_ip, dport
        self.src_mac = src_mac or port.mac
        self.isn = None
        self.iss = None

    def frame(self, flags, seq, ack=0, data=b"", opts=b"", wnd=65535, ip_options=b"",
              dst_mac=None):
        return tcp_frame(dst_mac or self.port.engine_mac, self.src_mac, self.src_ip, ENGINE_IP,
                         self.sport, self.dport, flags, seq, ack, data, opts, wnd, ip_options)

    def send(self, flags, seq, ack=0, **kw):
        self.port.send(self.frame(flags, seq, ack, **kw))

    def mine(self, fr):
        return (fr.get("dport") == self.sport and fr.get("sport") == self.dport and
                fr.get("ip_dst") == self.src_ip)

    def recv(self, timeout=1.0):
        return self.port.take(self.mine, timeout)

    def handshake(self, isn=1000, wnd=65535):
        self.send("S", isn, wnd=wnd)
        sa = self.recv(1.0)
        if sa is None or sa["flags"] != "S." or sa["ack"] != (isn + 1) & 0xffffffff:
            raise AssertionError("port %d: no SYN-ACK to our SYN, got %s" % (self.sport, sa))
        self.isn, self.iss = isn, sa["seq"]
        self.send(".", isn + 1, self.iss + 1, wnd=wnd)
        return sa


def drop_count(st, reason):
    """st["drops"][reason], failing with a message that says the reason is
    missing (an engine that does not know it yet) rather than a KeyError."""
    drops = st.get("drops", {})
    check(reason in drops, "no drop reason %r in the engine's counters" % reason)
    return drops[reason]


def counter(st, name):
    check(name in st, "no counter %r in the engine's counters" % name)
    return st[name]


class Wire:
    """A namespace, synack on its tap, and a RawPort beside the kernel. On a
    clean exit it also checks the rule that holds in every hostile test:
    nothing the engine sent went to a group MAC unless it was an ARP reply."""

    def __init__(self, flags=(), workers=1):
        self.flags, self.workers = list(flags), workers
        self.port = None

    def __enter__(self):
        self.ns = Namespace().__enter__()
        try:
            self.eng = Engine(self.ns, workers=self.workers, flags=self.flags).__enter__()
            self.port = RawPort(self.ns.name, self.eng.tap, self.eng.mac)
        except BaseException:
            if getattr(self, "eng", None):
                self.eng.__exit__(None, None, None)
            self.ns.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, *rest):
        try:
            if self.port:
                self.port.close()
            self.eng.__exit__(exc_type, *rest)
        finally:
            self.ns.__exit__(exc_type, *rest)
        if exc_type is None:
            bad = [describe(f) for f in self.port.log
                   if is_group(f["eth_dst"]) and f.get("arp_op") != 2]
            if bad:
                raise TestFailure("sent to a group MAC: " + "; ".join(bad[:5]))
        return False

    def stats(self):
        return self.eng.telemetry("/synack/stats")[0]

    def flow(self, sport, **kw):
        return Flow(self.port, sport, **kw)
