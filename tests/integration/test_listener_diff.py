"""synack against the Linux kernel as a TCP listener, segment by segment.

Every case of segment_cases.cases() (all 256 flag bytes with and without
payload, and every option layout with SYN, ECN-setup SYN, ACK and ACK+data)
goes to port 80 of a listener with no connection (and all 256 flag bytes with
data to closed port 81), from its own source port and ISN, and the answer is
reduced to a class (segment_cases.classify): no reply, a RST and its seq/ack
relative to the segment, or a SYN-ACK with the options and flags it promises.

  synack stateful (--syncookies=never, overload with an empty backlog)
      must answer as Linux with net.ipv4.tcp_syncookies=0;
  synack cookies  (--syncookies=always, overload with its backlog filled)
      must answer as Linux with net.ipv4.tcp_syncookies=2;
and the two synack targets of each pair must answer alike. Where synack is
meant to differ from Linux, KNOWN says so; everything else must agree.

  python3 tests/integration/test_listener_diff.py   prints every target's class
                                                    for every case that differs
"""
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Optional, Union

import segment_cases as sc
from harness import Engine, Namespace, check
from linux_listener import LinuxListener
from segment_probe import Prober

AS_LINUX = "as Linux"
BACKLOG_FILL = 4  # --backlog for the overload-with-cookies target


@dataclass(frozen=True)
class Known:
    """A known difference between synack today and Linux, and what synack
    must answer. `synack` is a class, AS_LINUX (today's engine differs and
    must change), or a function of Linux's class. `linux` is a regular
    expression Linux's class must match (the table is wrong if it does not).
    `confirm`: the lead has still to decide."""
    name: str
    applies: Callable[[sc.Case], bool]
    kinds: frozenset  # "stateful", "cookie"
    synack: Union[str, Callable[[str], str]]
    linux: Optional[str]
    reason: str
    confirm: bool = False


BOTH = frozenset({"stateful", "cookie"})
COOKIE = frozenset({"cookie"})


def _listen_syn(c):
    """A SYN a listener answers with a SYN-ACK (RFC 9293 3.10.7.2)."""
    return c.dport == sc.LISTEN_PORT and c.flags & (sc.SYN | sc.ACK | sc.RST | sc.FIN) == sc.SYN


def _ecn_setup_syn(c):
    return _listen_syn(c) and c.has(sc.ECE, sc.CWR)


def _cookie_syn_without_ts(c):
    return _listen_syn(c) and not c.malformed and b"\x08\x0a" not in c.opts and c.layout != "md5"


def _listen_syn_fin(c):
    return (c.dport == sc.LISTEN_PORT and
            c.flags & (sc.SYN | sc.FIN | sc.ACK | sc.RST) == sc.SYN | sc.FIN)


KNOWN = [
    Known("malformed options", lambda c: c.malformed, BOTH, "-", r"SAE? .*|R seq=ack",
          "hostile-input rule: a segment whose options break RFC 9293 3.2 (length 0 or 1, past "
          "the header, a kind without length, MSS/TS of the wrong length) is dropped and counted "
          "as bad_tcp_options; Linux parses up to the bad option and answers"),
    Known("TCP-MD5 option, no key", lambda c: c.layout == "md5", BOTH, AS_LINUX, r"-",
          "RFC 2385 / Linux TCPMD5UNEXPECTED: a segment with a kind-19 option is dropped when no "
          "key is configured, counted as tcp_md5_unexpected"),
    Known("SYN+FIN to a cookie listener", _listen_syn_fin, COOKIE, AS_LINUX, r"-",
          "Linux drops SYN+FIN, and so does every synack path (tcp::listen_decision)"),
    Known("cookie SYN-ACK without timestamps", _cookie_syn_without_ts, COOKIE, AS_LINUX,
          r"SA ack=seq\+1 \[mss\]",
          "without TSopt a cookie cannot carry WS, SACK-permitted or ECN, so neither Linux "
          "(tcp_conn_request) nor synack (tcp::promise_synack) offers them"),
    Known("ECN-setup SYN", _ecn_setup_syn, BOTH, lambda l: l.replace("SAE ", "SA "), r"SAE? .*",
          "RFC 3168 6.1.1: Linux (tcp_ecn=2) sets ECE in the SYN-ACK of an ECN-setup SYN; synack "
          "declines ECN, as RFC 3168 allows a host to: it sets no ECT on what it sends and could "
          "not echo CE, so offering ECN would be a promise it does not keep"),
]


def known_for(case, kind):
    for k in KNOWN:
        if kind in k.kinds and k.applies(case):
            return k
    return None


def expected_synack(known, linux_cls):
    if known is None or known.synack == AS_LINUX:
        return linux_cls
    if callable(known.synack):
        return known.synack(linux_cls)
    return known.synack


# ---- targets ---------------------------------------------------------------

CASES = sc.cases()
MALFORMED_CASES = sum(c.malformed for c in CASES)
MD5_CASES = sum(c.layout == "md5" for c in CASES)


def _probe(ns_name, iface, mac):
    p = Prober(ns_name, iface, mac)
    try:
        return p.run(CASES)
    finally:
        p.close()


def linux_target(syncookies):
    with LinuxListener(syncookies) as lst:
        replies = _probe(lst.peer_ns.name, lst.iface, lst.mac)
    return {c.index: sc.classify(c, replies[c.index]) for c in CASES}


