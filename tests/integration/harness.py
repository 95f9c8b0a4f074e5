"""Integration-test harness: a network namespace per test, synack on net_tap
inside it, the Linux kernel on the other side of the tap as the peer.

Rules it enforces: addresses from 198.18.0.0/15 only, on interfaces inside a
namespace the test created; every process it starts is ended by PID and every
namespace deleted, even when the test fails.
"""
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SYNACK_BUILD", os.path.join(ROOT, "build"))
SYNACK = os.path.join(BUILD, "engine", "synack")
SYNFLOOD = os.path.join(BUILD, "tests", "tools", "synflood")
ENGINE_IP = "198.18.0.2"
KERNEL_IP = "198.18.0.1"
PEER_MAC = "02:5a:00:00:00:01"  # the kernel end of the tap (locally administered)
_seq = itertools.count()


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def run(cmd, timeout=60, check_rc=True, **kw):
    """Runs a command (list), returns CompletedProcess with text output."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise TestFailure("%s exited %d: %s%s" % (" ".join(cmd), p.returncode,
                                                  p.stdout[-2000:], p.stderr[-2000:]))
    return p


def unique(prefix):
    return "%s%d%d" % (prefix, os.getpid() % 100000, next(_seq))


class Namespace:
    """`ip netns add` on enter, `ip netns del` (after killing what it started) on exit."""

    def __init__(self):
        self.name = unique("sa")
        self.procs = []

    def __enter__(self):
        run(["ip", "netns", "add", self.name])
        run(["ip", "-n", self.name, "link", "set", "lo", "up"])
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            stop_process(p, sig=signal.SIGKILL, timeout=5)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        return False

    def cmd(self, args):
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, **kw):
        return run(self.cmd(args), **kw)

    def popen(self, args, **kw):
        p = subprocess.Popen(self.cmd(args), **kw)
        self.procs.append(p)
        return p


def stop_process(p, sig=signal.SIGINT, timeout=20):
    if p.poll() is not None:
        return p.returncode
    try:
        p.send_signal(sig)
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(timeout=5)


def remove_runtime_dir(prefix):
    """EAL leaves /var/run/dpdk/PREFIX behind; a test removes its own."""
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


class Engine:
    """synack running on net_tap inside `ns`; the kernel side of the tap gets
    198.18.0.1/24 and the engine owns 198.18.0.2."""

    def __init__(self, ns, workers=1, flags=(), eal=(), memory=512):
        self.ns = ns
        self.workers = workers
        self.tap = unique("sat")
        self.json_path = "/tmp/%s.json" % self.tap
        self.log_path = "/tmp/%s.log" % self.tap
        self.flags = list(flags)
        self.eal = list(eal)
        self.memory = memory
        self.proc = None
        self.mac = None
        self.banner = ""

    def argv(self):
        # Worker lcores get the second core where there is one; the main lcore
        # (control plane) mostly sleeps.
        lcores = "0@0,1@1" if self.workers == 1 else "0@0,1@0,2@1"
        return ([SYNACK, "--no-huge", "-m", str(self.memory), "--no-pci",
                 "--file-prefix=" + self.tap, "--lcores=" + lcores,
                 "--vdev=net_tap0,iface=" + self.tap] + self.eal +
                ["--", "--ip=" + ENGINE_IP, "--stats_json=" + self.json_path] + self.flags)

    def __enter__(self):
        return self.start()

    def start(self):
        for p in (self.json_path, self.log_path):
            if os.path.exists(p):
                os.unlink(p)
        self.log = open(self.log_path, "w")
        self.proc = self.ns.popen(self.argv(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            check(self.proc.poll() is None, "synack exited early:\n" + self.output())
            m = re.search(r"synack: .* on port \d+ \(.*mac ([0-9a-f:]+)\)", self.output())
            if m:
                self.mac = m.group(1)
                self.banner = m.group(0)
                break
            time.sleep(0.1)
        check(self.mac, "synack did not come up:\n" + self.output())
        # net_tap gives the kernel's end of the tap the engine's own MAC: a
        # peer must have its own, or its frames look like our own reflected.
        self.ns.run(["ip", "link", "set", self.tap, "address", PEER_MAC])
        self.ns.run(["ip", "addr", "add", KERNEL_IP + "/24", "dev", self.tap])
        self.ns.run(["ip", "link", "set", self.tap, "up"])
        # No IPv6 chatter on the tap: only what the test sends crosses it.
        self.ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.tap],
                    check_rc=False)
        return self

    def output(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=30):
        rc = stop_process(self.proc, signal.SIGINT, timeout)
        self.log.close()
        remove_runtime_dir(self.tap)
        return rc

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()
        remove_runtime_dir(self.tap)
        return False

    def stats(self):
        with open(self.json_path) as f:
            return json.load(f)

    def stop_and_stats(self):
        rc = self.stop()
        check(rc == 0, "synack exited %s:\n%s" % (rc, self.output()[-3000:]))
        return self.stats()

    def telemetry(self, *cmds):
        """dpdk-telemetry.py commands against this engine's socket; returns
        the answers in order (one JSON object per command)."""
        p = self.ns.run(["dpdk-telemetry.py", "-f", self.tap], input="\n".join(cmds) + "\n",
                        timeout=30)
        answers = []
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                obj = json.loads(line)
                answers.extend(obj.values())
        check(len(answers) == len(cmds), "telemetry answered %r to %r" % (p.stdout, cmds))
        return answers


def wait_for(pred, timeout, what, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(interval)
    raise TestFailure("timed out waiting for " + what)
