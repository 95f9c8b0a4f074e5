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
  const uint8_t* opts = nullptr;  // opt_len bytes
  uint16_t payload_len = 0;       // bytes the caller puts right after the header
};

inline constexpr uint16_t tcp_frame_header_len(uint8_t opt_len) {
  return static_cast<uint16_t>(kEthHdrLen + kIpv4MinHdrLen + kTcpMinHdrLen + opt_len);
}

// Writes Ethernet, IPv4 (DF, TTL 64, no options, with its checksum) and TCP
// headers at `buf`, the TCP checksum left for finish_tcp_checksum. Returns the header length; the
// frame is that plus payload_len. The caller places the payload.
uint16_t write_tcp_headers(uint8_t* buf, const TcpHeaderSpec& s);

// The full TCP checksum or, with `offload`, only the pseudo-header sum the NIC completes
// (RTE_MBUF_F_TX_TCP_CKSUM). Kept apart from write_tcp_headers so a burst can write every header
// first and sum them afterwards: summing a header right after writing it reads bytes still in the
// store buffer, and those store-forwarding stalls were ~10 ns per SYN-ACK
// (perf annotate on bench_synack_path).
void finish_tcp_checksum(uint8_t* buf, bool offload);

}  // namespace synack::wire
