// Frame parsing: Ethernet II -> ARP or IPv4 -> ICMP or TCP, with every check a
// frame must pass before the layers above see it. Pure over a byte span.
#pragma once

#include <cstdint>

#include "wire/byteorder.h"

namespace synack::wire {

// Why a frame was not accepted. Names (parse_error_name) are counter keys.
enum class ParseError : uint8_t {
  kOk,
  kTruncated,             // shorter than its headers say
  kUnsupportedEthertype,  // not IPv4 or ARP (VLAN included)
  kBadArp,                // not Ethernet/IPv4 ARP, or not a request
  kBadIpHeader,           // version, IHL or total length wrong
  kBadIpChecksum,
  kFragment,             // MF set or offset != 0 (no reassembly here)
  kUnsupportedProtocol,  // neither ICMP nor TCP
  kBadIcmp,              // not an echo request, or too short
  kBadIcmpChecksum,
  kBadTcpHeader,  // data offset < 5 or past the segment
  kBadTcpChecksum,
  kBadSourceAddress,  // broadcast/multicast/zero source (RFC 1122 3.2.1.3)
};
const char* parse_error_name(ParseError e);

enum class FrameKind : uint8_t { kArpRequest, kIcmpEcho, kTcp };

struct Frame {
  FrameKind kind = FrameKind::kTcp;
  MacAddr src_mac;
  MacAddr dst_mac;
  uint16_t l3_off = 0;  // start of ARP or IPv4
  uint16_t l4_off = 0;  // start of ICMP or TCP
  uint16_t l4_len = 0;  // ICMP/TCP header plus payload
  uint32_t src_ip = 0;  // host order; for ARP the sender protocol address
  uint32_t dst_ip = 0;  // host order; for ARP the target protocol address
  // TCP only
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t wnd = 0;
  uint8_t tcp_flags = 0;
  uint8_t opt_len = 0;       // option bytes at l4_off + 20
  uint16_t payload_len = 0;  // TCP payload bytes
  uint8_t ecn = 0;           // IP ECN bits (RFC 3168)
};

struct ParseOptions {
  bool ip_csum_verified = false;  // the NIC checked the IPv4 header checksum
  bool l4_csum_verified = false;  // the NIC checked the TCP/ICMP checksum
};

// Parses `len` bytes at `data`. On kOk, `f` describes the frame. Trailing
// Ethernet padding past the IPv4 total length is ignored.
ParseError parse_frame(const uint8_t* data, uint32_t len, const ParseOptions& po, Frame& f);

}  // namespace synack::wire
