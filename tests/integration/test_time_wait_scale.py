"""100,000 kernel connections against a small flow table with the full 60 s
TIME-WAIT (the engine closes actively, so it holds TIME-WAIT for every one).

The kernel client has no TIME-WAIT of its own (it closes passively) and its
connect() takes ports from its ~28k-port ephemeral range (Linux prefers the
even half for connect()), so it reuses ports long before synack's TIME-WAIT
entries expire: a newer SYN reopens such an entry (RFC 6191, RFC 9293
3.10.7.4 / RFC 1122 4.2.2.13), and a table full of TIME-WAIT must not refuse
new connections."""
import re
import time

from harness import ENGINE_IP, Engine, Namespace, check

CONNECTIONS = 100000
CONCURRENCY = 8
MAX_FLOWS = 4096
AB_TIME_LIMIT_S = 150  # ab's own bound; the subprocess timeout sits above it


def _ab(ns):
    # -t bounds the run (given before -n, which then sets the count); without
    # -r, ab stops at the first request that times out (-s), so a stall ends
    # the run after 10 s instead of hanging.
    p = ns.run(["ab", "-q", "-t", str(AB_TIME_LIMIT_S), "-n", str(CONNECTIONS), "-c",
                str(CONCURRENCY), "-s", "10", "http://%s/" % ENGINE_IP],
               timeout=AB_TIME_LIMIT_S + 60, check_rc=False)
    complete = re.search(r"Complete requests:\s+(\d+)", p.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", p.stdout)
    if complete and failed:
        return int(complete.group(1)), int(failed.group(1)), p
    partial = re.search(r"Total of (\d+) requests completed", p.stdout)
    return (int(partial.group(1)) if partial else 0), None, p


def test_time_wait_reopened_at_scale():
    flags = ["--max_flows=%d" % MAX_FLOWS, "--stats_interval_s=10"]
    with Namespace() as ns, Engine(ns, flags=flags) as eng:
        lo, hi = map(int, ns.run(["sysctl", "-n", "net.ipv4.ip_local_port_range"]).stdout.split())
        check(hi - lo + 1 < CONNECTIONS, "port range %d-%d: no reuse to test" % (lo, hi))
        t0 = time.time()
        done, failed, p = _ab(ns)
        elapsed = time.time() - t0
        live = eng.telemetry("/synack/stats")[0]
        st = eng.stop_and_stats()
        drops = {k: v for k, v in st["drops"].items() if v}
        summary = ("%d of %d connections in %.1fs; established %d, closed %d, "
                   "reset %d, time_wait_reused %d, "
                   "time_wait_recycled %s, time_wait_expired %d, time-wait gauge %d, drops %s" %
                   (done, CONNECTIONS, elapsed, st["connections_established"],
                    st["connections_closed"], st["connections_reset"], st["time_wait_reused"],
                    st.get("time_wait_recycled"),
                    st["time_wait_expired"], st["time_wait_flows"], drops))
        print("    " + summary)
        check(failed is not None, "ab stopped early: %s\n%s%s" % (summary, p.stdout[-600:],
                                                                  p.stderr[-600:]))
        check(done == CONNECTIONS and failed == 0, "ab: %d complete, %d failed; %s" %
              (done, failed, summary))
        check(st["drops"]["flow_table_full"] == 0, "flow_table_full: " + summary)
        check(st["mbufs_in_use"] == 0, "mbufs_in_use %s" % st["mbufs_in_use"])
        check(st["connections_established"] >= CONNECTIONS, summary)
        # Every connection is closed or still has its record; every one that
        # the engine closed actively went through TIME-WAIT and left it by one
        # way (expired, reopened by a newer SYN, recycled early) or is still
        # there. Only ab's spare connections (opened, then closed by ab with no
        # request) close passively, without TIME-WAIT, and a TIME-WAIT entry
        # that a SYN cannot reopen is answered with an ACK, which the client
        # answers with a RST that ends the entry (RFC 1337 section 2, as Linux
        # with tcp_rfc1337=0): those are counted as resets.
        tw = st["time_wait_flows"]
        check(st["connections_established"] ==
              st["connections_closed"] + st["connections_reset"] + st["active_flows"],
              "established %d != closed %d + reset %d + still open %d" %
              (st["connections_established"], st["connections_closed"],
               st["connections_reset"], st["active_flows"]))
        left = (st["time_wait_expired"] + st["time_wait_reused"] +
                st.get("time_wait_recycled", 0))
        passive = st["connections_established"] - left - tw
        check(0 <= passive <= CONCURRENCY + st["connections_reset"],
              "established %d - (expired + reused + recycled %d) - still in TIME-WAIT %d = %d "
              "connections that skipped TIME-WAIT" % (st["connections_established"], left, tw,
                                                       passive))
        check(st["active_flows"] == 0 and st["half_open_flows"] == 0 and
              st["established_flows"] == 0, "flows left that are not TIME-WAIT: " + summary)
        check(0 < tw <= CONNECTIONS, "TIME-WAIT gauge %d" % tw)
        check(live["time_wait_flows"] == tw, "gauge before stop %d, at exit %d" %
              (live["time_wait_flows"], tw))
        if "states" in st:
            check(st["states"]["time_wait"] == tw, "states.time_wait %s, time_wait_flows %d" %
                  (st["states"]["time_wait"], tw))
        if elapsed < 55:  # no entry is 60 s old yet
            check(st["time_wait_expired"] == 0, "expired before 60 s: %d" %
                  st["time_wait_expired"])
        check(st["time_wait_reused"] > 0, "no TIME-WAIT entry was reopened: " + summary)


def test_syn_with_equal_timestamp_and_higher_seq_reopens_time_wait():
    """RFC 6191 section 2: a SYN whose TSval equals the last one seen on the
    previous incarnation, and whose sequence number is above it, reopens
    TIME-WAIT (Linux tcp_timewait_state_process: after(seq, rcv_nxt) without a
    PAWS reject). A kernel client reusing a port within the millisecond does
    exactly this; refused, it costs the client a RST and a 1 s SYN retry."""
    from test_rfc import Conversation, linux_syn_options, ts_option
    with Conversation(["--time_wait_ms=60000"]) as c:
        sa = c.handshake(isn=6000, opts=linux_syn_options(tsval=500), tsval=500)
        c.p.send("P.", 6001, c.iss + 1, data=b"x" * 20, opts=ts_option(501, sa["opts"]["tsval"]))
        r = c.expect("response with FIN", "FP.", seq=c.iss + 1, ack=6021)
        fin_end = c.iss + 1 + r["len"] + 1
        c.p.send("F.", 6021, fin_end, opts=ts_option(502, sa["opts"]["tsval"]))
        c.expect("ACK of our FIN", ".", seq=fin_end, ack=6022)
        check(c.stats()["time_wait_flows"] == 1, "not in TIME-WAIT")
        c.p.send("S", 6022 + 100000, opts=linux_syn_options(tsval=502))
        c.expect("SYN with the same TSval and a higher sequence number", "S.", ack=6022 + 100001)
        st = c.stats()
        check(st["time_wait_reused"] == 1 and st["half_open_flows"] == 1, str(st))
