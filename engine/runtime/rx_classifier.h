// Stage 1 of a burst: the common frame (Ethernet II, option-less IPv4 to our
// address and MAC, TCP) recognised by masked compares of its first 34 bytes
// against a template of what we accept, then parsed at fixed offsets. Anything
// else, and anything this finds wrong, goes to wire::parse_frame, which
// decides every rejection and its reason: the two agree on what they accept
// (a test feeds both the same frames).
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "wire/frame.h"

namespace synack::runtime {

class RxClassifier {
 public:
  void init(const wire::ParseContext& pc);

  // True when `data` is such a frame with valid checksums (or `csum_ok` says
  // the NIC checked them) and a well-formed TCP header: then `f` and `seg`
  // are filled as parse_frame and tcp::parse_segment would fill them.
  bool parse(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok, wire::Frame& f,
             tcp::Segment& seg) const;

 private:
  uint64_t mask0_ = 0, want0_ = 0;  // bytes 0-7: destination MAC, source MAC's group bit
  uint64_t mask1_ = 0, want1_ = 0;  // bytes 8-15: EtherType, version and IHL
  uint64_t mask2_ = 0, want2_ = 0;  // bytes 16-23: fragment bits, protocol
  uint32_t want_dst_ = 0;           // bytes 30-33: our address as it is on the wire
  wire::ParseContext pc_;
};

}  // namespace synack::runtime
