// Building frames: ARP and ICMP replies rewritten in place in the request, and
// Ethernet+IPv4+TCP headers written at the start of a buffer (an answered
// frame's own memory, or a fresh one).
#pragma once

#include <cstdint>

#include "wire/byteorder.h"
#include "wire/frame.h"
#include "wire/headers.h"

namespace synack::wire {

// RFC 826 "swap the fields, set opcode to reply". Returns the reply length.
uint16_t arp_reply_in_place(uint8_t* frame, const MacAddr& our_mac, uint32_t our_ip);

// RFC 792 echo reply: same identifier, sequence and data. Returns the length.
uint16_t icmp_echo_reply_in_place(uint8_t* frame, const Frame& f, const MacAddr& our_mac);

struct TcpHeaderSpec {
  MacAddr src_mac;
  MacAddr dst_mac;
  uint32_t src_ip = 0;  // host order
  uint32_t dst_ip = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t wnd = 0;
  uint8_t flags = 0;
  uint8_t opt_len = 0;            // multiple of 4, <= 40
  bool csum_offload = false;      // leave the pseudo-header sum for the NIC
  const uint8_t* opts = nullptr;  // opt_len bytes; may already be in place (frame + 54)
  uint32_t opts_sum = 0;          // their sum as big-endian 16-bit words, when known
  bool opts_sum_known = false;    // else the bytes are summed here
  const uint8_t* payload = nullptr;
  uint16_t payload_len = 0;
};

inline constexpr uint16_t tcp_frame_header_len(uint8_t opt_len) {
  return static_cast<uint16_t>(kEthHdrLen + kIpv4MinHdrLen + kTcpMinHdrLen + opt_len);
}

// Writes a whole Ethernet + IPv4 (DF, TTL 64, no options) + TCP frame at
// `buf`: headers, options, payload and both checksums (or, with csum_offload,
// the pseudo-header sum the NIC completes: RTE_MBUF_F_TX_TCP_CKSUM). Returns
// the frame length. `buf` may be the received frame being answered.
uint16_t write_tcp_segment(uint8_t* buf, const TcpHeaderSpec& s);

}  // namespace synack::wire
