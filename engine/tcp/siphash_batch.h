// SipHash-2-4 and SipHash-1-3 of many 16-byte messages per call, one key for all: the
// cookie MACs or flow-table signatures of a whole RX burst. Three variants compute the
// same values (scalar; AVX2, 4 lanes; AVX-512, 8 lanes); the runtime picks one at
// start-up from the CPU flags and the EAL's --force-max-simd-bitwidth, as DPDK's PMDs
// pick their vector paths.
#pragma once

#include <cstdint>
#include <span>

#include "tcp/siphash.h"

namespace synack::tcp {

// out[i] = SipHash(key, w0[i] || w1[i]) for i < n, each word little-endian: the value of
// siphash24_2w / siphash13_2w. Inputs are structure-of-arrays, so that a vector load
// takes one word of several messages. Any n works; bursts are at most kSipBatchMax.
// out may be w0 or w1 (hashing in place) but must not overlap them otherwise; no
// alignment beyond uint64_t's is needed.
using SipBatchFn = void (*)(const SipKey& key, const uint64_t* w0, const uint64_t* w1,
                            uint64_t* out, uint32_t n);

inline constexpr uint32_t kSipBatchMax = 64;

// Messages per vector.
enum class SipLanes : uint8_t { kScalar = 1, kAvx2 = 4, kAvx512 = 8 };

struct SipBatch {
  SipLanes lanes;
  const char* name;  // "scalar", "avx2", "avx512"
  SipBatchFn hash24;
  SipBatchFn hash13;
};

// Every variant of this build, scalar first.
std::span<const SipBatch> sip_batch_variants();

// The variant for `lanes`; every SipLanes value has one.
const SipBatch& sip_batch(SipLanes lanes);

// Whether this CPU (and OS, which must save the vector registers) runs the variant:
// __builtin_cpu_supports, for tests and benchmarks to skip what they cannot run. The
// runtime decides with choose_sip_lanes() from DPDK's view of the CPU instead.
bool sip_lanes_runnable(SipLanes lanes);

// The widest variant the CPU has and the SIMD width allows: the runtime passes
// rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2), (..._AVX512F && ..._AVX512VL) and
// rte_vect_get_max_simd_bitwidth(), so --force-max-simd-bitwidth=256 or 64 caps it.
// DPDK's default cap on x86 is 256 bits (RTE_VECT_DEFAULT_SIMD_BITWIDTH), so AVX-512
// takes --force-max-simd-bitwidth=512, as DPDK's own AVX-512 paths do.
constexpr SipLanes choose_sip_lanes(bool cpu_avx2, bool cpu_avx512f_vl,
                                    unsigned max_simd_bitwidth) {
  if (cpu_avx512f_vl && max_simd_bitwidth >= 512) return SipLanes::kAvx512;
  if (cpu_avx2 && max_simd_bitwidth >= 256) return SipLanes::kAvx2;
  return SipLanes::kScalar;
}

}  // namespace synack::tcp
