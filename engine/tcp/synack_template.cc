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

using synack_template_detail::halves;

// Sum of big-endian 16-bit words of [p, p + n), n even.
uint64_t be_words(const uint8_t* p, uint16_t n) {
  uint64_t s = 0;
  for (uint16_t i = 0; i < n; i += 2) s += wire::load_be16(p + i);
  return s;
}

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
  ts_off_ = 0;
  if (timestamps_) {
    // Our options are MSS(4), then SACK_PERM+TS or NOP,NOP,TS (tcp/options.cc):
    // TSval is 4 bytes into the second option word.
    ts_off_ = kTcp + wire::kTcpMinHdrLen + 4 + 4;
  }
  // Constant sums: the IPv4 header with its checksum and the peer's address
  // zero; the TCP header and options with checksum, ports, numbers and
  // timestamps zero, plus the pseudo-header's constant part (our address,
  // protocol, length).
  bytes_[kIp + wire::ip::kCsum] = bytes_[kIp + wire::ip::kCsum + 1] = 0;
  ip_sum_ = be_words(bytes_ + kIp, wire::kIpv4MinHdrLen);
  bytes_[kTcp + wire::tcp::kCsum] = bytes_[kTcp + wire::tcp::kCsum + 1] = 0;
  const uint16_t tcp_len = static_cast<uint16_t>(len_ - kTcp);
  pseudo_ = halves(our_ip) + wire::kProtoTcp + tcp_len;
  tcp_sum_ = be_words(bytes_ + kTcp, tcp_len) + pseudo_;
}

}  // namespace synack::tcp
