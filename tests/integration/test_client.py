"""Issue 9: synack's client mode against real peers on the kernel's side of
the tap: a kernel-socket HTTP server of the test's own, Debian's nginx, a
closed port, a port whose SYNs the kernel never sees, and an address nobody
owns. Every run is bounded by --connections and capped by --duration_s."""
import re

from client_harness import (KernelTap, check_all_completed, check_all_failed,
                            check_kernel_sockets_clean, check_latency, kernel_sockets, run_client)
from client_peers import KernelHttpServer, Nginx
from harness import ENGINE_IP, KERNEL_IP, Namespace, check, wait_for
from test_tcp import Capture

SERVER_PORT = 8000
NGINX_PORT = 8080
CLOSED_PORT = 8001
DEAF_PORT = 8002
NOBODY_IP = "198.18.0.99"  # in the tap's /24, on no interface


def _check_requests(s, n, said_close):
    """The kernel server's view of n one-request connections."""
    check(s["connections"] == n and s["requests"] == n,
          "kernel server saw %s connections, %s requests, want %d" %
          (s["connections"], s["requests"], n))
    check(s["request_lines"] == {"GET / HTTP/1.1": n}, "request lines %s" % s["request_lines"])
    # Spec: the default request's Host is the target's address.
    hosts = list(s["hosts"])
    check(len(hosts) == 1 and hosts[0].split(":")[0] == KERNEL_IP, "Host headers %s" % s["hosts"])
    check(s["said_close"] == (n if said_close else 0), "%s requests said Connection: close" %
          s["said_close"])
    check(s["bad_requests"] == 0 and s["eof_before_request"] == 0 and s["client_resets"] == 0,
          "bad %s, empty connections %s, resets %s" % (s["bad_requests"], s["eof_before_request"],
                                                      s["client_resets"]))


def _kernel_server(close, workers=1):
    n = 2000  # about a second's work when it goes well: 30 s is a generous cap
    with Namespace() as ns:
        tap = KernelTap(ns)
        # active: the server never closes first, synack does and holds
        # TIME-WAIT; passive: the server closes after the response (the
        # request says Connection: close) and the kernel holds TIME-WAIT.
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT,
                              "keep" if close == "active" else "close") as srv:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                            "--close=" + close, "--time_wait_ms=300"],
                             workers=workers, timeout=30)
            st = run.ok()
            check_kernel_sockets_clean(ns, allow_time_wait=(close == "passive"))
            if close == "passive":
                tw = [s for s in kernel_sockets(ns) if s[0] == "TIME-WAIT"]
                check(len(tw) == n, "kernel TIME-WAIT sockets %d, want %d (one per connection "
                      "it closed first)" % (len(tw), n))
            s = srv.stop()
        check_all_completed(st, n)
        _check_requests(s, n, said_close=True)
        check(st["requests_sent"] == n and st["responses_received"] == n,
              "requests_sent %s responses_received %s" % (st["requests_sent"],
                                                          st["responses_received"]))
        want_tw = n if close == "active" else 0
        check(st["time_wait_entered"] == want_tw, "%s close: synack entered TIME-WAIT %s times, "
              "want %d" % (close, st["time_wait_entered"], want_tw))
        check(st["connections_reset"] == 0 and st["rst_sent"] == 0,
              "resets %s, RSTs sent %s" % (st["connections_reset"], st["rst_sent"]))
        if workers > 1:
            # net_tap: the kernel's tun queue selection places the replies,
            # whatever key synack set; the banner says so, and what lands on
            # the other lcore's queue reaches its owner through the hand-over.
            banner = [l for l in run.log.splitlines() if "worker lcore(s)" in l]
            check(banner and "the driver places flows" in banner[0] and
                  "handed over" in banner[0] and "RSS with our key" not in banner[0],
                  "banner: %s" % banner)
            check(st["drops"]["handoff_full"] == 0, "hand-over drops %s" %
                  st["drops"]["handoff_full"])
        print("    %s close, %d worker(s): %d connections in %.1f s, cps %s, handed over %s" %
              (close, workers, n, run.seconds, st["cps"], st["handed_over"]))


def test_kernel_server_active_close():
    _kernel_server("active")


def test_kernel_server_passive_close():
    _kernel_server("passive")


def test_kernel_server_two_workers():
    # Each lcore must pick source ports whose replies come back to it.
    _kernel_server("active", workers=2)


