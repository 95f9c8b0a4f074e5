#include "tcp/segment_write.h"

#include "tcp/options.h"
#include "wire/craft.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::tcp {

uint16_t segment_header_len(const TxSegment& s) {
  return static_cast<uint16_t>(wire::kEthIpv4HdrLen + wire::kTcpMinHdrLen + options_length(s.opts));
}

uint16_t write_segment(uint8_t* buf, const Route& r, const TxSegment& s, bool csum_offload) {
  uint8_t* t = buf + wire::kEthIpv4HdrLen;
  // Options first, straight to their place; each word's sum comes from its
  // value, so nothing is read back (that stalls on the store buffer).
  uint32_t opts_sum = 0;
  const auto opt_len =
      static_cast<uint16_t>(write_options(t + wire::kTcpMinHdrLen, s.opts, &opts_sum));
  const auto hdr_len = static_cast<uint16_t>(wire::kTcpMinHdrLen + opt_len);
  const auto tcp_len = static_cast<uint16_t>(hdr_len + s.data_len);
  const uint64_t pseudo = wire::write_eth_ipv4(buf, r.local_mac, r.remote_mac, r.key.local_ip,
                                               r.key.remote_ip, wire::kProtoTcp, tcp_len);
  namespace th = wire::tcp;
  const auto off_flags = static_cast<uint16_t>((hdr_len / 4) << 12 | s.flags);
  const uint32_t seq = s.seq.raw(), ack = s.ack.raw();
  wire::store_be16(t + th::kSport, r.key.local_port);
  wire::store_be16(t + th::kDport, r.key.remote_port);
  wire::store_be32(t + th::kSeq, seq);
  wire::store_be32(t + th::kAck, ack);
  wire::store_be16(t + th::kDataOff, off_flags);
  wire::store_be16(t + th::kWnd, s.wnd);
  wire::store_be16(t + th::kUrg, 0);
  // RFC 9293 3.1: pseudo-header (addresses, protocol, TCP length), then the
  // segment. With offload the NIC adds the segment to the pseudo-header sum.
  if (csum_offload) {
    wire::store_be16(t + th::kCsum, wire::csum_fold(pseudo));
  } else {
    uint64_t sum = pseudo + uint32_t{r.key.local_port} + r.key.remote_port + (seq >> 16) +
                   (seq & 0xffff) + (ack >> 16) + (ack & 0xffff) + off_flags + s.wnd + opts_sum;
    if (s.data_len) sum += wire::native_sum_to_be(wire::csum_add(t + hdr_len, s.data_len));
    wire::store_be16(t + th::kCsum, static_cast<uint16_t>(~wire::csum_fold(sum)));
  }
  return static_cast<uint16_t>(wire::kEthIpv4HdrLen + tcp_len);
}

}  // namespace synack::tcp
