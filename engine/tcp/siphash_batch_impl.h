// Internal to the SipHash batch: the variants' entry points, and the loop that the vector
// variants share. Only siphash_batch*.cc include this.
#pragma once

#include <cstdint>

#include "tcp/siphash.h"

namespace synack::tcp::sipbatch {

// One pair per file, each file compiled for its own instruction set (meson.build).
void hash24_scalar(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n);
void hash13_scalar(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n);
void hash24_avx2(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                 uint32_t n);
void hash13_avx2(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                 uint32_t n);
void hash24_avx512(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n);
void hash13_avx512(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n);

// Two vectors as one value: SipState over Twice<V> runs the rounds of two independent
// vectors of messages interleaved, so one's dependency chain fills the other's gaps.
// bench_siphash on this machine (EPYC, Zen 4), batch of 32, cycles per hash, one vector
// per step vs two: SipHash-2-4 AVX2 14.9 -> 11.7, AVX-512 9.1 -> 7.5; SipHash-1-3
// AVX2 8.8 -> 7.1, AVX-512 5.4 -> 4.7. Four gained 5% more for AVX-512 and nothing for
// AVX2, whose 16 registers then spill.
template <class V>
struct Twice {
  V a, b;

  [[gnu::always_inline]] explicit Twice(uint64_t x) : a(x), b(x) {}
  [[gnu::always_inline]] Twice(V x, V y) : a(x), b(y) {}

  [[gnu::always_inline]] friend Twice operator+(Twice x, Twice y) {
    return Twice(x.a + y.a, x.b + y.b);
  }
  [[gnu::always_inline]] friend Twice operator^(Twice x, Twice y) {
    return Twice(x.a ^ y.a, x.b ^ y.b);
  }
  template <int B>
  [[gnu::always_inline]] friend Twice rotl(Twice x) {
    return Twice(rotl<B>(x.a), rotl<B>(x.b));
  }
};

// The batch loop over a vector type V of V::kLanes 64-bit lanes: pairs of whole vectors,
// one more whole vector, then one masked vector for the 1..kLanes-1 messages left, which
// costs what one more vector does instead of that many scalar hashes. V supplies + ^ and
// rotl<B> for SipState, V(uint64_t) broadcasting, and load/store/load_first/store_first
// (the masked forms touch only the first `count` words, so the tail never reads or
// writes past n).
//
// V must be declared in an anonymous namespace of its variant's file: then this
// template's instances have internal linkage, and no function compiled for AVX2 or
// AVX-512 can be merged by the linker with a copy that the rest of the binary calls
// (scripts/check_isa_symbols.py fails the build if one appears).
template <int C, int D, class V>
[[gnu::always_inline]] inline void hash_lanes(const SipKey& key, const uint64_t* w0,
                                              const uint64_t* w1, uint64_t* out, uint32_t n) {
  constexpr uint32_t k = V::kLanes;
  uint32_t i = 0;
  for (; i + 2 * k <= n; i += 2 * k) {
    const Twice<V> h = siphash_words<C, D>(key, Twice<V>(V::load(w0 + i), V::load(w0 + i + k)),
                                           Twice<V>(V::load(w1 + i), V::load(w1 + i + k)));
    V::store(out + i, h.a);
    V::store(out + i + k, h.b);
  }
  if (i + k <= n) {
    V::store(out + i, siphash_words<C, D>(key, V::load(w0 + i), V::load(w1 + i)));
    i += k;
  }
  if (const uint32_t rest = n - i; rest != 0) {
    V::store_first(
        out + i, rest,
        siphash_words<C, D>(key, V::load_first(w0 + i, rest), V::load_first(w1 + i, rest)));
  }
}

}  // namespace synack::tcp::sipbatch
