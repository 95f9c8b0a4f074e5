// Stage 1 of a burst: the common frame (Ethernet II, option-less IPv4 to our
// address and MAC, TCP) recognised by masked compares of its first 34 bytes
// against a template of what we accept, then parsed at fixed offsets. Anything
// else, and anything this finds wrong, goes to wire::parse_frame, which
// decides every rejection and its reason: the two agree on what they accept
// (a test feeds both the same frames).
#pragma once

#include <cstdint>

#include <cstring>

#include "tcp/segment.h"
#include "tcp/segment_parse.h"
#include "wire/checksum.h"
#include "wire/headers.h"
#include "wire/frame.h"

namespace synack::runtime {

class RxClassifier {
 public:
  void init(const wire::ParseContext& pc);

  // True when `data` is such a frame with valid checksums (or `csum_ok` says
  // the NIC checked them) and a well-formed TCP header: then `f` and `seg`
  // are filled as parse_frame and tcp::parse_segment would fill them.
  // Inline below: once per packet.
  bool parse(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok, wire::Frame& f,
             tcp::Segment& seg) const;

 private:
  uint64_t mask0_ = 0, want0_ = 0;  // bytes 0-7: destination MAC, source MAC's group bit
  uint64_t mask1_ = 0, want1_ = 0;  // bytes 8-15: EtherType, version and IHL
  uint64_t mask2_ = 0, want2_ = 0;  // bytes 16-23: fragment bits, protocol
  uint32_t want_dst_ = 0;           // bytes 30-33: our address as it is on the wire
  bool range_ = false;              // we own a range of addresses (a client's --src_ips)
  wire::ParseContext pc_;
};

// The segment's sum, unrolled for the lengths most segments have (a bare
// header, with timestamps, Linux's and macOS's SYNs).
inline uint64_t rx_l4_sum(const uint8_t* l4, uint16_t len, uint64_t acc) {
  switch (len) {
    case 20:
      return wire::csum_add_n<20>(l4, acc);
    case 32:
      return wire::csum_add_n<32>(l4, acc);
    case 40:
      return wire::csum_add_n<40>(l4, acc);
    case 44:
      return wire::csum_add_n<44>(l4, acc);
    default:
      return wire::csum_add(l4, len, acc);
  }
}

inline uint64_t rx_load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline bool RxClassifier::parse(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok,
                         wire::Frame& f, tcp::Segment& seg) const {
  constexpr uint32_t kL4 = wire::kEthHdrLen + wire::kIpv4MinHdrLen;
  if (len < kL4 + wire::kTcpMinHdrLen) return false;
  uint32_t dst;
  std::memcpy(&dst, data + 30, 4);
  const uint64_t mism = ((rx_load64(data) & mask0_) ^ want0_) | ((rx_load64(data + 8) & mask1_) ^ want1_) |
                        ((rx_load64(data + 16) & mask2_) ^ want2_);
  if (mism != 0) return false;
  if (dst != want_dst_ && !(range_ && pc_.ours(__builtin_bswap32(dst)))) return false;
  const uint8_t* ip = data + wire::kEthHdrLen;
  const uint16_t total = wire::load_be16(ip + wire::ip::kTotalLen);
  if (total < wire::kIpv4MinHdrLen + wire::kTcpMinHdrLen || total > len - wire::kEthHdrLen)
    return false;
  f.src_mac = wire::load_mac(data + wire::eth::kSrc);
  if ((f.src_mac.b[0] | f.src_mac.b[1] | f.src_mac.b[2] | f.src_mac.b[3] | f.src_mac.b[4] |
       f.src_mac.b[5]) == 0)
    return false;
  f.src_ip = wire::load_be32(ip + wire::ip::kSrc);
  if (wire::martian_source(f.src_ip, pc_)) return false;
  if (!ip_csum_ok && wire::csum_fold(wire::csum_add_n<wire::kIpv4MinHdrLen>(ip)) != 0xffff)
    return false;
  const uint8_t* l4 = data + kL4;
  const auto l4_len = static_cast<uint16_t>(total - wire::kIpv4MinHdrLen);
  if (!l4_csum_ok && wire::csum_fold(rx_l4_sum(l4, l4_len, wire::csum_pseudo_ipv4(
                                                              ip, wire::kProtoTcp, l4_len))) !=
                         0xffff)
    return false;
  if (tcp::parse_segment(l4, l4_len, seg) != tcp::Drop::kNone) return false;
  f.kind = wire::FrameKind::kTcp;
  f.dst_mac = wire::load_mac(data + wire::eth::kDst);
  f.l3_off = wire::kEthHdrLen;
  f.l4_off = kL4;
  f.l4_len = l4_len;
  f.dst_ip = __builtin_bswap32(dst);
  return true;
}

}  // namespace synack::runtime
