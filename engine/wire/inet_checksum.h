// RFC 1071 ones' complement sums, tuned for the short headers of the SYN path.
//
// Why not rte_raw_cksum: it adds 16-bit words one at a time. Adding 64-bit
// words with carry gives the same sum (2^16 is 1 modulo 2^16 - 1) in a quarter
// of the additions. build/bench/wire/bench_checksum on this machine, side by
// side: 40 bytes 2.4 vs 3.9 ns (rte_raw_cksum), 60 bytes 2.9 vs 5.9 ns;
// tests/unit/wire checks the sums against a plain RFC 1071 implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "wire/byteorder.h"

namespace synack::wire {

namespace csum_detail {

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// a + b + carry_in into *out, returning the carry out: x86's adc, which the
// compiler chains when the carry of one call feeds the next.
inline unsigned char adc(unsigned char carry_in, unsigned long long a, unsigned long long b,
                         unsigned long long* out) {
  return __builtin_ia32_addcarryx_u64(carry_in, a, b, out);
}

}  // namespace csum_detail

// Sum of `n` bytes as native-order 16-bit words, unfolded (add more, then
// fold). 64-bit words go into a 128-bit accumulator (add/adc), the carries
// folded back at the end: 2 instructions per 8 bytes.
inline uint64_t csum_add(const void* data, size_t n, uint64_t acc = 0) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  unsigned __int128 a = acc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    a += v;
  }
  uint64_t t = 0;
  if (n & 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    t = v;
    p += 4;
  }
  if (n & 2) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    t += v;
    p += 2;
  }
  if (n & 1) t += *p;  // a lone last byte is the first byte of a zero-padded word
  a += t;
  uint64_t lo = static_cast<uint64_t>(a), hi = static_cast<uint64_t>(a >> 64);
  uint64_t s = lo + hi;
  return s + (s < hi);  // end-around carry
}

// csum_add() of exactly N bytes, N a multiple of 4: one add-with-carry chain
// (one adc per 8 bytes, the words read as its memory operands) and the last
// carry added back. GCC -O2 left csum_add's loop rolled even for a constant
// length, and a carry counted apart (__builtin_uaddll_overflow) took three
// instructions a word; the chain is what the RX classifier's checksums cost
// (bench_synack_path under callgrind, see rx_classifier.h).
template <size_t N>
inline uint64_t csum_add_n(const void* data, uint64_t acc = 0) {
  static_assert(N % 4 == 0);
  const uint8_t* p = static_cast<const uint8_t*>(data);
  unsigned long long s = acc;
  unsigned char c = 0;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((c = csum_detail::adc(c, s, csum_detail::load64(p + 8 * I), &s)), ...);
  }
  (std::make_index_sequence<N / 8>{});
  if constexpr (N % 8 == 4) {
    uint32_t v;
    std::memcpy(&v, p + N - 4, 4);
    c = csum_detail::adc(c, s, v, &s);
  }
  csum_detail::adc(c, s, 0, &s);  // end-around carry (s + 1 cannot carry again)
  return s;
}

// Folds an accumulated sum to 16 bits with end-around carries. Adding a word
// to itself rotated by half its width leaves the end-around sum of its two
// halves in the upper half (the carry out of the lower halves lands in it):
// four instructions per halving, where masks and shifts took six.
inline uint16_t csum_fold(uint64_t acc) {
  const auto s = static_cast<uint32_t>((acc + ((acc >> 32) | (acc << 32))) >> 32);
  return static_cast<uint16_t>((s + ((s >> 16) | (s << 16))) >> 16);
}

// csum_fold() of a sum known to be below 2^32 (a few 16-bit words added).
inline uint16_t csum_fold32(uint64_t acc) {
  const auto s = static_cast<uint32_t>(acc);
  return static_cast<uint16_t>((s + ((s >> 16) | (s << 16))) >> 16);
}

// Sum of the TCP/UDP pseudo-header (RFC 9293 3.1) for the IPv4 header at `ip`,
// in the same native word order: the addresses from the header, the zero and
// protocol bytes and the length as values (building them in a byte array and
// summing it would stall on the store buffer).
inline uint64_t csum_pseudo_ipv4(const uint8_t* ip, uint8_t proto, uint16_t l4_len) {
  // Little-endian host (byteorder.h): the word {0, proto} reads as proto << 8.
  const uint64_t zero_proto = uint64_t{proto} << 8;
  const uint64_t len_be = __builtin_bswap16(l4_len);
  // The constants go in as the accumulator: added after the addresses, a
  // sum near 2^64 (all-ones addresses) would lose its carry.
  return csum_add(ip + 12, 8, zero_proto + len_be);
}

}  // namespace synack::wire
