// wire/: parsers, builders and checksums, checked against an independent
// byte-by-byte RFC 1071 implementation and hand-built frames.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "wire/byteorder.h"
#include "wire/checksum.h"
#include "wire/craft.h"
#include "wire/frame.h"
#include "wire/headers.h"

namespace synack::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// RFC 1071, the slow obvious way: big-endian 16-bit words, end-around carry.
uint16_t ref_sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
uint16_t ref_csum(const uint8_t* p, size_t n) {
  return static_cast<uint16_t>(~ref_sum(p, n));
}

uint16_t ref_tcp_csum(const uint8_t* ip, const uint8_t* l4, size_t l4_len) {
  uint8_t pseudo[12];
  std::memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  pseudo[10] = static_cast<uint8_t>(l4_len >> 8);
  pseudo[11] = static_cast<uint8_t>(l4_len);
  uint32_t s = ref_sum(pseudo, 12);
  return static_cast<uint16_t>(~ref_sum(l4, l4_len, s));
}

const MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
constexpr uint32_t kPeerIp = 0xC6120001;  // 198.18.0.1
constexpr uint32_t kOurIp = 0xC6120002;   // 198.18.0.2

// Independent frame builder (does not use craft.cc).
struct FrameBuilder {
  uint16_t ethertype = kEtherTypeIpv4;
  uint8_t ver_ihl = 0x45;
  uint16_t frag = 0x4000;
  uint8_t proto = kProtoTcp;
  uint32_t src = kPeerIp, dst = kOurIp;
  uint8_t tcp_doff_words = 5;
  uint8_t flags = 0x02;
  Bytes tcp_opts;
  Bytes payload;
  bool corrupt_ip_csum = false, corrupt_l4_csum = false;
  size_t pad = 0;

  Bytes build() const {
    Bytes f(14);
    std::memcpy(f.data(), kOurMac.b, 6);
    std::memcpy(f.data() + 6, kPeerMac.b, 6);
    store_be16(f.data() + 12, ethertype);
    size_t ihl = (ver_ihl & 0xf) * 4u;
    Bytes l4;
    if (proto == kProtoTcp) {
      l4.resize(20);
      store_be16(&l4[0], 40000);
      store_be16(&l4[2], 80);
      store_be32(&l4[4], 0x11223344);
      store_be32(&l4[8], 0x55667788);
      l4[12] = static_cast<uint8_t>(tcp_doff_words << 4);
      l4[13] = flags;
      store_be16(&l4[14], 29200);
      l4.insert(l4.end(), tcp_opts.begin(), tcp_opts.end());
    } else if (proto == kProtoIcmp) {
      l4 = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
    } else {
      l4 = {0, 53, 0, 53, 0, 8, 0, 0};
    }
    l4.insert(l4.end(), payload.begin(), payload.end());
    Bytes ip(ihl < 20 ? 20 : ihl, 0);
    ip[0] = ver_ihl;
    store_be16(&ip[2], static_cast<uint16_t>(ip.size() + l4.size()));
    store_be16(&ip[6], frag);
    ip[8] = 64;
    ip[9] = proto;
    store_be32(&ip[12], src);
    store_be32(&ip[16], dst);
    uint16_t c = ref_csum(ip.data(), ip.size());
    if (corrupt_ip_csum) c ^= 0x0101;
    store_be16(&ip[10], c);
    if (proto == kProtoTcp) {
      uint16_t tc = ref_tcp_csum(ip.data(), l4.data(), l4.size());
      if (corrupt_l4_csum) tc ^= 0x0101;
      store_be16(&l4[16], tc);
    } else if (proto == kProtoIcmp) {
      uint16_t ic = ref_csum(l4.data(), l4.size());
      if (corrupt_l4_csum) ic ^= 0x0101;
      store_be16(&l4[2], ic);
    }
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), l4.begin(), l4.end());
    f.resize(f.size() + pad, 0);
    return f;
  }
};

