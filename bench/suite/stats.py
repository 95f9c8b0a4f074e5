"""Parsing what synack and dpdk-testpmd print, and the steady-state figure of
a run: the median of its 1-second intervals once it is up to speed."""
import re
import statistics

SERVER_LINE = re.compile(
    r"^synack: rx (?P<rx>\d+) pps\s+tx (?P<tx>\d+) pps \| new conn (?P<new>\d+)/s\s+"
    r"est (?P<est>\d+)\s+tw (?P<tw>\d+)\s+half-open (?P<half>\d+)\s+flows (?P<flows>\d+) \| "
    r"syn (?P<syn>\d+)/s\s+cookies (?P<cookies>\d+)/s \(valid (?P<valid>\d+)/s", re.M)

CLIENT_LINE = re.compile(
    r"^client: started (?P<started>\d+) completed (?P<completed>\d+) failed (?P<failed>\d+)"
    r".*? cps (?P<cps>\d+) concurrency (?P<concurrency>\d+) connect p50 (?P<c50>\d+)us "
    r"p99 (?P<c99>\d+)us response p50 (?P<r50>\d+)us p99 (?P<r99>\d+)us", re.M)

TESTPMD_PPS = re.compile(r"Rx-pps:\s+(\d+).*?\n\s*Tx-pps:\s+(\d+)", re.S)


def server_intervals(text):
    """One dict of ints per periodic server stats line."""
    return [{k: int(v) for k, v in m.groupdict().items()} for m in SERVER_LINE.finditer(text)]


def client_intervals(text):
    return [{k: int(v) for k, v in m.groupdict().items()} for m in CLIENT_LINE.finditer(text)]


def testpmd_intervals(text):
    """(rx_pps, tx_pps) of each --stats-period block, summed over ports."""
    out = []
    for block in text.split("Port statistics ====")[1:]:
        pairs = TESTPMD_PPS.findall(block)
        if pairs:
            out.append((sum(int(r) for r, _ in pairs), sum(int(t) for _, t in pairs)))
    return out


def steady(values, skip=1):
    """The median of the non-zero values after the first `skip` non-zero ones
    (ramp-up); the last value is left out too when there are enough, since a
    run's final interval can be cut short by its stop. 0.0 when nothing is left."""
    vals = [float(v) for v in values if v > 0]
    vals = vals[skip:]
    if len(vals) > 3:
        vals = vals[:-1]
    return statistics.median(vals) if vals else 0.0


def spread(values, skip=1):
    """(min, max) of the same intervals `steady` takes the median of."""
    vals = [float(v) for v in values if v > 0][skip:]
    if len(vals) > 3:
        vals = vals[:-1]
    return (min(vals), max(vals)) if vals else (0.0, 0.0)



def best_of(n, run, key, between=None):
    """Runs `run` n times and returns the run with the highest `key`, with every
    run's key under "repeats". Other processes on a shared machine only ever
    slow a run down, so the best of a few is the closest to the machine's own
    figure; all of them stay in the results. A run that raises is recorded
    under "failed_repeats"; when all do, the last error is raised."""
    runs, failed, last = [], [], None
    for _ in range(n):
        try:
            runs.append(run())
        except Exception as e:  # noqa: BLE001 - kept, and raised if no run succeeds
            failed.append("%s: %s" % (type(e).__name__, e))
            last = e
        finally:
            if between:
                between()
    if not runs:
        raise last
    best = dict(max(runs, key=key))
    best["repeats"] = [key(r) for r in runs]
    if failed:
        best["failed_repeats"] = failed
    return best
