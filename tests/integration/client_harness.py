"""Harness for synack's client mode (issue 9): synack connects out and exits
by itself once its --connections are done, so a run is "start, wait, read the
JSON" instead of harness.Engine's "start, poke, stop".

Two set-ups:
- KernelTap: the tap is created (and the kernel's side of it addressed and up)
  *before* synack attaches to it, so the kernel is ready the moment synack
  sends its first ARP, and a capture or a tc filter can be in place from the
  first frame.
- MemifPair: two synack processes joined by net_memif, no kernel in the path.

Rules as in harness.py: 198.18.0.0/15 only, inside a namespace the test made;
every process ended by PID, every EAL runtime directory removed.
"""
import ctypes
import json
import os
import signal
import socket
import subprocess
import time

from harness import (ENGINE_IP, KERNEL_IP, SYNACK, TestFailure, check, remove_runtime_dir,
                     stop_process, unique, wait_for)


class KernelTap:
    """A persistent tap in `ns` with KERNEL_IP/24 on the kernel's side, ready
    before any synack attaches (net_tap takes over an existing interface)."""

    def __init__(self, ns):
        self.ns = ns
        self.name = unique("sat")
        ns.run(["ip", "tuntap", "add", "mode", "tap", "name", self.name, "multi_queue"])
        # No IPv6 chatter: only what synack and the test send crosses the tap.
        ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.name])
        ns.run(["ip", "addr", "add", KERNEL_IP + "/24", "dev", self.name])
        ns.run(["ip", "link", "set", self.name, "up"])

    def drop_tcp_to_port(self, port):
        """Makes the kernel deaf to TCP for `port`: frames synack sends there
        are dropped at the tap's ingress, before the kernel's TCP sees them
        (a capture on the tap still shows them: packet sockets see ingress
        before tc). This kernel has no u32/flower classifier and no gact
        action, so it is cls_bpf in direct-action mode with a classic BPF
        program (offsets from the Ethernet header, which cls_bpf pushes back
        at ingress): IPv4, TCP, destination port -> TC_ACT_SHOT (2), else
        TC_ACT_OK (0)."""
        prog = [(0x28, 0, 0, 12),      # ldh [12]            ethertype
                (0x15, 0, 6, 0x0800),  # jeq #IPv4 else ok
                (0x30, 0, 0, 23),      # ldb [23]            IP protocol
                (0x15, 0, 4, 6),       # jeq #TCP else ok
                (0xb1, 0, 0, 14),      # ldxb 4*([14]&0xf)   IP header length
                (0x48, 0, 0, 16),      # ldh [x+16]          TCP destination port
                (0x15, 0, 1, port),    # jeq #port else ok
                (0x06, 0, 0, 2),       # ret #TC_ACT_SHOT
                (0x06, 0, 0, 0)]       # ret #TC_ACT_OK
        code = "%d," % len(prog) + ",".join("%d %d %d %d" % i for i in prog)
        self.ns.run(["tc", "qdisc", "add", "dev", self.name, "clsact"])
        self.ns.run(["tc", "filter", "add", "dev", self.name, "ingress", "bpf", "da", "bytecode",
                     code])


class ClientRun:
    """One finished synack client run: exit code, JSON (None if absent), log."""

    def __init__(self, rc, stats, log, seconds):
        self.rc, self.stats, self.log, self.seconds = rc, stats, log, seconds

    def ok(self):
        """The JSON of a run that exited 0, or a failure that quotes the log
        (an engine without client mode stops here: it rejects --mode)."""
        check(self.rc == 0, "synack client exited %s:\n%s" % (self.rc, self.log[-3000:]))
        check(self.stats is not None, "synack client wrote no --stats_json:\n" + self.log[-3000:])
        check(self.stats.get("mode") == "client", "JSON mode %r" % self.stats.get("mode"))
        return self.stats