ParseError parse(const Bytes& b, Frame& f, ParseOptions po = {}) {
  return parse_frame(b.data(), static_cast<uint32_t>(b.size()), po, f);
}

TEST(ByteOrder, RoundTrips) {
  uint8_t b[4];
  store_be16(b, 0xABCD);
  EXPECT_EQ(b[0], 0xAB);
  EXPECT_EQ(load_be16(b), 0xABCD);
  store_be32(b, 0x01020304);
  EXPECT_EQ(b[0], 1);
  EXPECT_EQ(b[3], 4);
  EXPECT_EQ(load_be32(b), 0x01020304u);
}

TEST(Checksum, Ipv4HeaderMatchesReference) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; i++) {
    uint8_t h[60];
    size_t len = 20 + 4 * (rng() % 11);
    for (auto& x : h) x = static_cast<uint8_t>(rng());
    h[0] = static_cast<uint8_t>(0x40 | (len / 4));
    uint16_t c = ipv4_header_checksum(h);
    store_csum(h + 10, c);
    uint8_t zeroed[60];
    std::memcpy(zeroed, h, len);
    zeroed[10] = zeroed[11] = 0;
    EXPECT_EQ(load_be16(h + 10), ref_csum(zeroed, len));
    EXPECT_TRUE(ipv4_header_checksum_ok(h, static_cast<uint16_t>(len)));
    h[rng() % len] ^= static_cast<uint8_t>(1 + rng() % 255);
    EXPECT_FALSE(ipv4_header_checksum_ok(h, static_cast<uint16_t>(len)));
  }
}

TEST(Checksum, TcpMatchesReferenceForOddAndEvenLengths) {
  std::mt19937 rng(2);
  for (int i = 0; i < 1000; i++) {
    FrameBuilder fb;
    fb.payload.resize(rng() % 300);
    for (auto& x : fb.payload) x = static_cast<uint8_t>(rng());
    Bytes f = fb.build();
    uint8_t* ip = f.data() + 14;
    uint8_t* l4 = ip + 20;
    EXPECT_TRUE(l4_checksum_ok(ip, l4));
    l4[rng() % (20 + fb.payload.size())] ^= 0x40;
    EXPECT_FALSE(l4_checksum_ok(ip, l4));
  }
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; i++) {
    uint8_t d[32];
    for (auto& x : d) x = static_cast<uint8_t>(rng());
    uint16_t before = ref_csum(d, sizeof d);
    size_t at = 2 * (rng() % 16);
    uint16_t old_v = load_be16(d + at), new_v = static_cast<uint16_t>(rng());
    store_be16(d + at, new_v);
    uint16_t after = ref_csum(d, sizeof d);
    uint16_t inc = checksum_adjust16(before, old_v, new_v);
    // 0x0000 and 0xffff are the same value in ones' complement.
    EXPECT_TRUE(inc == after || (inc ^ after) == 0xffff) << i;
  }
}

TEST(Parse, TcpSynWithOptionsAndPadding) {
  FrameBuilder fb;
  fb.tcp_doff_words = 8;
  fb.tcp_opts = {2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1};
  fb.payload = {'h', 'i'};
  fb.pad = 10;  // Ethernet padding past the IPv4 total length is ignored
  Bytes b = fb.build();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kTcp);
  EXPECT_EQ(f.src_ip, kPeerIp);
  EXPECT_EQ(f.dst_ip, kOurIp);
  EXPECT_EQ(f.src_port, 40000);
  EXPECT_EQ(f.dst_port, 80);
  EXPECT_EQ(f.seq, 0x11223344u);
  EXPECT_EQ(f.ack, 0x55667788u);
  EXPECT_EQ(f.tcp_flags, 0x02);
  EXPECT_EQ(f.wnd, 29200);
  EXPECT_EQ(f.opt_len, 12);
  EXPECT_EQ(f.payload_len, 2);
  EXPECT_EQ(f.l4_off, 34);
  EXPECT_TRUE(f.src_mac == kPeerMac);
}

