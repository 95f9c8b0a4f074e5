"""The figures of one run: the flat keys of bench/results/latest.json, the
ratios against each baseline, the targets (each marked met or missed, never
dropped), and the table printed at the end."""
import os
import re

from procs import ROOT

# Targets per core, as ratios measured in the same run (issue 10).
TARGETS = [
    # key in ratios, comparison, bound, what
    ("synflood_vs_testpmd_macswap", ">=", 0.7, "SYN flood vs testpmd macswap (net_pcap)"),
    ("synflood_vs_linux", ">=", 30.0, "SYN flood vs Linux SYN cookies"),
    ("cps_vs_linux", ">=", 100.0, "whole connections/s vs Linux (nginx)"),
    ("server_packets_vs_testpmd_io_memif", ">=", 0.5, "server lcore packets vs testpmd io (memif)"),
]
MEMORY_TARGETS = [
    ("flow_record_bytes", "<=", 64, "established-flow record"),
    ("time_wait_entry_bytes", "<=", 32, "TIME-WAIT entry"),
]


def record_sizes():
    """The record sizes the engine's headers assert (static_assert), read from
    the source so the report cannot drift from the code."""
    out = {}
    try:
        with open(os.path.join(ROOT, "engine/flow/flow_record.h")) as f:
            m = re.search(r"static_assert\(sizeof\(FlowRecord\) == (\d+)", f.read())
            out["flow_record_bytes"] = int(m.group(1)) if m else None
        with open(os.path.join(ROOT, "engine/flow/time_wait_store.h")) as f:
            m = re.search(r"kEntryBytes = (\d+)", f.read())
            out["time_wait_entry_bytes"] = int(m.group(1)) if m else None
    except OSError:
        pass
    return out


def _get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _ratio(a, b):
    return a / b if a and b else None


