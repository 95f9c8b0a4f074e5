// The one representation of a segment to send: what the Endpoint decides and
// the frame writer (segment_write.h) or a reply template serialises.
#pragma once

#include <cstdint>

#include "tcp/options.h"
#include "tcp/seq.h"

namespace synack::tcp {

struct TxSegment {
  Seq seq;
  Seq ack;
  uint32_t data_off = 0;  // payload: the application's send stream from ISS+1 at this offset
  uint16_t data_len = 0;
  uint16_t wnd = 0;  // header window field, already shifted right by our window scale
  uint8_t flags = 0;
  TcpOptions opts;  // exactly the options to write (MSS/WS/SACK only on SYNs)
};

}  // namespace synack::tcp
