#include "wire/craft.h"

#include <cstring>

#include "wire/checksum.h"
#include "wire/headers.h"

namespace synack::wire {

uint16_t arp_reply_in_place(uint8_t* frame, const MacAddr& our_mac, uint32_t our_ip) {
  uint8_t* a = frame + kEthHdrLen;
  MacAddr requester = load_mac(a + arp::kSha);
  uint32_t requester_ip = load_be32(a + arp::kSpa);
  store_mac(frame + eth::kDst, requester);
  store_mac(frame + eth::kSrc, our_mac);
  store_be16(a + arp::kOper, arp::kOpReply);
  store_mac(a + arp::kTha, requester);
  store_be32(a + arp::kTpa, requester_ip);
  store_mac(a + arp::kSha, our_mac);
  store_be32(a + arp::kSpa, our_ip);
  return kEthHdrLen + kArpLen;
}

uint16_t icmp_echo_reply_in_place(uint8_t* frame, const Frame& f, const MacAddr& our_mac) {
  store_mac(frame + eth::kDst, f.src_mac);
  store_mac(frame + eth::kSrc, our_mac);
  uint8_t* ip = frame + f.l3_off;
  // The reply carries no IP options (as Linux's icmp_reply for echo without
  // record-route): the header is rebuilt option-less and the data moved up.
  const uint16_t hdr_len = static_cast<uint16_t>((ip[ip::kVerIhl] & 0xf) * 4);
  if (hdr_len != kIpv4MinHdrLen) {
    std::memmove(ip + kIpv4MinHdrLen, ip + hdr_len, f.l4_len);
    ip[ip::kVerIhl] = 0x45;
    store_be16(ip + ip::kTotalLen, static_cast<uint16_t>(kIpv4MinHdrLen + f.l4_len));
  }
  store_be32(ip + ip::kSrc, f.dst_ip);
  store_be32(ip + ip::kDst, f.src_ip);
  ip[ip::kTtl] = ip::kDefaultTtl;
  fill_ipv4_checksum(ip);
  uint8_t* l4 = ip + kIpv4MinHdrLen;
  // Summed afresh, as Linux's icmp_reply does: an RFC 1624 update of the
  // request's checksum can give 0x0000 where the sum says 0xffff, and the
  // reply's bytes must be what the peer's own reply would be.
  l4[icmp::kType] = icmp::kEchoReply;
  l4[icmp::kCsum] = 0;
  l4[icmp::kCsum + 1] = 0;
  store_csum(l4 + icmp::kCsum, static_cast<uint16_t>(~csum_fold(csum_add(l4, f.l4_len))));
  return static_cast<uint16_t>(f.l3_off + kIpv4MinHdrLen + f.l4_len);
}

uint64_t write_eth_ipv4(uint8_t* buf, const MacAddr& src_mac, const MacAddr& dst_mac,
                        uint32_t src_ip, uint32_t dst_ip, uint8_t proto, uint16_t l4_len) {
  store_mac(buf + eth::kDst, dst_mac);
  store_mac(buf + eth::kSrc, src_mac);
  store_be16(buf + eth::kType, kEtherTypeIpv4);
  uint8_t* ip = buf + kEthHdrLen;
  const uint16_t total = static_cast<uint16_t>(kIpv4MinHdrLen + l4_len);
  ip[ip::kVerIhl] = 0x45;
  ip[ip::kTos] = 0;
  store_be16(ip + ip::kTotalLen, total);
  store_be16(ip + ip::kId, 0);
  store_be16(ip + ip::kFragOff, ip::kFlagDf);
  ip[ip::kTtl] = ip::kDefaultTtl;
  ip[ip::kProto] = proto;
  store_be32(ip + ip::kSrc, src_ip);
  store_be32(ip + ip::kDst, dst_ip);
  const uint64_t addrs = (src_ip >> 16) + (src_ip & 0xffff) + (dst_ip >> 16) + (dst_ip & 0xffff);
  const uint64_t ip_sum =
      0x4500u + total + ip::kFlagDf + (uint32_t{ip::kDefaultTtl} << 8 | proto) + addrs;
  store_be16(ip + ip::kCsum, static_cast<uint16_t>(~csum_fold(ip_sum)));
  return addrs + proto + l4_len;
}

}  // namespace synack::wire
