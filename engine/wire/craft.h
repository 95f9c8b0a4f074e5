// Building frames: ARP and ICMP replies rewritten in place in the request, and
// the Ethernet + IPv4 headers in front of a segment the TCP layer writes
// (tcp/segment_write.h).
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

// Ethernet II + option-less IPv4 (DF, TTL 64) for `l4_len` bytes of `proto`
// at `buf`, the IPv4 checksum summed from the values written (reading the
// header back right after the stores stalls on the store buffer). Returns the
// RFC 9293 3.1 pseudo-header sum (addresses, protocol, length) as unfolded
// big-endian-valued 16-bit words, for the L4 checksum.
uint64_t write_eth_ipv4(uint8_t* buf, const MacAddr& src_mac, const MacAddr& dst_mac,
                        uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint16_t l4_len);

// Sum of native-order words (csum_add) as big-endian-valued words: ones'
// complement addition commutes with swapping the bytes of every word.
inline uint32_t native_sum_to_be(uint64_t native);

inline constexpr uint16_t kEthIpv4HdrLen = kEthHdrLen + kIpv4MinHdrLen;

}  // namespace synack::wire

#include "wire/inet_checksum.h"

namespace synack::wire {
inline uint32_t native_sum_to_be(uint64_t native) {
  return __builtin_bswap16(csum_fold(native));
}
}  // namespace synack::wire
