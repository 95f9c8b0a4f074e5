// SipHash-2-4, "SipHash: a fast short-input PRF" (Aumasson & Bernstein, 2012).
#include "tcp/siphash.h"

namespace synack::tcp {

namespace {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

uint64_t siphash24(const SipKey& key, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  detail::SipState s(key);
  const size_t full = len & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) s.compress(load_le64(p + i));
  // Last block: the 0-7 remaining bytes, and len mod 256 in the top byte.
  uint64_t b = static_cast<uint64_t>(len & 0xff) << 56;
  for (size_t i = 0; i < (len & 7); ++i) b |= static_cast<uint64_t>(p[full + i]) << (8 * i);
  s.compress(b);
  return s.finish();
}

// 3-word SipHash: 11.9 ns vs 19.3 ns for the byte loop over the same 24 bytes,
// bench_cookie (BM_Siphash3w, BM_SiphashBytes24) on this machine (EPYC, 2.6 GHz).
uint64_t siphash24_3w(const SipKey& key, uint64_t w0, uint64_t w1, uint64_t w2) {
  return siphash24_3w_inline(key, w0, w1, w2);
}

}  // namespace synack::tcp