def _keepalive(close):
    conns, per = 200, 5
    with Namespace() as ns:
        tap = KernelTap(ns)
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT,
                              "keep" if close == "active" else "close") as srv:
            run = run_client(ns, tap.name, ["--connections=%d" % conns, "--concurrency=8",
                                            "--requests_per_connection=%d" % per,
                                            "--close=" + close, "--time_wait_ms=300"],
                             timeout=30)
            st = run.ok()
            check_kernel_sockets_clean(ns, allow_time_wait=(close == "passive"))
            s = srv.stop()
        check_all_completed(st, conns)
        check(st["requests_sent"] == conns * per and st["responses_received"] == conns * per,
              "requests_sent %s responses_received %s" % (st["requests_sent"],
                                                          st["responses_received"]))
        check(s["requests_per_connection"] == {str(per): conns},
              "requests per connection at the server: %s" % s["requests_per_connection"])
        # Spec: with several requests the default drops Connection: close, and
        # only the last request says it, only with --close=passive (the server
        # is then the one to close).
        want = conns if close == "passive" else 0
        check(s["said_close"] == want, "%s close: %s requests said Connection: close, want %d" %
              (close, s["said_close"], want))


def test_keepalive_requests_active_close():
    _keepalive("active")


def test_keepalive_requests_passive_close():
    _keepalive("passive")


def test_gateway_next_hop():
    """--gateway: ARP resolves the gateway, never the target; the segments
    for the target go to the gateway's MAC (the kernel, which owns the
    target on lo)."""
    n, far = 200, "198.18.1.1"
    with Namespace() as ns:
        tap = KernelTap(ns)
        ns.run(["ip", "addr", "add", far + "/32", "dev", "lo"])
        with KernelHttpServer(ns, far, SERVER_PORT, "keep") as srv:
            with Capture(ns, tap.name) as cap:
                run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                                "--gateway=" + KERNEL_IP, "--time_wait_ms=300"],
                                 target="%s:%d" % (far, SERVER_PORT), timeout=30)
            s = srv.stop()
        st = run.ok()
        check_all_completed(st, n)
        check(s["connections"] == n and s["requests"] == n, "server saw %s connections, %s "
              "requests" % (s["connections"], s["requests"]))
        asked = {f[0] for f in cap.fields("arp.opcode==1 && arp.src.proto_ipv4==%s" % ENGINE_IP,
                                          "arp.dst.proto_ipv4")}
        check(asked == {KERNEL_IP}, "synack asked ARP for %s" % asked)


def test_source_address_range():
    """--src_ips: connections come from every address of the range, and
    synack answers the kernel's ARP for each of them."""
    n = 2000
    ips = ["198.18.0.%d" % i for i in range(2, 6)]
    with Namespace() as ns:
        tap = KernelTap(ns)
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT, "keep") as srv:
            with Capture(ns, tap.name) as cap:
                run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                                "--src_ips=%s-%s" % (ips[0], ips[-1]),
                                                "--time_wait_ms=300"], timeout=30)
            s = srv.stop()
        st = run.ok()
        check_all_completed(st, n)
        check(sorted(s["peer_ips"]) == ips and sum(s["peer_ips"].values()) == n,
              "connections by source address: %s" % s["peer_ips"])
        # The kernel asks for each address before its first reply to it, but
        # the first (--ip) it learnt from synack's own ARP request.
        asked = {f[0] for f in cap.fields("arp.opcode==1 && arp.src.proto_ipv4==%s" % KERNEL_IP,
                                          "arp.dst.proto_ipv4")}
        told = {f[0] for f in cap.fields("arp.opcode==2 && arp.dst.proto_ipv4==%s" % KERNEL_IP,
                                         "arp.src.proto_ipv4")}
        check(set(ips[1:]) <= asked and set(ips[1:]) <= told,
              "the kernel asked ARP for %s, synack answered for %s" % (sorted(asked),
                                                                       sorted(told)))
        print("    connections by source address: %s" % s["peer_ips"])


def test_nginx_one_request_per_connection():
    """Default close mode against nginx, which closes after answering a
    request that says Connection: close: its FIN may come with the response."""
    n = 2000
    with Namespace() as ns:
        tap = KernelTap(ns)
        with Nginx(ns, KERNEL_IP, NGINX_PORT) as ngx:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                            "--time_wait_ms=300"],
                             target="%s:%d" % (KERNEL_IP, NGINX_PORT))
            st = run.ok()
            check_kernel_sockets_clean(ns, allow_time_wait=True)
            wait_for(lambda: len(ngx.log_entries()) >= n, 5, "nginx's access log")
            entries = ngx.log_entries()
        check_all_completed(st, n)
        check(len(entries) == n, "nginx logged %d requests, want %d" % (len(entries), n))
        check(all(e[3] == "GET / HTTP/1.1" and e[4] == 200 for e in entries),
              "requests/statuses: %s" % {(e[3], e[4]) for e in entries})
        check(len({e[0] for e in entries}) == n and all(e[1] == 1 for e in entries),
              "not one request per connection: %d connections" % len({e[0] for e in entries}))
        print("    nginx: %d connections in %.1f s, cps %s" % (n, run.seconds, st["cps"]))