TEST(Parse, EveryTruncationIsRejectedNotRead) {
  FrameBuilder fb;
  fb.tcp_doff_words = 8;
  fb.tcp_opts.assign(12, 1);
  fb.payload.assign(5, 'x');
  Bytes b = fb.build();
  for (size_t n = 0; n < b.size(); n++) {
    Bytes cut(b.begin(), b.begin() + static_cast<long>(n));
    Frame f;
    EXPECT_NE(parse(cut, f), ParseError::kOk) << n;
  }
}

TEST(Parse, BadIpHeaders) {
  Frame f;
  FrameBuilder v6;
  v6.ver_ihl = 0x65;
  EXPECT_EQ(parse(v6.build(), f), ParseError::kBadIpHeader);
  FrameBuilder short_ihl;
  short_ihl.ver_ihl = 0x44;
  EXPECT_EQ(parse(short_ihl.build(), f), ParseError::kBadIpHeader);
  FrameBuilder with_opts;
  with_opts.ver_ihl = 0x46;
  EXPECT_EQ(parse(with_opts.build(), f), ParseError::kOk);
  EXPECT_EQ(f.l4_off, 14 + 24);
  FrameBuilder csum;
  csum.corrupt_ip_csum = true;
  EXPECT_EQ(parse(csum.build(), f), ParseError::kBadIpChecksum);
  ParseOptions hw;
  hw.ip_csum_verified = true;
  EXPECT_EQ(parse(csum.build(), f, hw), ParseError::kOk);
  Bytes b = FrameBuilder{}.build();
  store_be16(b.data() + 14 + 2, 10);  // total length < header length
  EXPECT_EQ(parse(b, f), ParseError::kBadIpHeader);
  b = FrameBuilder{}.build();
  store_be16(b.data() + 14 + 2, 2000);  // total length past the frame
  EXPECT_EQ(parse(b, f), ParseError::kTruncated);
}

TEST(Parse, FragmentsAndProtocols) {
  Frame f;
  FrameBuilder mf;
  mf.frag = 0x2000;
  EXPECT_EQ(parse(mf.build(), f), ParseError::kFragment);
  FrameBuilder off;
  off.frag = 0x0010;
  EXPECT_EQ(parse(off.build(), f), ParseError::kFragment);
  FrameBuilder udp;
  udp.proto = 17;
  EXPECT_EQ(parse(udp.build(), f), ParseError::kUnsupportedProtocol);
  FrameBuilder eth;
  eth.ethertype = 0x86DD;
  EXPECT_EQ(parse(eth.build(), f), ParseError::kUnsupportedEthertype);
  FrameBuilder vlan;
  vlan.ethertype = kEtherTypeVlan;
  EXPECT_EQ(parse(vlan.build(), f), ParseError::kUnsupportedEthertype);
  for (uint32_t bad_src : {0u, 0xffffffffu, 0xe0000001u, 0x7f000001u}) {
    FrameBuilder b;
    b.src = bad_src;
    EXPECT_EQ(parse(b.build(), f), ParseError::kBadSourceAddress) << bad_src;
  }
}

TEST(Parse, TcpHeaderAndChecksum) {
  Frame f;
  FrameBuilder small;
  small.tcp_doff_words = 4;
  EXPECT_EQ(parse(small.build(), f), ParseError::kBadTcpHeader);
  FrameBuilder big;
  big.tcp_doff_words = 15;  // 60-byte header in a 20-byte segment
  EXPECT_EQ(parse(big.build(), f), ParseError::kBadTcpHeader);
  FrameBuilder csum;
  csum.corrupt_l4_csum = true;
  EXPECT_EQ(parse(csum.build(), f), ParseError::kBadTcpChecksum);
  ParseOptions hw;
  hw.l4_csum_verified = true;
  EXPECT_EQ(parse(csum.build(), f, hw), ParseError::kOk);
}

