"""Odd segments for a listening port with no connection (and, for the other
form of RST, a closed port), and the class of the
answer each one gets, so that two TCP listeners (synack in its modes, the Linux
kernel) can be compared segment by segment.

A case is one segment: a flag byte, a payload or none, and an option layout.
Every case is sent from its own source port with its own ISN, so no two cases
meet in any listener's tables.
"""
import random
import struct
from dataclasses import dataclass

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80
FLAG_LETTERS = (("S", SYN), ("F", FIN), ("R", RST), ("P", PSH), ("A", ACK), ("U", URG),
                ("E", ECE), ("C", CWR))
PAYLOAD = b"GET / HTTP/1.0\r\n\r\n"
SYN_TSVAL = 0x01020304
LISTEN_PORT, CLOSED_PORT = 80, 81


def flag_str(f):
    return "".join(c for c, b in FLAG_LETTERS if f & b) or "none"


def _mss(v=1460):
    return struct.pack("!BBH", 2, 4, v)


def _ts(tsval=SYN_TSVAL, tsecr=0):
    return struct.pack("!BBII", 8, 10, tsval, tsecr)


NOP, EOL, SACK_PERM = b"\x01", b"\x00", b"\x04\x02"


def _ws(shift):
    return bytes([3, 3, shift])


def _pad(b):
    return b + EOL * (-len(b) % 4)


# name -> (option bytes, malformed). Malformed layouts break RFC 9293 3.2's
# kind/length rules, or give a known option a length it does not have.
LAYOUTS = {
    "none": (b"", False),
    "linux": (_mss() + SACK_PERM + _ts() + NOP + _ws(7), False),
    "windows": (_mss() + NOP + _ws(8) + NOP + NOP + SACK_PERM, False),
    "macos": (_pad(_mss() + NOP + _ws(6) + NOP + NOP + _ts() + SACK_PERM + EOL), False),
    "mss_only": (_mss(), False),
    "mss_0": (_mss(0), False),
    "mss_65535": (_mss(65535), False),
    "ws_15": (_mss() + NOP + _ws(15), False),
    "ws_255": (_mss() + NOP + _ws(255), False),
    "tsecr_nonzero": (_mss() + SACK_PERM + _ts(tsecr=12345) + NOP + _ws(7), False),
    "unknown_kind": (_mss() + bytes([99, 4, 0xAA, 0xBB]) + NOP + _ws(7), False),
    # RFC 2385 TCP-MD5 (kind 19, length 18) with no key configured anywhere.
    "md5": (_mss() + bytes([19, 18]) + bytes(range(16)) + NOP + NOP, False),
    # A WS with length 0 / 1 after a good MSS: the walk cannot advance.
    "len_0": (_mss() + bytes([3, 0, 7, 1]), True),
    "len_1": (_mss() + bytes([3, 1, 7, 1]), True),
    # A TS claiming 10 bytes with only 4 left in the header.
    "past_end": (_mss() + bytes([8, 10, 0, 0]), True),
    # MSS with length 3 (then NOP, WS 7, EOL): MSS is 4 bytes (RFC 9293 3.2).
    "mss_len_3": (bytes([2, 3, 5, 1]) + _ws(7) + EOL, True),
    # TS with length 8 (then a good MSS): TS is 10 bytes (RFC 7323 3.2).
    "ts_len_8": (bytes([8, 8, 1, 2, 3, 4, 5, 6]) + _mss(), True),
    # A last kind byte with no length byte after it.
    "no_length": (_mss() + NOP + NOP + NOP + bytes([3]), True),
}
MALFORMED = {n for n, (_, bad) in LAYOUTS.items() if bad}

# Flags each layout is swept with: a SYN, an ECN-setup SYN (RFC 3168 6.1.1),
# a bare ACK and an ACK carrying data.
LAYOUT_FLAGS = (SYN, SYN | ECE | CWR, ACK, ACK | PSH)


@dataclass(frozen=True)
class Case:
    index: int
    flags: int
    layout: str
    payload: bytes
    sport: int
    seq: int
    ack: int
    dport: int = LISTEN_PORT

    @property
    def opts(self):
        return LAYOUTS[self.layout][0]

    @property
    def malformed(self):
        return self.layout in MALFORMED

    @property
    def seg_len(self):
        """SEG.LEN: payload plus one for each of SYN and FIN."""
        return len(self.payload) + bool(self.flags & SYN) + bool(self.flags & FIN)

    def has(self, *bits):
        return all(self.flags & b for b in bits)

    def describe(self):
        return "%s%s opts=%s%s" % (flag_str(self.flags), "+data" if self.payload else "",
                                   self.layout,
                                   " port=%d" % self.dport if self.dport != LISTEN_PORT else "")


def cases(first_port=20000, seed=7):
    """The covering set, in a fixed order (ISNs and ACK numbers drawn from a
    seeded generator, so every run sends the same segments):
      1. all 256 flag bytes, no payload, no options;
      2. all 256 flag bytes with a payload and Linux's SYN options;
      3. every option layout with each of LAYOUT_FLAGS (ACK|PSH with a payload);
      4. all 256 flag bytes with a payload to a closed port (RFC 9293 3.10.7.1:
         the RST's form depends on the ACK bit, its ACK on SEG.LEN).
    Each flag byte is seen with and without payload; each option layout with
    the flags whose answer depends on options."""
    rng = random.Random(seed)
    out = []

    def add(flags, layout, payload, dport=LISTEN_PORT):
        i = len(out)
        out.append(Case(i, flags, layout, payload, first_port + i, rng.getrandbits(32),
                        rng.getrandbits(32), dport))

    for f in range(256):
        add(f, "none", b"")
    for f in range(256):
        add(f, "linux", PAYLOAD)
    for layout in LAYOUTS:
        for f in LAYOUT_FLAGS:
            add(f, layout, PAYLOAD if f & PSH else b"")
    for f in range(256):
        add(f, "none", PAYLOAD, CLOSED_PORT)
    return out


def classify_one(case, r):
    """One reply, relative to the segment that caused it."""
    f = r["flags"]
    name = flag_str(f)
    if f & RST:
        if f & ACK:
            rel = "seq=0 ack=seq+len" if (r["seq"] == 0 and
                                          r["ack"] == (case.seq + case.seg_len) & 0xffffffff) \
                else "seq=%d ack=%d" % (r["seq"], r["ack"])
        else:
            rel = "seq=ack" if r["seq"] == case.ack else "seq=%d" % r["seq"]
        return "%s %s" % (name, rel)
    if f & SYN and f & ACK:
        o = r["opts"]
        got = [k for k in ("mss", "ws", "sack") if k in o]
        if "tsval" in o:
            got.append("ts" if o["tsecr"] == SYN_TSVAL else "ts(tsecr=%d)" % o["tsecr"])
        rel = "ack=seq+1" if r["ack"] == (case.seq + 1) & 0xffffffff else "ack=%d" % r["ack"]
        return "%s %s [%s]%s" % (name, rel, ",".join(got), " +data" if r["len"] else "")
    return "%s seq=%d ack=%d len=%d" % (name, r["seq"], r["ack"], r["len"])


def classify(case, replies):
    """'-' for no reply, else each reply's class joined by ' + '."""
    if not replies:
        return "-"
    return " + ".join(classify_one(case, r) for r in replies)
