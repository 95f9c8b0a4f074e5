// Everything the runtime needs, already validated by the app layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flow/source_limiter.h"
#include "tcp/endpoint_config.h"

namespace synack::runtime {

enum class CookieMode : uint8_t { kNever, kOverload, kAlways };
const char* cookie_mode_name(CookieMode m);
bool parse_cookie_mode(const std::string& s, CookieMode* out);

// --mode=client: synack opens the connections (issue 9, README "Client mode").
struct ClientConfig {
  uint32_t target_ip = 0;  // host order
  uint16_t target_port = 0;
  uint32_t gateway_ip = 0;     // next hop to resolve; 0 = the target itself
  uint32_t rate = 0;           // new connections per second over all lcores; 0 = closed loop
  uint64_t connections = 0;    // in total; 0 = until --duration_s
  uint32_t concurrency = 100;  // open at once, over all lcores
  uint32_t requests_per_connection = 1;
  std::vector<uint8_t> request;
  std::vector<uint8_t> last_request;  // the last request's bytes, when they differ
};

struct RuntimeConfig {
  bool client_mode = false;  // --mode=client
  ClientConfig client;
  uint32_t ip = 0;                  // our IPv4 address (the first of --src_ips), host order
  uint32_t ip_last = 0;             // the last address we own (--src_ips); == ip without it
  uint8_t prefix_len = 32;          // of our subnet: its directed broadcast is a martian source
  std::vector<uint16_t> ports{80};  // listening ports
  uint16_t port_id = 0;             // DPDK port
  uint32_t num_mbufs = 16383;
  uint32_t mbuf_cache = 256;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  uint32_t max_flows = 65536;           // per lcore
  uint32_t max_time_wait = 262144;      // TIME-WAIT entries per lcore
  uint32_t backlog = 1024;              // SYN-RECEIVED records per lcore
  uint32_t max_timer_expiries = 256;    // per loop iteration
  uint32_t challenge_ack_limit = 1000;  // RFC 5961 7, per lcore per second (0: unlimited)
  bool abort_on_overflow = false;       // RST a valid cookie ACK that finds the table full
  bool accept_other_host = false;       // answer unicast frames to other MACs (replays)
  bool tx_csum_offload = true;          // use the port's TCP checksum offload if it has one
  CookieMode syncookies = CookieMode::kOverload;
  uint32_t cookie_rotate_s = 300;
  flow::SourceLimiter::Config limiter;
  tcp::EndpointConfig endpoint;
  std::vector<uint8_t> response;  // bytes sent for each request
  bool active_close = true;       // FIN after the response
  uint32_t stats_interval_s = 0;
  uint32_t duration_s = 0;
  std::string stats_json;

  // The directed broadcast of our prefix (0 when /31 or /32 has none).
  uint32_t broadcast() const {
    if (prefix_len >= 31) return 0;
    return ip | (0xffffffffu >> prefix_len);
  }
};

}  // namespace synack::runtime
