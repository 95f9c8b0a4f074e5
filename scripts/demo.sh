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

NGINX_PID=""
NGINX_DIR="/tmp/$PREFIX.nginx"

cleanup() {
  [[ -n "$ENGINE_PID" ]] && kill -INT "$ENGINE_PID" 2>/dev/null && sleep 1
  [[ -n "$ENGINE_PID" ]] && kill -KILL "$ENGINE_PID" 2>/dev/null
  [[ -n "$NGINX_PID" ]] && kill -TERM "$NGINX_PID" 2>/dev/null
  rm -rf "$NGINX_DIR"
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
# The engine's own PID ($!, not the filter's): it is ended by that PID.
ip netns exec "$NS" "$SYNACK" --no-huge -m 512 --no-pci --file-prefix="$PREFIX" \
  --lcores=0@0,1@1 --vdev="net_tap0,iface=$TAP" -- \
  --flagfile="$ROOT/configs/tap.flags" --stats_json="$JSON" \
  > >(grep --line-buffered -v -E '^(EAL|TELEMETRY|tap_|qdisc_|eth_dev_tap)') 2>&1 &
ENGINE_PID=$!
for _ in $(seq 50); do ip -n "$NS" link show "$TAP" >/dev/null 2>&1 && break; sleep 0.1; done
# net_tap gives the kernel's end the engine's MAC; the kernel gets its own.
ip -n "$NS" link set "$TAP" address 02:5a:00:00:00:01
ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"
in_ns sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" || true
ip -n "$NS" link set "$TAP" up
sleep 0.5  # a frame sent the instant the tap comes up can be lost in the kernel

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
    --src_net=198.18.128.0/17 --duration_s=8 --rate_pps=40000 >"$out" &
  local flood=$!
  sleep 2
  timeout 30 bash -c "$(declare -f probe in_ns); NS=$NS CLIENT=$CLIENT; probe" ||
    echo "   real clients: timed out"
  wait $flood || true
  echo "   flood: $(cat "$out")"
  rm -f "$out"
}

say "3. the attack: a 40 kpps SYN flood from 198.18.128.0/17 with cookies OFF (--syncookies=never via telemetry)"
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
keys = ["rx_packets", "tx_packets", "consumed", "connections_established", "connections_closed",
        "cookies_sent", "cookies_validated", "active_flows", "time_wait_flows", "mbufs_in_use"]
print("   " + "  ".join("%s=%s" % (k, s[k]) for k in keys))
print("   answered: " + ", ".join("%s=%d" % kv for kv in s["answered"].items() if kv[1]))
print("   drops: " + ", ".join("%s=%d" % kv for kv in s["drops"].items() if kv[1]))
PY

say "6. the other way round: synack as the client (--mode=client), nginx in the namespace as the server"
TAP2="${TAP:0:13}c"
CLIENT_JSON="/tmp/$PREFIX.client.json"
mkdir -p "$NGINX_DIR"
cat >"$NGINX_DIR/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log; events { worker_connections 4096; }
http { access_log off; client_body_temp_path $NGINX_DIR/body; proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/fastcgi; uwsgi_temp_path $NGINX_DIR/uwsgi; scgi_temp_path $NGINX_DIR/scgi;
  server { listen 198.19.0.1:8080 backlog=4096; location / { return 200 "hello from nginx\n"; } } }
EOF
# The tap is made (and addressed) first; net_tap attaches to it.
ip -n "$NS" tuntap add mode tap name "$TAP2" multi_queue
ip -n "$NS" link set "$TAP2" address 02:5a:00:00:00:02
in_ns sysctl -qw "net.ipv6.conf.$TAP2.disable_ipv6=1" || true
ip -n "$NS" addr add 198.19.0.1/24 dev "$TAP2"
ip -n "$NS" link set "$TAP2" up
ip netns exec "$NS" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" &
NGINX_PID=$!
for _ in $(seq 50); do in_ns ss -tlnH "sport = :8080" | grep -q . && break; sleep 0.1; done
echo "   10,000 connections at 2,000/s to 198.19.0.1:8080, one request each, from 198.19.0.2"
ip netns exec "$NS" "$SYNACK" --no-huge -m 512 --no-pci --file-prefix="$PREFIX-c" \
  --lcores=0@0,1@1 --vdev="net_tap1,iface=$TAP2" -- --ip=198.19.0.2 --mode=client \
  --target=198.19.0.1:8080 --rate=2000 --connections=10000 --duration_s=30 \
  --stats_interval_s=1 --stats_json="$CLIENT_JSON" 2>&1 |
  grep -v -E '^(EAL|TELEMETRY|tap_|qdisc_|eth_dev_tap)' || true
rm -rf "/var/run/dpdk/$PREFIX-c"
kill -TERM "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""
python3 - "$CLIENT_JSON" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
c, r = s["connect_latency_us"], s["response_latency_us"]
failed = {k: v for k, v in s["connections_failed"].items() if v}
print("   completed %d of %d, failed %s, %.0f connections/s; connect p50 %d us p99 %d us, "
      "response p50 %d us p99 %d us" % (s["connections_completed"], s["connections_started"],
                                         failed or 0, s["cps"], c["p50"], c["p99"], r["p50"],
                                         r["p99"]))
PY
rm -f "$CLIENT_JSON"
