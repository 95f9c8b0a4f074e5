"""Issue 3: the Linux kernel's TCP as the peer of synack's server, over net_tap."""
import json
import os
import re
import subprocess
import sys
import time

from harness import ENGINE_IP, Engine, Namespace, check, run, stop_process, unique, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "client.py")
DEFAULT_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
# With --close=passive the server waits for the client's close, so its default
# response does not announce one (RFC 9112 9.6): the connection stays persistent.
PASSIVE_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
FAST = ["--time_wait_ms=300", "--rto_ms=200"]


def _client(ns, *args, timeout=120):
    p = ns.run([sys.executable, CLIENT, ENGINE_IP, "80"] + [str(a) for a in args], timeout=timeout)
    return json.loads(p.stdout)


def _kernel_sockets(ns):
    """Kernel TCP sockets towards the engine, as (state, local, peer)."""
    out = ns.run(["ss", "-tanH", "dst", ENGINE_IP]).stdout
    return [l.split()[:1] + l.split()[3:5] for l in out.splitlines() if l.strip()]


def _settled(eng, ns, allow_time_wait):
    def clean():
        socks = _kernel_sockets(ns)
        return all(allow_time_wait and s[0] == "TIME-WAIT" for s in socks)
    wait_for(clean, 10, "kernel sockets to close")
    time.sleep(0.6)  # > --time_wait_ms: the engine's TIME-WAIT records expire


def _check_clean_exit(st, closed_at_least):
    check(st["active_flows"] == 0, "active_flows %s" % st["active_flows"])
    check(st["mbufs_in_use"] == 0, "mbufs_in_use %s" % st["mbufs_in_use"])
    check(st["connections_closed"] >= closed_at_least,
          "connections_closed %s < %s" % (st["connections_closed"], closed_at_least))
    check(st["connections_reset"] == 0, "connections_reset %s" % st["connections_reset"])


class Capture:
    """tshark on the tap, inside the namespace, for the duration of a block."""

    def __init__(self, ns, iface):
        self.ns, self.iface = ns, iface
        self.path = "/tmp/%s.pcapng" % unique("sacap")

    def __enter__(self):
        self.proc = self.ns.popen(["dumpcap", "-q", "-i", self.iface, "-w", self.path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for(lambda: os.path.exists(self.path) and os.path.getsize(self.path) > 0, 10,
                 "dumpcap to start")
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)
        stop_process(self.proc, timeout=10)
        return False

    def problems(self):
        """Frames with a bad checksum from the engine, retransmissions, or any
        expert warning/error (kernel-sent frames carry offloaded, partial
        checksums on a tap, so only the engine's are verified). "Window full"
        is not one: it marks a sender stopping exactly at the receiver's window,
        which is what RFC 9293 3.8.6 asks of it."""
        flt = ("(ip.src==%s && (tcp.checksum.status==2 || ip.checksum.status==2)) || "
               "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || "
               "tcp.analysis.spurious_retransmission || "
               "(_ws.expert.severity >= 0x00600000 && !tcp.analysis.window_full && "
               "!(ip.src!=%s && tcp.checksum.status==2))" % (ENGINE_IP, ENGINE_IP))
        p = run(["tshark", "-n", "-r", self.path, "-o", "tcp.check_checksum:TRUE",
                 "-o", "ip.check_checksum:TRUE", "-Y", flt], check_rc=False)
        return p.stdout.strip()

    def count(self, flt):
        p = run(["tshark", "-n", "-r", self.path, "-o", "tcp.check_checksum:TRUE",
                 "-o", "ip.check_checksum:TRUE", "-Y", flt], check_rc=False)
        return len([l for l in p.stdout.splitlines() if l.strip()])

    def fields(self, flt, *fields):
        args = ["tshark", "-n", "-r", self.path, "-Y", flt, "-T", "fields"]
        for f in fields:
            args += ["-e", f]
        p = run(args, check_rc=False)
        return [l.split("\t") for l in p.stdout.splitlines() if l.strip()]


def _socket_client(workers, close):
    with Namespace() as ns, Engine(ns, workers=workers, flags=FAST + ["--close=" + close]) as eng:
        with Capture(ns, eng.tap) as cap:
            r = _client(ns, "once")
            want = DEFAULT_RESPONSE if close == "active" else PASSIVE_RESPONSE
            check(r["response"] == want, "response %r" % r["response"])
            _settled(eng, ns, allow_time_wait=(close == "passive"))
        problems = cap.problems()
        check(not problems, "capture problems:\n" + problems)
        # The engine's FIN: first after the response (active) or after the peer's.
        fins = cap.fields("tcp.flags.fin==1", "ip.src")
        check(len(fins) == 2, "FINs: %s" % fins)
        first = fins[0][0]
        check(first == (ENGINE_IP if close == "active" else "198.18.0.1"),
              "%s close: first FIN from %s" % (close, first))
        st = eng.stop_and_stats()
        _check_clean_exit(st, 1)
        check(st["connections_established"] == 1, "established %s" % st["connections_established"])
        if close == "active":
            check(st["time_wait_expired"] == 1, "time_wait_expired %s" % st["time_wait_expired"])


def test_socket_client_active_close():
    _socket_client(1, "active")


def test_socket_client_passive_close():
    _socket_client(1, "passive")


def test_socket_client_two_workers():
    _socket_client(2, "active")
    _socket_client(2, "passive")


def _curl(workers):
    with Namespace() as ns, Engine(ns, workers=workers, flags=FAST) as eng:
        p = ns.run(["curl", "-sS", "-i", "--max-time", "10", "http://%s/" % ENGINE_IP])
        check(p.stdout.replace("\r\n", "\n") == DEFAULT_RESPONSE.replace("\r\n", "\n"),
              "curl got %r" % p.stdout)
        _settled(eng, ns, allow_time_wait=False)
        _check_clean_exit(eng.stop_and_stats(), 1)


def test_curl():
    _curl(1)


def test_curl_two_workers():
    _curl(2)


def test_custom_response_larger_than_mss():
    body = b"x" * 20000
    path = "/tmp/%s.http" % unique("saresp")
    with open(path, "wb") as f:
        f.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                + body)
    try:
        with Namespace() as ns, Engine(ns, flags=FAST + ["--response=" + path, "--mss=1000"]) as eng:
            with Capture(ns, eng.tap) as cap:
                p = ns.run(["curl", "-sS", "--max-time", "10", "http://%s/" % ENGINE_IP])
                check(p.stdout == body.decode(), "body of %d bytes, got %d" % (len(body), len(p.stdout)))
                _settled(eng, ns, allow_time_wait=False)
            check(not cap.problems(), "capture problems:\n" + cap.problems())
            sizes = [int(x[0]) for x in cap.fields("ip.src==%s && tcp.len>0" % ENGINE_IP, "tcp.len")]
            check(sizes and max(sizes) <= 1000, "segment sizes above MSS: %s" % sizes)
            _check_clean_exit(eng.stop_and_stats(), 1)
    finally:
        os.unlink(path)


