"""One benchmark run: every scenario of issue 10 beside its baselines, then
the table, bench/results/latest.json and bench/results/latest.png.

    /usr/bin/python3 bench/suite/run.py [--only=a,ceiling,linux,b,c,d] [--secs=8]

scripts/bench.sh builds first and calls this; bench/throughput.sh calls it
with --only=a. Needs root (namespaces, DPDK without hugepages).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lifecycle  # noqa: E402
import linux  # noqa: E402
import pmd  # noqa: E402
import report  # noqa: E402
import stats  # noqa: E402
from procs import ROOT, SYNACK, SYNFLOOD, Workspace  # noqa: E402

ALL = ("a", "ceiling", "linux", "b", "c", "d")


def machine():
    out = {"cpus": os.cpu_count(), "kernel": platform.release(), "loadavg_start": _load()}
    try:
        ls = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in ls.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == "Model name":
                out["cpu_model"] = v.strip()
            if k.strip() == "Hypervisor vendor":
                out["hypervisor"] = v.strip()
            if k.strip() in ("L2 cache", "L3 cache"):
                out[k.strip().replace(" ", "_").lower()] = v.strip()
            if k.strip() == "Flags":
                flags = v.split()
                out["avx512f"] = "avx512f" in flags
                out["avx2"] = "avx2" in flags
    except OSError:
        pass
    out["dpdk"] = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                                 text=True).stdout.strip()
    with open("/proc/meminfo") as f:
        out["mem_total_kib"] = int(f.readline().split()[1])
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True)
    out["commit"] = git.stdout.strip()
    return out


def _load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def step(results, key, fn, log):
    t0 = time.time()
    log("[%s] ..." % key)
    try:
        results[key] = fn()
    except Exception as e:  # one failed scenario must not lose the others' figures
        results[key] = {"error": "%s: %s" % (type(e).__name__, e),
                        "trace": traceback.format_exc()[-4000:]}
        log("[%s] FAILED: %s" % (key, str(e).splitlines()[0] if str(e) else type(e).__name__))
    log("[%s] %.0f s" % (key, time.time() - t0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(ALL), help="comma list of " + ",".join(ALL))
    ap.add_argument("--secs", type=int, default=8, help="measured seconds of each flood run")
    ap.add_argument("--cps-secs", type=int, default=10, help="seconds of each client run")
    ap.add_argument("--pcaps", default="4096,65536", help="SYNs in the replayed pcaps")
    ap.add_argument("--hold", type=int, default=lifecycle.HOLD,
                    help="connections held open in scenario c")
    ap.add_argument("--repeats", type=int, default=2,
                    help="runs of each measurement; the best is reported, all are kept")
    ap.add_argument("--concurrency", type=int, default=256,
                    help="client connections open at once in the CPS runs")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--no-save", action="store_true", help="print the table only")
    ap.add_argument("--keep-logs", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    bad = [s for s in only if s not in ALL]
    if bad:
        ap.error("unknown scenario %s" % ",".join(bad))
    if os.geteuid() != 0:
        sys.exit("bench: run as root (network namespaces, DPDK)")
    for exe in (SYNACK, SYNFLOOD):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s missing: run scripts/setup.sh" % exe)

    def log(msg):
        print("bench: " + msg, file=sys.stderr, flush=True)

    t_start = time.time()
    res = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "bash scripts/bench.sh" + "".join(" " + shlex.quote(a) for a in sys.argv[1:]),
        "machine": machine(),
        "settings": {"secs": args.secs, "cps_secs": args.cps_secs, "pcaps": args.pcaps,
                     "hold": args.hold, "concurrency": args.concurrency,
                     "repeats": args.repeats},
        "scenarios": {},
    }
    sc = res["scenarios"]
    pcaps = [int(x) for x in args.pcaps.split(",") if x]
    with Workspace(keep=args.keep_logs) as ws:

        def rep(run, key):
            return stats.best_of(args.repeats, run, lambda r: r[key], between=ws.stop_all)

        if args.keep_logs:
            log("logs in " + ws.dir)
        if "a" in only:
            sc["a"] = {}
            for n in pcaps:
                pcap = pmd.flood_pcap(ws, n)
                d = sc["a"].setdefault(str(n), {})
                for mode in ("macswap", "io"):
                    step(d, "testpmd_" + mode,
                         lambda: rep(lambda: pmd.testpmd_pcap(ws, pcap, n, mode, args.secs),
                                     "pps"), log)
                for key, wide in (("default", False), ("avx512", True)):
                    step(d, key,
                         lambda: rep(lambda: pmd.synack_flood(ws, pcap, n, args.secs, wide),
                                     "synack_pps"), log)
        if "ceiling" in only:
            step(sc, "ceiling", lambda: rep(lambda: pmd.testpmd_memif_io(ws, args.secs),
                                            "packets_pps"), log)
            step(sc, "ceiling_looped",
                 lambda: rep(lambda: pmd.testpmd_memif_looped(ws, args.secs), "packets_pps"),
                 log)
        if "linux" in only:
            step(sc, "linux_syn", lambda: rep(lambda: linux.syn_cookie_rate(ws, args.secs),
                                              "synack_pps"), log)
            step(sc, "linux_cps", lambda: rep(lambda: linux.connection_rate(ws, args.cps_secs),
                                              "cps"), log)
        step(sc, "memory", lambda: pmd.memory_run(ws, args.hold + args.hold // 10), log)
        ws.stop_all()
        n = args.repeats
        if "b" in only:
            step(sc, "b", lambda: lifecycle.scenario_b(ws, args.cps_secs, args.concurrency, n),
                 log)
            ws.stop_all()
        if "c" in only:
            step(sc, "c", lambda: lifecycle.scenario_c(ws, args.cps_secs, args.concurrency, n,
                                                       hold=args.hold), log)
            ws.stop_all()
        if "d" in only:
            step(sc, "d", lambda: lifecycle.scenario_d(ws, args.cps_secs, args.concurrency, n),
                 log)
            ws.stop_all()
    res["machine"]["loadavg_end"] = _load()
    res["elapsed_s"] = time.time() - t_start
    flat = report.flatten(res)
    out = dict(flat)
    out.update(res)
    print(report.table(res, flat))
    if not args.no_save:
        os.makedirs(args.out, exist_ok=True)
        jpath = os.path.join(args.out, "latest.json")
        with open(jpath, "w") as f:
            json.dump(out, f, indent=1, sort_keys=False)
            f.write("\n")
        with open(os.path.join(args.out, "latest.txt"), "w") as f:
            f.write(report.table(res, flat) + "\n")
        ppath = os.path.join(args.out, "latest.png")
        try:
            import plot
            plot.draw(res, flat, ppath)
        except ImportError as e:
            log("no plot (%s): install python3-matplotlib" % e)
        log("wrote %s, latest.txt and %s" % (jpath, ppath))
    return 1 if report.errors(sc) else 0


if __name__ == "__main__":
    sys.exit(main())