def flatten(res):
    """The required flat keys from the per-scenario results."""
    sc = res["scenarios"]
    flat = {}
    a = sc.get("a", {})
    flat["synack_synack_pps_per_core"] = _get(a, "65536", "default", "synack_pps")
    flat["synack_synack_pps_per_core_avx512"] = _get(a, "65536", "avx512", "synack_pps")
    flat["synack_synack_pps_per_core_4096"] = _get(a, "4096", "default", "synack_pps")
    flat["synack_synack_pps_per_core_4096_avx512"] = _get(a, "4096", "avx512", "synack_pps")
    flat["testpmd_macswap_pps_per_core"] = _get(a, "65536", "testpmd_macswap", "pps")
    flat["testpmd_io_pps_per_core"] = _get(a, "65536", "testpmd_io", "pps")
    flat["testpmd_macswap_pps_per_core_4096"] = _get(a, "4096", "testpmd_macswap", "pps")
    flat["testpmd_io_pps_per_core_4096"] = _get(a, "4096", "testpmd_io", "pps")
    flat["testpmd_io_memif_pps_per_core"] = _get(sc, "ceiling", "io_pps")
    flat["testpmd_io_memif_packets_per_core"] = _get(sc, "ceiling", "packets_pps")
    flat["testpmd_io_memif_looped_packets_per_core"] = _get(sc, "ceiling_looped", "packets_pps")
    flat["linux_synack_pps_per_core"] = _get(sc, "linux_syn", "synack_pps")
    soft = _get(sc, "linux_syn", "server_cpu_softirq")
    flat["linux_synack_pps_per_core_cpu_normalised"] = (
        flat["linux_synack_pps_per_core"] / soft if flat["linux_synack_pps_per_core"] and soft
        else None)
    flat["synack_cps_per_core"] = _get(sc, "b", "client", "cps")
    flat["synack_server_packets_per_core"] = _get(sc, "b", "server", "packets_pps")
    flat["synack_server_packets_per_core_under_flood"] = _get(sc, "d", "server", "packets_pps")
    flat["synack_cps_per_core_1m_held"] = _get(sc, "c", "client", "cps")
    flat["synack_cps_per_core_under_flood"] = _get(sc, "d", "client", "cps")
    flat["flood_synack_pps_during_d"] = _get(sc, "d", "server", "cookies_per_s")
    flat["linux_cps_per_core"] = _get(sc, "linux_cps", "cps")
    share = (_get(sc, "linux_cps", "server_cpu_nginx") or 0) + (
        _get(sc, "linux_cps", "server_cpu_softirq") or 0)
    flat["linux_cps_per_core_cpu_normalised"] = (flat["linux_cps_per_core"] / share
                                                 if flat["linux_cps_per_core"] and share
                                                 else None)
    for s, tag in (("b", ""), ("c", "_1m_held"), ("d", "_under_flood")):
        flat["cps_connect_latency_us" + tag] = _get(sc, s, "client", "connect_latency_us")
        flat["cps_response_latency_us" + tag] = _get(sc, s, "client", "response_latency_us")
    # Memory per flow: synack's JSON at the capacity of (c).
    rep = sc.get("memory") or {}
    if rep.get("flow_capacity"):
        flat["bytes_per_established_flow"] = rep["flow_table_bytes"] / rep["flow_capacity"]
        flat["flow_capacity"] = rep["flow_capacity"]
    else:
        flat["bytes_per_established_flow"] = None
    if rep.get("time_wait_capacity"):
        flat["bytes_per_time_wait_flow"] = rep["time_wait_bytes"] / rep["time_wait_capacity"]
        flat["time_wait_capacity"] = rep["time_wait_capacity"]
    else:
        flat["bytes_per_time_wait_flow"] = None
    flat.update(record_sizes())
    if flat.get("bytes_per_established_flow") and flat.get("flow_record_bytes"):
        flat["established_flow_table_overhead_bytes"] = (flat["bytes_per_established_flow"] -
                                                         flat["flow_record_bytes"])
    if flat.get("bytes_per_time_wait_flow") and flat.get("time_wait_entry_bytes"):
        flat["time_wait_index_overhead_bytes"] = (flat["bytes_per_time_wait_flow"] -
                                                  flat["time_wait_entry_bytes"])

    ratios = {
        "synflood_vs_testpmd_macswap": _ratio(flat["synack_synack_pps_per_core"],
                                              flat["testpmd_macswap_pps_per_core"]),
        "synflood_vs_testpmd_io": _ratio(flat["synack_synack_pps_per_core"],
                                         flat["testpmd_io_pps_per_core"]),
        "synflood_avx512_vs_avx2": _ratio(flat["synack_synack_pps_per_core_avx512"],
                                          flat["synack_synack_pps_per_core"]),
        "synflood_vs_linux": _ratio(flat["synack_synack_pps_per_core"],
                                    flat["linux_synack_pps_per_core"]),
        "synflood_vs_linux_cpu_normalised": _ratio(
            flat["synack_synack_pps_per_core"], flat["linux_synack_pps_per_core_cpu_normalised"]),
        "cps_vs_linux": _ratio(flat["synack_cps_per_core"], flat["linux_cps_per_core"]),
        "cps_vs_linux_cpu_normalised": _ratio(flat["synack_cps_per_core"],
                                              flat["linux_cps_per_core_cpu_normalised"]),
        "server_packets_vs_testpmd_io_memif": _ratio(flat["synack_server_packets_per_core"],
                                                     flat["testpmd_io_memif_packets_per_core"]),
        "server_packets_vs_testpmd_io_memif_looped": _ratio(
            flat["synack_server_packets_per_core"],
            flat["testpmd_io_memif_looped_packets_per_core"]),
        "server_packets_under_flood_vs_testpmd_io_memif": _ratio(
            flat["synack_server_packets_per_core_under_flood"],
            flat["testpmd_io_memif_packets_per_core"]),
        "cps_1m_held_vs_none": _ratio(flat["synack_cps_per_core_1m_held"],
                                      flat["synack_cps_per_core"]),
        "cps_under_flood_vs_none": _ratio(flat["synack_cps_per_core_under_flood"],
                                          flat["synack_cps_per_core"]),
    }
    flat["ratios"] = ratios
    targets = []
    for key, op, bound, what in TARGETS:
        v = ratios.get(key)
        targets.append({"what": what, "ratio": key, "value": v, "target": "%s %g" % (op, bound),
                        "met": None if v is None else v >= bound})
    for key, op, bound, what in MEMORY_TARGETS:
        v = flat.get(key)
        targets.append({"what": what, "bytes": key, "value": v, "target": "%s %g" % (op, bound),
                        "met": None if v is None else v <= bound})
    flat["targets"] = targets
    return flat


def errors(d, path=""):
    """(path, message) of every run that failed, however deep in the results."""
    out = []
    if isinstance(d, dict):
        if "error" in d:
            return [(path or "run", d["error"])]
        for k, v in d.items():
            out += errors(v, (path + "." if path else "") + str(k))
    return out


NOISY = 0.05


def _wait(d):
    """' *' when another process wanted the CPUs for more than NOISY of the run."""
    share = _get(d, "window", "cpu_wait_share")
    return " *" if share is not None and share > NOISY else ""


def _mpps(v):
    return "%.2f Mpps" % (v / 1e6) if v else "n/a"


def _kcps(v):
    if not v:
        return "n/a"
    return "%.1fk conn/s" % (v / 1e3) if v < 1e6 else "%.2fM conn/s" % (v / 1e6)


