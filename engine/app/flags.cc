#include "app/flags.h"

#include <gflags/gflags.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

DEFINE_string(ip, "",
              "IPv4 address the engine owns on its port, with an optional /prefix of its subnet "
              "(whose directed broadcast is then never answered) (required)");
DEFINE_string(ports, "80", "comma-separated TCP ports to listen on");
DEFINE_string(mode, "server", "server (answer connections) | client (open them: --target)");
DEFINE_string(target, "", "client: IP:PORT to connect to");
DEFINE_uint32(rate, 0,
              "client: new connections per second over all lcores (0 = as fast as the "
              "target allows, --concurrency at a time)");
DEFINE_uint64(connections, 0, "client: connections in total (0 = until --duration_s)");
DEFINE_uint32(concurrency, 100, "client: connections open at once, over all lcores");
DEFINE_uint32(requests_per_connection, 1, "client: request/response rounds per connection");
DEFINE_string(request, "",
              "client: file whose bytes are each request (default: GET / HTTP/1.1 for the "
              "target, with 'Connection: close' when there is one request per connection)");
DEFINE_string(src_ips, "",
              "client: FIRST-LAST, the source addresses the engine owns (default --ip)");
DEFINE_string(gateway, "", "client: next hop to resolve with ARP instead of the target");
DEFINE_uint32(port_id, 0, "DPDK port to use");
DEFINE_uint32(num_mbufs, 16383, "mbufs in the packet pool");
DEFINE_uint32(mbuf_cache, 256, "per-lcore mempool cache size");
DEFINE_uint32(rx_desc, 1024, "RX descriptors per queue");
DEFINE_uint32(tx_desc, 1024, "TX descriptors per queue");
DEFINE_uint32(max_flows, 65536, "connection records per worker lcore");
DEFINE_uint32(backlog, 1024, "SYN-RECEIVED records per worker lcore");
DEFINE_uint32(max_time_wait, 262144,
              "TIME-WAIT entries per worker lcore (when full the oldest is recycled early)");
DEFINE_uint32(challenge_ack_limit, 1000,
              "ACKs to unacceptable segments (RFC 5961 challenge ACKs, out-of-window, PAWS) and "
              "SYN-ACKs resent for duplicate SYNs, per worker lcore per second (0 = no limit)");
DEFINE_bool(abort_on_overflow, false,
            "send a RST for a valid cookie ACK that finds the flow table full (default: drop it, "
            "so the client's retransmission succeeds once a slot frees)");
DEFINE_bool(accept_other_host, false,
            "answer unicast frames sent to another MAC (the port sees replayed or mirrored "
            "traffic); by default they are dropped as Linux drops PACKET_OTHERHOST");
DEFINE_string(syncookies, "overload",
              "never | overload (cookies while the backlog is full) | always");
DEFINE_uint32(cookie_rotate_s, 300,
              "rotate the SYN-cookie secret every N seconds (0 = never, else >= 120: a cookie "
              "lives up to 112 s and survives any rotation inside that)");
DEFINE_uint32(syn_rate_per_source, 0, "new connections/s per source address (0 = no limit)");
DEFINE_uint32(syn_burst_per_source, 0, "token bucket depth per source address");
DEFINE_uint32(syn_rate_per_prefix, 0, "new connections/s per source /24 (0 = no limit)");
DEFINE_uint32(syn_burst_per_prefix, 0, "token bucket depth per source /24");
DEFINE_uint32(syn_limiter_entries, 65536, "rate-limiter buckets per lcore (power of two)");
DEFINE_uint32(time_wait_ms, 60000, "TIME-WAIT duration (2*MSL), milliseconds");
DEFINE_uint32(idle_timeout_ms, 300000, "close connections idle this long (0 = never)");
DEFINE_uint32(synack_retries, 5, "SYN-ACK retransmissions before a half-open record is dropped");
DEFINE_uint32(data_retries, 8, "data/FIN retransmissions before the connection is reset");
DEFINE_uint32(rto_ms, 1000,
              "initial retransmission timeout before any RTT is measured, milliseconds (RFC 6298)");
