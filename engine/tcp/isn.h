// Initial sequence numbers per RFC 6528 section 3: ISN = M + F(4-tuple, secret),
// M a 4-microsecond clock, F a keyed PRF (SipHash-2-4).
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/seq.h"
#include "tcp/siphash.h"

namespace synack::tcp {

class IsnGenerator {
 public:
  explicit IsnGenerator(const SipKey& key) : key_(key) {}
  Seq next(const FourTuple& t, uint64_t now_us) const;

 private:
  SipKey key_;
};

}  // namespace synack::tcp
