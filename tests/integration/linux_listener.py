"""The Linux kernel as a TCP listener, for side-by-side comparison with synack.

Two namespaces joined by a veth pair: the listener namespace owns 198.18.0.2/24
(the address synack owns in the other tests) and runs a small Python socket
server on port 80; the peer namespace owns no address at all, so a raw
AF_PACKET peer there (segment_probe.Prober, from 198.18.0.77) is the only one
that answers anything. The listener has a permanent neighbour entry for the
peer, so it answers without ARP. TCP sysctls are set per namespace.
"""
import subprocess
import sys

from harness import Namespace, check, run, unique, wait_for
from rawtcp import PEER_IP

LISTEN_IP = "198.18.0.2"

SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(4096)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(1)
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    c.close()
"""


def _mac(ns, dev):
    out = ns.run(["cat", "/sys/class/net/%s/address" % dev]).stdout.strip()
    check(len(out) == 17, "no MAC for %s: %r" % (dev, out))
    return out


class LinuxListener:
    """Context manager. `peer_ns.name`, `iface` and `mac` are what a raw peer
    needs (namespace, interface to send on, listener MAC to send to)."""

    def __init__(self, syncookies, port=80, sysctls=()):
        self.syncookies = syncookies
        self.port = port
        self.sysctls = [
            "net.ipv4.tcp_syncookies=%d" % syncookies,
            "net.ipv4.tcp_timestamps=1",
            "net.ipv4.tcp_window_scaling=1",
            "net.ipv4.tcp_sack=1",
            # A few hundred half-open requests from one source must all get
            # their SYN-ACK: Linux drops SYNs from unproven peers once the SYN
            # queue is 3/4 of this when cookies are off.
            "net.ipv4.tcp_max_syn_backlog=4096",
        ] + list(sysctls)
        self.peer_ns = self.lst_ns = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self):
        self.peer_ns = Namespace().__enter__()
        self.lst_ns = Namespace().__enter__()
        self.iface, lst_if = unique("sap"), unique("sal")
        run(["ip", "link", "add", self.iface, "netns", self.peer_ns.name, "type", "veth",
             "peer", "name", lst_if, "netns", self.lst_ns.name])
        for ns, dev in ((self.peer_ns, self.iface), (self.lst_ns, lst_if)):
            ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev], check_rc=False)
            ns.run(["ip", "link", "set", dev, "up"])
        self.mac = _mac(self.lst_ns, lst_if)
        peer_mac = _mac(self.peer_ns, self.iface)
        self.lst_ns.run(["ip", "addr", "add", LISTEN_IP + "/24", "dev", lst_if])
        self.lst_ns.run(["ip", "neigh", "replace", PEER_IP, "lladdr", peer_mac, "dev", lst_if,
                         "nud", "permanent"])
        for s in self.sysctls:
            self.lst_ns.run(["sysctl", "-qw", s])
        self.server = self.lst_ns.popen([sys.executable, "-c", SERVER, str(self.port)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if self.server.stdout.readline().strip() != "listening":
            self.server.wait(timeout=5)
            check(False, "listener did not start: %s" % self.server.stderr.read())
        wait_for(lambda: ":%d" % self.port in self.lst_ns.run(["ss", "-ltnH"]).stdout, 5,
                 "the listener socket")

    def netstat(self):
        """The listener namespace's TCP MIB counters (nstat -asz), name -> value."""
        out = self.lst_ns.run(["nstat", "-asz"]).stdout
        vals = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                vals[parts[0]] = int(parts[1])
        return vals

    def __exit__(self, *exc):
        # Namespace exit kills what it started (the server) by PID, then
        # deleting the namespaces removes the veth pair.
        for ns in (self.lst_ns, self.peer_ns):
            if ns is not None:
                ns.__exit__(None, None, None)
        return False