DEFINE_uint32(rto_min_ms, 200, "floor of the measured retransmission timeout, milliseconds");
DEFINE_uint32(
    fin_timeout_ms, 60000,
    "end FIN-WAIT-2 after this when the peer never sends its FIN, milliseconds (0 = never)");
DEFINE_uint32(mss, 1460, "MSS announced to peers");
DEFINE_uint32(wscale, 7, "window-scale shift announced to peers that offer one (0-14)");
DEFINE_string(response, "",
              "file whose bytes answer each request (default: an empty HTTP/1.1 200 that says "
              "'Connection: close' with --close=active and nothing about it with passive)");
DEFINE_string(close, "active",
              "active (FIN after the response) | passive (wait for the peer's FIN)");
DEFINE_uint32(stats_interval_s, 0, "print a stats line every N seconds (0 = never)");
DEFINE_uint32(duration_s, 0, "stop after N seconds (0 = run until SIGINT/SIGTERM)");
DEFINE_string(stats_json, "", "write every counter as one JSON object to this file at exit");
DEFINE_bool(tx_csum_offload, true,
            "let the port compute TCP checksums when it can (false: always in software)");
DEFINE_uint32(max_timer_expiries, 256, "timers handled per loop iteration at most");

namespace synack::app {

namespace {

// RFC 9112 9.6: a server that closes says so; one that waits for the
// client's close keeps the connection persistent (HTTP/1.1's default).
constexpr const char* kDefaultResponseActive =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr const char* kDefaultResponsePassive = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

// Whether HTTP header bytes carry "Connection: close" (case-insensitive, as
// RFC 9110 5.1 field names and 7.6.1 connection options are).
bool says_connection_close(const std::vector<uint8_t>& r) {
  std::string s(r.begin(), r.end());
  const size_t end = s.find("\r\n\r\n");
  if (end != std::string::npos) s.resize(end);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t pos = 0;
  while ((pos = s.find("connection:", pos)) != std::string::npos) {
    const size_t eol = s.find("\r\n", pos);
    if (s.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos).find("close") !=
        std::string::npos)
      return true;
    pos += 11;
  }
  return false;
}

bool is_pow2(uint32_t v) {
  return v && !(v & (v - 1));
}

std::string bad(const char* flag, const std::string& value, const std::string& why) {
  return std::string("--") + flag + "=" + value + ": " + why;
}

bool range(const char* flag, uint32_t v, uint32_t lo, uint32_t hi, std::string* err) {
  if (v >= lo && v <= hi) return true;
  *err = bad(flag, std::to_string(v),
             "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return false;
}

bool parse_ports(const std::string& s, std::vector<uint16_t>* out, std::string* err) {
  out->clear();
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end || errno || v == 0 || v > 65535) {
      *err = bad("ports", s, "'" + item + "' is not a port (1-65535)");
      return false;
    }
    out->push_back(static_cast<uint16_t>(v));
  }
  if (out->empty()) {
    *err = bad("ports", s, "needs at least one port");
    return false;
  }
  return true;
}

}  // namespace

bool parse_ipv4(const std::string& s, uint32_t* out) {
  uint32_t ip = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<uint32_t>(s[i++] - '0');
      if (++digits > 3 || v > 255) return false;
    }
    ip = (ip << 8) | v;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      i++;
    }
  }
  if (i != s.size()) return false;
  *out = ip;
  return true;
}

