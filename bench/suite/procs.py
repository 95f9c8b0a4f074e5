"""Processes and namespaces for the benchmark suite.

Every process the suite starts is a `Proc`, ended by its own PID (SIGINT, then
SIGKILL); every namespace is a `Netns`, deleted on exit even when a run fails;
every DPDK runtime directory a run creates is removed. Test traffic uses
198.18.0.0/15 only and stays on memif sockets, pcap files or veth pairs inside
the namespaces made here.
"""
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SYNACK_BUILD", os.path.join(ROOT, "build"))
SYNACK = os.path.join(BUILD, "engine", "synack")
SYNFLOOD = os.path.join(BUILD, "tests", "tools", "synflood")
_seq = itertools.count()


class BenchError(RuntimeError):
    pass


def unique(prefix):
    """A name no other run of the suite on this machine uses at the same time."""
    return "%s%d-%d" % (prefix, os.getpid(), next(_seq))


def run(cmd, timeout=60, check=True, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise BenchError("%s exited %d: %s%s" % (" ".join(cmd), p.returncode, p.stdout[-1500:],
                                                 p.stderr[-1500:]))
    return p


class Proc:
    """One child process with its output in a log file; `stop()` ends it by PID."""

    def __init__(self, argv, name, workdir):
        self.argv = list(argv)
        self.name = name
        self.log_path = os.path.join(workdir, name + ".log")
        self._log = open(self.log_path, "w")
        self.p = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def output(self):
        if not self._log.closed:
            self._log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout):
        """Waits until the log matches `pattern`; returns the match."""
        deadline = time.time() + timeout
        rx = re.compile(pattern, re.M)
        while time.time() < deadline:
            m = rx.search(self.output())
            if m:
                return m
            if not self.alive():
                break
            time.sleep(0.05)
        m = rx.search(self.output())
        if m:
            return m
        raise BenchError("%s: no '%s' within %.0f s (exit %s):\n%s" %
                         (self.name, pattern, timeout, self.p.poll(), self.output()[-3000:]))

    def wait(self, timeout):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signals the process by PID and waits; SIGKILL after `timeout`."""
        if self.p.poll() is None:
            try:
                self.p.send_signal(sig)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self._log.close()
        return self.p.returncode


class Workspace:
    """A temporary directory for logs, pcaps, sockets and JSON, and the list of
    everything started in it, stopped and removed on exit."""

    def __init__(self, keep=False):
        self.dir = tempfile.mkdtemp(prefix="synack-bench-")
        self.keep = keep
        self.procs = []
        self.prefixes = []
        self.netns = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, argv, name):
        p = Proc(argv, name, self.dir)
        self.procs.append(p)
        return p

    def file_prefix(self, name):
        prefix = unique("sabench-" + name + "-")
        self.prefixes.append(prefix)
        return prefix

    def stop_all(self):
        for p in reversed(self.procs):
            if p.alive():
                p.stop(signal.SIGKILL, timeout=5)
        self.procs = []
        for prefix in self.prefixes:
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        self.prefixes = []

    def cleanup(self):
        self.stop_all()
        for ns in reversed(self.netns):
            ns.delete()
        self.netns = []
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


class Netns:
    """A network namespace this suite made; `delete()` is idempotent."""

    def __init__(self, ws, tag):
        self.name = unique("sab" + tag)
        run(["ip", "netns", "add", self.name])
        ws.netns.append(self)
        self.deleted = False
        self.run(["ip", "link", "set", "lo", "up"])

    def cmd(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def run(self, argv, **kw):
        return run(self.cmd(argv), **kw)

    def sysctl(self, key, value):
        self.run(["sysctl", "-qw", "%s=%s" % (key, value)])

    def delete(self):
        if not self.deleted:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
            self.deleted = True


def read_sys(path):
    with open(path) as f:
        return f.read().strip()


def cpu_times(cpu):
    """(busy, softirq, total) jiffies of one CPU from /proc/stat."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                v = [int(x) for x in line.split()[1:]]
                idle = v[3] + v[4]
                return sum(v) - idle, v[6], sum(v)
    raise BenchError("no cpu%d in /proc/stat" % cpu)


def _cpu_pressure_us():
    """Microseconds, since boot, during which some runnable task waited for a CPU
    (PSI, /proc/pressure/cpu); None where the kernel has no PSI."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some"):
                    return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class Window:
    """A measured window: how long it lasted, and the share of it during which
    some task waited for a CPU. The suite pins one busy thread per CPU and its
    main lcores sleep, so waiting means another process wanted the CPUs: on a
    shared machine, the figure measured in the window is then a lower bound."""

    def __init__(self):
        self.t0 = time.time()
        self.p0 = _cpu_pressure_us()

    def close(self):
        dt = time.time() - self.t0
        p1 = _cpu_pressure_us()
        stall = (p1 - self.p0) / 1e6 / dt if p1 is not None and self.p0 is not None and dt else None
        return {"secs": dt, "cpu_wait_share": stall}


def proc_cpu_s(pid):
    """User + system CPU seconds of a process (all its threads) so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
