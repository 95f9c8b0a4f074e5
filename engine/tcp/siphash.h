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

}  // namespace synack::tcp
