// SipHash-2-4 (Aumasson & Bernstein) over a few 64-bit words: the keyed PRF behind
// ISNs (RFC 6528) and SYN cookies.
#pragma once

#include <cstddef>
#include <cstdint>

namespace synack::tcp {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

// Reference SipHash-2-4 of `len` bytes (little-endian message, as the paper).
uint64_t siphash24(const SipKey& key, const void* data, size_t len);

// SipHash-2-4 of exactly three 64-bit words (24 bytes), same result as
// siphash24() over their little-endian bytes, without the byte loop.
uint64_t siphash24_3w(const SipKey& key, uint64_t w0, uint64_t w1, uint64_t w2);

// The same function, inline, for per-packet hot paths (SYN cookies: one hash
// per encode and per validate), saving the call and letting the key loads and
// word packing overlap with the caller.
// siphash24_3w() is this; tests check both against the byte version.
namespace detail {

constexpr uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  constexpr explicit SipState(const SipKey& k)
      : v0(k.k0 ^ 0x736f6d6570736575ull),
        v1(k.k1 ^ 0x646f72616e646f6dull),
        v2(k.k0 ^ 0x6c7967656e657261ull),
        v3(k.k1 ^ 0x7465646279746573ull) {}

  constexpr void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }

  // One message word, c = 2 compression rounds.
  constexpr void compress(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }

  // d = 4 finalization rounds.
  constexpr uint64_t finish() {
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace detail

// always_inline: GCC -O2 may outline it when a function calls it twice (the
// cookie validate() under the current and the previous secret).
[[gnu::always_inline]] constexpr uint64_t siphash24_3w_inline(const SipKey& key, uint64_t w0,
                                                              uint64_t w1, uint64_t w2) {
  detail::SipState s(key);
  s.compress(w0);
  s.compress(w1);
  s.compress(w2);
  s.compress(uint64_t{24} << 56);  // last block: no tail bytes, length 24
  return s.finish();
}

// SipHash-1-3 of exactly two 64-bit words (16 bytes): table signatures, where
// a keyed hash only has to keep an attacker from choosing collisions.
[[gnu::always_inline]] constexpr uint64_t siphash13_2w_inline(const SipKey& key, uint64_t w0,
                                                              uint64_t w1) {
  detail::SipState s(key);
  const uint64_t m[3] = {w0, w1, uint64_t{16} << 56};
  for (uint64_t w : m) {
    s.v3 ^= w;
    s.round();
    s.v0 ^= w;
  }
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

// SipHash-2-4 of exactly two 64-bit words (16 bytes): the SYN-cookie MAC.
[[gnu::always_inline]] constexpr uint64_t siphash24_2w_inline(const SipKey& key, uint64_t w0,
                                                              uint64_t w1) {
  detail::SipState s(key);
  s.compress(w0);
  s.compress(w1);
  s.compress(uint64_t{16} << 56);  // last block: no tail bytes, length 16
  return s.finish();
}

}  // namespace synack::tcp
