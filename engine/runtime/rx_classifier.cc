#include "runtime/rx_classifier.h"

#include <cstring>

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
  range_ = pc.our_ip_last > pc.our_ip;
}

}  // namespace synack::runtime
