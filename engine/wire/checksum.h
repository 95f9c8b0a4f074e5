// Internet checksums (RFC 1071) through DPDK's rte_ip.h, plus the RFC 1624
// incremental update for fields rewritten in place.
#pragma once

#include <rte_ip.h>

#include <cstdint>
#include <cstring>

#include "wire/headers.h"

namespace synack::wire {

inline const rte_ipv4_hdr* as_ipv4(const uint8_t* ip) {
  return reinterpret_cast<const rte_ipv4_hdr*>(ip);
}

// Checksum field value for the IPv4 header at `ip` (its checksum field is ignored).
inline uint16_t ipv4_header_checksum(uint8_t* ip) {
  ip[ip::kCsum] = 0;
  ip[ip::kCsum + 1] = 0;
  return rte_ipv4_cksum(as_ipv4(ip));
}

// Stores a checksum returned by the rte_*cksum helpers: they work on native
// 16-bit words, so the value is written back in native order.
inline void store_csum(uint8_t* p, uint16_t csum) {
  std::memcpy(p, &csum, 2);
}

inline void fill_ipv4_checksum(uint8_t* ip) {
  store_csum(ip + ip::kCsum, ipv4_header_checksum(ip));
}

inline bool ipv4_header_checksum_ok(const uint8_t* ip, uint16_t hdr_len) {
  return rte_raw_cksum(ip, hdr_len) == 0xffff;
}

// TCP checksum over the pseudo-header and segment; total_length must be set.
inline void fill_tcp_checksum(uint8_t* ip, uint8_t* l4) {
  l4[tcp::kCsum] = 0;
  l4[tcp::kCsum + 1] = 0;
  store_csum(l4 + tcp::kCsum, rte_ipv4_udptcp_cksum(as_ipv4(ip), l4));
}

// For NIC checksum offload: the pseudo-header sum the NIC expects in the field.
inline void fill_tcp_pseudo_checksum(uint8_t* ip, uint8_t* l4) {
  store_csum(l4 + tcp::kCsum, rte_ipv4_phdr_cksum(as_ipv4(ip), 0));
}

// Non-complemented sum over pseudo-header and segment is 0xffff when the
// segment's checksum is right (rte_ipv4_udptcp_cksum_verify is still
// experimental in 22.11, so its inline core is used directly).
inline bool l4_checksum_ok(const uint8_t* ip, const uint8_t* l4) {
  return __rte_ipv4_udptcp_cksum(as_ipv4(ip), l4) == 0xffff;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all in host order.
inline uint16_t checksum_adjust16(uint16_t hc, uint16_t old_v, uint16_t new_v) {
  uint32_t sum = static_cast<uint16_t>(~hc) + static_cast<uint16_t>(~old_v) + uint32_t{new_v};
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace synack::wire
