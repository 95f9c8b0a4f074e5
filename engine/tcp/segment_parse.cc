#include "tcp/segment_parse.h"

#include "wire/byteorder.h"
#include "wire/headers.h"

namespace synack::tcp {

Drop parse_segment(const uint8_t* l4, uint16_t l4_len, Segment& seg) {
  namespace th = wire::tcp;
  const uint16_t hdr_len = static_cast<uint16_t>((l4[th::kDataOff] >> 4) * 4);
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
