// SipHash batch, one message at a time: the variant every x86-64 CPU runs, and the one
// the vector variants are tested against. The hashes are independent, so the CPU
// overlaps consecutive ones by itself.
#include "tcp/siphash_batch_impl.h"

namespace synack::tcp::sipbatch {

void hash24_scalar(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) out[i] = siphash24_2w(key, w0[i], w1[i]);
}

void hash13_scalar(const SipKey& key, const uint64_t* w0, const uint64_t* w1, uint64_t* out,
                   uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) out[i] = siphash13_2w(key, w0[i], w1[i]);
}

}  // namespace synack::tcp::sipbatch
