"""Issue 2: every bad flag or configuration value stops start-up with one line
naming the flag and the problem, before any packet is touched."""
from harness import SYNACK, check, remove_runtime_dir, run, unique

EAL = ["--no-huge", "-m", "256", "--no-pci", "-l", "0-1"]


def _fails(flags, expect, eal=None, one_line=True):
    name = unique("saflag")
    argv = [SYNACK] + (eal if eal is not None else EAL) + ["--file-prefix=" + name, "--"] + flags
    p = run(argv, check_rc=False, timeout=60)
    remove_runtime_dir(name)
    check(p.returncode != 0, "%s: exit 0" % flags)
    err_lines = [l for l in p.stderr.splitlines() if l.strip()]
    ours = [l for l in err_lines if expect in l]
    check(ours, "%s: no line containing %r in:\n%s" % (flags, expect, p.stderr))
    if one_line:
        check(len(err_lines) == 1, "%s: expected one line, got:\n%s" % (flags, p.stderr))


def test_bad_ip():
    _fails(["--ip=300.1.1.1"], "--ip=300.1.1.1: not a unicast IPv4 address")


def test_missing_ip():
    _fails([], "--ip is required")


def test_unknown_flag():
    _fails(["--ip=198.18.0.2", "--bogus_flag=1"], "bogus_flag")


def test_bad_ports():
    _fails(["--ip=198.18.0.2", "--ports=80,70000"], "--ports=80,70000")


def test_bad_syncookies():
    _fails(["--ip=198.18.0.2", "--syncookies=sometimes"], "--syncookies=sometimes")


def test_bad_close():
    _fails(["--ip=198.18.0.2", "--close=halfway"], "--close=halfway")


def test_backlog_above_max_flows():
    _fails(["--ip=198.18.0.2", "--max_flows=100", "--backlog=1000"], "--backlog=1000")


def test_bad_wscale():
    _fails(["--ip=198.18.0.2", "--wscale=15"], "--wscale=15")


def test_missing_response_file():
    _fails(["--ip=198.18.0.2", "--response=/nonexistent/file"], "--response=/nonexistent/file")


def test_limiter_entries_not_power_of_two():
    _fails(["--ip=198.18.0.2", "--syn_limiter_entries=1000"], "--syn_limiter_entries=1000")


def test_burst_without_rate():
    _fails(["--ip=198.18.0.2", "--syn_burst_per_source=5"], "--syn_burst_per_source=5")


def test_no_port_found():
    # EAL starts (no PCI, no vdev), then finds no port: EAL's own start-up
    # lines may precede ours.
    _fails(["--ip=198.18.0.2"], "no port found", one_line=False)


def test_too_little_memory():
    eal = ["--no-huge", "-m", "64", "--no-pci", "-l", "0-1", "--vdev=net_null0"]
    _fails(["--ip=198.18.0.2", "--num_mbufs=200000"], "--num_mbufs=200000", eal=eal,
           one_line=False)


def test_no_worker_lcore():
    eal = ["--no-huge", "-m", "256", "--no-pci", "-l", "0", "--vdev=net_null0"]
    _fails(["--ip=198.18.0.2"], "no worker lcore", eal=eal, one_line=False)


def test_cookie_rotation_too_fast():
    _fails(["--ip=198.18.0.2", "--cookie_rotate_s=10"], "--cookie_rotate_s=10")


def test_flow_table_too_big_for_memory():
    eal = ["--no-huge", "-m", "256", "--no-pci", "-l", "0-1", "--vdev=net_null0",
           "--log-level=lib.eal:error", "--log-level=lib.hash:error"]
    _fails(["--ip=198.18.0.2", "--max_flows=16000000"], "--max_flows=16000000: cannot allocate",
           eal=eal, one_line=False)
