#!/usr/bin/env bash
# Runs every test: unit tests, integration tests (Linux kernel as the peer over
# net_tap in network namespaces), the unit tests again under ASan+UBSan, and
# each libFuzzer harness for ~20 s (FUZZ_SECONDS) on its seeds and regressions.
# Ends with one line "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/setup.sh --sanitizers
bash scripts/setup.sh --fuzz
exec python3 scripts/run_tests.py "$@"
