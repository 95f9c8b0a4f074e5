#!/usr/bin/env bash
# The main job: synack on net_tap inside a network namespace, with the Linux
# kernel on the other side of the tap as its peer. Shows ARP and ping, real
# kernel connections opening and closing, then a SYN flood beside real
# clients: the attack with cookies off, and the same flood defeated.
# Live stats from the engine every second. About a minute; run as root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh

NS="synack-demo-$$"
TAP="sademo$$"
TAP="${TAP:0:15}"
PREFIX="synack-demo-$$"
JSON="/tmp/$PREFIX.json"
SYNACK="$ROOT/build/engine/synack"
SYNFLOOD="$ROOT/build/tests/tools/synflood"
CLIENT="$ROOT/tests/integration/client.py"
ENGINE_PID=""

cleanup() {
  [[ -n "$ENGINE_PID" ]] && kill -INT "$ENGINE_PID" 2>/dev/null && sleep 1
  [[ -n "$ENGINE_PID" ]] && kill -KILL "$ENGINE_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { ip netns exec "$NS" "$@"; }
tel() { printf '%s\n' "$@" | in_ns dpdk-telemetry.py -f "$PREFIX" | grep '^{'; }

ip netns add "$NS"
ip -n "$NS" link set lo up
say "starting synack on net_tap ($TAP) in namespace $NS, flags from configs/tap.flags"
ip netns exec "$NS" "$SYNACK" --no-huge -m 512 --no-pci --file-prefix="$PREFIX" \
  --lcores=0@0,1@1 --vdev="net_tap0,iface=$TAP" -- \
  --flagfile="$ROOT/configs/tap.flags" --stats_json="$JSON" 2>&1 |
  grep --line-buffered -v -E '^(EAL|TELEMETRY|tap_|qdisc_|eth_dev_tap)' &
sleep 0.5
ENGINE_PID=$(pgrep -f -n -- "--file-prefix=$PREFIX" || true)
for _ in $(seq 50); do ip -n "$NS" link show "$TAP" >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
in_ns sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" || true

say "1. the kernel resolves the engine's MAC (ARP) and pings it"
in_ns ping -c 3 -i 0.3 198.18.0.2
in_ns ip neigh show 198.18.0.2
ENGINE_MAC=$(in_ns ip neigh show 198.18.0.2 | awk '{print $5}')

say "2. real kernel connections: curl, then 5000 with ab (20 at a time)"
in_ns curl -sS -i http://198.18.0.2/
in_ns ab -q -n 5000 -c 20 http://198.18.0.2/ | grep -E 'Complete requests|Failed requests|Requests per second'
sleep 2.5  # TIME-WAIT (--time_wait_ms=2000) drains in the stats lines

probe() {  # 200 real connections, 20 at a time, 3 s timeout each
  in_ns python3 "$CLIENT" 198.18.0.2 80 many 200 20 3 | python3 -c \
    'import json,sys; r=json.load(sys.stdin); print("   real clients: %d of 200 connected, %d failed (%.1f s)" % (r["ok"], r["failed"], r["seconds"]))'
}

flood_beside_clients() {  # a bounded 8 s flood, and real clients in the middle of it
  local out="/tmp/$PREFIX.flood"
  in_ns "$SYNFLOOD" --iface="$TAP" --dst_mac="$ENGINE_MAC" --dst_ip=198.18.0.2 --dst_port=80 \
    --src_net=198.18.128.0/17 --duration_s=8 >"$out" &
  local flood=$!
  sleep 2
  timeout 30 bash -c "$(declare -f probe in_ns); NS=$NS CLIENT=$CLIENT; probe" ||
    echo "   real clients: timed out"
  wait $flood || true
  echo "   flood: $(cat "$out")"
  rm -f "$out"
}

say "3. the attack: SYN flood from 198.18.128.0/17 with cookies OFF (--syncookies=never via telemetry)"
tel /synack/syncookies,never
flood_beside_clients
tel /synack/stats | python3 -c 'import json,sys; s=json.load(sys.stdin)["/synack/stats"]; print("   half-open %d (peak %d = the whole backlog), SYNs dropped for a full backlog: %d" % (s["half_open_flows"], s["half_open_peak"], s["drops"]["backlog_full"]))'

say "4. the defence: the same flood with --syncookies=overload (switched at runtime, no restart)"
tel /synack/syncookies,overload /synack/rotate_secret
flood_beside_clients
tel /synack/stats | python3 -c 'import json,sys; s=json.load(sys.stdin)["/synack/stats"]; print("   cookies sent %d, validated %d, half-open never above %d, mode switches %d" % (s["cookies_sent"], s["cookies_validated"], s["half_open_peak"], s["syncookie_mode_switches"]))'

say "5. stopping (SIGINT): the engine prints its totals and writes $JSON"
kill -INT "$ENGINE_PID"
for _ in $(seq 100); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.1; done
ENGINE_PID=""
wait 2>/dev/null || true
python3 - "$JSON" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
keys = ["rx_packets", "tx_packets", "arp_replies", "icmp_echo_replies", "connections_established",
        "connections_closed", "cookies_sent", "cookies_validated", "active_flows", "mbufs_in_use"]
print("   " + "  ".join("%s=%s" % (k, s[k]) for k in keys))
print("   drops: " + ", ".join("%s=%d" % kv for kv in s["drops"].items() if kv[1]))
PY
