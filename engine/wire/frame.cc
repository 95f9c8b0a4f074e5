#include "wire/frame.h"

#include "wire/checksum.h"
#include "wire/headers.h"

namespace synack::wire {

const char* parse_error_name(ParseError e) {
  switch (e) {
    case ParseError::kOk:
      return "ok";
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kUnsupportedEthertype:
      return "unsupported_ethertype";
    case ParseError::kBadArp:
      return "bad_arp";
    case ParseError::kBadIpHeader:
      return "bad_ip_header";
    case ParseError::kBadIpChecksum:
      return "bad_ip_checksum";
    case ParseError::kFragment:
      return "fragment";
    case ParseError::kUnsupportedProtocol:
      return "unsupported_protocol";
    case ParseError::kBadIcmp:
      return "bad_icmp";
    case ParseError::kBadIcmpChecksum:
      return "bad_icmp_checksum";
    case ParseError::kBadTcpHeader:
      return "bad_tcp_header";
    case ParseError::kBadTcpChecksum:
      return "bad_tcp_checksum";
    case ParseError::kBadSourceAddress:
      return "bad_source_address";
  }
  return "unknown";
}

namespace {

// RFC 826: only Ethernet/IPv4 requests concern us; replies and gratuitous
// announcements are not answered (we keep no ARP cache: replies go back to the
// MAC a frame came from).
ParseError parse_arp(const uint8_t* a, uint32_t len, Frame& f) {
  if (len < kArpLen) return ParseError::kTruncated;
  if (load_be16(a + arp::kHtype) != 1 || load_be16(a + arp::kPtype) != kEtherTypeIpv4 ||
      a[arp::kHlen] != 6 || a[arp::kPlen] != 4 || load_be16(a + arp::kOper) != arp::kOpRequest)
    return ParseError::kBadArp;
  f.kind = FrameKind::kArpRequest;
  f.src_ip = load_be32(a + arp::kSpa);
  f.dst_ip = load_be32(a + arp::kTpa);
  return ParseError::kOk;
}

ParseError parse_icmp(const uint8_t* ip, const uint8_t* l4, const ParseOptions& po, Frame& f) {
  if (f.l4_len < kIcmpHdrLen) return ParseError::kBadIcmp;
  if (l4[icmp::kType] != icmp::kEchoRequest || l4[icmp::kCode] != 0) return ParseError::kBadIcmp;
  (void)ip;
  if (!po.l4_csum_verified && csum_fold(csum_add(l4, f.l4_len)) != 0xffff)
    return ParseError::kBadIcmpChecksum;
  f.kind = FrameKind::kIcmpEcho;
  return ParseError::kOk;
}

ParseError parse_tcp(const uint8_t* ip, const uint8_t* l4, const ParseOptions& po, Frame& f) {
  if (f.l4_len < kTcpMinHdrLen) return ParseError::kTruncated;
  uint16_t hdr_len = static_cast<uint16_t>((l4[tcp::kDataOff] >> 4) * 4);
  if (hdr_len < kTcpMinHdrLen || hdr_len > f.l4_len) return ParseError::kBadTcpHeader;
  if (!po.l4_csum_verified && !l4_checksum_ok(ip, l4)) return ParseError::kBadTcpChecksum;
  f.kind = FrameKind::kTcp;
  f.src_port = load_be16(l4 + tcp::kSport);
  f.dst_port = load_be16(l4 + tcp::kDport);
  f.seq = load_be32(l4 + tcp::kSeq);
  f.ack = load_be32(l4 + tcp::kAck);
  f.tcp_flags = l4[tcp::kFlags];
  f.wnd = load_be16(l4 + tcp::kWnd);
  f.opt_len = static_cast<uint8_t>(hdr_len - kTcpMinHdrLen);
  f.payload_len = static_cast<uint16_t>(f.l4_len - hdr_len);
  return ParseError::kOk;
}

// RFC 1122 3.2.1.3: a source that is a broadcast, multicast or "this host"
// address is never a real peer; answering it would amplify spoofed traffic.
bool bad_source(uint32_t src) {
  return src == 0 || src == 0xffffffffu || (src >> 28) == 0xe || (src >> 24) == 127;
}

ParseError parse_ipv4(const uint8_t* ip, uint32_t len, const ParseOptions& po, Frame& f) {
  if (len < kIpv4MinHdrLen) return ParseError::kTruncated;
  if ((ip[ip::kVerIhl] >> 4) != 4) return ParseError::kBadIpHeader;
  uint16_t hdr_len = static_cast<uint16_t>((ip[ip::kVerIhl] & 0xf) * 4);
  uint16_t total = load_be16(ip + ip::kTotalLen);
  if (hdr_len < kIpv4MinHdrLen || total < hdr_len) return ParseError::kBadIpHeader;
  if (total > len || hdr_len > len) return ParseError::kTruncated;
  if (!po.ip_csum_verified && !ipv4_header_checksum_ok(ip, hdr_len))
    return ParseError::kBadIpChecksum;
  uint16_t frag = load_be16(ip + ip::kFragOff);
  if ((frag & (ip::kFlagMf | ip::kOffsetMask)) != 0) return ParseError::kFragment;
  f.src_ip = load_be32(ip + ip::kSrc);
  f.dst_ip = load_be32(ip + ip::kDst);
  if (bad_source(f.src_ip)) return ParseError::kBadSourceAddress;
  f.ecn = ip[ip::kTos] & 0x3;
  f.l4_off = static_cast<uint16_t>(f.l3_off + hdr_len);
  f.l4_len = static_cast<uint16_t>(total - hdr_len);
  const uint8_t* l4 = ip + hdr_len;
  switch (ip[ip::kProto]) {
    case kProtoTcp:
      return parse_tcp(ip, l4, po, f);
    case kProtoIcmp:
      return parse_icmp(ip, l4, po, f);
    default:
      return ParseError::kUnsupportedProtocol;
  }
}

}  // namespace

ParseError parse_frame(const uint8_t* data, uint32_t len, const ParseOptions& po, Frame& f) {
  if (len < kEthHdrLen) return ParseError::kTruncated;
  f.dst_mac = load_mac(data + eth::kDst);
  f.src_mac = load_mac(data + eth::kSrc);
  f.l3_off = kEthHdrLen;
  const uint8_t* l3 = data + kEthHdrLen;
  uint32_t l3_len = len - kEthHdrLen;
  switch (load_be16(data + eth::kType)) {
    case kEtherTypeIpv4:
      return parse_ipv4(l3, l3_len, po, f);
    case kEtherTypeArp:
      return parse_arp(l3, l3_len, f);
    default:
      return ParseError::kUnsupportedEthertype;
  }
}

}  // namespace synack::wire
