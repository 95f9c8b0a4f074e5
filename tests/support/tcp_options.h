// The option set a Linux client puts on its SYN (MSS, SACK-permitted,
// timestamps, window scale), for tests and benchmarks.
#pragma once

#include <cstdint>

#include "tcp/options.h"

namespace synack::testing {

inline tcp::TcpOptions linux_syn_options(uint32_t ts_val = 12345, uint32_t ts_ecr = 0) {
  tcp::TcpOptions o;
  o.has_mss = true;
  o.mss = 1460;
  o.has_wscale = true;
  o.wscale = 7;
  o.sack_permitted = true;
  o.has_timestamps = true;
  o.ts_val = ts_val;
  o.ts_ecr = ts_ecr;
  return o;
}

}  // namespace synack::testing
