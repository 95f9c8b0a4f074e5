// Serialises a TxSegment: Ethernet + IPv4 + TCP header, options and payload,
// with both checksums (or, with offload, the pseudo-header sum the NIC
// completes: RTE_MBUF_F_TX_TCP_CKSUM).
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/tx_segment.h"
#include "wire/byteorder.h"

namespace synack::tcp {

// Where a segment goes: our MAC and the next hop's, and the connection (we
// are its local end).
struct Route {
  wire::MacAddr local_mac;
  wire::MacAddr remote_mac;
  FourTuple key;
};

// Frame length of a segment with these options and no payload; the payload
// (s.data_len bytes) goes right after it.
uint16_t segment_header_len(const TxSegment& s);

// Writes the whole frame at `buf`. The payload must already be in place at
// buf + segment_header_len(s) (the caller copies it from the application).
// `buf` may be the received frame being answered. Returns the frame length.
uint16_t write_segment(uint8_t* buf, const Route& r, const TxSegment& s, bool csum_offload);

}  // namespace synack::tcp
