// SipHash batch, 4 messages per AVX2 vector. Compiled with -mavx2 alone (meson.build):
// nothing here runs unless the start-up choice (choose_sip_lanes) picked it.
//
// AVX2 has no 64-bit rotate: rotl by 32 swaps the halves of each lane (vpshufd), by 16
// moves bytes (vpshufb), and 13, 17 and 21 take two shifts and an or.
#include <immintrin.h>

#include "tcp/siphash_batch_impl.h"

namespace synack::tcp::sipbatch {
namespace {

struct U64x4 {
  static constexpr uint32_t kLanes = 4;

  __m256i r;

  [[gnu::always_inline]] explicit U64x4(__m256i v) : r(v) {}
  [[gnu::always_inline]] explicit U64x4(uint64_t x)
      : r(_mm256_set1_epi64x(static_cast<long long>(x))) {}

  [[gnu::always_inline]] friend U64x4 operator+(U64x4 a, U64x4 b) {
    return U64x4(_mm256_add_epi64(a.r, b.r));
  }
  [[gnu::always_inline]] friend U64x4 operator^(U64x4 a, U64x4 b) {
    return U64x4(_mm256_xor_si256(a.r, b.r));
  }

  [[gnu::always_inline]] static U64x4 load(const uint64_t* p) {
    return U64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  [[gnu::always_inline]] static void store(uint64_t* p, U64x4 v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v.r);
  }

  // Lanes below `count` (1..3) all ones: vpmaskmovq reads and writes only those, and
  // does not fault on the words past them.
  [[gnu::always_inline]] static __m256i first(uint32_t count) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  [[gnu::always_inline]] static U64x4 load_first(const uint64_t* p, uint32_t count) {
    return U64x4(_mm256_maskload_epi64(reinterpret_cast<const long long*>(p), first(count)));
  }
  [[gnu::always_inline]] static void store_first(uint64_t* p, uint32_t count, U64x4 v) {
    _mm256_maskstore_epi64(reinterpret_cast<long long*>(p), first(count), v.r);
  }
};

template <int B>
[[gnu::always_inline]] inline U64x4 rotl(U64x4 x) {
  if constexpr (B == 32) {
    return U64x4(_mm256_shuffle_epi32(x.r, _MM_SHUFFLE(2, 3, 0, 1)));
  } else if constexpr (B == 16) {
    // Byte j of each lane takes byte (j - 2) mod 8; vpshufb indexes within 128 bits.
    const __m256i k = _mm256_setr_epi8(6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13,  //
                                       6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
    return U64x4(_mm256_shuffle_epi8(x.r, k));
  } else {
    return U64x4(_mm256_or_si256(_mm256_slli_epi64(x.r, B), _mm256_srli_epi64(x.r, 64 - B)));
  }
}

}  // namespace

void hash24_avx2(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                 uint32_t n) {
  hash_lanes<2, 4, U64x4>(key, w0, w1, out, n);
}

void hash13_avx2(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                 uint32_t n) {
  hash_lanes<1, 3, U64x4>(key, w0, w1, out, n);
}

}  // namespace synack::tcp::sipbatch