def run_client(ns, tap, flags, target="%s:8000" % KERNEL_IP, workers=1, timeout=120,
               cap_s=None):
    """synack --mode=client on `tap` (a KernelTap's name) until it exits by
    itself; every run is capped by --duration_s (default: `timeout` - 10)."""
    prefix = tap
    json_path = "/tmp/%s.json" % prefix
    log_path = "/tmp/%s.log" % prefix
    for p in (json_path, log_path):
        if os.path.exists(p):
            os.unlink(p)
    lcores = "0@0,1@1" if workers == 1 else "0@0,1@0,2@1"
    cap = cap_s if cap_s is not None else max(5, timeout - 10)
    argv = [SYNACK, "--no-huge", "-m", "512", "--no-pci", "--file-prefix=" + prefix,
            "--lcores=" + lcores, "--vdev=net_tap0,iface=" + tap, "--",
            "--ip=" + ENGINE_IP, "--stats_json=" + json_path, "--mode=client",
            "--target=" + target, "--duration_s=%d" % cap] + list(flags)
    t0 = time.time()
    with open(log_path, "w") as log:
        proc = ns.popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = "timeout (%d s; then SIGINT: %s)" % (timeout, stop_process(proc, signal.SIGINT))
    seconds = time.time() - t0
    remove_runtime_dir(prefix)
    with open(log_path) as f:
        text = f.read()
    stats = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            stats = json.load(f)
        os.unlink(json_path)
    os.unlink(log_path)
    return ClientRun(rc, stats, " ".join(argv) + "\n" + text, seconds)


def failed_total(stats):
    return sum(stats["connections_failed"].values())


def _check_nothing_open(stats):
    """No connection held outside TIME-WAIT: active_flows counts flow-table
    records only (TIME-WAIT entries are time_wait_flows), and an
    active-closing client still holds its last ones in TIME-WAIT at exit."""
    check(stats["active_flows"] == 0, "active_flows %s (TIME-WAIT %s apart)" %
          (stats["active_flows"], stats.get("time_wait_flows")))


def check_all_completed(stats, n):
    """n connections started and completed, none failed, nothing held."""
    failed = stats["connections_failed"]
    check(stats["connections_completed"] == n and failed_total(stats) == 0,
          "completed %s of %d, failed %s" % (stats["connections_completed"], n, failed))
    check(stats["connections_started"] == n, "started %s" % stats["connections_started"])
    check(stats["mbufs_in_use"] == 0, "mbufs_in_use %s" % stats["mbufs_in_use"])
    _check_nothing_open(stats)


def check_all_failed(stats, n, reason):
    """n connections, every one failed for `reason`, none for another."""
    failed = stats["connections_failed"]
    others = {k: v for k, v in failed.items() if k != reason and v}
    check(failed.get(reason) == n and not others and stats["connections_completed"] == 0,
          "want %d %s, got completed %s, failed %s" % (n, reason, stats["connections_completed"],
                                                       failed))
    check(stats["mbufs_in_use"] == 0, "mbufs_in_use %s" % stats["mbufs_in_use"])
    _check_nothing_open(stats)


def check_latency(stats, key, count):
    lat = stats[key]
    order = [lat[k] for k in ("p50", "p90", "p99", "p999", "max")]
    check(all(v > 0 for v in order) and order == sorted(order),
          "%s not ordered or not positive: %s" % (key, lat))
    check(lat["count"] == count, "%s count %s, want %d" % (key, lat["count"], count))


def kernel_sockets(ns, peer=ENGINE_IP):
    """Kernel TCP sockets towards `peer`, as (state, local, remote)."""
    out = ns.run(["ss", "-tanH", "dst", peer]).stdout
    return [(l.split()[0], l.split()[3], l.split()[4]) for l in out.splitlines() if l.strip()]


