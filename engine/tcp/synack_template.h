// A SYN-ACK serialised once and patched per SYN: the cookie path's writer.
// The template is the frame write_segment() makes for build_synack()'s
// segment (so both writers agree by construction, and a test compares them);
// per SYN only the peer's MAC, address and port, our port, the two sequence
// numbers and the timestamps change, and both checksums are the template's
// constant part plus those fields.
#pragma once

#include <cstdint>
#include <cstring>

#include "tcp/endpoint_config.h"
#include "tcp/synack.h"
#include "wire/byteorder.h"
#include "wire/checksum.h"
#include "wire/headers.h"
#include "wire/inet_checksum.h"

namespace synack::tcp {

// The shape of the SYN-ACK a stateless (cookie) answer promises for `syn`:
// timestamps << 2 | window scale << 1 | SACK-permitted, the flags of
// promise_synack(syn, cfg, true) (which offers window scale and SACK only with
// timestamps; a test compares the two). Indexes a worker's templates.
inline uint8_t cookie_shape(const TcpOptions& syn) {
  const bool ts = syn.has_timestamps;
  return static_cast<uint8_t>((ts ? 4 : 0) | (ts && syn.has_wscale ? 2 : 0) |
                              (ts && syn.sack_permitted ? 1 : 0));
}
inline constexpr int kCookieShapes = 8;

class SynAckTemplate {
 public:
  // The SYN-ACK `promise` gets from us (our MAC and address, `cfg`'s MSS,
  // window and shift); with `csum_offload` the TCP checksum field holds the
  // pseudo-header sum the NIC completes.
  void init(const SynAckPromise& promise, const EndpointConfig& cfg, const wire::MacAddr& our_mac,
            uint32_t our_ip, bool csum_offload);

  struct Fields {
    const uint8_t* peer_mac;  // 6 bytes; may lie in the frame being overwritten
    uint32_t peer_ip;
    uint32_t ports;  // peer port << 16 | our port
    uint32_t seq;
    uint32_t ack;
    uint32_t ts_val;  // used only when the promise has timestamps
    uint32_t ts_ecr;
  };
  // Writes the whole frame at `buf` (which may be the SYN being answered and
  // must have kCopyBytes of room). Returns its length. Inline below.
  uint16_t write(uint8_t* buf, const Fields& f) const;
  // write() for a template whose csum_offload() is `kOffload`: a loop over
  // many SYNs tests the port's offload once, not once per SYN.
  template <bool kOffload>
  uint16_t write_as(uint8_t* buf, const Fields& f) const;
  bool csum_offload() const { return csum_offload_; }

  // The template is copied whole, as a fixed size the compiler turns into a
  // few vector moves (a variable-length copy was a libc call per SYN).
  static constexpr uint16_t kCopyBytes = 80;

  uint16_t length() const { return len_; }

 private:
  alignas(64) uint8_t bytes_[kCopyBytes];
  uint16_t len_ = 0;
  // TSval's offset in the frame; without timestamps, an offset past the
  // frame within kCopyBytes, where the (zero) word stored is not sent: one
  // store and no test per SYN.
  uint16_t ts_off_ = 0;
  uint64_t ts_mask_ = 0;  // all ones with timestamps, else zero (no sum, no TSval)
  // The sums, as csum_add() takes them (native-order words): the varying
  // fields are added as the 32-bit words they are stored as, one add each.
  uint32_t ip_sum_ = 0;   // IPv4 header sum without the peer's address, folded
  uint64_t tcp_sum_ = 0;  // pseudo-header and TCP header sum without the varying fields
  uint64_t pseudo_ = 0;   // the pseudo-header's constant part (our address, protocol, length)
  bool timestamps_ = false;
  bool csum_offload_ = false;
};

inline uint16_t SynAckTemplate::write(uint8_t* buf, const Fields& f) const {
  return csum_offload_ ? write_as<true>(buf, f) : write_as<false>(buf, f);
}

template <bool kOffload>
[[gnu::always_inline]] inline uint16_t SynAckTemplate::write_as(uint8_t* buf,
                                                                const Fields& f) const {
  constexpr uint16_t kIp = wire::kEthHdrLen;
  constexpr uint16_t kTcp = wire::kEthHdrLen + wire::kIpv4MinHdrLen;
  // Everything taken from the SYN is read before the template covers it.
  uint32_t mac_lo;
  uint16_t mac_hi;
  std::memcpy(&mac_lo, f.peer_mac, 4);
  std::memcpy(&mac_hi, f.peer_mac + 4, 2);
  // The varying fields as the words they are stored as: the address, the
  // ports (ours first), the sequence numbers, the timestamps.
  const uint32_t peer_ip = __builtin_bswap32(f.peer_ip);
  const uint32_t ports = __builtin_bswap32(f.ports << 16 | f.ports >> 16);
  const uint64_t seq_ack = uint64_t{__builtin_bswap32(f.seq)} | uint64_t{__builtin_bswap32(f.ack)}
                                                                    << 32;
  const uint64_t ts =
      (uint64_t{__builtin_bswap32(f.ts_val)} | uint64_t{__builtin_bswap32(f.ts_ecr)} << 32) &
      ts_mask_;

  std::memcpy(buf, bytes_, kCopyBytes);
  std::memcpy(buf + wire::eth::kDst, &mac_lo, 4);
  std::memcpy(buf + wire::eth::kDst + 4, &mac_hi, 2);
  std::memcpy(buf + kIp + wire::ip::kDst, &peer_ip, 4);
  // ip_sum_ is below 2^16: one 32-bit add with its carry, then the fold.
  uint32_t ip = ip_sum_ + peer_ip;
  ip += ip < peer_ip;
  wire::store_csum(buf + kIp + wire::ip::kCsum, static_cast<uint16_t>(~wire::csum_fold32(ip)));
  uint8_t* t = buf + kTcp;
  std::memcpy(t + wire::tcp::kSport, &ports, 4);
  std::memcpy(t + wire::tcp::kSeq, &seq_ack, 8);
  std::memcpy(buf + ts_off_, &ts, 8);
  // With offload the pseudo-header alone (RFC 9293 3.1): addresses, protocol, length.
  wire::store_csum(t + wire::tcp::kCsum,
                   kOffload
                       ? wire::csum_fold(pseudo_ + peer_ip)
                       : static_cast<uint16_t>(~wire::csum_fold(wire::csum_add_words(
                             tcp_sum_, uint64_t{peer_ip} | uint64_t{ports} << 32, seq_ack, ts))));
  return len_;
}

}  // namespace synack::tcp
