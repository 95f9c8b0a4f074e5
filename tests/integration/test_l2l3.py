"""Issue 2: ARP and ICMP echo against the kernel, drops counted by reason."""
import os
import re
import sys
import time

from harness import ENGINE_IP, Engine, Namespace, check, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def _ping(workers):
    with Namespace() as ns, Engine(ns, workers=workers) as eng:
        p = ns.run(["ping", "-c", "5", "-i", "0.2", "-W", "2", ENGINE_IP], check_rc=False)
        check("5 received" in p.stdout, "ping: " + p.stdout)
        neigh = ns.run(["ip", "neigh", "show", ENGINE_IP]).stdout
        check(eng.mac in neigh, "kernel did not resolve %s to %s: %s" % (ENGINE_IP, eng.mac, neigh))
        st = eng.stop_and_stats()
        check(st["answered"]["icmp_echo"] == 5, "echo replies %s" % st["answered"])
        check(st["answered"]["arp"] >= 1, "ARP replies %s" % st["answered"])
        check(st["tx_packets"] >= 6, "tx_packets %s" % st["tx_packets"])
        check(st["rx_packets"] >= 6, "rx_packets %s" % st["rx_packets"])
        check(st["mbufs_in_use"] == 0, "mbufs_in_use %s" % st["mbufs_in_use"])
        check(st["workers"] == workers, "workers %s" % st["workers"])


def test_ping_one_worker():
    _ping(1)


def test_ping_two_workers():
    _ping(2)


def test_malformed_frames_dropped_by_reason():
    kinds = {
        "truncated": "truncated",
        "ethertype": "unsupported_ethertype",
        "bad_ip_checksum": "bad_ip_checksum",
        "bad_ip_header": "bad_ip_header",
        "fragment": "fragment",
        "udp": "unsupported_protocol",
        "not_for_us": "not_for_us",
        "bad_tcp_checksum": "bad_tcp_checksum",
        "bad_tcp_header": "bad_tcp_header",
        "bad_tcp_options": "bad_tcp_options",
        "bad_icmp_checksum": "bad_icmp_checksum",
        "bad_source": "martian_source",
    }
    with Namespace() as ns, Engine(ns) as eng:
        for kind in kinds:
            ns.run([sys.executable, os.path.join(HERE, "frames.py"), eng.tap, eng.mac, kind, "3"])
        time.sleep(0.5)
        # The engine still answers afterwards.
        p = ns.run(["ping", "-c", "1", "-W", "2", ENGINE_IP], check_rc=False)
        check("1 received" in p.stdout, "ping after malformed frames: " + p.stdout)
        st = eng.stop_and_stats()
        for kind, reason in kinds.items():
            check(st["drops"][reason] >= 3, "%s: drops[%s] = %s" % (kind, reason, st["drops"][reason]))
        check(st["mbufs_in_use"] == 0, "mbufs_in_use %s" % st["mbufs_in_use"])


def test_stats_lines_and_duration_stop():
    """--stats_interval_s prints a line per interval; --duration_s ends the run
    by itself with exit 0, the port closed and every mbuf back."""
    with Namespace() as ns, Engine(ns, flags=["--stats_interval_s=1", "--duration_s=3"]) as eng:
        rc = eng.proc.wait(timeout=30)
        eng.log.close()
        check(rc == 0, "exit %s:\n%s" % (rc, eng.output()))
        lines = [l for l in eng.output().splitlines() if re.search(r"rx \d+ pps  tx \d+ pps", l)]
        check(len(lines) >= 2, "stats lines:\n%s" % eng.output())
        st = eng.stats()
        check(st["mbufs_in_use"] == 0 and st["uptime_s"] >= 2.9, "stats %s" % st)


def test_sigterm_stops_cleanly():
    import signal
    with Namespace() as ns, Engine(ns, workers=2) as eng:
        p = ns.run(["ping", "-c", "2", "-i", "0.2", "-W", "2", ENGINE_IP], check_rc=False)
        check("2 received" in p.stdout, p.stdout)
        eng.proc.send_signal(signal.SIGTERM)
        rc = eng.proc.wait(timeout=30)
        eng.log.close()
        check(rc == 0, "exit %s after SIGTERM:\n%s" % (rc, eng.output()))
        check("signal 15, stopping" in eng.output(), eng.output())
        st = eng.stats()
        check(st["mbufs_in_use"] == 0 and st["answered"]["icmp_echo"] == 2, "stats %s" % st)