def check_kernel_sockets_clean(ns, allow_time_wait):
    """Nothing left half-done on the kernel's side: no SYN-RECV, ESTAB,
    CLOSE-WAIT, LAST-ACK or FIN-WAIT towards synack; TIME-WAIT only where the
    kernel closed first. A few seconds' grace for a retransmitted FIN."""
    def bad():
        return [s for s in kernel_sockets(ns) if not (allow_time_wait and s[0] == "TIME-WAIT")]
    try:
        wait_for(lambda: not bad(), 5, "kernel sockets to settle")
    except TestFailure:
        left = bad()
        states = {}
        for s in left:
            states[s[0]] = states.get(s[0], 0) + 1
        raise TestFailure("kernel sockets left towards synack: %s (e.g. %s)" % (states, left[:3]))


# ----------------------------------------------------------------------------
# DPDK telemetry, straight from its socket (no dpdk-telemetry.py start-up per
# question): the socket is a file, so it needs no namespace.

def telemetry(prefix, cmd, timeout=2.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    try:
        s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix)
        hello = json.loads(s.recv(65536).decode())
        s.send(cmd.encode())
        reply = json.loads(s.recv(int(hello.get("max_output_len", 16384))).decode())
    finally:
        s.close()
    return reply.get(cmd.split(",")[0])


def link_up(prefix, port=0):
    try:
        return telemetry(prefix, "/ethdev/link_status,%d" % port).get("status") == "UP"
    except (OSError, ValueError, AttributeError):
        return False


# ----------------------------------------------------------------------------
# Back to back over net_memif.
#
# DPDK 22.11's memif PMD frees a connection's shared memory in its interrupt
# thread (memif_disconnect: the control channel saw the peer's DISCONNECT or
# EOF) while the port's lcore may be inside rte_eth_rx_burst on that memory:
# the side that outlives its peer crashed in 6 of 23 stops tried here (SIGSEGV
# in eth_memif_rx reading ring->head, from the core dumps). The side that
# exits first is safe, because synack stops its lcores before it closes the
# port. A synack client exits by itself, so the server would be the one left
# polling: the harness therefore stops the server's EAL interrupt thread with
# ptrace once the link is up, so the client's DISCONNECT is never processed,
# and lets that thread die with the process when the server exits on SIGINT
# (resuming it instead makes it handle the event on freed state: it crashes).

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_PTRACE_SEIZE, _PTRACE_INTERRUPT = 0x4206, 0x4207
_WALL, _WNOHANG = 0x40000000, 1


def _thread_named(pid, name):
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() == name:
                return int(tid)
    raise TestFailure("pid %d has no thread %r" % (pid, name))


class FrozenThread:
    """One thread of another process held in a ptrace stop until that
    process exits; reap() collects it (its tracer must) so the process's
    parent can then reap the process."""

    def __init__(self, pid, name):
        self.pid = pid
        self.tid = _thread_named(pid, name)
        if _libc.ptrace(_PTRACE_SEIZE, self.tid, None, None) != 0:
            raise TestFailure("ptrace(SEIZE, %d): errno %d" % (self.tid, ctypes.get_errno()))
        if _libc.ptrace(_PTRACE_INTERRUPT, self.tid, None, None) != 0:
            raise TestFailure("ptrace(INTERRUPT, %d): errno %d" % (self.tid, ctypes.get_errno()))
        status = ctypes.c_int()
        _libc.waitpid(self.tid, ctypes.byref(status), _WALL)  # the stop itself
        self.reaped = False

    def reap(self, timeout):
        """Waits up to `timeout` s for the thread to die with its process;
        kills the process if it does not."""
        status = ctypes.c_int()
        deadline = time.time() + timeout
        while not self.reaped:
            r = _libc.waitpid(self.tid, ctypes.byref(status), _WALL | _WNOHANG)
            if r == self.tid:
                # A stop report while the process exits: the exit follows.
                if (status.value & 0xff) != 0x7f:
                    self.reaped = True
                continue
            if r < 0:  # not ours any more (already gone)
                self.reaped = True
                break
            if time.time() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                deadline = time.time() + 10
            time.sleep(0.01)


