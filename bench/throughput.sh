#!/usr/bin/env bash
# End-to-end SYN -> SYN-ACK rate on one worker lcore, beside dpdk-testpmd
# (macswap and io) on the same PMD, in one run: net_pcap replaying a pcap of
# SYNs from 4096 sources forever (infinite_rx=1), replies dropped by the PMD.
# This is scenario (a) of the benchmark suite (bench/suite/run.py, which
# scripts/bench.sh runs whole); it prints the table and saves nothing.
#   bash bench/throughput.sh [seconds per run, default 8]
# Needs the release build (scripts/setup.sh) and root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec /usr/bin/python3 "$ROOT/bench/suite/run.py" --only=a --pcaps=4096 --secs="${1:-8}" --no-save
