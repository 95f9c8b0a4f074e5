// Everything the runtime needs, already validated by the app layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flow/source_limiter.h"
#include "tcp/state_machine.h"

namespace synack::runtime {

enum class CookieMode : uint8_t { kNever, kOverload, kAlways };
const char* cookie_mode_name(CookieMode m);
bool parse_cookie_mode(const std::string& s, CookieMode* out);

struct RuntimeConfig {
  uint32_t ip = 0;                  // our IPv4 address, host order
  std::vector<uint16_t> ports{80};  // listening ports
  uint16_t port_id = 0;             // DPDK port
  uint32_t num_mbufs = 16383;
  uint32_t mbuf_cache = 256;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  uint32_t drain_us = 100;            // TX buffer drain interval
  uint32_t max_flows = 65536;         // per lcore
  uint32_t backlog = 1024;            // SYN-RECEIVED records per lcore
  uint32_t max_timer_expiries = 256;  // per loop iteration
  bool tx_csum_offload = true;        // use the port's TCP checksum offload if it has one
  CookieMode syncookies = CookieMode::kOverload;
  uint32_t cookie_rotate_s = 300;
  flow::SourceLimiter::Config limiter;
  tcp::EndpointConfig endpoint;
  std::vector<uint8_t> response;  // bytes sent after the first request
  uint32_t stats_interval_s = 0;
  uint32_t duration_s = 0;
  std::string stats_json;
};

}  // namespace synack::runtime
