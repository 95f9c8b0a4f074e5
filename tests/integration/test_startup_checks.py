"""Issue 7: start-up checks in the style of test_flags: a bad combination
stops start-up with one line naming the flags; the good neighbour of each
bad value starts (on net_null, for one second), so a check that rejects
everything cannot pass."""
import os

from harness import SYNACK, check, remove_runtime_dir, run, unique

EAL = ["--no-huge", "-m", "256", "--no-pci", "-l", "0-1"]
# net_null: a port without any interface or traffic; its MTU is Ethernet's 1500.
EAL_PORT = EAL + ["--vdev=net_null0"]


def _synack(flags, eal):
    name = unique("sachk")
    argv = [SYNACK] + eal + ["--file-prefix=" + name, "--"] + flags
    try:
        return run(argv, check_rc=False, timeout=60)
    finally:
        remove_runtime_dir(name)


def _fails(flags, expect, eal=EAL, one_line=True):
    """Exit != 0 and one stderr line holding every string of `expect`; with
    one_line, that line is all of stderr (no EAL: checked before EAL starts)."""
    p = _synack(flags, eal)
    check(p.returncode != 0, "%s: exit 0" % flags)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ours = [l for l in lines if all(e in l for e in expect)]
    check(len(ours) == 1, "%s: want one line with %s in:\n%s" % (flags, expect, p.stderr))
    if one_line:
        check(len(lines) == 1, "%s: expected one line, got:\n%s" % (flags, p.stderr))


def _starts(flags):
    p = _synack(["--duration_s=1"] + flags, EAL_PORT)
    check(p.returncode == 0, "%s: exit %d:\n%s%s" % (flags, p.returncode, p.stdout[-1500:],
                                                     p.stderr[-1500:]))


def test_ip_prefix_out_of_range_or_not_a_number():
    for value in ("198.18.0.2/33", "198.18.0.2/x", "198.18.0.2/", "198.18.0.2/-1",
                  "198.18.0.2/24/24"):
        _fails(["--ip=" + value], ["--ip=" + value])


def test_ip_prefix_accepted():
    for value in ("198.18.0.2/24", "198.18.0.2/31", "198.18.0.2/32"):
        _starts(["--ip=" + value])


def test_mss_above_what_the_port_mtu_allows():
    # MTU 1500 - 20 (IPv4) - 20 (TCP) = 1460 (RFC 879, RFC 9293 3.7.1). The
    # port is known only once EAL runs, so EAL's own lines may precede ours.
    for mss in (1461, 9000):
        # --duration_s: an engine that does not refuse stops by itself.
        _fails(["--ip=198.18.0.2", "--mss=%d" % mss, "--duration_s=2"], ["--mss=%d" % mss],
               eal=EAL_PORT, one_line=False)
    _starts(["--ip=198.18.0.2", "--mss=1460"])


def _response_file(text):
    path = "/tmp/%s.http" % unique("saresp")
    with open(path, "wb") as f:
        f.write(text)
    return path


def test_passive_close_with_a_connection_close_response():
    closing = _response_file(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    keep = _response_file(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    try:
        _fails(["--ip=198.18.0.2", "--close=passive", "--response=" + closing],
               ["--close=passive", "--response=" + closing])
        _starts(["--ip=198.18.0.2", "--close=active", "--response=" + closing])
        _starts(["--ip=198.18.0.2", "--close=passive", "--response=" + keep])
    finally:
        os.unlink(closing)
        os.unlink(keep)
