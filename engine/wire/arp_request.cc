#include "wire/arp_request.h"

#include <cstring>

namespace synack::wire {

uint16_t write_arp_request(uint8_t* buf, const MacAddr& our_mac, uint32_t our_ip,
                           uint32_t target_ip) {
  std::memset(buf + eth::kDst, 0xff, 6);
  store_mac(buf + eth::kSrc, our_mac);
  store_be16(buf + eth::kType, kEtherTypeArp);
  uint8_t* a = buf + kEthHdrLen;
  store_be16(a + arp::kHtype, 1);  // ar$hrd: Ethernet
  store_be16(a + arp::kPtype, kEtherTypeIpv4);
  a[arp::kHlen] = 6;
  a[arp::kPlen] = 4;
  store_be16(a + arp::kOper, arp::kOpRequest);
  store_mac(a + arp::kSha, our_mac);
  store_be32(a + arp::kSpa, our_ip);
  std::memset(a + arp::kTha, 0, 6);
  store_be32(a + arp::kTpa, target_ip);
  return kArpFrameLen;
}

}  // namespace synack::wire
