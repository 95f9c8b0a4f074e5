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
  store_be32(ip + ip::kSrc, f.dst_ip);
  store_be32(ip + ip::kDst, f.src_ip);
  ip[ip::kTtl] = ip::kDefaultTtl;
  fill_ipv4_checksum(ip);
  uint8_t* l4 = frame + f.l4_off;
  // Only the type changes (8 -> 0): RFC 1624 incremental update of the checksum.
  uint16_t old_word = load_be16(l4);
  l4[icmp::kType] = icmp::kEchoReply;
  store_be16(l4 + icmp::kCsum,
             checksum_adjust16(load_be16(l4 + icmp::kCsum), old_word, load_be16(l4)));
  return static_cast<uint16_t>(f.l4_off + f.l4_len);
}

uint16_t write_tcp_headers(uint8_t* buf, const TcpHeaderSpec& s) {
  store_mac(buf + eth::kDst, s.dst_mac);
  store_mac(buf + eth::kSrc, s.src_mac);
  store_be16(buf + eth::kType, kEtherTypeIpv4);

  uint8_t* ip = buf + kEthHdrLen;
  uint16_t tcp_len = static_cast<uint16_t>(kTcpMinHdrLen + s.opt_len);
  ip[ip::kVerIhl] = 0x45;
  ip[ip::kTos] = 0;
  store_be16(ip + ip::kTotalLen, static_cast<uint16_t>(kIpv4MinHdrLen + tcp_len + s.payload_len));
  store_be16(ip + ip::kId, 0);
  store_be16(ip + ip::kFragOff, ip::kFlagDf);
  ip[ip::kTtl] = ip::kDefaultTtl;
  ip[ip::kProto] = kProtoTcp;
  store_be32(ip + ip::kSrc, s.src_ip);
  store_be32(ip + ip::kDst, s.dst_ip);
  // The header checksum from the values just written, not by reading them
  // back (a read here stalls on the store buffer).
  uint32_t sum = 0x4500u + (kIpv4MinHdrLen + tcp_len + s.payload_len) + ip::kFlagDf +
                 (uint32_t{ip::kDefaultTtl} << 8 | kProtoTcp) + (s.src_ip >> 16) +
                 (s.src_ip & 0xffff) + (s.dst_ip >> 16) + (s.dst_ip & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  store_be16(ip + ip::kCsum, static_cast<uint16_t>(~sum));

  uint8_t* t = ip + kIpv4MinHdrLen;
  store_be16(t + tcp::kSport, s.src_port);
  store_be16(t + tcp::kDport, s.dst_port);
  store_be32(t + tcp::kSeq, s.seq);
  store_be32(t + tcp::kAck, s.ack);
  t[tcp::kDataOff] = static_cast<uint8_t>((tcp_len / 4) << 4);
  t[tcp::kFlags] = s.flags;
  store_be16(t + tcp::kWnd, s.wnd);
  store_be16(t + tcp::kCsum, 0);
  store_be16(t + tcp::kUrg, 0);
  if (s.opt_len) std::memcpy(t + kTcpMinHdrLen, s.opts, s.opt_len);
  return tcp_frame_header_len(s.opt_len);
}

void finish_tcp_checksum(uint8_t* buf, bool offload) {
  uint8_t* ip = buf + kEthHdrLen;
  uint8_t* t = ip + kIpv4MinHdrLen;
  if (offload)
    fill_tcp_pseudo_checksum(ip, t);
  else
    fill_tcp_checksum(ip, t);
}

}  // namespace synack::wire
