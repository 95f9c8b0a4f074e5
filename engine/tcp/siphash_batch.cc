// The SipHash batch variants and the start-up choice between them.
#include "tcp/siphash_batch.h"

#include <cassert>

#include "tcp/siphash_batch_impl.h"

namespace synack::tcp {

namespace {

constexpr SipBatch kVariants[] = {
    {SipLanes::kScalar, "scalar", sipbatch::hash24_scalar, sipbatch::hash13_scalar},
    {SipLanes::kAvx2, "avx2", sipbatch::hash24_avx2, sipbatch::hash13_avx2},
    {SipLanes::kAvx512, "avx512", sipbatch::hash24_avx512, sipbatch::hash13_avx512},
};

}  // namespace

std::span<const SipBatch> sip_batch_variants() {
  return kVariants;
}

const SipBatch& sip_batch(SipLanes lanes) {
  for (const SipBatch& b : kVariants) {
    if (b.lanes == lanes) return b;
  }
  assert(!"SipLanes value with no variant");
  return kVariants[0];
}

bool sip_lanes_runnable(SipLanes lanes) {
  switch (lanes) {
    case SipLanes::kScalar:
      return true;
    case SipLanes::kAvx2:
      return __builtin_cpu_supports("avx2");
    case SipLanes::kAvx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

}  // namespace synack::tcp
