// SipHash batch, 8 messages per AVX-512 vector. Compiled with -mavx512f alone
// (meson.build): nothing here runs unless the start-up choice (choose_sip_lanes)
// picked it. vprolq rotates every lane in one instruction, the rotate AVX2 lacks.
// GCC 12.2's AVX-512 intrinsics pass _mm512_undefined_epi32() to the builtins as the
// unused merge source, and its own -Wmaybe-uninitialized reports that once inlined.
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "tcp/siphash_batch_impl.h"

namespace synack::tcp::sipbatch {
namespace {

struct U64x8 {
  static constexpr uint32_t kLanes = 8;

  __m512i r;

  [[gnu::always_inline]] explicit U64x8(__m512i v) : r(v) {}
  [[gnu::always_inline]] explicit U64x8(uint64_t x)
      : r(_mm512_set1_epi64(static_cast<long long>(x))) {}

  [[gnu::always_inline]] friend U64x8 operator+(U64x8 a, U64x8 b) {
    return U64x8(_mm512_add_epi64(a.r, b.r));
  }
  [[gnu::always_inline]] friend U64x8 operator^(U64x8 a, U64x8 b) {
    return U64x8(_mm512_xor_si512(a.r, b.r));
  }

  [[gnu::always_inline]] static U64x8 load(const uint64_t* p) {
    return U64x8(_mm512_loadu_si512(p));
  }
  [[gnu::always_inline]] static void store(uint64_t* p, U64x8 v) { _mm512_storeu_si512(p, v.r); }

  // Masked-off lanes (count..7) are neither read nor written, and do not fault.
  [[gnu::always_inline]] static __mmask8 first(uint32_t count) {
    return static_cast<__mmask8>((1u << count) - 1);
  }
  [[gnu::always_inline]] static U64x8 load_first(const uint64_t* p, uint32_t count) {
    return U64x8(_mm512_maskz_loadu_epi64(first(count), p));
  }
  [[gnu::always_inline]] static void store_first(uint64_t* p, uint32_t count, U64x8 v) {
    _mm512_mask_storeu_epi64(p, first(count), v.r);
  }
};

template <int B>
[[gnu::always_inline]] inline U64x8 rotl(U64x8 x) {
  return U64x8(_mm512_rol_epi64(x.r, B));
}

}  // namespace

void hash24_avx512(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n) {
  hash_lanes<2, 4, U64x8>(key, w0, w1, out, n);
}

void hash13_avx512(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n) {
  hash_lanes<1, 3, U64x8>(key, w0, w1, out, n);
}

}  // namespace synack::tcp::sipbatch
