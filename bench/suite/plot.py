"""bench/results/latest.png: synack beside each baseline, per scenario."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SYNACK = "#1f77b4"
CEILING = "#7f7f7f"
LINUX = "#d62728"


def _target(ax, y, text):
    if y:
        ax.axhline(y, color="#2ca02c", linestyle="--", linewidth=1)
        ax.annotate(text, xy=(0.99, y), xycoords=("axes fraction", "data"), ha="right",
                    va="bottom", fontsize=7, color="#2ca02c",
                    bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1))


def _bars(ax, labels, values, colors, unit, fmt, log=True):
    keep = [i for i, v in enumerate(values) if v]
    labels = [labels[i] for i in keep]
    colors = [colors[i] for i in keep]
    values = [values[i] for i in keep]
    xs = range(len(labels))
    vals = [v or 0 for v in values]
    bars = ax.bar(xs, vals, color=colors)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    if log and any(v > 0 for v in vals):
        ax.set_yscale("log")
    for b, v in zip(bars, values):
        ax.annotate(fmt(v) if v else "n/a", (b.get_x() + b.get_width() / 2, max(v or 0, 1e-9)),
                    ha="center", va="bottom", fontsize=7)
    ax.grid(axis="y", alpha=0.3)


def draw(res, flat, path):
    sc = res["scenarios"]
    a = sc.get("a", {})
    fig, axes = plt.subplots(2, 2, figsize=(14, 10))
    m = res["machine"]
    fig.suptitle("synack, one lcore per role - %s, %s vCPUs, %s\n%s" %
                 (m.get("cpu_model"), m.get("cpus"), res["date"], res.get("command", "")),
                 fontsize=10)

    # (a) SYN flood
    labels, vals, colors = [], [], []
    for n in ("4096", "65536"):
        for key, lab, col in (("default", "synack %s", SYNACK), ("avx512", "synack %s", SYNACK),
                              ("testpmd_macswap", "testpmd macswap", CEILING),
                              ("testpmd_io", "testpmd io", CEILING)):
            d = a.get(n, {}).get(key, {})
            v = d.get("synack_pps") if key in ("default", "avx512") else d.get("pps")
            name = lab % d.get("siphash", key) if "%s" in lab else lab
            labels.append("%s\n%s src" % (name, n))
            vals.append(v)
            colors.append(col)
    labels.append("Linux\nsyncookies=2")
    vals.append(flat.get("linux_synack_pps_per_core"))
    colors.append(LINUX)
    ax = axes[0][0]
    _bars(ax, labels, vals, colors, "packets/s (log)", lambda v: "%.2fM" % (v / 1e6))
    r = flat["ratios"]
    mac = a.get("65536", {}).get("testpmd_macswap", {}).get("pps")
    _target(ax, mac and 0.7 * mac, "target: 0.7 x testpmd macswap (65536 src)")
    lin = flat.get("linux_synack_pps_per_core")
    _target(ax, lin and 30 * lin, "target: 30 x Linux")
    ax.set_title("(a) SYN flood -> cookie SYN-ACKs, net_pcap replay\n"
                 "synack/macswap %s, synack/Linux %s" %
                 (_x(r.get("synflood_vs_testpmd_macswap")), _x(r.get("synflood_vs_linux"))),
                 fontsize=9)

    # connections per second
    ax = axes[0][1]
    _bars(ax, ["(b) synack\nmemif", "(c) synack\n1M held", "(d) synack\nunder flood",
               "Linux nginx\nveth"],
          [flat.get("synack_cps_per_core"), flat.get("synack_cps_per_core_1m_held"),
           flat.get("synack_cps_per_core_under_flood"), flat.get("linux_cps_per_core")],
          [SYNACK, SYNACK, SYNACK, LINUX], "connections/s (log)", lambda v: "%.0fk" % (v / 1e3))
    lin = flat.get("linux_cps_per_core")
    _target(ax, lin and 100 * lin, "target: 100 x Linux")
    ax.set_title("Whole connections per server core (SYN .. FIN, one GET)\n"
                 "synack/Linux %s, 1M held %s, under flood %s" %
                 (_x(r.get("cps_vs_linux")), _x(r.get("cps_1m_held_vs_none")),
                  _x(r.get("cps_under_flood_vs_none"))), fontsize=9)

    # link ceiling
    ax = axes[1][0]
    _bars(ax, ["synack server\nrx+tx (b)", "testpmd io\nrx+tx"],
          [flat.get("synack_server_packets_per_core"),
           flat.get("testpmd_io_memif_packets_per_core")], [SYNACK, CEILING],
          "packets/s", lambda v: "%.2fM" % (v / 1e6), log=False)
    io = flat.get("testpmd_io_memif_packets_per_core")
    _target(ax, io and 0.5 * io, "target: 0.5 x testpmd io")
    ax.set_title("Server lcore packets on the memif link vs testpmd io\nratio %s" %
                 _x(r.get("server_packets_vs_testpmd_io_memif")), fontsize=9)

    # latency
    ax = axes[1][1]
    groups = [("b", "(b)"), ("c", "(c) 1M held"), ("d", "(d) flood")]
    pcts = ("p50", "p99", "p999")
    width = 0.13
    for gi, (s, lab) in enumerate(groups):
        c = sc.get(s, {}).get("client", {})
        for ki, kind in enumerate(("connect_latency_us", "response_latency_us")):
            d = c.get(kind) or {}
            for pi, p in enumerate(pcts):
                x = gi + (ki * 3 + pi - 2.5) * width
                v = d.get(p) or 0
                ax.bar(x, v, width, color=("#1f77b4", "#ff7f0e")[ki], alpha=0.4 + 0.3 * pi)
                if v:
                    ax.annotate(str(v), (x, v), ha="center", va="bottom", fontsize=6)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g[1] for g in groups])
    ax.set_ylabel("microseconds (log)")
    if any(_get_lat(sc, g) for g, _ in groups):
        ax.set_yscale("log")
    ax.set_title("Client latency, connect (blue) and response (orange): p50, p99, p99.9",
                 fontsize=9)
    ax.grid(axis="y", alpha=0.3)

    fig.tight_layout(rect=(0, 0, 1, 0.94))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _x(v):
    return "%.2fx" % v if v is not None else "n/a"


def _get_lat(sc, s):
    c = sc.get(s, {}).get("client", {})
    return any((c.get(k) or {}).get("p50") for k in ("connect_latency_us", "response_latency_us"))