def test_nginx_ten_requests_per_connection():
    conns, per = 200, 10
    with Namespace() as ns:
        tap = KernelTap(ns)
        with Nginx(ns, KERNEL_IP, NGINX_PORT) as ngx:
            run = run_client(ns, tap.name, ["--connections=%d" % conns, "--concurrency=8",
                                            "--requests_per_connection=%d" % per,
                                            "--close=active", "--time_wait_ms=300"],
                             target="%s:%d" % (KERNEL_IP, NGINX_PORT))
            st = run.ok()
            # Keep-alive to the end: nginx closes only after synack's FIN.
            check_kernel_sockets_clean(ns, allow_time_wait=False)
            wait_for(lambda: len(ngx.log_entries()) >= conns * per, 5, "nginx's access log")
            entries = ngx.log_entries()
        check_all_completed(st, conns)
        check(st["requests_sent"] == conns * per and st["responses_received"] == conns * per,
              "requests_sent %s responses_received %s" % (st["requests_sent"],
                                                          st["responses_received"]))
        check(len(entries) == conns * per, "nginx logged %d requests" % len(entries))
        by_conn = {}
        for conn, creq, peer, request, status in entries:
            by_conn.setdefault(conn, []).append((creq, peer, request, status))
        check(len(by_conn) == conns, "nginx saw %d connections, want %d" % (len(by_conn), conns))
        for conn, reqs in by_conn.items():
            check(sorted(r[0] for r in reqs) == list(range(1, per + 1)),
                  "connection %d carried requests %s" % (conn, sorted(r[0] for r in reqs)))
            check(len({r[1] for r in reqs}) == 1, "connection %d from several peers" % conn)
            check(all(r[2] == "GET / HTTP/1.1" and r[3] == 200 for r in reqs),
                  "connection %d: %s" % (conn, reqs))


def test_closed_port_refused():
    n = 200
    with Namespace() as ns:
        tap = KernelTap(ns)
        run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8"],
                         target="%s:%d" % (KERNEL_IP, CLOSED_PORT), timeout=60)
        st = run.ok()
        check_all_failed(st, n, "refused")
        check(st["connections_started"] == n, "started %s" % st["connections_started"])
        check_kernel_sockets_clean(ns, allow_time_wait=False)


def test_deaf_port_times_out():
    """The kernel listens on DEAF_PORT but a tc filter drops every segment
    synack sends there: each SYN is retried --synack_retries times, then
    the connection fails timed_out."""
    n, retries = 40, 2
    with Namespace() as ns:
        tap = KernelTap(ns)
        tap.drop_tcp_to_port(DEAF_PORT)
        with KernelHttpServer(ns, KERNEL_IP, DEAF_PORT, "keep") as srv:
            with Capture(ns, tap.name) as cap:
                run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                                "--rto_ms=100", "--synack_retries=%d" % retries],
                                 target="%s:%d" % (KERNEL_IP, DEAF_PORT), timeout=60)
            s = srv.stop()
        st = run.ok()
        check_all_failed(st, n, "timed_out")
        check(s["connections"] == 0, "the filter let %d connections through" % s["connections"])
        syns = cap.count("ip.src==%s && tcp.flags.syn==1 && tcp.flags.ack==0" % ENGINE_IP)
        check(syns == n * (retries + 1), "%d SYNs for %d connections with %d retries each" %
              (syns, n, retries))
        answers = cap.count("ip.src==%s && tcp" % KERNEL_IP)
        check(answers == 0, "the kernel answered %d segments through the filter" % answers)


