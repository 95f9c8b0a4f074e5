// One IPv4 connection: TCB and the peer's MAC (for replies sent from a timer,
// when there is no received frame to answer in place). One cache line; the
// 4-tuple is the flow table's key, kept beside the records (FlowTable::key()).
#pragma once

#include <cstdint>

#include "tcp/tcb.h"

namespace synack::flow {

struct alignas(64) FlowRecord {
  tcp::Tcb tcb;         // 56 bytes
  uint8_t peer_mac[6];  // 6 bytes
  uint8_t app[2];       // the application's per-flow bytes, if it keeps any
};
static_assert(sizeof(FlowRecord) == 64, "a connection record is one cache line");

}  // namespace synack::flow
