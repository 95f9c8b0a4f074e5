"""Issue 7: frames that cannot be answered. A source that is our own address,
"this network", loopback, multicast, class E, a broadcast (limited or directed
to our prefix), or an Ethernet group/zero source is never a real peer: a reply
would be reflected or amplified (RFC 1122 3.2.1.3, RFC 1812 5.3.7, Linux's
martian rules). Each is dropped under its reason and nothing goes back on the
wire; the RawPort sees every frame the engine sends."""
from harness import check
from wirepeer import (BROADCAST_MAC, ENGINE_IP, PEER_IP, Wire, arp_frame, describe, drop_count,
                      icmp_echo_frame, tcp_frame)

# No SYN-ACK retransmission inside a test: every frame the RawPort hears in a
# window is the answer to what was just sent.
QUIET = ["--rto_ms=60000"]

# (label, source address, source port) for TCP SYNs to port 80.
MARTIAN_SOURCES = [
    ("land attack", ENGINE_IP, 40000),
    ("land attack, same ports", ENGINE_IP, 80),
    ("0.0.0.0", "0.0.0.0", 40001),
    ("0/8", "0.1.2.3", 40002),
    ("loopback", "127.0.0.1", 40003),
    ("127/8", "127.9.8.7", 40004),
    ("multicast", "224.0.0.1", 40005),
    ("multicast, top of 224/4", "239.255.255.250", 40006),
    ("class E", "240.0.0.1", 40007),
    ("class E, top", "255.255.255.254", 40008),
    ("limited broadcast", "255.255.255.255", 40009),
]


def _unanswered(w, label, frame, copies=2, wait=0.3):
    """Sends `frame` `copies` times; returns a problem string if anything came back."""
    for _ in range(copies):
        w.port.send(frame)
    got = w.port.quiet(wait)
    return "%s: answered with %s" % (label, describe(got[0])) if got else None


def _control_syn(w, sport=45000):
    """A SYN from a real source still gets its SYN-ACK: the engine is up and
    the RawPort hears it, so the silences above mean something."""
    f = w.flow(sport)
    f.send("S", 777)
    r = f.recv(1.0)
    check(r is not None and r["flags"] == "S.", "control SYN from %s: got %s" % (PEER_IP, r))


def test_martian_ip_sources_dropped_unanswered():
    with Wire(QUIET) as w:
        problems, sent = [], 0
        for label, src, sport in MARTIAN_SOURCES:
            syn = tcp_frame(w.eng.mac, w.port.mac, src, ENGINE_IP, sport, 80, "S", 1000)
            echo = icmp_echo_frame(w.eng.mac, w.port.mac, src, ENGINE_IP)
            for what, frame in (("SYN", syn), ("echo", echo)):
                p = _unanswered(w, "%s %s (%s)" % (what, label, src), frame)
                sent += 2
                if p:
                    problems.append(p)
        _control_syn(w)
        check(not problems, "martian sources answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "martian_source") == sent,
              "drops[martian_source] %s, sent %d martian frames" %
              (drop_count(st, "martian_source"), sent))


def _broadcast_probe(w, src, answered):
    """A SYN and an echo from `src`: answered (an ordinary host) or not (martian)."""
    syn = tcp_frame(w.eng.mac, w.port.mac, src, ENGINE_IP, 41000, 80, "S", 1000)
    echo = icmp_echo_frame(w.eng.mac, w.port.mac, src, ENGINE_IP)
    results = []
    for frame in (syn, echo):
        w.port.send(frame)
        results.append(w.port.quiet(0.3))
    if answered:
        check(all(results), "%s: %s is an ordinary host there, yet not answered: %s" %
              (w.flags or "--ip=%s" % ENGINE_IP, src, results))
        return
    check(not any(results), "%s: directed broadcast %s answered: %s" %
          (w.flags, src, [describe(r[0]) for r in results if r]))
    _control_syn(w)
    st = w.stats()
    check(drop_count(st, "martian_source") == 2, "drops[martian_source] %s, want 2" %
          drop_count(st, "martian_source"))


def test_directed_broadcast_of_our_prefix_is_martian():
    # 198.18.0.255 is the broadcast of 198.18.0.2/24 (RFC 922); with a /32 (the
    # default) it is an ordinary host, and a /31 has no broadcast at all
    # (RFC 3021), so its other address is answered.
    with Wire(QUIET) as w:
        _broadcast_probe(w, "198.18.0.255", answered=True)
    with Wire(QUIET + ["--ip=198.18.0.2/31"]) as w:
        _broadcast_probe(w, "198.18.0.3", answered=True)
    with Wire(QUIET + ["--ip=198.18.0.2/24"]) as w:
        _broadcast_probe(w, "198.18.0.255", answered=False)


def test_bad_source_mac_dropped_unanswered():
    group_macs = ["01:00:5e:00:00:01", "33:33:00:00:00:01", BROADCAST_MAC, "03:00:00:00:00:00"]
    with Wire(QUIET) as w:
        problems, sent = [], 0
        for i, mac in enumerate(group_macs + ["00:00:00:00:00:00"]):
            kinds = {
                "SYN": tcp_frame(w.eng.mac, mac, PEER_IP, ENGINE_IP, 42000 + i, 80, "S", 1000),
                "echo": icmp_echo_frame(w.eng.mac, mac, PEER_IP, ENGINE_IP),
                "ARP request": arp_frame(BROADCAST_MAC, mac, 1, w.port.mac, PEER_IP,
                                         "00:00:00:00:00:00", ENGINE_IP),
            }
            for what, frame in kinds.items():
                p = _unanswered(w, "%s from %s" % (what, mac), frame)
                sent += 2
                if p:
                    problems.append(p)
        _control_syn(w)
        check(not problems, "group/zero source MACs answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "bad_source_mac") == sent,
              "drops[bad_source_mac] %s, sent %d" % (drop_count(st, "bad_source_mac"), sent))