bool parse_ip_port(const std::string& s, uint32_t* ip, uint16_t* port) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || !parse_ipv4(s.substr(0, colon), ip)) return false;
  const std::string p = s.substr(colon + 1);
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(p.c_str(), &end, 10);
  if (p.empty() || *end || errno || v == 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

namespace {

bool unicast_host(uint32_t ip) {
  return ip != 0 && (ip >> 28) < 0xe && (ip >> 24) != 0 && (ip >> 24) != 127;
}

bool read_file_flag(const char* flag, const std::string& path, std::vector<uint8_t>* out,
                    std::string* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *err = bad(flag, path, std::strerror(errno));
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (out->size() > (1u << 20)) {
    *err = bad(flag, path, "larger than 1 MiB");
    return false;
  }
  if (out->empty()) {
    *err = bad(flag, path, "is empty");
    return false;
  }
  return true;
}

bool build_client(runtime::RuntimeConfig* cfg, std::string* err) {
  auto& c = cfg->client;
  if (FLAGS_target.empty()) {
    *err = "--mode=client needs --target=IP:PORT (the server to connect to)";
    return false;
  }
  if (!parse_ip_port(FLAGS_target, &c.target_ip, &c.target_port) || !unicast_host(c.target_ip)) {
    *err = bad("target", FLAGS_target, "not a unicast IPv4 address and a port (1-65535)");
    return false;
  }
  if (!FLAGS_gateway.empty() &&
      (!parse_ipv4(FLAGS_gateway, &c.gateway_ip) || !unicast_host(c.gateway_ip))) {
    *err = bad("gateway", FLAGS_gateway, "not a unicast IPv4 address");
    return false;
  }
  c.rate = FLAGS_rate;
  c.connections = FLAGS_connections;
  if (!range("concurrency", FLAGS_concurrency, 1, 1u << 24, err)) return false;
  c.concurrency = FLAGS_concurrency;
  if (!range("requests_per_connection", FLAGS_requests_per_connection, 1, 65535, err)) return false;
  c.requests_per_connection = FLAGS_requests_per_connection;
  if (!FLAGS_request.empty()) return read_file_flag("request", FLAGS_request, &c.request, err);
  std::string host;
  {
    char b[20];
    const uint32_t t = c.target_ip;
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", t >> 24, (t >> 16) & 0xff, (t >> 8) & 0xff, t & 0xff);
    host = b;
  }
  // One request per connection: it says so (RFC 9112 9.6), and the server
  // closes after its response. More: a persistent connection, whose last
  // request asks the server to close when we wait for its FIN (passive).
  const std::string keep = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  const std::string close = "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  const std::string& req = c.requests_per_connection == 1 ? close : keep;
  c.request.assign(req.begin(), req.end());
  if (c.requests_per_connection > 1 && !cfg->active_close)
    c.last_request.assign(close.begin(), close.end());
  return true;
}

}  // namespace

bool build_config(runtime::RuntimeConfig* cfg, std::string* err) {
  if (FLAGS_mode == "client") {
    cfg->client_mode = true;
  } else if (FLAGS_mode != "server") {
    *err = bad("mode", FLAGS_mode, "must be server or client");
    return false;
  }
  if (!FLAGS_src_ips.empty()) {
    const size_t dash = FLAGS_src_ips.find('-');
    uint32_t first = 0, last = 0;
    if (dash == std::string::npos || !parse_ipv4(FLAGS_src_ips.substr(0, dash), &first) ||
        !parse_ipv4(FLAGS_src_ips.substr(dash + 1), &last) || !unicast_host(first) ||
        !unicast_host(last) || last < first || last - first >= 1024) {
      *err = bad("src_ips", FLAGS_src_ips,
                 "must be FIRST-LAST, unicast IPv4 addresses, at most 1024 of them");
      return false;
    }
    if (!cfg->client_mode) {
      *err = "--src_ips is for --mode=client";
      return false;
    }
    uint32_t ip = 0;
    if (!FLAGS_ip.empty() && (!parse_ipv4(FLAGS_ip, &ip) || ip != first)) {
      *err = bad("ip", FLAGS_ip, "must be the first of --src_ips (or left out)");
      return false;
    }
    if (FLAGS_ip.empty()) FLAGS_ip = FLAGS_src_ips.substr(0, dash);
    cfg->ip_last = last;
  }
  if (FLAGS_ip.empty()) {
    *err = "--ip is required: the IPv4 address the engine answers for (e.g. --ip=198.18.0.2)";
    return false;
  }
  std::string addr = FLAGS_ip;
  cfg->prefix_len = 32;
  if (const size_t slash = addr.find('/'); slash != std::string::npos) {
    const std::string len = addr.substr(slash + 1);
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(len.c_str(), &end, 10);
    if (len.empty() || *end || errno || v > 32 ||
        !std::isdigit(static_cast<unsigned char>(len[0]))) {
      *err = bad("ip", FLAGS_ip, "the prefix length must be 0 to 32");
      return false;
    }
    cfg->prefix_len = static_cast<uint8_t>(v);
    addr.resize(slash);
  }
  if (!parse_ipv4(addr, &cfg->ip) || cfg->ip == 0 || cfg->ip == 0xffffffffu ||
      (cfg->ip >> 28) >= 0xe || (cfg->ip >> 24) == 0 || (cfg->ip >> 24) == 127) {
    *err = bad("ip", FLAGS_ip, "not a unicast IPv4 address a host may own");
    return false;
  }
  if (cfg->broadcast() != 0 &&
      (cfg->ip == cfg->broadcast() || (cfg->ip & ~(0xffffffffu >> cfg->prefix_len)) == cfg->ip)) {
    *err = bad("ip", FLAGS_ip, "is the network or broadcast address of its prefix");
    return false;
  }
  if (!parse_ports(FLAGS_ports, &cfg->ports, err)) return false;
  if (!range("port_id", FLAGS_port_id, 0, RTE_MAX_ETHPORTS - 1, err)) return false;
  cfg->port_id = static_cast<uint16_t>(FLAGS_port_id);
  if (!range("num_mbufs", FLAGS_num_mbufs, 1024, 1u << 26, err)) return false;
  cfg->num_mbufs = FLAGS_num_mbufs;
  if (!range("mbuf_cache", FLAGS_mbuf_cache, 0, 512, err)) return false;
  cfg->mbuf_cache = FLAGS_mbuf_cache;
  if (!range("rx_desc", FLAGS_rx_desc, 64, 16384, err)) return false;
  if (!range("tx_desc", FLAGS_tx_desc, 64, 16384, err)) return false;
  cfg->rx_desc = static_cast<uint16_t>(FLAGS_rx_desc);
  cfg->tx_desc = static_cast<uint16_t>(FLAGS_tx_desc);
  if (!range("max_flows", FLAGS_max_flows, 16, 1u << 26, err)) return false;
  cfg->max_flows = FLAGS_max_flows;
  if (!range("backlog", FLAGS_backlog, 1, cfg->max_flows, err)) return false;
  cfg->backlog = FLAGS_backlog;
  if (!range("max_time_wait", FLAGS_max_time_wait, 1, 1u << 26, err)) return false;
  cfg->max_time_wait = FLAGS_max_time_wait;
  cfg->challenge_ack_limit = FLAGS_challenge_ack_limit;
  cfg->abort_on_overflow = FLAGS_abort_on_overflow;
  cfg->accept_other_host = FLAGS_accept_other_host;
  if (!runtime::parse_cookie_mode(FLAGS_syncookies, &cfg->syncookies)) {
    *err = bad("syncookies", FLAGS_syncookies, "must be never, overload or always");
    return false;
  }
  if (FLAGS_cookie_rotate_s != 0 && FLAGS_cookie_rotate_s < 120) {
    *err = bad("cookie_rotate_s", std::to_string(FLAGS_cookie_rotate_s),
               "must be 0 or at least 120 (a cookie stays valid for up to 112 s)");
    return false;
  }
  cfg->cookie_rotate_s = FLAGS_cookie_rotate_s;
  if (!range("max_timer_expiries", FLAGS_max_timer_expiries, 1, 1u << 20, err)) return false;
  cfg->max_timer_expiries = FLAGS_max_timer_expiries;
  cfg->tx_csum_offload = FLAGS_tx_csum_offload;

  auto& lim = cfg->limiter;
  lim.rate_per_source = FLAGS_syn_rate_per_source;
  lim.burst_per_source = FLAGS_syn_burst_per_source;
  lim.rate_per_prefix = FLAGS_syn_rate_per_prefix;
  lim.burst_per_prefix = FLAGS_syn_burst_per_prefix;
  if (lim.rate_per_source && !lim.burst_per_source) lim.burst_per_source = lim.rate_per_source;
  if (lim.rate_per_prefix && !lim.burst_per_prefix) lim.burst_per_prefix = lim.rate_per_prefix;
  if (!lim.rate_per_source && FLAGS_syn_burst_per_source) {
    *err = bad("syn_burst_per_source", std::to_string(FLAGS_syn_burst_per_source),
               "needs --syn_rate_per_source");
    return false;
  }
  if (!lim.rate_per_prefix && FLAGS_syn_burst_per_prefix) {
    *err = bad("syn_burst_per_prefix", std::to_string(FLAGS_syn_burst_per_prefix),
               "needs --syn_rate_per_prefix");
    return false;
  }
  if (!is_pow2(FLAGS_syn_limiter_entries) || FLAGS_syn_limiter_entries > (1u << 24)) {
    *err = bad("syn_limiter_entries", std::to_string(FLAGS_syn_limiter_entries),
               "must be a power of two up to 16777216");
    return false;
  }
  lim.entries = FLAGS_syn_limiter_entries;

  auto& ep = cfg->endpoint;
  if (!range("time_wait_ms", FLAGS_time_wait_ms, 1, 600000, err)) return false;
  ep.time_wait_ms = FLAGS_time_wait_ms;
  ep.idle_timeout_ms = FLAGS_idle_timeout_ms;
  if (!range("synack_retries", FLAGS_synack_retries, 0, 15, err)) return false;
  ep.synack_retries = static_cast<uint8_t>(FLAGS_synack_retries);
  if (!range("data_retries", FLAGS_data_retries, 0, 15, err)) return false;
  ep.data_retries = static_cast<uint8_t>(FLAGS_data_retries);
  if (!range("rto_ms", FLAGS_rto_ms, 10, 60000, err)) return false;
  ep.rto_initial_ms = FLAGS_rto_ms;
  if (!range("rto_min_ms", FLAGS_rto_min_ms, 1, 60000, err)) return false;
  ep.rto_min_ms = FLAGS_rto_min_ms;
  if (!range("fin_timeout_ms", FLAGS_fin_timeout_ms, 0, 600000, err)) return false;
  ep.fin_timeout_ms = FLAGS_fin_timeout_ms;
  if (!range("mss", FLAGS_mss, 88, 9000, err)) return false;
  ep.mss = static_cast<uint16_t>(FLAGS_mss);
  if (!range("wscale", FLAGS_wscale, 0, 14, err)) return false;
  ep.rcv_wscale = static_cast<uint8_t>(FLAGS_wscale);
  ep.rcv_wnd = 65535u << ep.rcv_wscale;
  if (FLAGS_close == "active")
    cfg->active_close = true;
  else if (FLAGS_close == "passive")
    cfg->active_close = false;
  else {
    *err = bad("close", FLAGS_close, "must be active or passive");
    return false;
  }
  if (FLAGS_response.empty()) {
    const char* r = cfg->active_close ? kDefaultResponseActive : kDefaultResponsePassive;
    cfg->response.assign(r, r + std::strlen(r));
  } else {
    std::ifstream in(FLAGS_response, std::ios::binary);
    if (!in) {
      *err = bad("response", FLAGS_response, std::strerror(errno));
      return false;
    }
    cfg->response.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (cfg->response.size() > (1u << 20)) {
      *err = bad("response", FLAGS_response, "larger than 1 MiB");
      return false;
    }
  }
  if (!cfg->active_close && says_connection_close(cfg->response)) {
    *err = "--response=" + FLAGS_response +
           " says 'Connection: close' but --close=passive never closes first: the client would "
           "wait for a close that does not come (RFC 9112 9.6); use --close=active";
    return false;
  }
  if (cfg->client_mode) {
    if (!build_client(cfg, err)) return false;
  } else if (!FLAGS_target.empty() || FLAGS_rate || FLAGS_connections || !FLAGS_request.empty() ||
             !FLAGS_gateway.empty()) {
    *err = "--target, --rate, --connections, --request and --gateway are for --mode=client";
    return false;
  }
  if (cfg->ip_last == 0) cfg->ip_last = cfg->ip;
  cfg->stats_interval_s = FLAGS_stats_interval_s;
  cfg->duration_s = FLAGS_duration_s;
  cfg->stats_json = FLAGS_stats_json;
  return true;
}

}  // namespace synack::app