class MemifEngine:
    """One synack on net_memif0 (no namespace interface; it runs in `ns` only
    so that everything the test starts lives and dies there)."""

    def __init__(self, ns, role, sock, worker_cpu, ip, flags):
        self.ns = ns
        self.prefix = unique("sam")
        self.json_path = "/tmp/%s.json" % self.prefix
        self.log_path = "/tmp/%s.log" % self.prefix
        main_cpu = 1 - worker_cpu
        self.argv = [SYNACK, "--no-huge", "-m", "512", "--no-pci", "--file-prefix=" + self.prefix,
                     "--lcores=0@%d,1@%d" % (main_cpu, worker_cpu),
                     "--vdev=net_memif0,role=%s,socket=%s" % (role, sock), "--",
                     "--ip=" + ip, "--stats_json=" + self.json_path] + list(flags)
        self.proc = None
        self.log = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = self.ns.popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is not None or
                 os.path.exists("/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix), 30,
                 "synack on memif to start")
        check(self.proc.poll() is None, "synack on memif exited %s:\n%s" %
              (self.proc.returncode, self.output()))
        return self

    def output(self):
        try:
            with open(self.log_path) as f:
                return " ".join(self.argv) + "\n" + f.read()
        except OSError:
            return ""

    def stats(self):
        with open(self.json_path) as f:
            return json.load(f)

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            stop_process(self.proc, signal.SIGKILL, 5)
        if self.log:
            self.log.close()
        remove_runtime_dir(self.prefix)
        for p in (self.json_path, self.log_path):
            if os.path.exists(p):
                os.unlink(p)


class MemifPair:
    """synack's server (memif role=server, worker on CPU 1) and synack's
    client (role=client, worker on CPU 0), started in that order; run()
    waits for the client to finish, then stops the server. Copy mode, no
    hugepages: memif needs neither --single-file-segments nor hugepages
    unless zero-copy is asked for."""

    def __init__(self, ns, server_flags, client_flags):
        self.sock = "/tmp/%s.sock" % unique("samif")
        self.server = MemifEngine(ns, "server", self.sock, 1, ENGINE_IP, server_flags)
        self.client = MemifEngine(ns, "client", self.sock, 0, KERNEL_IP,
                                  ["--mode=client"] + list(client_flags))
        self.frozen = None

    def __enter__(self):
        return self

    def run(self, timeout):
        """Returns (client JSON, server JSON, client seconds)."""
        self.server.start()
        t0 = time.time()
        self.client.start()
        wait_for(lambda: self.client.proc.poll() is not None or
                 (link_up(self.server.prefix) and link_up(self.client.prefix)), 10,
                 "memif link up on both sides")
        check(self.client.proc.poll() is None,
              "client finished before the harness could guard the server (run longer):\n" +
              self.client.output())
        self.frozen = FrozenThread(self.server.proc.pid, "eal-intr-thread")
        try:
            crc = self.client.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            crc = "timeout (%d s; then SIGINT: %s)" % (timeout,
                                                       stop_process(self.client.proc))
        seconds = time.time() - t0
        check(crc == 0, "synack client exited %s:\n%s" % (crc, self.client.output()[-3000:]))
        self.server.proc.send_signal(signal.SIGINT)
        self.frozen.reap(30)
        src = self.server.proc.wait(timeout=10)
        check(src == 0, "synack server exited %s:\n%s" % (src, self.server.output()[-3000:]))
        return self.client.stats(), self.server.stats(), seconds

    def __exit__(self, *exc):
        if self.frozen and not self.frozen.reaped:
            if self.server.proc.poll() is None:
                os.kill(self.server.proc.pid, signal.SIGKILL)
            self.frozen.reap(10)
        self.client.cleanup()
        self.server.cleanup()
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        return False
