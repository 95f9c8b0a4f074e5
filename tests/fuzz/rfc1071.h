// Internet checksums written out from RFC 1071 for the harnesses, apart from
// the engine's own (wire/inet_checksum.h), so that each checks the other.
#pragma once

#include <cstddef>
#include <cstdint>

namespace synack::fuzz {

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  return uint32_t{be16(p)} << 16 | be16(p + 2);
}

// The ones' complement sum of big-endian 16-bit words, an odd last byte
// padded with zero, folded to 16 bits; `acc` carries a pseudo-header in.
inline uint32_t ones_sum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) {
    acc += be16(p + i);
    acc = (acc & 0xffff) + (acc >> 16);
  }
  if (n & 1) acc += uint32_t{p[n - 1]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return acc;
}

// RFC 1071 section 1 (3): a received checksum is right when the sum over the
// covered bytes, checksum field included, is all ones.
inline bool sum_ok(uint32_t folded) {
  return folded == 0xffff;
}

// The TCP pseudo-header of RFC 9293 3.1 for the IPv4 header at `ip`.
inline uint32_t tcp_pseudo_sum(const uint8_t* ip, size_t l4_len) {
  return ones_sum(ip + 12, 8) + 6 + static_cast<uint32_t>(l4_len);
}

// Stores the checksum that makes the covered bytes sum to all ones, at `at`
// (whose two bytes must be zero when the sum was taken).
inline void store_checksum(uint8_t* at, uint32_t folded_sum_without) {
  while (folded_sum_without >> 16)
    folded_sum_without = (folded_sum_without & 0xffff) + (folded_sum_without >> 16);
  const uint16_t c = static_cast<uint16_t>(~folded_sum_without);
  at[0] = static_cast<uint8_t>(c >> 8);
  at[1] = static_cast<uint8_t>(c);
}

}  // namespace synack::fuzz
