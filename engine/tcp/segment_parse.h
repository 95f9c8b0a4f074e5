// The TCP header and its options (RFC 9293 3.1, 3.2) from packet bytes whose
// checksum the wire layer has verified, into the one received-segment type.
#pragma once

#include <cstdint>

#include "tcp/segment.h"
#include "tcp/tcp_drops.h"
#include "wire/byteorder.h"
#include "wire/headers.h"

namespace synack::tcp {

// `l4` holds `l4_len` bytes: header, options and payload (at least 20 bytes).
// Returns Drop::kNone and fills `seg` (payload pointing into `l4`), or why the
// segment cannot be taken: kBadTcpHeader (data offset < 5 or past the
// segment), kBadTcpOptions (malformed list), kTcpMd5Unexpected (RFC 2385
// signature: we hold no keys, as Linux drops it without one).
// Inline: once per segment on the hot path.
inline Drop parse_segment(const uint8_t* l4, uint16_t l4_len, Segment& seg) {
  namespace th = wire::tcp;
  const auto hdr_len = static_cast<uint16_t>((l4[th::kDataOff] >> 4) * 4);
  if (hdr_len < wire::kTcpMinHdrLen || hdr_len > l4_len) return Drop::kBadTcpHeader;
  seg.src_port = wire::load_be16(l4 + th::kSport);
  seg.dst_port = wire::load_be16(l4 + th::kDport);
  seg.seq = Seq(wire::load_be32(l4 + th::kSeq));
  seg.ack = Seq(wire::load_be32(l4 + th::kAck));
  seg.flags = l4[th::kFlags];
  seg.wnd = wire::load_be16(l4 + th::kWnd);
  seg.payload_len = static_cast<uint32_t>(l4_len - hdr_len);
  seg.payload = l4 + hdr_len;
  const size_t opt_len = hdr_len - wire::kTcpMinHdrLen;
  if (opt_len == 0) {
    seg.opts = TcpOptions{};
    return Drop::kNone;
  }
  if (!parse_options(l4 + wire::kTcpMinHdrLen, opt_len, seg.opts)) return Drop::kBadTcpOptions;
  if (seg.opts.has_md5) return Drop::kTcpMd5Unexpected;
  return Drop::kNone;
}

}  // namespace synack::tcp
