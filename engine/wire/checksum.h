// Internet checksums (RFC 1071): the short-header sums of inet_checksum.h, DPDK's
// rte_ipv4_phdr_cksum for the offload pseudo-header, and the RFC 1624
// incremental update for fields rewritten in place.
#pragma once

#include <rte_ip.h>

#include <cstdint>
#include <cstring>

#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::wire {

inline const rte_ipv4_hdr* as_ipv4(const uint8_t* ip) {
  return reinterpret_cast<const rte_ipv4_hdr*>(ip);
}

// Checksum field value for the IPv4 header at `ip` (its checksum field is ignored).
inline uint16_t ipv4_header_checksum(uint8_t* ip) {
  ip[ip::kCsum] = 0;
  ip[ip::kCsum + 1] = 0;
  return static_cast<uint16_t>(~csum_fold(csum_add(ip, (ip[ip::kVerIhl] & 0xf) * 4u)));
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
  return csum_fold(csum_add(ip, hdr_len)) == 0xffff;
}

inline uint16_t l4_length(const uint8_t* ip) {
  uint16_t total = static_cast<uint16_t>(ip[ip::kTotalLen] << 8 | ip[ip::kTotalLen + 1]);
  return static_cast<uint16_t>(total - (ip[ip::kVerIhl] & 0xf) * 4u);
}

// TCP checksum over the pseudo-header and segment; total_length must be set.
inline void fill_tcp_checksum(uint8_t* ip, uint8_t* l4) {
  l4[tcp::kCsum] = 0;
  l4[tcp::kCsum + 1] = 0;
  uint16_t len = l4_length(ip);
  uint64_t acc = csum_add(l4, len, csum_pseudo_ipv4(ip, kProtoTcp, len));
  store_csum(l4 + tcp::kCsum, static_cast<uint16_t>(~csum_fold(acc)));
}

// For NIC checksum offload: the pseudo-header sum the NIC expects in the field.
inline void fill_tcp_pseudo_checksum(uint8_t* ip, uint8_t* l4) {
  store_csum(l4 + tcp::kCsum, rte_ipv4_phdr_cksum(as_ipv4(ip), 0));
}

// The sum over pseudo-header and segment, checksum included, is 0xffff when
// the segment is intact.
inline bool l4_checksum_ok(const uint8_t* ip, const uint8_t* l4) {
  uint16_t len = l4_length(ip);
  return csum_fold(csum_add(l4, len, csum_pseudo_ipv4(ip, ip[ip::kProto], len))) == 0xffff;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), all in host order.
inline uint16_t checksum_adjust16(uint16_t hc, uint16_t old_v, uint16_t new_v) {
  uint32_t sum = static_cast<uint16_t>(~hc) + static_cast<uint16_t>(~old_v) + uint32_t{new_v};
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace synack::wire