def test_unowned_address_no_arp():
    """Nobody answers ARP for the target: a few bounded requests, every
    connection fails no_arp, the log says so once, and the periodic line says
    so while it holds. --rate spreads the failures over two seconds after the
    ARP gives up (the schedule starts then), so periodic lines see it."""
    n, rate = 200, 100
    with Namespace() as ns:
        tap = KernelTap(ns)
        with Capture(ns, tap.name) as cap:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8",
                                            "--rate=%d" % rate, "--stats_interval_s=1"],
                             target="%s:%d" % (NOBODY_IP, SERVER_PORT), timeout=60)
        st = run.ok()
        check_all_failed(st, n, "no_arp")
        arps = cap.count("arp.opcode==1 && arp.src.proto_ipv4==%s && arp.dst.proto_ipv4==%s" %
                         (ENGINE_IP, NOBODY_IP))
        # Bounded: a few retries for the one next hop, not one per connection.
        check(1 <= arps <= 16, "%d ARP requests for %s over %d connections" % (arps, NOBODY_IP, n))
        tcp = cap.count("tcp")
        check(tcp == 0, "%d TCP segments sent with no next hop" % tcp)
        lines = run.log.splitlines()
        said = [l for l in lines if l.startswith("synack: ") and
                "no ARP reply from %s" % NOBODY_IP in l]
        check(len(said) == 1, "log lines about the missing ARP reply: %s" % (said or "none"))
        periodic = [l for l in lines if l.startswith("client: ")]
        failing = [l for l in periodic if "no ARP reply from %s" % NOBODY_IP in l]
        # The first line (1 s) comes before the ARP gives up (three tries a
        # second apart) and does not say it; every line that counts no_arp
        # failures does.
        check(failing and periodic[0] not in failing and
              all(l in failing for l in periodic if "no_arp" in l),
              "periodic lines: %s" % periodic)
        print("    %d ARP requests; log: %s; %d of %d periodic lines say it" %
              (arps, said[0].strip(), len(failing), len(periodic)))


def test_server_reset_counted():
    n = 100
    with Namespace() as ns:
        tap = KernelTap(ns)
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT, "reset") as srv:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8"],
                             timeout=60)
            s = srv.stop()
        st = run.ok()
        check_all_failed(st, n, "reset")
        check(s["requests"] == n, "server read %s requests" % s["requests"])


def test_truncated_response_counted():
    """The server promises 100 body bytes, sends 13 and closes."""
    n = 100
    with Namespace() as ns:
        tap = KernelTap(ns)
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT, "truncate") as srv:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--concurrency=8"],
                             timeout=60)
            check_kernel_sockets_clean(ns, allow_time_wait=True)
            s = srv.stop()
        st = run.ok()
        check_all_failed(st, n, "truncated")
        check(s["requests"] == n, "server read %s requests" % s["requests"])


def test_rate_against_kernel_server():
    """Open-loop --rate: 500 new connections/s for 4 s, which the tap and the
    Python server carry with room to spare. The rate is checked twice: by
    synack's own cps and by the arrival times the server recorded."""
    rate, n = 500, 2000
    with Namespace() as ns:
        tap = KernelTap(ns)
        with KernelHttpServer(ns, KERNEL_IP, SERVER_PORT, "keep") as srv:
            run = run_client(ns, tap.name, ["--connections=%d" % n, "--rate=%d" % rate,
                                            "--stats_interval_s=1", "--time_wait_ms=300"],
                             timeout=60)
            st = run.ok()
            s = srv.stop()
        check_all_completed(st, n)
        check(abs(st["cps"] - rate) <= 0.03 * rate, "cps %s, target %d" % (st["cps"], rate))
        times = s["request_times"]
        check(len(times) == n, "server saw %d requests" % len(times))
        seen = (n - 1) / (times[-1] - times[0])
        check(abs(seen - rate) <= 0.03 * rate, "server saw %.1f requests/s, target %d" %
              (seen, rate))
        # Open loop means steady: every whole second the server saw carries
        # the rate, not a stall and a catch-up burst that average out.
        bins = [0] * int(times[-1] - times[0])
        for t in times:
            i = int(t - times[0])
            if i < len(bins):
                bins[i] += 1
        check(all(abs(b - rate) <= 0.1 * rate for b in bins),
              "requests per second at the server: %s, target %d" % (bins, rate))
        check_latency(st, "connect_latency_us", n)
        check_latency(st, "response_latency_us", n)
        lines = re.findall(r"client: started \d+ completed \d+ failed \d+.*", run.log)
        check(len(lines) >= 3, "periodic client lines over a 4 s run: %s" % lines)
        print("    cps %s (server saw %.1f/s); connect p50/p99 %s/%s us, response p50/p99 %s/%s us"
              % (st["cps"], seen, st["connect_latency_us"]["p50"],
                 st["connect_latency_us"]["p99"], st["response_latency_us"]["p50"],
                 st["response_latency_us"]["p99"]))
