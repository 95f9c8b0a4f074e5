#include "runtime/rx_classifier.h"

#include <cstring>

#include "tcp/segment_parse.h"
#include "wire/checksum.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

// Little-endian host (wire/byteorder.h): byte i of a frame is bits 8i..8i+7 of
// the 64-bit word loaded at its 8-byte boundary.
constexpr uint64_t byte_at(int i, uint8_t v) {
  return uint64_t{v} << (8 * (i % 8));
}

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

void RxClassifier::init(const wire::ParseContext& pc) {
  pc_ = pc;
  mask0_ = want0_ = 0;
  if (!pc.accept_other_host) {
    for (int i = 0; i < 6; i++) {
      mask0_ |= byte_at(i, 0xff);
      want0_ |= byte_at(i, pc.our_mac.b[i]);
    }
  } else {
    mask0_ |= byte_at(0, 0x01);  // any unicast destination
  }
  mask0_ |= byte_at(6, 0x01);  // a unicast source (zero is checked apart)
  mask1_ = byte_at(12, 0xff) | byte_at(13, 0xff) | byte_at(14, 0xff);
  want1_ = byte_at(12, 0x08) | byte_at(13, 0x00) | byte_at(14, 0x45);
  mask2_ = byte_at(20, 0x3f) | byte_at(21, 0xff) | byte_at(23, 0xff);  // MF, offset; protocol
  want2_ = byte_at(23, wire::kProtoTcp);
  uint8_t dst[4];
  wire::store_be32(dst, pc.our_ip);
  std::memcpy(&want_dst_, dst, 4);
}

bool RxClassifier::parse(const uint8_t* data, uint32_t len, bool ip_csum_ok, bool l4_csum_ok,
                         wire::Frame& f, tcp::Segment& seg) const {
  constexpr uint32_t kL4 = wire::kEthHdrLen + wire::kIpv4MinHdrLen;
  if (len < kL4 + wire::kTcpMinHdrLen) return false;
  uint32_t dst;
  std::memcpy(&dst, data + 30, 4);
  const uint64_t mism = ((load64(data) & mask0_) ^ want0_) | ((load64(data + 8) & mask1_) ^ want1_) |
                        ((load64(data + 16) & mask2_) ^ want2_);
  if (mism != 0 || dst != want_dst_) return false;
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
  if (!ip_csum_ok && !wire::ipv4_header_checksum_ok(ip, wire::kIpv4MinHdrLen)) return false;
  const uint8_t* l4 = data + kL4;
  if (!l4_csum_ok && !wire::l4_checksum_ok(ip, l4)) return false;
  const auto l4_len = static_cast<uint16_t>(total - wire::kIpv4MinHdrLen);
  if (tcp::parse_segment(l4, l4_len, seg) != tcp::Drop::kNone) return false;
  f.kind = wire::FrameKind::kTcp;
  f.dst_mac = wire::load_mac(data + wire::eth::kDst);
  f.l3_off = wire::kEthHdrLen;
  f.l4_off = kL4;
  f.l4_len = l4_len;
  f.dst_ip = pc_.our_ip;
  return true;
}

}  // namespace synack::runtime