TEST(Parse, IcmpEcho) {
  Frame f;
  FrameBuilder echo;
  echo.proto = kProtoIcmp;
  echo.payload.assign(56, 0xab);
  ASSERT_EQ(parse(echo.build(), f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kIcmpEcho);
  EXPECT_EQ(f.l4_len, 64);
  FrameBuilder bad = echo;
  bad.corrupt_l4_csum = true;
  EXPECT_EQ(parse(bad.build(), f), ParseError::kBadIcmpChecksum);
  Bytes reply = echo.build();
  reply[34] = 0;  // echo reply, not a request
  EXPECT_EQ(parse(reply, f), ParseError::kBadIcmp);
}

Bytes arp_request(uint16_t op = 1, uint16_t ptype = 0x0800) {
  Bytes b(42, 0);
  std::memset(b.data(), 0xff, 6);
  std::memcpy(b.data() + 6, kPeerMac.b, 6);
  store_be16(b.data() + 12, kEtherTypeArp);
  uint8_t* a = b.data() + 14;
  store_be16(a, 1);
  store_be16(a + 2, ptype);
  a[4] = 6;
  a[5] = 4;
  store_be16(a + 6, op);
  std::memcpy(a + 8, kPeerMac.b, 6);
  store_be32(a + 14, kPeerIp);
  store_be32(a + 24, kOurIp);
  return b;
}

TEST(Arp, RequestParsedAndAnsweredInPlace) {
  Bytes b = arp_request();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kArpRequest);
  EXPECT_EQ(f.src_ip, kPeerIp);
  EXPECT_EQ(f.dst_ip, kOurIp);
  EXPECT_EQ(arp_reply_in_place(b.data(), kOurMac, kOurIp), 42);
  EXPECT_EQ(0, std::memcmp(b.data(), kPeerMac.b, 6));
  EXPECT_EQ(0, std::memcmp(b.data() + 6, kOurMac.b, 6));
  const uint8_t* a = b.data() + 14;
  EXPECT_EQ(load_be16(a + 6), 2);
  EXPECT_EQ(0, std::memcmp(a + 8, kOurMac.b, 6));
  EXPECT_EQ(load_be32(a + 14), kOurIp);
  EXPECT_EQ(0, std::memcmp(a + 18, kPeerMac.b, 6));
  EXPECT_EQ(load_be32(a + 24), kPeerIp);
}

TEST(Arp, RepliesAndOtherProtocolsRejected) {
  Frame f;
  EXPECT_EQ(parse(arp_request(2), f), ParseError::kBadArp);
  EXPECT_EQ(parse(arp_request(1, 0x86dd), f), ParseError::kBadArp);
  Bytes b = arp_request();
  b.resize(40);
  EXPECT_EQ(parse(b, f), ParseError::kTruncated);
}

TEST(Craft, IcmpEchoReplyInPlace) {
  FrameBuilder echo;
  echo.proto = kProtoIcmp;
  echo.payload.assign(33, 0x5a);  // odd length
  Bytes b = echo.build();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  uint16_t len = icmp_echo_reply_in_place(b.data(), f, kOurMac);
  EXPECT_EQ(len, b.size());
  const uint8_t* ip = b.data() + 14;
  EXPECT_EQ(load_be32(ip + 12), kOurIp);
  EXPECT_EQ(load_be32(ip + 16), kPeerIp);
  EXPECT_EQ(ref_sum(ip, 20), 0xffff);
  const uint8_t* icmp = ip + 20;
  EXPECT_EQ(icmp[0], 0);
  EXPECT_EQ(ref_sum(icmp, f.l4_len), 0xffff);
  EXPECT_EQ(load_be16(icmp + 4), 0x1234);  // identifier kept
}