def synack_target(mode, fill_backlog=False):
    flags = ["--syncookies=" + mode]
    if fill_backlog:
        flags.append("--backlog=%d" % BACKLOG_FILL)
    with Namespace() as ns, Engine(ns, flags=flags) as eng:
        p = Prober(ns.name, eng.tap, eng.mac)
        try:
            if fill_backlog:
                # SYNs from ports no case uses, never answered: the backlog
                # stays full for the SYN-ACK retry budget (~63 s).
                for i in range(BACKLOG_FILL):
                    p.send(10000 + i, 80, 1000 + 7919 * i, 0, sc.SYN)
                time.sleep(0.3)
                half = eng.telemetry("/synack/stats")[0]["half_open_flows"]
                check(half == BACKLOG_FILL, "backlog fill: %d half-open" % half)
            replies = p.run(CASES)
        finally:
            p.close()
        st = eng.stop_and_stats()
    st["bad_checksums"] = [r for rs in replies.values() for r in rs if not r["csum_ok"]]
    return {c.index: sc.classify(c, replies[c.index]) for c in CASES}, st


# ---- comparison ------------------------------------------------------------

def _summary(groups, limit=40):
    lines = []
    for key, cs in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:limit]:
        lines.append("  %3d x %s  e.g. %s" % (len(cs), key,
                                              "; ".join(c.describe() for c in cs[:4])))
    return "\n".join(lines)


def compare(kind, linux, synack):
    """Mismatches of each synack target against Linux, grouped for reading."""
    groups = defaultdict(list)
    for c in CASES:
        k = known_for(c, kind)
        lc = linux[c.index]
        if k is not None and k.linux is not None and not re.fullmatch(k.linux, lc):
            groups["KNOWN[%s] expects Linux %r, Linux answered %r" %
                   (k.name, k.linux, lc)].append(c)
        want = expected_synack(k, lc)
        wrong = defaultdict(list)  # synack's class -> the targets that gave it
        for name, res in synack.items():
            if res[c.index] != want:
                wrong[res[c.index]].append(name)
        for got, names in wrong.items():
            groups["%s: synack %r, want %r (Linux %r)%s" % (
                "+".join(names), got, want, lc,
                " [%s%s]" % (k.name, ", lead to confirm" if k.confirm else "") if k else "")
            ].append(c)
    return groups


def _modes_agree(a_name, a, b_name, b):
    groups = defaultdict(list)
    for c in CASES:
        if a[c.index] != b[c.index]:
            groups["%s %r vs %s %r" % (a_name, a[c.index], b_name, b[c.index])].append(c)
    return groups


def _check_counted(name, st, cookies):
    bad = st["bad_checksums"]
    check(not bad, "%s: %d replies with a bad TCP checksum, e.g. %s" % (name, len(bad), bad[:1]))
    check(st["mbufs_in_use"] == 0, "%s: mbufs_in_use %s at exit" % (name, st["mbufs_in_use"]))
    check((st["cookies_sent"] > 0) == cookies, "%s: cookies_sent %s" % (name, st["cookies_sent"]))
    d = st["drops"]
    check(d.get("bad_tcp_options") == MALFORMED_CASES,
          "%s: drops.bad_tcp_options %s, want %d (one per malformed case)" %
          (name, d.get("bad_tcp_options"), MALFORMED_CASES))
    check(d.get("tcp_md5_unexpected") == MD5_CASES,
          "%s: drops.tcp_md5_unexpected %s, want %d" % (name, d.get("tcp_md5_unexpected"),
                                                        MD5_CASES))


def _run_pair(kind, syncookies, targets):
    t0 = time.time()
    linux = linux_target(syncookies)
    results, stats = {}, {}
    for name, mode, fill in targets:
        results[name], stats[name] = synack_target(mode, fill)
    (a, ra), (b, rb) = results.items()
    problems = []
    agree = _modes_agree(a, ra, b, rb)
    if agree:
        problems.append("synack's %s targets disagree:\n%s" % (kind, _summary(agree)))
    diff = compare(kind, linux, results)
    if diff:
        problems.append("against Linux tcp_syncookies=%d (%d cases each):\n%s" %
                        (syncookies, len(CASES), _summary(diff)))
    for name in results:
        try:
            _check_counted(name, stats[name], kind == "cookie")
        except AssertionError as e:
            problems.append(str(e))
    print("    %d cases x %d targets in %.1fs" % (len(CASES), 1 + len(targets), time.time() - t0))
    check(not problems, "\n".join(problems))


def test_stateful_listener_answers_as_linux_without_cookies():
    _run_pair("stateful", 0, [("never", "never", False), ("overload-empty", "overload", False)])


def test_cookie_listener_answers_as_linux_syncookies_2():
    _run_pair("cookie", 2, [("always", "always", False), ("overload-full", "overload", True)])


def record():
    """Every case where any two targets differ, with each target's class."""
    targets = {"linux0": linux_target(0), "linux2": linux_target(2)}
    for name, mode, fill in (("never", "never", False), ("overload-empty", "overload", False),
                             ("always", "always", False), ("overload-full", "overload", True)):
        targets[name] = synack_target(mode, fill)[0]
    order = ["never", "overload-empty", "linux0", "always", "overload-full", "linux2"]
    groups = defaultdict(list)
    for c in CASES:
        row = tuple(targets[t][c.index] for t in order)
        if len(set(row[:3])) > 1 or len(set(row[3:])) > 1:
            groups[row].append(c)
    for row, cs in sorted(groups.items(), key=lambda kv: kv[1][0].index):
        print("%d cases, e.g. %s" % (len(cs), "; ".join(c.describe() for c in cs[:5])))
        for t, v in zip(order, row):
            print("    %-15s %s" % (t, v))


if __name__ == "__main__":
    record()