def _arp_request(w, spa, sha=None, tpa=ENGINE_IP, eth_dst=BROADCAST_MAC):
    sha = sha or w.port.mac
    return arp_frame(eth_dst, w.port.mac, 1, sha, spa, "00:00:00:00:00:00", tpa)


def _control_arp(w):
    w.port.send(_arp_request(w, PEER_IP))
    r = w.port.take(lambda f: f.get("arp_op") == 2, 1.0)
    check(r is not None and r["arp_spa"] == ENGINE_IP and r["eth_dst"] == w.port.mac and
          r["arp_tpa"] == PEER_IP, "control ARP request from %s: got %s" % (PEER_IP, r))


def test_arp_requests_from_martian_senders_not_answered():
    # 0.0.0.0 is left out on purpose: it is an RFC 5227 probe, which Linux
    # answers (arp_process, the "sip == 0" DAD case).
    # The directed broadcast needs a prefix: it runs on a second engine.
    for flags, senders in ((QUIET, ["0.1.2.3", "127.0.0.1", "224.0.0.5", "240.1.2.3",
                                    "255.255.255.255"]),
                           (QUIET + ["--ip=198.18.0.2/24"], ["198.18.0.255"])):
        with Wire(flags) as w:
            problems = [p for p in (_unanswered(w, "ARP request from %s" % s, _arp_request(w, s))
                                    for s in senders) if p]
            _control_arp(w)
            check(not problems, "ARP from martian senders answered:\n  " + "\n  ".join(problems))
            st = w.stats()
            check(drop_count(st, "arp_martian") == 2 * len(senders), "drops[arp_martian] %s, "
                  "sent %d" % (drop_count(st, "arp_martian"), 2 * len(senders)))


def test_arp_announcing_our_address_from_another_mac_is_a_conflict():
    # RFC 5227 2.4: a frame whose sender IP is ours but whose sender MAC is
    # not is a conflict; we do not answer it (and never teach the sender that
    # its claim is contested by a reply it could use to poison others).
    with Wire(QUIET) as w:
        cases = {
            "gratuitous request (spa = tpa = ours)": _arp_request(w, ENGINE_IP),
            "request for another host, spa = ours": _arp_request(w, ENGINE_IP,
                                                                 tpa="198.18.0.1"),
            "gratuitous reply (announcement)": arp_frame(BROADCAST_MAC, w.port.mac, 2, w.port.mac,
                                                         ENGINE_IP, BROADCAST_MAC, ENGINE_IP),
            "unicast reply claiming ours": arp_frame(w.eng.mac, w.port.mac, 2, w.port.mac,
                                                     ENGINE_IP, w.eng.mac, ENGINE_IP),
        }
        problems = [p for p in (_unanswered(w, label, fr) for label, fr in cases.items()) if p]
        _control_arp(w)
        check(not problems, "conflicting ARP answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "arp_conflict") == 2 * len(cases),
              "drops[arp_conflict] %s, sent %d; drops %s" % (drop_count(st, "arp_conflict"), 2 * len(cases), st.get("drops")))


OTHER_MAC = "02:00:00:00:00:99"


def _to_other_host(w, sport):
    return {
        "SYN": tcp_frame(OTHER_MAC, w.port.mac, PEER_IP, ENGINE_IP, sport, 80, "S", 1000),
        "echo": icmp_echo_frame(OTHER_MAC, w.port.mac, PEER_IP, ENGINE_IP),
        "unicast ARP request": _arp_request(w, PEER_IP, eth_dst=OTHER_MAC),
    }


def test_unicast_to_another_mac_dropped_as_other_host():
    # Linux drops PACKET_OTHERHOST frames before IP and ARP see them.
    with Wire(QUIET) as w:
        frames_ = _to_other_host(w, 43000)
        problems = [p for p in (_unanswered(w, "%s to %s" % (k, OTHER_MAC), fr)
                                for k, fr in frames_.items()) if p]
        _control_syn(w)
        check(not problems, "frames to another host answered:\n  " + "\n  ".join(problems))
        st = w.stats()
        check(drop_count(st, "other_host") == 2 * len(frames_),
              "drops[other_host] %s, sent %d" % (drop_count(st, "other_host"), 2 * len(frames_)))


def test_accept_other_host_answers_them():
    with Wire(QUIET + ["--accept_other_host"]) as w:
        f = w.flow(43100)
        w.port.send(_to_other_host(w, 43100)["SYN"])
        r = f.recv(1.0)
        check(r is not None and r["flags"] == "S." and r["ack"] == 1001 and
              r["eth_dst"] == w.port.mac, "SYN to %s with --accept_other_host: %s" % (OTHER_MAC, r))
        w.port.send(_to_other_host(w, 43100)["echo"])
        r = w.port.take(lambda fr: fr.get("icmp_type") == 0, 1.0)
        check(r is not None and r["ip_dst"] == PEER_IP, "echo to %s: %s" % (OTHER_MAC, r))
