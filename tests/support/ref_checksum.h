// RFC 1071 Internet checksum the slow, obvious way (big-endian 16-bit words,
// end-around carry), for tests: the reference the engine's sums are checked
// against, and the sums the test frame builder fills in. Shares no code with
// engine/wire.
#pragma once

#include <cstddef>
#include <cstdint>

namespace synack::testing {

// Ones' complement sum of `n` bytes as big-endian words, folded to 16 bits;
// a lone last byte is the high byte of a zero-padded word (RFC 1071 4.1).
inline uint16_t ref_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) {
    sum += uint32_t{p[i]} << 8 | p[i + 1];
    sum = (sum & 0xffff) + (sum >> 16);
  }
  if (n & 1) sum += uint32_t{p[n - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

inline uint16_t ref_csum(const uint8_t* p, size_t n) {
  return static_cast<uint16_t>(~ref_sum(p, n));
}

// The TCP/UDP pseudo-header of RFC 9293 3.1 (source, destination, zero,
// protocol, L4 length) summed, for the IPv4 header at `ip`.
inline uint16_t ref_pseudo_sum(const uint8_t* ip, uint8_t proto, size_t l4_len) {
  uint8_t pseudo[12];
  for (int i = 0; i < 8; i++) pseudo[i] = ip[12 + i];
  pseudo[8] = 0;
  pseudo[9] = proto;
  pseudo[10] = static_cast<uint8_t>(l4_len >> 8);
  pseudo[11] = static_cast<uint8_t>(l4_len);
  return ref_sum(pseudo, sizeof pseudo);
}

// Checksum field value of the L4 segment `l4` (its own checksum field must be
// zero) under the IPv4 header `ip`.
inline uint16_t ref_l4_csum(const uint8_t* ip, uint8_t proto, const uint8_t* l4, size_t l4_len) {
  return static_cast<uint16_t>(~ref_sum(l4, l4_len, ref_pseudo_sum(ip, proto, l4_len)));
}

// True when the segment, its checksum field included, sums to 0xffff.
inline bool ref_l4_csum_ok(const uint8_t* ip, uint8_t proto, const uint8_t* l4, size_t l4_len) {
  return ref_sum(l4, l4_len, ref_pseudo_sum(ip, proto, l4_len)) == 0xffff;
}

}  // namespace synack::testing
