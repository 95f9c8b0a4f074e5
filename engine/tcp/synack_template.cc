#include "tcp/synack_template.h"

#include <cstring>

#include "tcp/segment_write.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::tcp {

namespace {

constexpr uint16_t kIp = wire::kEthHdrLen;
constexpr uint16_t kTcp = wire::kEthHdrLen + wire::kIpv4MinHdrLen;

// A 32-bit value as two big-endian-valued 16-bit words.
constexpr uint64_t halves(uint32_t v) {
  return (v >> 16) + (v & 0xffff);
}

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
  std::memset(bytes_, 0, sizeof bytes_);
  len_ = write_segment(bytes_, r, s, false);
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

uint16_t SynAckTemplate::write(uint8_t* buf, const Fields& f) const {
  std::memcpy(buf, bytes_, len_);
  wire::store_mac(buf + wire::eth::kDst, f.peer_mac);
  wire::store_be32(buf + kIp + wire::ip::kDst, f.peer_ip);
  const uint64_t peer = halves(f.peer_ip);
  wire::store_be16(buf + kIp + wire::ip::kCsum,
                   static_cast<uint16_t>(~wire::csum_fold(ip_sum_ + peer)));
  uint8_t* t = buf + kTcp;
  wire::store_be16(t + wire::tcp::kSport, f.our_port);
  wire::store_be16(t + wire::tcp::kDport, f.peer_port);
  wire::store_be32(t + wire::tcp::kSeq, f.seq);
  wire::store_be32(t + wire::tcp::kAck, f.ack);
  if (timestamps_) {
    wire::store_be32(buf + ts_off_, f.ts_val);
    wire::store_be32(buf + ts_off_ + 4, f.ts_ecr);
  }
  if (csum_offload_) {
    // The pseudo-header alone (RFC 9293 3.1): addresses, protocol, length.
    wire::store_be16(t + wire::tcp::kCsum, wire::csum_fold(pseudo_ + peer));
    return len_;
  }
  uint64_t sum = tcp_sum_ + peer + f.our_port + f.peer_port + halves(f.seq) + halves(f.ack);
  if (timestamps_) sum += halves(f.ts_val) + halves(f.ts_ecr);
  wire::store_be16(t + wire::tcp::kCsum, static_cast<uint16_t>(~wire::csum_fold(sum)));
  return len_;
}

}  // namespace synack::tcp
