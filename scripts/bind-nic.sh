#!/usr/bin/env bash
# Binds a NIC to vfio-pci for DPDK:  scripts/bind-nic.sh PCI_ADDRESS  (e.g. 0000:3b:00.0)
# Without an argument, lists the network devices and their drivers.
set -euo pipefail
command -v dpdk-devbind.py >/dev/null || { echo "dpdk-devbind.py missing: run scripts/setup.sh" >&2; exit 1; }
if [[ $# -eq 0 ]]; then
  dpdk-devbind.py --status-dev net
  exit 0
fi
modprobe vfio-pci
dpdk-devbind.py --bind=vfio-pci "$1"
dpdk-devbind.py --status-dev net
