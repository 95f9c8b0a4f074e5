#!/usr/bin/env bash
# End-to-end SYN -> SYN-ACK rate on one worker lcore, beside dpdk-testpmd
# (macswap) on the same PMD, in one run: net_pcap replaying a pcap of SYNs
# from 4096 sources forever (infinite_rx=1), replies dropped by the PMD.
#   bash bench/throughput.sh [seconds per run, default 8]
# Needs the release build (scripts/setup.sh). Prints Mpps and the ratio.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-8}"
PCAP="/tmp/synack-bench-$$.pcap"
trap 'rm -rf "$PCAP" /var/run/dpdk/bench-tp-$$ /var/run/dpdk/bench-sa-$$' EXIT
# net_pcap's MAC is 02:70:63:61:70:00 ("\x02pcap\0"); the SYNs are sent to it.
"$ROOT/build/tests/tools/synflood" --pcap="$PCAP" --count=4096 --dst_mac=02:70:63:61:70:00 \
  --dst_ip=198.18.0.2 --dst_port=80 --src_net=198.18.128.0/17 >/dev/null
VDEV="net_pcap0,rx_pcap=$PCAP,infinite_rx=1"
EAL=(--no-huge -m 1024 --no-pci -l 0-1 --vdev="$VDEV")

# With --stats-period testpmd prints every 2 s until SIGINT (3 s more for start-up).
timeout -s INT "$((SECS + 3))" dpdk-testpmd "${EAL[@]}" --file-prefix=bench-tp-$$ -- \
  --forward-mode=macswap --stats-period=2 --auto-start --nb-cores=1 >"$PCAP.tp" 2>&1 || true
tp=$(cat "$PCAP.tp")
rm -f "$PCAP.tp"
out=$(timeout $((SECS + 20)) "$ROOT/build/engine/synack" "${EAL[@]}" --file-prefix=bench-sa-$$ -- \
        --ip=198.18.0.2 --syncookies=always --duration_s="$SECS" --stats_interval_s=2 2>/dev/null)

# The median of the non-zero 2-second intervals of each.
python3 - <<PY
import re, statistics
def med(vals):
    vals = [float(v) for v in vals if float(v) > 0]
    return statistics.median(vals) if vals else 0.0
tp = med(re.findall(r"Rx-pps:\s+(\d+)", """$tp"""))
sa = med(re.findall(r"rx (\d+) pps", """$out"""))
tx = med(re.findall(r"tx (\d+) pps", """$out"""))
print("testpmd macswap (1 lcore):              %6.2f Mpps" % (tp / 1e6))
print("synack SYN -> cookie SYN-ACK (1 lcore): %6.2f Mpps in, %6.2f Mpps SYN-ACKs out" % (sa / 1e6, tx / 1e6))
print("ratio synack/testpmd: %.2f" % (sa / tp if tp else 0))
PY
