#include "wire/frame.h"

#include "wire/checksum.h"
#include "wire/headers.h"
#include "wire/ip_options.h"

namespace synack::wire {

const char* parse_error_name(ParseError e) {
  static constexpr const char* kNames[kNumParseErrors] = {"ok",
#define SYNACK_WIRE_DROP_NAME(e, name) #name,
                                                          SYNACK_WIRE_DROPS(SYNACK_WIRE_DROP_NAME)
#undef SYNACK_WIRE_DROP_NAME
  };
  const auto i = static_cast<unsigned>(e);
  return i < kNumParseErrors ? kNames[i] : "unknown";
}

namespace {

bool group_mac(const MacAddr& m) {
  return (m.b[0] & 1) != 0;
}
bool zero_mac(const MacAddr& m) {
  return (m.b[0] | m.b[1] | m.b[2] | m.b[3] | m.b[4] | m.b[5]) == 0;
}

// RFC 826: Ethernet/IPv4 requests and replies. A sender claiming our address
// from another MAC is a conflict (RFC 5227 2.4) and is never answered; a
// sender that cannot be a neighbour is not either. Sender 0.0.0.0 is an RFC
// 5227 probe, which a host defends by answering.
ParseError parse_arp(const uint8_t* a, uint32_t len, const ParseContext& pc, Frame& f) {
  if (len < kArpLen) return ParseError::kTruncated;
  const uint16_t op = load_be16(a + arp::kOper);
  if (load_be16(a + arp::kHtype) != 1 || load_be16(a + arp::kPtype) != kEtherTypeIpv4 ||
      a[arp::kHlen] != 6 || a[arp::kPlen] != 4 || (op != arp::kOpRequest && op != arp::kOpReply))
    return ParseError::kBadArp;
  f.kind = op == arp::kOpRequest ? FrameKind::kArpRequest : FrameKind::kArpReply;
  f.src_ip = load_be32(a + arp::kSpa);
  f.dst_ip = load_be32(a + arp::kTpa);
  const MacAddr sha = load_mac(a + arp::kSha);
  if (pc.ours(f.src_ip) && !(sha == pc.our_mac)) return ParseError::kArpConflict;
  if (f.src_ip != 0 && martian_source(f.src_ip, pc)) return ParseError::kArpMartian;
  // The answer goes to the sender hardware address, and a neighbour is
  // learnt from it (RFC 826, Linux's neigh_update): a group or zero one is
  // no neighbour's.
  if (group_mac(sha) || zero_mac(sha)) return ParseError::kArpMartian;
  f.src_mac = sha;
  if (!pc.ours(f.dst_ip)) return ParseError::kNotForUs;
  return ParseError::kOk;
}

ParseError parse_icmp(const uint8_t* l4, const ParseContext& pc, Frame& f) {
  if (f.l4_len < kIcmpHdrLen) return ParseError::kBadIcmp;
  if (l4[icmp::kType] != icmp::kEchoRequest || l4[icmp::kCode] != 0) return ParseError::kBadIcmp;
  if (!pc.l4_csum_verified && csum_fold(csum_add(l4, f.l4_len)) != 0xffff)
    return ParseError::kBadIcmpChecksum;
  f.kind = FrameKind::kIcmpEcho;
  return ParseError::kOk;
}

ParseError parse_tcp(const uint8_t* ip, const uint8_t* l4, const ParseContext& pc, Frame& f) {
  if (f.l4_len < kTcpMinHdrLen) return ParseError::kTruncated;
  if (!pc.l4_csum_verified && !l4_checksum_ok(ip, l4)) return ParseError::kBadTcpChecksum;
  f.kind = FrameKind::kTcp;
  return ParseError::kOk;
}

ParseError parse_ipv4(const uint8_t* ip, uint32_t len, const ParseContext& pc, Frame& f) {
  if (len < kIpv4MinHdrLen) return ParseError::kTruncated;
  if ((ip[ip::kVerIhl] >> 4) != 4) return ParseError::kBadIpHeader;
  uint16_t hdr_len = static_cast<uint16_t>((ip[ip::kVerIhl] & 0xf) * 4);
  uint16_t total = load_be16(ip + ip::kTotalLen);
  if (hdr_len < kIpv4MinHdrLen || total < hdr_len) return ParseError::kBadIpHeader;
  if (total > len || hdr_len > len) return ParseError::kTruncated;
  if (!pc.ip_csum_verified && !ipv4_header_checksum_ok(ip, hdr_len))
    return ParseError::kBadIpChecksum;
  if (hdr_len > kIpv4MinHdrLen) {
    ParseError e = check_ip_options(ip + kIpv4MinHdrLen, hdr_len - kIpv4MinHdrLen);
    if (e != ParseError::kOk) return e;
  }
  uint16_t frag = load_be16(ip + ip::kFragOff);
  if ((frag & (ip::kFlagMf | ip::kOffsetMask)) != 0) return ParseError::kFragment;
  f.src_ip = load_be32(ip + ip::kSrc);
  f.dst_ip = load_be32(ip + ip::kDst);
  // The address that decides is the IP one; TCP and ICMP in a frame sent to a
  // group MAC are not for us (Linux answers only PACKET_HOST).
  if (!pc.ours(f.dst_ip) || group_mac(f.dst_mac)) return ParseError::kNotForUs;
  if (martian_source(f.src_ip, pc)) return ParseError::kMartianSource;
  f.l4_off = static_cast<uint16_t>(f.l3_off + hdr_len);
  f.l4_len = static_cast<uint16_t>(total - hdr_len);
  const uint8_t* l4 = ip + hdr_len;
  switch (ip[ip::kProto]) {
    case kProtoTcp:
      return parse_tcp(ip, l4, pc, f);
    case kProtoIcmp:
      return parse_icmp(l4, pc, f);
    default:
      return ParseError::kUnsupportedProtocol;
  }
}

}  // namespace

ParseError parse_frame(const uint8_t* data, uint32_t len, const ParseContext& pc, Frame& f) {
  if (len < kEthHdrLen) return ParseError::kTruncated;
  f.dst_mac = load_mac(data + eth::kDst);
  f.src_mac = load_mac(data + eth::kSrc);
  // Nothing is ever sent back to a group or zero source: such a frame is forged.
  if (group_mac(f.src_mac) || zero_mac(f.src_mac)) return ParseError::kBadSourceMac;
  // Unicast to another host: the NIC already filters these unless it is
  // promiscuous or replaying; Linux drops them as PACKET_OTHERHOST.
  if (!group_mac(f.dst_mac) && !(f.dst_mac == pc.our_mac) && !pc.accept_other_host)
    return ParseError::kOtherHost;
  f.l3_off = kEthHdrLen;
  const uint8_t* l3 = data + kEthHdrLen;
  uint32_t l3_len = len - kEthHdrLen;
  switch (load_be16(data + eth::kType)) {
    case kEtherTypeIpv4:
      return parse_ipv4(l3, l3_len, pc, f);
    case kEtherTypeArp:
      return parse_arp(l3, l3_len, pc, f);
    default:
      return ParseError::kUnsupportedEthertype;
  }
}

}  // namespace synack::wire
