#!/usr/bin/env bash
# Fuzzes synack's parsers and data path with the libFuzzer harnesses of tests/fuzz/:
#   scripts/fuzz.sh [--no-build] [SECONDS_EACH] [HARNESS...]
# Builds build-fuzz/ (scripts/setup.sh --fuzz) unless --no-build, then runs each
# harness (default: all of them) for SECONDS_EACH seconds (default 600) on its
# working corpus build-fuzz/corpus/HARNESS/: a copy of the checked-in seeds
# (tests/fuzz/corpus/HARNESS/) and regressions (tests/fuzz/regressions/HARNESS/),
# kept between runs. The checked-in files are never written. Crashes, leaks and
# slow inputs are saved to build-fuzz/crashes/HARNESS/, the log of each run to
# build-fuzz/logs/HARNESS.log. JOBS=N runs N harnesses at once (default 1).
# Prints one line per harness; exits non-zero if any of them found something.
# Replay one input: build-fuzz/tests/fuzz/HARNESS FILE (SYNACK_FUZZ_TRACE=1
# prints the program it runs, for fuzz_endpoint and fuzz_worker).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

build=1
if [[ "${1:-}" == "--no-build" ]]; then
  build=0
  shift
fi
secs="${1:-600}"
[[ $# -gt 0 ]] && shift
if ! [[ "$secs" =~ ^[0-9]+$ ]] || ((secs < 1)); then
  echo "usage: scripts/fuzz.sh [--no-build] [SECONDS_EACH] [HARNESS...]" >&2
  exit 2
fi
if ((build)); then
  bash scripts/setup.sh --fuzz
fi

BIN=build-fuzz/tests/fuzz
all=()
for f in "$BIN"/fuzz_*; do
  [[ -f "$f" && -x "$f" ]] && all+=("$(basename "$f")")
done
harnesses=("$@")
((${#harnesses[@]})) || harnesses=("${all[@]}")
((${#harnesses[@]})) || { echo "fuzz: no harness in $BIN (run scripts/setup.sh --fuzz)" >&2; exit 1; }
for h in "${harnesses[@]}"; do
  [[ -x "$BIN/$h" ]] || { echo "fuzz: no harness $h in $BIN" >&2; exit 2; }
done

symbolizer="$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)"
[[ -n "$symbolizer" ]] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# The longest input each harness reads: an option list, a jumbo-ish frame,
# programs of a few hundred operations.
max_len() {
  case "$1" in
    fuzz_options) echo 40 ;;
    fuzz_frame) echo 2048 ;;
    fuzz_cookie) echo 512 ;;
    fuzz_worker) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

mkdir -p build-fuzz/logs build-fuzz/status
run_one() {
  local h="$1"
  local corpus="build-fuzz/corpus/$h" crashes="build-fuzz/crashes/$h" log="build-fuzz/logs/$h.log"
  local status="build-fuzz/status/$h.$$"
  mkdir -p "$corpus" "$crashes"
  for src in "tests/fuzz/corpus/$h" "tests/fuzz/regressions/$h"; do
    [[ -d "$src" ]] && find "$src" -maxdepth 1 -type f -exec cp -n {} "$corpus/" \;
  done
  # fuzz_worker's EAL runtime directory, removed here even when the run crashed.
  local prefix="synack-fuzz-$h-$$"
  local rc=0
  SYNACK_FUZZ_FILE_PREFIX="$prefix" timeout -k 10 $((secs + 60)) "$BIN/$h" \
    -max_total_time="$secs" -timeout=25 -max_len="$(max_len "$h")" -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1 || rc=$?
  rm -rf "/var/run/dpdk/$prefix"
  local runs
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  local units
  units="$(find "$corpus" -maxdepth 1 -type f | wc -l)"
  if ((rc == 0)); then
    printf 'fuzz: %-14s ok      %5d s, %10s runs, corpus %d\n' "$h" "$secs" "${runs:-?}" "$units"
  else
    printf 'fuzz: %-14s FAILED  exit %d; log %s, inputs in %s/\n' "$h" "$rc" "$log" "$crashes"
    grep -E 'invariant broken|ERROR:|SUMMARY:|^artifact_prefix|Test unit written|runtime error' \
      "$log" | head -20 | sed 's/^/    /'
  fi
  echo "$rc" >"$status"
}

jobs_max="${JOBS:-1}"
for h in "${harnesses[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n || true; done
  run_one "$h" &
done
wait

failed=0
for h in "${harnesses[@]}"; do
  status="build-fuzz/status/$h.$$"
  rc="$(cat "$status" 2>/dev/null || echo 1)"
  rm -f "$status"
  ((rc == 0)) || failed=$((failed + 1))
done
if ((failed)); then
  echo "fuzz: $failed of ${#harnesses[@]} harnesses failed"
  exit 1
fi
