#!/usr/bin/env bash
# One benchmark run from a fresh clone (as root): builds with scripts/setup.sh,
# installs what the baselines need, then runs every scenario beside its
# baselines (bench/suite/run.py), prints one table, and writes
# bench/results/latest.json and bench/results/latest.png.
#   bash scripts/bench.sh                  everything (6-7 minutes on 2 vCPUs, plus the build)
#   bash scripts/bench.sh --only=a,linux   some scenarios: a ceiling linux b c d
#   bash scripts/bench.sh --help           the options
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ $(id -u) -ne 0 ]]; then
  echo "bench: run as root (network namespaces, DPDK without hugepages)" >&2
  exit 1
fi

bash scripts/setup.sh

# The baselines and the plot (testpmd comes with setup.sh's dpdk package).
missing=()
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || missing+=(python3-matplotlib)
command -v nginx >/dev/null || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d exit 101: the package's own nginx service is not started (the
  # baseline runs its own nginx inside a namespace).
  policy=/usr/sbin/policy-rc.d
  made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((made_policy)); then rm -f "$policy"; fi
fi

# Debian's python3 (matplotlib is its package), not another one on PATH.
exec /usr/bin/python3 bench/suite/run.py "$@"
