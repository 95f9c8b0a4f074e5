// SipHash-c-d (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012) over a few
// 64-bit words: SipHash-2-4 is the keyed PRF behind ISNs (RFC 6528) and SYN cookies;
// SipHash-1-3 keys flow-table signatures, where a collision costs a probe, not a forgery.
// The batch forms, several messages per call, are in tcp/siphash_batch.h.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace synack::tcp {

struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

namespace detail {

template <int B>
constexpr uint64_t rotl(uint64_t x) {
  return (x << B) | (x >> (64 - B));
}

// Little-endian whatever the host order: the paper defines the message as LE words.
constexpr uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The state and SipRound of the paper (section 2), C rounds per message word and D
// finalisation rounds. Round counts are template arguments so that the rounds unroll
// into straight-line code. T is one 64-bit lane (uint64_t) or a vector of lanes, one
// message per lane (siphash_batch_*.cc): a type with + and ^ and a rotl<B>(T) found by
// argument-dependent lookup, so every variant runs this one definition of the rounds.
template <int C, int D, class T = uint64_t>
struct SipState {
  static_assert(C >= 1 && D >= 1);

  T v0, v1, v2, v3;

  [[gnu::always_inline]] constexpr explicit SipState(const SipKey& k)
      : v0(T(k.k0 ^ 0x736f6d6570736575ull)),
        v1(T(k.k1 ^ 0x646f72616e646f6dull)),
        v2(T(k.k0 ^ 0x6c7967656e657261ull)),
        v3(T(k.k1 ^ 0x7465646279746573ull)) {}

  [[gnu::always_inline]] constexpr void round() {
    v0 = v0 + v1;
    v1 = rotl<13>(v1);
    v1 = v1 ^ v0;
    v0 = rotl<32>(v0);
    v2 = v2 + v3;
    v3 = rotl<16>(v3);
    v3 = v3 ^ v2;
    v0 = v0 + v3;
    v3 = rotl<21>(v3);
    v3 = v3 ^ v0;
    v2 = v2 + v1;
    v1 = rotl<17>(v1);
    v1 = v1 ^ v2;
    v2 = rotl<32>(v2);
  }

  template <int N>
  [[gnu::always_inline]] constexpr void rounds() {
    if constexpr (N > 0) {
      round();
      rounds<N - 1>();
    }
  }

  [[gnu::always_inline]] constexpr void compress(T m) {
    v3 = v3 ^ m;
    rounds<C>();
    v0 = v0 ^ m;
  }

  [[gnu::always_inline]] constexpr T finish() {
    v2 = v2 ^ T(0xff);
    rounds<D>();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace detail

// SipHash-c-d of `len` bytes, byte by byte as the paper defines it: the reference that
// the word forms and the batch variants are tested against.
template <int C, int D>
uint64_t siphash_bytes(const SipKey& key, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  detail::SipState<C, D> s(key);
  const size_t full = len & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) s.compress(detail::load_le64(p + i));
  // Last block: the 0-7 remaining bytes, and len mod 256 in the top byte.
  uint64_t b = static_cast<uint64_t>(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); ++i) b |= static_cast<uint64_t>(p[full + i]) << (8 * i);
  s.compress(b);
  return s.finish();
}

// SipHash-c-d of the little-endian bytes of the words w, ws..., without the byte loop:
// the message is whole words, so the last block holds only the length. With T a vector
// type, each lane hashes its own message.
template <int C, int D, class T, std::same_as<T>... W>
[[gnu::always_inline]] constexpr T siphash_words(const SipKey& key, T w, W... ws) {
  detail::SipState<C, D, T> s(key);
  s.compress(w);
  (s.compress(ws), ...);
  s.compress(T(uint64_t{8 * (1 + sizeof...(W))} << 56));
  return s.finish();
}

// Reference SipHash-2-4 of `len` bytes (little-endian message, as the paper).
uint64_t siphash24(const SipKey& key, const void* data, size_t len);

// SipHash-2-4 of exactly three 64-bit words (24 bytes), same result as
// siphash24() over their little-endian bytes, without the byte loop.
uint64_t siphash24_3w(const SipKey& key, uint64_t w0, uint64_t w1, uint64_t w2);

// The same function, inline, for per-packet hot paths (SYN cookies: one hash
// per encode and per validate), saving the call and letting the key loads and
// word packing overlap with the caller.
// siphash24_3w() is this; tests check both against the byte version.
// always_inline: GCC -O2 may outline it when a function calls it twice (the
// cookie validate() under the current and the previous secret).
[[gnu::always_inline]] constexpr uint64_t siphash24_3w_inline(const SipKey& key, uint64_t w0,
                                                              uint64_t w1, uint64_t w2) {
  return siphash_words<2, 4>(key, w0, w1, w2);
}

// SipHash-2-4 and SipHash-1-3 of a 16-byte message w0 || w1 (each word little-endian),
// inline for one hash per packet; a burst's worth at once is sip_batch() (siphash_batch.h).
[[gnu::always_inline]] constexpr uint64_t siphash24_2w(const SipKey& key, uint64_t w0,
                                                       uint64_t w1) {
  return siphash_words<2, 4>(key, w0, w1);
}

[[gnu::always_inline]] constexpr uint64_t siphash13_2w(const SipKey& key, uint64_t w0,
                                                       uint64_t w1) {
  return siphash_words<1, 3>(key, w0, w1);
}

}  // namespace synack::tcp
