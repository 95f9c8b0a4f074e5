// A SYN-ACK serialised once and patched per SYN: the fast path's writer. The
// template is the frame write_segment() makes for build_synack()'s segment
// (so both writers agree by construction, and a test compares them); per SYN
// only the peer's addresses and port, our port, the two sequence numbers and
// the timestamps change, and both checksums are the template's constant part
// plus those fields.
#pragma once

#include <cstdint>

#include "tcp/endpoint_config.h"
#include "tcp/synack.h"
#include <cstring>

#include "wire/byteorder.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::tcp {

class SynAckTemplate {
 public:
  // The SYN-ACK `promise` gets from us (our MAC and address, `cfg`'s MSS,
  // window and shift); with `csum_offload` the TCP checksum field holds the
  // pseudo-header sum the NIC completes.
  void init(const SynAckPromise& promise, const EndpointConfig& cfg, const wire::MacAddr& our_mac,
            uint32_t our_ip, bool csum_offload);

  struct Fields {
    wire::MacAddr peer_mac;
    uint32_t peer_ip;
    uint16_t peer_port;
    uint16_t our_port;
    uint32_t seq;
    uint32_t ack;
    uint32_t ts_val;  // used only when the promise has timestamps
    uint32_t ts_ecr;
  };
  // Writes the whole frame at `buf` (which may be the SYN being answered and
  // must have kCopyBytes of room). Returns its length. Inline below.
  uint16_t write(uint8_t* buf, const Fields& f) const;

  // The template is copied whole, as a fixed size the compiler turns into a
  // few vector moves (a variable-length copy was a libc call per SYN).
  static constexpr uint16_t kCopyBytes = 80;

  uint16_t length() const { return len_; }

 private:
  alignas(64) uint8_t bytes_[kCopyBytes];
  uint16_t len_ = 0;
  uint16_t ts_off_ = 0;     // TSval's offset in the frame (0: no timestamps)
  uint64_t ip_sum_ = 0;     // IPv4 header sum without the peer's address
  uint64_t tcp_sum_ = 0;    // pseudo-header and TCP header sum without the varying fields
  uint64_t pseudo_ = 0;     // the pseudo-header's constant part (our address, protocol, length)
  bool timestamps_ = false;
  bool csum_offload_ = false;
};

namespace synack_template_detail {
constexpr uint64_t halves(uint32_t v) {
  return (v >> 16) + (v & 0xffff);
}
}  // namespace synack_template_detail

inline uint16_t SynAckTemplate::write(uint8_t* buf, const Fields& f) const {
  using synack_template_detail::halves;
  constexpr uint16_t kIp = wire::kEthHdrLen;
  constexpr uint16_t kTcp = wire::kEthHdrLen + wire::kIpv4MinHdrLen;
  std::memcpy(buf, bytes_, kCopyBytes);
  wire::store_mac(buf + wire::eth::kDst, f.peer_mac);
  wire::store_be32(buf + kIp + wire::ip::kDst, f.peer_ip);
  const uint64_t peer = halves(f.peer_ip);
  wire::store_be16(buf + kIp + wire::ip::kCsum,
                   static_cast<uint16_t>(~wire::csum_fold32(ip_sum_ + peer)));
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
    wire::store_be16(t + wire::tcp::kCsum, wire::csum_fold32(pseudo_ + peer));
    return len_;
  }
  uint64_t sum = tcp_sum_ + peer + f.our_port + f.peer_port + halves(f.seq) + halves(f.ack);
  if (timestamps_) sum += halves(f.ts_val) + halves(f.ts_ecr);
  wire::store_be16(t + wire::tcp::kCsum, static_cast<uint16_t>(~wire::csum_fold32(sum)));
  return len_;
}

}  // namespace synack::tcp
