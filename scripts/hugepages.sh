#!/usr/bin/env bash
# Reserves hugepages for a deployment (not needed for the demo or tests, which
# run with --no-huge):  scripts/hugepages.sh [SIZE, default 2G]
set -euo pipefail
size="${1:-2G}"
command -v dpdk-hugepages.py >/dev/null || { echo "dpdk-hugepages.py missing: run scripts/setup.sh" >&2; exit 1; }
dpdk-hugepages.py --setup "$size"
dpdk-hugepages.py --show
