// Frame parsing: Ethernet II -> ARP or IPv4 -> ICMP or TCP, with every check a
// frame must pass before the layers above see it, and the address rules of a
// host (RFC 1122 3.2.1.3, RFC 826, RFC 5227). Pure over a byte span. The TCP
// header itself is parsed by the TCP layer (tcp/segment_parse.h).
#pragma once

#include <cstdint>

#include "wire/byteorder.h"
#include "wire/wire_drops.h"

namespace synack::wire {

// Why a frame was not accepted. Names (parse_error_name) are counter keys.
enum class ParseError : uint8_t {
  kOk,
#define SYNACK_WIRE_DROP_ENUM(e, name) e,
  SYNACK_WIRE_DROPS(SYNACK_WIRE_DROP_ENUM)
#undef SYNACK_WIRE_DROP_ENUM
};
inline constexpr int kNumParseErrors = 1
#define SYNACK_WIRE_DROP_COUNT(e, name) +1
    SYNACK_WIRE_DROPS(SYNACK_WIRE_DROP_COUNT)
#undef SYNACK_WIRE_DROP_COUNT
    ;
const char* parse_error_name(ParseError e);

enum class FrameKind : uint8_t { kArpRequest, kArpReply, kIcmpEcho, kTcp };

struct Frame {
  FrameKind kind = FrameKind::kTcp;
  MacAddr src_mac;  // for ARP the sender hardware address (RFC 826), not the Ethernet source
  MacAddr dst_mac;
  uint16_t l3_off = 0;  // start of ARP or IPv4
  uint16_t l4_off = 0;  // start of ICMP or TCP
  uint16_t l4_len = 0;  // ICMP/TCP header plus payload
  uint32_t src_ip = 0;  // host order; for ARP the sender protocol address
  uint32_t dst_ip = 0;  // host order; for ARP the target protocol address
};

// Who we are, and what the port has already checked.
struct ParseContext {
  MacAddr our_mac;
  uint32_t our_ip = 0;             // host order; the first of our addresses
  uint32_t our_ip_last = 0;        // the last of them (a client's --src_ips); <= our_ip: just one
  uint32_t our_broadcast = 0;      // directed broadcast of our prefix; 0 for /31 and /32
  bool accept_other_host = false;  // unicast frames to other MACs are ours too (replays)
  bool ip_csum_verified = false;   // the NIC checked the IPv4 header checksum
  bool l4_csum_verified = false;   // the NIC checked the TCP/ICMP checksum

  bool ours(uint32_t ip) const {
    return our_ip_last <= our_ip ? ip == our_ip : ip >= our_ip && ip <= our_ip_last;
  }
};

// The address classes no host may use as a source (RFC 1122 3.2.1.3, Linux's
// martian rules): "this network" 0/8, loopback 127/8, multicast 224/4 and
// reserved 240/4 with the limited broadcast. Decided by the top byte alone.
inline bool martian_class(uint32_t src) {
  const uint32_t top = src >> 24;
  return top == 0 || top == 127 || top >= 0xe0;
}

// A source no host may use: a martian class, our own address (a reflected
// land attack) or the directed broadcast of our prefix.
inline bool martian_source(uint32_t src, const ParseContext& pc) {
  return martian_class(src) || pc.ours(src) || (pc.our_broadcast != 0 && src == pc.our_broadcast);
}

// Parses `len` bytes at `data`. On kOk, `f` describes the frame and it is for
// us: IPv4 to our address (unicast, or ARP to any MAC), from a legal source.
// Trailing Ethernet padding past the IPv4 total length is ignored.
ParseError parse_frame(const uint8_t* data, uint32_t len, const ParseContext& pc, Frame& f);

}  // namespace synack::wire
