// Transport parameters of an Endpoint (the application's are its own).
#pragma once

#include <cstdint>

namespace synack::tcp {

struct EndpointConfig {
  uint16_t mss = 1460;              // MSS we announce (port MTU - 40)
  uint8_t rcv_wscale = 7;           // shift we announce when the peer offers one
  uint32_t rcv_wnd = 65535u << 7;   // our receive window in bytes
  uint32_t rto_initial_ms = 1000;   // RFC 6298 2.1, before any RTT measurement
  uint32_t rto_min_ms = 200;        // floor of the computed RTO (Linux TCP_RTO_MIN)
  uint32_t rto_max_ms = 60000;      // RFC 6298 2.5
  uint8_t synack_retries = 5;       // SYN-ACK retransmissions before giving up
  uint8_t data_retries = 8;         // data/FIN retransmissions (or unanswered probes) before a RST
  uint32_t time_wait_ms = 60000;    // 2*MSL (RFC 9293 3.10.7.4, TIME-WAIT)
  uint32_t fin_timeout_ms = 60000;  // FIN-WAIT-2 with a silent peer (Linux tcp_fin_timeout)
  uint32_t idle_timeout_ms = 300000;  // 0 = connections never idle out
  uint16_t initial_window = 10;       // RFC 6928 IW, segments
};

// RFC 5961 7 / Linux tcp_invalid_ratelimit: at most one ACK to unacceptable
// segments per flow per this interval.
inline constexpr uint32_t kOowAckIntervalMs = 500;

}  // namespace synack::tcp
