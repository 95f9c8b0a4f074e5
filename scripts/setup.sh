#!/usr/bin/env bash
# Installs what synack needs on a Debian 12 machine (run as root) and builds it.
#   scripts/setup.sh              release build with debug info in build/
#   scripts/setup.sh --sanitizers ASan+UBSan build of the library and unit tests in build-asan/
#   scripts/setup.sh --fuzz       clang-16 build of the libFuzzer harnesses in build-fuzz/
#                                 (everything under ASan+UBSan and coverage; scripts/fuzz.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PACKAGES=(
  g++ pkg-config meson ninja-build python3
  libdpdk-dev dpdk dpdk-dev                      # DPDK 22.11, PMDs, testpmd, dpdk-telemetry.py
  libgflags-dev libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 iputils-ping procps curl apache2-utils # namespaces and kernel-side clients
  nginx                                          # the real server client mode is tested against
  tshark                                         # captures checked by the integration tests
  clang-format
)
if [[ "${1:-}" == "--fuzz" ]]; then
  # libclang-rt-16-dev holds the sanitizer and libFuzzer runtimes clang links.
  PACKAGES+=(clang-16 libfuzzer-16-dev libclang-rt-16-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages (${missing[*]}) and not root: run as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests start their own nginx inside namespaces; the package's service
  # on the host's port 80 is not wanted.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

if [[ "${1:-}" == "--sanitizers" ]]; then
  dir=build-asan
  opts=(-Dsanitizers=true -Dbenchmarks=false -Db_lundef=false)
elif [[ "${1:-}" == "--fuzz" ]]; then
  dir=build-fuzz
  opts=(-Dfuzz=true -Dtests=false -Dbenchmarks=false -Db_lundef=false)
  export CXX=clang++-16  # read by meson at the first setup of the directory
else
  dir=build
  opts=()
fi
if [[ -f "$dir/build.ninja" ]]; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "setup: built $dir"
