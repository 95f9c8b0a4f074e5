// The TCP header and its options (RFC 9293 3.1, 3.2) from packet bytes whose
// checksum the wire layer has verified, into the one received-segment type.
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/tcp_drops.h"

namespace synack::tcp {

// `l4` holds `l4_len` bytes: header, options and payload (at least 20 bytes).
// Returns Drop::kNone and fills `seg` (payload pointing into `l4`), or why the
// segment cannot be taken: kBadTcpHeader (data offset < 5 or past the
// segment), kBadTcpOptions (malformed list), kTcpMd5Unexpected (RFC 2385
// signature: we hold no keys, as Linux drops it without one).
Drop parse_segment(const uint8_t* l4, uint16_t l4_len, Segment& seg);

}  // namespace synack::tcp
