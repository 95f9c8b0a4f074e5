// One IPv4 connection: key, TCB and the peer's MAC (for replies sent from a
// timer, when there is no received frame to answer in place). One cache line.
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/tcb.h"

namespace synack::flow {

struct alignas(64) FlowRecord {
  tcp::FourTuple key;   // 12 bytes
  tcp::Tcb tcb;         // 44 bytes
  uint8_t peer_mac[6];  // 6 bytes
  uint8_t reserved[2];
};
static_assert(sizeof(FlowRecord) == 64, "a connection record is one cache line");

}  // namespace synack::flow
