// Checking received checksums and filling the ones of frames answered in
// place (RFC 1071 sums from inet_checksum.h), and the RFC 1624 incremental
// update for fields rewritten in place.
#pragma once

#include <cstdint>
#include <cstring>

#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::wire {

// Checksum field value for the IPv4 header at `ip` (its checksum field is ignored).
inline uint16_t ipv4_header_checksum(uint8_t* ip) {
  ip[ip::kCsum] = 0;
  ip[ip::kCsum + 1] = 0;
  return static_cast<uint16_t>(~csum_fold(csum_add(ip, (ip[ip::kVerIhl] & 0xf) * 4u)));
}

// Stores a checksum computed over native-order words (csum_add) in native
// order, which puts it right on the wire.
inline void store_csum(uint8_t* p, uint16_t csum) {
  std::memcpy(p, &csum, 2);
}

inline void fill_ipv4_checksum(uint8_t* ip) {
  store_csum(ip + ip::kCsum, ipv4_header_checksum(ip));
}

inline bool ipv4_header_checksum_ok(const uint8_t* ip, uint16_t hdr_len) {
  // The usual option-less header as a constant length: the sum unrolls.
  uint64_t sum = hdr_len == kIpv4MinHdrLen ? csum_add(ip, kIpv4MinHdrLen) : csum_add(ip, hdr_len);
  return csum_fold(sum) == 0xffff;
}

inline uint16_t l4_length(const uint8_t* ip) {
  uint16_t total = static_cast<uint16_t>(ip[ip::kTotalLen] << 8 | ip[ip::kTotalLen + 1]);
  return static_cast<uint16_t>(total - (ip[ip::kVerIhl] & 0xf) * 4u);
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