def _x(v):
    return "%.2fx" % v if v is not None else "n/a"


def _mark(met):
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def _lat(d):
    if not d:
        return "n/a"
    return "p50 %s p99 %s p99.9 %s max %s us" % (d.get("p50"), d.get("p99"), d.get("p999"),
                                                 d.get("max"))


def table(res, flat):
    m = res["machine"]
    r = flat["ratios"]
    sc = res["scenarios"]
    lines = []
    lines.append("synack benchmark  %s" % res["date"])
    lines.append("CPU: %s, %s vCPUs; kernel %s; DPDK %s; load average at start %s, at end %s" %
                 (m.get("cpu_model"), m.get("cpus"), m.get("kernel"), m.get("dpdk"),
                  m.get("loadavg_start"), m.get("loadavg_end")))
    lines.append("each figure: one engine (or testpmd) lcore on its own CPU; median of the "
                 "steady 1 s intervals")
    lines.append("")
    w = "%-52s %-16s %-34s %-9s %s"
    lines.append(w % ("scenario (per core)", "synack", "baseline", "ratio", "target"))
    lines.append("-" * 130)

    def row(*cols):
        # A row none of whose figures was measured in this run is left out.
        if (cols[1] and "n/a" not in cols[1]) or "n/a" not in cols[2]:
            lines.append(w % cols)

    def tgt(key):
        for t in flat["targets"]:
            if t.get("ratio") == key:
                return "%s: %s" % (t["target"], _mark(t["met"]))
        return ""

    for n in ("4096", "65536"):
        for simd in ("default", "avx512"):
            v = _get(sc, "a", n, simd, "synack_pps")
            var = _get(sc, "a", n, simd, "siphash") or "?"
            tp = _get(sc, "a", n, "testpmd_macswap", "pps")
            io = _get(sc, "a", n, "testpmd_io", "pps")
            label = "(a) SYN flood, %s sources, SipHash %s" % (n, var)
            row(label, _mpps(v) + _wait(_get(sc, "a", n, simd)),
                              "testpmd macswap " + _mpps(tp) +
                              _wait(_get(sc, "a", n, "testpmd_macswap")), _x(_ratio(v, tp)),
                              tgt("synflood_vs_testpmd_macswap") if (n, simd) == ("65536",
                                                                                   "default")
                              else "")
            row("", "", "testpmd io      " + _mpps(io) +
                              _wait(_get(sc, "a", n, "testpmd_io")), _x(_ratio(v, io)), "")
    ls = sc.get("linux_syn", {})
    row("(a) vs Linux tcp_syncookies=2, 65536 sources",
                      _mpps(flat["synack_synack_pps_per_core"]),
                      "Linux " + _mpps(flat["linux_synack_pps_per_core"]) + _wait(ls),
                      _x(r["synflood_vs_linux"]), tgt("synflood_vs_linux"))
    if ls.get("server_cpu_softirq") is not None:
        row("    Linux, per 100 % softirq of its core (estimate)", "",
                          "Linux " + _mpps(flat["linux_synack_pps_per_core_cpu_normalised"]),
                          _x(r["synflood_vs_linux_cpu_normalised"]),
                          "(CPU 1: %.0f %% busy, %.0f %% softirq; flood offered %s)" %
                          (100 * ls["server_cpu_busy"], 100 * ls["server_cpu_softirq"],
                           _mpps(ls.get("syn_pps_offered"))))
    row("(a) AVX-512 vs AVX2 SipHash, 65536 sources",
                      _mpps(flat["synack_synack_pps_per_core_avx512"]),
                      "AVX2 " + _mpps(flat["synack_synack_pps_per_core"]),
                      _x(r["synflood_avx512_vs_avx2"]), "")
    row("(b) whole connections over memif (client->server)",
                      _kcps(flat["synack_cps_per_core"]) + _wait(sc.get("b")),
                      "Linux nginx " + _kcps(flat["linux_cps_per_core"]) +
                      _wait(sc.get("linux_cps")), _x(r["cps_vs_linux"]),
                      tgt("cps_vs_linux"))
    lc = sc.get("linux_cps", {})
    if lc.get("server_cpu_nginx") is not None:
        row("    Linux, per 100 % of its core (estimate)", "",
                          "Linux nginx " + _kcps(flat["linux_cps_per_core_cpu_normalised"]),
                          _x(r["cps_vs_linux_cpu_normalised"]),
                          "(CPU 1: nginx %.0f %%, softirq %.0f %%)" %
                          (100 * lc["server_cpu_nginx"], 100 * lc["server_cpu_softirq"]))
    row("(b) server lcore packets (rx+tx) on memif",
                      _mpps(flat["synack_server_packets_per_core"]),
                      "testpmd io " + _mpps(flat["testpmd_io_memif_packets_per_core"]) +
                      _wait(sc.get("ceiling")),
                      _x(r["server_packets_vs_testpmd_io_memif"]),
                      tgt("server_packets_vs_testpmd_io_memif"))
    row("    the same in (d), saturated by the flood",
        _mpps(flat["synack_server_packets_per_core_under_flood"]),
        "testpmd io " + _mpps(flat["testpmd_io_memif_packets_per_core"]),
        _x(r["server_packets_under_flood_vs_testpmd_io_memif"]), "")
    row("    testpmd io looped in one process (no 2nd core)", "",
                      "testpmd io " + _mpps(flat["testpmd_io_memif_looped_packets_per_core"]),
                      _x(r["server_packets_vs_testpmd_io_memif_looped"]), "(upper bound)")
    held = _get(sc, "c", "held") or {}
    row("(c) the same beside %s held connections" %
                      ("{:,}".format(held.get("established_before", 0)) if held else "1M"),
                      _kcps(flat["synack_cps_per_core_1m_held"]) + _wait(sc.get("c")),
                      "(b) " + _kcps(flat["synack_cps_per_core"]), _x(r["cps_1m_held_vs_none"]),
                      "holds: " + ("yes" if (r["cps_1m_held_vs_none"] or 0) >= 0.9 else "no")
                      if r["cps_1m_held_vs_none"] else "")
    row("(d) the same under the 65536-source flood",
                      _kcps(flat["synack_cps_per_core_under_flood"]) + _wait(sc.get("d")),
                      "(b) " + _kcps(flat["synack_cps_per_core"]),
                      _x(r["cps_under_flood_vs_none"]),
                      "flood answered: " + _mpps(flat["flood_synack_pps_during_d"]))
    lines.append("")
    reps = res.get("settings", {}).get("repeats", 1)
    lines.append("each figure is the best of %d runs (all in the JSON under 'repeats'); * = "
                 "other processes wanted the CPUs for more than %d %% of that run "
                 "(/proc/pressure/cpu): a lower bound" % (reps, 100 * NOISY))
    if any(_get(sc, k, "client") for k in ("b", "c", "d")) or sc.get("linux_cps"):
        lines.append("")
        lines.append("client latency (closed loop, %s open):" %
                     (res.get("settings", {}).get("concurrency")))
    for s, label in (("b", "(b)"), ("c", "(c) 1M held"), ("d", "(d) under flood")):
        if not _get(sc, s, "client"):
            continue
        lines.append("  %-16s connect  %s" % (label, _lat(_get(sc, s, "client",
                                                                  "connect_latency_us"))))
        lines.append("  %-16s response %s" % ("", _lat(_get(sc, s, "client",
                                                              "response_latency_us"))))
    lc = sc.get("linux_cps", {})
    if lc.get("latency"):
        lines.append("  %-16s wrk: mean %.0f us, max %.0f us (request latency)" %
                     ("Linux nginx", lc["latency"].get("mean_us", 0),
                      lc["latency"].get("max_us", 0)))
    lines.append("")
    lines.append("memory per flow (server JSON: flow_table_bytes/flow_capacity, "
                 "time_wait_bytes/time_wait_capacity):")
    for t in flat["targets"]:
        if "bytes" not in t:
            continue
        lines.append("  %-32s %s B  target %s: %s" % (t["what"], t["value"], t["target"],
                                                    _mark(t["met"])))
    if flat.get("bytes_per_established_flow"):
        lines.append("  established flow, with the table:  %.1f B (record %s B + %.1f B of "
                     "rte_hash key slots and buckets, key array, used byte) at capacity %s" %
                     (flat["bytes_per_established_flow"], flat.get("flow_record_bytes"),
                      flat.get("established_flow_table_overhead_bytes", 0),
                      "{:,}".format(flat.get("flow_capacity", 0))))
    if flat.get("bytes_per_time_wait_flow"):
        lines.append("  TIME-WAIT entry, with the index:   %.1f B (entry %s B + %.1f B of FIFO "
                     "link and hash index) at capacity %s" %
                     (flat["bytes_per_time_wait_flow"], flat.get("time_wait_entry_bytes"),
                      flat.get("time_wait_index_overhead_bytes", 0),
                      "{:,}".format(flat.get("time_wait_capacity", 0))))
    errs = errors(sc)
    if errs:
        lines.append("")
        for k, e in errs:
            lines.append("%s FAILED: %s" % (k, e.splitlines()[0][:200]))
    lines.append("")
    lines.append("took %.0f s" % res.get("elapsed_s", 0))
    return "\n".join(lines)