def _ab(ns, n, c):
    p = ns.run(["ab", "-q", "-s", "10", "-n", str(n), "-c", str(c), "http://%s/" % ENGINE_IP],
               timeout=600, check_rc=False)
    complete = re.search(r"Complete requests:\s+(\d+)", p.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", p.stdout)
    rate = re.search(r"Requests per second:\s+([\d.]+)", p.stdout)
    check(complete and failed, "ab output:\n%s%s" % (p.stdout, p.stderr))
    return int(complete.group(1)), int(failed.group(1)), float(rate.group(1)) if rate else 0.0


def _many(workers):
    with Namespace() as ns, Engine(ns, workers=workers, flags=FAST) as eng:
        done, failed, rate = _ab(ns, 20000, 1)
        check(done == 20000 and failed == 0, "sequential: %d complete, %d failed" % (done, failed))
        done, failed, rate2 = _ab(ns, 5000, 50)
        check(done == 5000 and failed == 0, "50-way: %d complete, %d failed" % (done, failed))
        r = _client(ns, "many", 2000, 50, timeout=300)
        check(r["ok"] == 2000 and r["failed"] == 0, "socket clients: %s" % r)
        # ab opens a few spare connections and closes them itself at the end:
        # those (only) sit in the kernel's TIME-WAIT, the clean end of an active close.
        _settled(eng, ns, allow_time_wait=True)
        st = eng.stop_and_stats()
        _check_clean_exit(st, 27000)
        check(st["connections_established"] >= 27000,
              "established %s" % st["connections_established"])
        check(st["connections_established"] == st["connections_closed"],
              "established %s, closed %s" % (st["connections_established"],
                                             st["connections_closed"]))
        print("    ab: %.0f conn/s sequential, %.0f conn/s 50-way" % (rate, rate2))


def test_many_connections_one_worker():
    _many(1)


def test_many_connections_two_workers():
    _many(2)


def test_closed_port_gets_rst():
    with Namespace() as ns, Engine(ns, flags=FAST) as eng:
        p = ns.run([sys.executable, "-c",
                    "import socket,sys\n"
                    "s=socket.socket()\n"
                    "s.settimeout(5)\n"
                    "try:\n s.connect(('%s', 81))\nexcept ConnectionRefusedError:\n sys.exit(0)\n"
                    "sys.exit(1)\n" % ENGINE_IP], check_rc=False)
        check(p.returncode == 0, "connect to a closed port was not refused")
        st = eng.stop_and_stats()
        check(st["rst_sent"] >= 1 and st["rejected"]["closed_port"] >= 1, "rst_sent %s" % st["rst_sent"])


def test_software_checksums_accepted_by_the_kernel():
    """With TX checksum offload off the engine sums every segment itself: the
    kernel must accept them and tshark must find every checksum right."""
    body = b"z" * 5001  # odd length: the last payload byte pads a word
    path = "/tmp/%s.http" % unique("saresp")
    with open(path, "wb") as f:
        f.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    try:
        flags = FAST + ["--response=" + path, "--tx_csum_offload=false"]
        with Namespace() as ns, Engine(ns, flags=flags) as eng:
            check("TX TCP checksum in software" in eng.output(), eng.output())
            with Capture(ns, eng.tap) as cap:
                p = ns.run(["curl", "-sS", "--max-time", "10", "http://%s/" % ENGINE_IP])
                check(p.stdout == body.decode(), "body %d bytes" % len(p.stdout))
                _settled(eng, ns, allow_time_wait=False)
            check(not cap.problems(), "capture problems:\n" + cap.problems())
            good = cap.count("ip.src==%s && tcp.checksum.status==1" % ENGINE_IP)
            check(good >= 5, "only %d verified segments from the engine" % good)
            _check_clean_exit(eng.stop_and_stats(), 1)
    finally:
        os.unlink(path)
