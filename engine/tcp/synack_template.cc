#include "tcp/synack_template.h"

#include <cassert>
#include <cstring>

#include "tcp/segment_write.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::tcp {

namespace {

constexpr uint16_t kIp = wire::kEthHdrLen;
constexpr uint16_t kTcp = wire::kEthHdrLen + wire::kIpv4MinHdrLen;

}  // namespace

void SynAckTemplate::init(const SynAckPromise& promise, const EndpointConfig& cfg,
                          const wire::MacAddr& our_mac, uint32_t our_ip, bool csum_offload) {
  // The frame the general writer makes, with every varying field zero.
  Route r;
  r.local_mac = our_mac;
  r.key.local_ip = our_ip;
  const TxSegment s = build_synack(promise, cfg, Seq(0), Seq(0), 0, 0);
  uint8_t frame[128] = {};
  len_ = write_segment(frame, r, s, false);
  assert(len_ <= kCopyBytes);  // 54 bytes of headers and at most 20 of options
  std::memcpy(bytes_, frame, kCopyBytes);
  timestamps_ = promise.timestamps;
  csum_offload_ = csum_offload;
  ts_off_ = kCopyBytes - 8;
  ts_mask_ = 0;
  if (timestamps_) {
    // Our options are MSS(4), then SACK_PERM+TS or NOP,NOP,TS (tcp/options.cc):
    // TSval is 4 bytes into the second option word.
    ts_off_ = kTcp + wire::kTcpMinHdrLen + 4 + 4;
    ts_mask_ = ~uint64_t{0};
  }
  assert(timestamps_ || ts_off_ >= len_);  // the word write() stores is past the frame
  // Constant sums: the IPv4 header with its checksum and the peer's address
  // zero; the TCP header and options with checksum, ports, numbers and
  // timestamps zero, plus the pseudo-header's constant part (our address,
  // protocol, length).
  std::memset(bytes_ + kIp + wire::ip::kCsum, 0, 2);
  std::memset(bytes_ + kIp + wire::ip::kDst, 0, 4);
  ip_sum_ = wire::csum_fold(wire::csum_add(bytes_ + kIp, wire::kIpv4MinHdrLen));
  std::memset(bytes_ + kTcp + wire::tcp::kSport, 0, 12);  // ports, sequence numbers
  std::memset(bytes_ + kTcp + wire::tcp::kCsum, 0, 2);
  std::memset(bytes_ + ts_off_, 0, 8);
  const uint16_t tcp_len = static_cast<uint16_t>(len_ - kTcp);
  pseudo_ = wire::csum_add(bytes_ + kIp + wire::ip::kSrc, 4,
                           (uint64_t{wire::kProtoTcp} << 8) + __builtin_bswap16(tcp_len));
  tcp_sum_ = wire::csum_add(bytes_ + kTcp, tcp_len, pseudo_);
}

}  // namespace synack::tcp
