#include "runtime/rx_classifier.h"

#include <cstring>

#include "wire/frame.h"
#include "wire/headers.h"

namespace synack::runtime {

namespace {

// Little-endian host (wire/byteorder.h): byte i of a frame is bits 8i..8i+7 of
// the 64-bit word loaded at its 8-byte boundary.
constexpr uint64_t byte_at(int i, uint8_t v) {
  return uint64_t{v} << (8 * (i % 8));
}

}  // namespace

void RxClassifier::init(const wire::ParseContext& pc) {
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
  our_ip_ = pc.our_ip;
  span_ = pc.our_ip_last > pc.our_ip ? pc.our_ip_last - pc.our_ip : 0;
  broadcast_ = pc.our_broadcast;
  for (uint32_t top = 0; top < 256; top++) martian_top_[top] = wire::martian_class(top << 24);
}

bool RxClassifier::finish_tcp(const uint8_t* data, const RxHeaders& h, wire::Frame& f,
                              tcp::Segment& seg) const {
  constexpr uint16_t kIp = wire::kEthHdrLen;
  constexpr uint16_t kL4 = kIp + wire::kIpv4MinHdrLen;
  if (tcp::parse_segment(data + kL4, h.l4_len, seg) != tcp::Drop::kNone) return false;
  f.kind = wire::FrameKind::kTcp;
  f.src_mac = wire::load_mac(data + wire::eth::kSrc);
  f.dst_mac = wire::load_mac(data + wire::eth::kDst);
  f.l3_off = kIp;
  f.l4_off = kL4;
  f.l4_len = h.l4_len;
  f.src_ip = h.src;
  f.dst_ip = h.dst;
  return true;
}

}  // namespace synack::runtime