TEST(Craft, TcpSegmentsParseBackWithValidChecksums) {
  std::mt19937 rng(4);
  for (int i = 0; i < 2000; i++) {
    uint8_t opts[40];
    uint8_t opt_len = static_cast<uint8_t>(4 * (rng() % 11));
    for (int k = 0; k < opt_len; k++) opts[k] = static_cast<uint8_t>(rng());
    Bytes payload(rng() % 1400);
    for (auto& x : payload) x = static_cast<uint8_t>(rng());
    TcpHeaderSpec s;
    s.src_mac = kOurMac;
    s.dst_mac = kPeerMac;
    s.src_ip = 0xC6120000u | (static_cast<uint32_t>(rng()) & 0x1ffff);  // 198.18.0.0/15
    s.dst_ip = kPeerIp;
    s.src_port = static_cast<uint16_t>(rng());
    s.dst_port = static_cast<uint16_t>(rng());
    s.seq = static_cast<uint32_t>(rng());
    s.ack = static_cast<uint32_t>(rng());
    s.wnd = static_cast<uint16_t>(rng());
    s.flags = static_cast<uint8_t>(rng());
    s.opt_len = opt_len;
    s.opts = opts;
    s.payload = payload.data();
    s.payload_len = static_cast<uint16_t>(payload.size());
    Bytes b(kMaxTcpHeadroom + payload.size(), 0xee);
    uint16_t len = write_tcp_segment(b.data(), s);
    ASSERT_EQ(len, tcp_frame_header_len(opt_len) + payload.size());
    b.resize(len);
    const uint8_t* ip = b.data() + 14;
    // Both checksums by the reference sum, then our own parser.
    EXPECT_EQ(ref_sum(ip, 20), 0xffff) << i;
    EXPECT_EQ(ref_tcp_csum(ip, ip + 20, b.size() - 34), 0) << i;
    Frame f;
    ASSERT_EQ(parse_frame(b.data(), len, {}, f), ParseError::kOk) << i;
    EXPECT_EQ(f.src_port, s.src_port);
    EXPECT_EQ(f.seq, s.seq);
    EXPECT_EQ(f.ack, s.ack);
    EXPECT_EQ(f.wnd, s.wnd);
    EXPECT_EQ(f.tcp_flags, s.flags);
    EXPECT_EQ(f.opt_len, opt_len);
    EXPECT_EQ(f.payload_len, payload.size());
    if (opt_len) {
      EXPECT_EQ(0, std::memcmp(ip + 40, opts, opt_len));
    }
    if (!payload.empty()) {
      EXPECT_EQ(0, std::memcmp(ip + 40 + opt_len, payload.data(), payload.size()));
    }
    EXPECT_EQ(load_be16(ip + 6), ip::kFlagDf);
    EXPECT_EQ(ip[8], 64);
  }
}

TEST(Craft, OffloadLeavesThePseudoHeaderSum) {
  TcpHeaderSpec s;
  s.src_ip = kOurIp;
  s.dst_ip = kPeerIp;
  s.flags = 0x10;
  s.csum_offload = true;
  uint8_t payload[7] = {1, 2, 3, 4, 5, 6, 7};
  s.payload = payload;
  s.payload_len = sizeof payload;
  Bytes b(kMaxTcpHeadroom + sizeof payload);
  uint16_t len = write_tcp_segment(b.data(), s);
  uint8_t* ip = b.data() + 14;
  uint8_t pseudo[12];
  std::memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  store_be16(pseudo + 10, static_cast<uint16_t>(len - 34));
  EXPECT_EQ(load_be16(ip + 36), ref_sum(pseudo, 12));
  EXPECT_EQ(ref_sum(ip, 20), 0xffff);
}

TEST(Parse, RandomBytesNeverCrash) {
  std::mt19937 rng(5);
  Bytes good = FrameBuilder{}.build();
  for (int i = 0; i < 200000; i++) {
    Bytes b = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; k++) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    Frame f;
    ParseOptions po;
    po.ip_csum_verified = rng() & 1;
    po.l4_csum_verified = rng() & 1;
    (void)parse_frame(b.data(), static_cast<uint32_t>(b.size()), po, f);
  }
}

}  // namespace
}  // namespace synack::wire
