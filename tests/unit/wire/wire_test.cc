// wire/ and the TCP segment codec over it: parsers, builders and checksums,
// checked against the independent RFC 1071 sums and the frame builder and
// decoder of tests/support, which share no code with the engine.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include "support/frame_builder.h"
#include "support/frame_decoder.h"
#include "support/ref_checksum.h"
#include "tcp/options.h"
#include "tcp/segment_parse.h"
#include "tcp/segment_write.h"
#include "wire/byteorder.h"
#include "wire/checksum.h"
#include "wire/craft.h"
#include "wire/frame.h"
#include "wire/headers.h"

namespace synack::tcp {
// gtest prints enums by name.
void PrintTo(Drop d, std::ostream* os) {
  *os << drop_name(d);
}
}  // namespace synack::tcp

namespace synack::wire {
void PrintTo(ParseError e, std::ostream* os) {
  *os << parse_error_name(e);
}

namespace {

using testing::Bytes;
using testing::operator+;
using testing::FrameBuilder;
using testing::ref_csum;
using testing::ref_sum;
using testing::TcpSpec;
namespace opt = testing::opt;

const testing::Mac kOurMac{{0x02, 0, 0, 0, 0, 0x02}};
const testing::Mac kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
const testing::Mac kOtherMac{{0x02, 0, 0, 0, 0, 0x99}};
constexpr uint32_t kPeerIp = 0xC6120001;      // 198.18.0.1
constexpr uint32_t kOurIp = 0xC6120002;       // 198.18.0.2
constexpr uint32_t kOurBcast24 = 0xC61200FF;  // 198.18.0.255, our /24's directed broadcast

MacAddr mac(const testing::Mac& m) {
  MacAddr a;
  std::memcpy(a.b, m.b, 6);
  return a;
}

ParseContext context(uint32_t broadcast = 0) {
  ParseContext pc;
  pc.our_mac = mac(kOurMac);
  pc.our_ip = kOurIp;
  pc.our_broadcast = broadcast;
  return pc;
}

// A TCP SYN from the peer to us, with everything else default.
FrameBuilder tcp_to_us(const TcpSpec& s = TcpSpec{40000, 80, 0x11223344, 0x55667788, 0x02}) {
  FrameBuilder fb;
  fb.dst_mac = kOurMac;
  fb.src_mac = kPeerMac;
  fb.src_ip = kPeerIp;
  fb.dst_ip = kOurIp;
  fb.tcp(s);
  return fb;
}

FrameBuilder echo_to_us(const Bytes& data = Bytes(56, 0xab)) {
  FrameBuilder fb = tcp_to_us();
  fb.icmp(0x1234, 1, data);
  return fb;
}

ParseError parse(const Bytes& b, Frame& f, const ParseContext& pc = context()) {
  return parse_frame(b.data(), static_cast<uint32_t>(b.size()), pc, f);
}
ParseError parse(const Bytes& b, const ParseContext& pc = context()) {
  Frame f;
  return parse(b, f, pc);
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

// csum_add's 64-bit words and tail handling against RFC 1071 word by word,
// at every length and start alignment (0x0000 and 0xffff are one value).
TEST(Checksum, SumMatchesReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(11);
  uint8_t buf[160];
  for (int rep = 0; rep < 20; rep++) {
    for (auto& x : buf) x = static_cast<uint8_t>(rng());
    for (size_t off = 0; off < 8; off++) {
      for (size_t n = 0; n <= 140; n++) {
        const uint16_t ours = native_sum_to_be(csum_add(buf + off, n));
        const uint16_t ref = ref_sum(buf + off, n);
        EXPECT_TRUE(ours == ref || (ours ^ ref) == 0xffff) << off << " " << n;
      }
    }
  }
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
    TcpSpec s{40000, 80, 1, 2, 0x18};
    s.payload.resize(rng() % 300);
    for (auto& x : s.payload) x = static_cast<uint8_t>(rng());
    Bytes f = tcp_to_us(s).build();
    uint8_t* ip = f.data() + 14;
    uint8_t* l4 = ip + 20;
    EXPECT_TRUE(l4_checksum_ok(ip, l4));
    l4[rng() % (20 + s.payload.size())] ^= 0x40;
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
    EXPECT_TRUE(inc == after || (inc ^ after) == 0xffff) << i;
  }
}

TEST(Parse, TcpSynWithOptionsAndPadding) {
  TcpSpec s{40000, 80, 0x11223344, 0x55667788, 0x02, 29200};
  s.opts = opt::mss(1460) + opt::nop() + opt::ws(7) + opt::raw({4, 2, 1, 1});
  s.payload = {'h', 'i'};
  FrameBuilder fb = tcp_to_us(s);
  fb.pad = 10;  // Ethernet padding past the IPv4 total length is ignored
  Bytes b = fb.build();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kTcp);
  EXPECT_EQ(f.src_ip, kPeerIp);
  EXPECT_EQ(f.dst_ip, kOurIp);
  EXPECT_EQ(f.l4_off, 34);
  EXPECT_EQ(f.l4_len, 20 + 12 + 2);
  EXPECT_TRUE(f.src_mac == mac(kPeerMac));
  ::synack::tcp::Segment seg;
  ASSERT_EQ(::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg),
            ::synack::tcp::Drop::kNone);
  EXPECT_EQ(seg.src_port, 40000);
  EXPECT_EQ(seg.dst_port, 80);
  EXPECT_EQ(seg.seq.raw(), 0x11223344u);
  EXPECT_EQ(seg.ack.raw(), 0x55667788u);
  EXPECT_EQ(seg.flags, 0x02);
  EXPECT_EQ(seg.wnd, 29200);
  EXPECT_EQ(seg.payload_len, 2u);
  EXPECT_EQ(seg.payload, b.data() + 34 + 32);
  EXPECT_TRUE(seg.opts.has_mss && seg.opts.mss == 1460);
  EXPECT_TRUE(seg.opts.has_wscale && seg.opts.wscale == 7);
  EXPECT_TRUE(seg.opts.sack_permitted);
  EXPECT_FALSE(seg.opts.has_timestamps);
}

// Frame and segment parsers together never accept a cut frame.
TEST(Parse, EveryTruncationIsRejectedNotRead) {
  TcpSpec s{40000, 80, 1, 0, 0x02};
  s.opts = opt::linux_syn(1);
  s.payload.assign(5, 'x');
  Bytes b = tcp_to_us(s).build();
  for (size_t n = 0; n < b.size(); n++) {
    Bytes cut(b.begin(), b.begin() + static_cast<long>(n));
    Frame f;
    ParseError e = parse(cut, f);
    if (e != ParseError::kOk) continue;
    ::synack::tcp::Segment seg;
    EXPECT_NE(::synack::tcp::parse_segment(cut.data() + f.l4_off, f.l4_len, seg),
              ::synack::tcp::Drop::kNone)
        << n;
  }
}

TEST(Parse, BadIpHeaders) {
  Frame f;
  FrameBuilder v6 = tcp_to_us();
  v6.version = 6;
  EXPECT_EQ(parse(v6.build()), ParseError::kBadIpHeader);
  FrameBuilder short_ihl = tcp_to_us();
  short_ihl.ihl_words = 4;
  EXPECT_EQ(parse(short_ihl.build()), ParseError::kBadIpHeader);
  FrameBuilder with_opts = tcp_to_us();
  with_opts.ip_opts = {1, 1, 1, 0};  // NOP NOP NOP EOL
  EXPECT_EQ(parse(with_opts.build(), f), ParseError::kOk);
  EXPECT_EQ(f.l4_off, 14 + 24);
  FrameBuilder csum = tcp_to_us();
  csum.corrupt_ip_csum = true;
  EXPECT_EQ(parse(csum.build()), ParseError::kBadIpChecksum);
  ParseContext hw = context();
  hw.ip_csum_verified = true;
  EXPECT_EQ(parse(csum.build(), hw), ParseError::kOk);
  FrameBuilder small_total = tcp_to_us();
  small_total.total_len = 10;  // total length < header length
  EXPECT_EQ(parse(small_total.build()), ParseError::kBadIpHeader);
  FrameBuilder big_total = tcp_to_us();
  big_total.total_len = 2000;  // total length past the frame
  EXPECT_EQ(parse(big_total.build()), ParseError::kTruncated);
}

TEST(Parse, FragmentsProtocolsAndEthertypes) {
  FrameBuilder mf = tcp_to_us();
  mf.frag = 0x2000;
  EXPECT_EQ(parse(mf.build()), ParseError::kFragment);
  FrameBuilder off = tcp_to_us();
  off.frag = 0x0010;
  EXPECT_EQ(parse(off.build()), ParseError::kFragment);
  FrameBuilder udp = tcp_to_us();
  udp.raw_l4(17, {0, 53, 0, 53, 0, 8, 0, 0});
  EXPECT_EQ(parse(udp.build()), ParseError::kUnsupportedProtocol);
  FrameBuilder v6 = tcp_to_us();
  v6.ethertype = 0x86DD;
  EXPECT_EQ(parse(v6.build()), ParseError::kUnsupportedEthertype);
  FrameBuilder vlan = tcp_to_us();
  vlan.ethertype = kEtherTypeVlan;
  EXPECT_EQ(parse(vlan.build()), ParseError::kUnsupportedEthertype);
}

TEST(Parse, TcpHeaderAndChecksum) {
  Frame f;
  TcpSpec small{40000, 80, 1, 0, 0x02};
  small.doff_words = 4;
  Bytes b = tcp_to_us(small).build();
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  ::synack::tcp::Segment seg;
  EXPECT_EQ(::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg),
            ::synack::tcp::Drop::kBadTcpHeader);
  TcpSpec big{40000, 80, 1, 0, 0x02};
  big.doff_words = 15;  // 60-byte header in a 20-byte segment
  b = tcp_to_us(big).build();
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  EXPECT_EQ(::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg),
            ::synack::tcp::Drop::kBadTcpHeader);
  FrameBuilder csum = tcp_to_us();
  csum.corrupt_l4_csum = true;
  EXPECT_EQ(parse(csum.build()), ParseError::kBadTcpChecksum);
  ParseContext hw = context();
  hw.l4_csum_verified = true;
  EXPECT_EQ(parse(csum.build(), hw), ParseError::kOk);
  FrameBuilder tiny = tcp_to_us();
  tiny.l4.resize(19);  // not even a TCP header
  EXPECT_EQ(parse(tiny.build()), ParseError::kTruncated);
}

// RFC 9293 3.2 malformed lists, and RFC 2385 signatures we hold no key for.
TEST(Parse, TcpOptionsDropReasons) {
  struct Case {
    Bytes opts;
    ::synack::tcp::Drop want;
  } cases[] = {
      {opt::linux_syn(5), ::synack::tcp::Drop::kNone},
      {opt::raw({30, 4, 0, 0}), ::synack::tcp::Drop::kNone},  // unknown kind, skipped by length
      {opt::raw({8, 0, 0, 0}), ::synack::tcp::Drop::kBadTcpOptions},
      {opt::raw({3, 1, 7, 0}), ::synack::tcp::Drop::kBadTcpOptions},
      {opt::raw({8, 10, 0, 0}), ::synack::tcp::Drop::kBadTcpOptions},  // past the end
      {opt::raw({2, 3, 5, 0}), ::synack::tcp::Drop::kBadTcpOptions},   // MSS length 3
      {opt::raw({8, 8, 0, 0, 0, 0, 0, 0}), ::synack::tcp::Drop::kBadTcpOptions},
      {opt::raw({1, 1, 1, 3}), ::synack::tcp::Drop::kBadTcpOptions},  // a kind with no length byte
      {opt::md5() + opt::nop() + opt::nop(), ::synack::tcp::Drop::kTcpMd5Unexpected},
  };
  for (const Case& c : cases) {
    TcpSpec s{40000, 80, 1, 0, 0x02};
    s.opts = c.opts;
    Bytes b = tcp_to_us(s).build();
    Frame f;
    ASSERT_EQ(parse(b, f), ParseError::kOk);
    ::synack::tcp::Segment seg;
    EXPECT_EQ(::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg), c.want)
        << testing::describe(testing::decode_frame(b.data(), b.size()));
  }
}

TEST(Parse, IcmpEcho) {
  Frame f;
  FrameBuilder echo = echo_to_us();
  ASSERT_EQ(parse(echo.build(), f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kIcmpEcho);
  EXPECT_EQ(f.l4_len, 64);
  FrameBuilder bad = echo;
  bad.corrupt_l4_csum = true;
  EXPECT_EQ(parse(bad.build()), ParseError::kBadIcmpChecksum);
  FrameBuilder reply = echo_to_us();
  reply.icmp(0x1234, 1, Bytes(56, 0xab), icmp::kEchoReply);
  EXPECT_EQ(parse(reply.build()), ParseError::kBadIcmp);
  FrameBuilder code = echo_to_us();
  code.icmp(0x1234, 1, {}, icmp::kEchoRequest, 1);
  EXPECT_EQ(parse(code.build()), ParseError::kBadIcmp);
}

// RFC 1122 3.2.1.3 and Linux's martian rules: sources no host may use, on
// TCP and ICMP alike.
TEST(Martian, SourcesNoHostMayUse) {
  const uint32_t martians[] = {
      kOurIp,       // our own address: a reflected (land) attack
      0x00000000,   // 0.0.0.0
      0x00AB0001,   // 0.171.0.1: "this network" 0/8
      0x7F000001,   // 127.0.0.1
      0x7FFFFFFE,   // 127.255.255.254
      0xE0000001,   // 224.0.0.1 multicast
      0xEFFFFFFF,   // 239.255.255.255
      0xF0000001,   // 240.0.0.1 reserved
      0xFFFFFFFE,   // 255.255.255.254
      0xFFFFFFFF,   // limited broadcast
      kOurBcast24,  // our /24's directed broadcast
  };
  for (uint32_t src : martians) {
    FrameBuilder t = tcp_to_us();
    t.src_ip = src;
    EXPECT_EQ(parse(t.build(), context(kOurBcast24)), ParseError::kMartianSource)
        << std::hex << src;
    FrameBuilder e = echo_to_us();
    e.src_ip = src;
    EXPECT_EQ(parse(e.build(), context(kOurBcast24)), ParseError::kMartianSource)
        << std::hex << src;
  }
}

TEST(Martian, NeighboursOfMartianRangesAreFine) {
  for (uint32_t src : {0x01000000u, 0x7EFFFFFFu, 0x80000000u, 0xDFFFFFFFu, 0xC61200FEu, 0xC6120100u,
                       0xC6120003u}) {
    FrameBuilder t = tcp_to_us();
    t.src_ip = src;
    EXPECT_EQ(parse(t.build(), context(kOurBcast24)), ParseError::kOk) << std::hex << src;
  }
  // With a /32 (or /31) there is no directed broadcast: .255 is a host.
  FrameBuilder t = tcp_to_us();
  t.src_ip = kOurBcast24;
  EXPECT_EQ(parse(t.build(), context(0)), ParseError::kOk);
  EXPECT_FALSE(martian_source(kOurBcast24, context(0)));
  EXPECT_TRUE(martian_source(kOurBcast24, context(kOurBcast24)));
}

// Nothing is ever sent back to a group or all-zero Ethernet source.
TEST(Mac, GroupOrZeroSourceDropped) {
  const testing::Mac bad[] = {
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
      {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}},
      {{0, 0, 0, 0, 0, 0}},
  };
  for (const testing::Mac& m : bad) {
    FrameBuilder t = tcp_to_us();
    t.src_mac = m;
    EXPECT_EQ(parse(t.build()), ParseError::kBadSourceMac);
    testing::ArpSpec a;
    a.eth_src = m;
    a.sha = m;
    a.spa = kPeerIp;
    a.tpa = kOurIp;
    EXPECT_EQ(parse(a.build()), ParseError::kBadSourceMac);
  }
  // A locally administered unicast source is fine.
  FrameBuilder t = tcp_to_us();
  t.src_mac = testing::Mac{{0x06, 1, 2, 3, 4, 5}};
  EXPECT_EQ(parse(t.build()), ParseError::kOk);
}

// Linux PACKET_OTHERHOST: unicast to another MAC is not ours unless the port
// is told to take such frames (pcap replays, mirrored traffic).
TEST(Mac, OtherHostUnicast) {
  FrameBuilder t = tcp_to_us();
  t.dst_mac = kOtherMac;
  EXPECT_EQ(parse(t.build()), ParseError::kOtherHost);
  ParseContext replay = context();
  replay.accept_other_host = true;
  EXPECT_EQ(parse(t.build(), replay), ParseError::kOk);
  testing::ArpSpec a;
  a.eth_dst = kOtherMac;
  a.eth_src = kPeerMac;
  a.sha = kPeerMac;
  a.spa = kPeerIp;
  a.tpa = kOurIp;
  EXPECT_EQ(parse(a.build()), ParseError::kOtherHost);
  EXPECT_EQ(parse(a.build(), replay), ParseError::kOk);
  // TCP and ICMP in group-addressed frames are not for us (PACKET_HOST only),
  // whatever accept_other_host says; ARP requests are broadcast by nature.
  for (const testing::Mac& g : {testing::Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
                                testing::Mac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}}}) {
    FrameBuilder tg = tcp_to_us();
    tg.dst_mac = g;
    EXPECT_EQ(parse(tg.build()), ParseError::kNotForUs);
    EXPECT_EQ(parse(tg.build(), replay), ParseError::kNotForUs);
    FrameBuilder eg = echo_to_us();
    eg.dst_mac = g;
    EXPECT_EQ(parse(eg.build()), ParseError::kNotForUs);
    a.eth_dst = g;
    EXPECT_EQ(parse(a.build()), ParseError::kOk);
  }
  // Another IP address in a frame to our MAC.
  FrameBuilder other_ip = tcp_to_us();
  other_ip.dst_ip = 0xC6120003;
  EXPECT_EQ(parse(other_ip.build()), ParseError::kNotForUs);
}

testing::ArpSpec arp_request(uint32_t spa = kPeerIp, const testing::Mac& sha = kPeerMac) {
  testing::ArpSpec a;
  a.eth_src = sha;
  a.sha = sha;
  a.spa = spa;
  a.tpa = kOurIp;
  return a;
}

TEST(Arp, RequestParsedAndAnsweredInPlace) {
  Bytes b = arp_request().build();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kArpRequest);
  EXPECT_EQ(f.src_ip, kPeerIp);
  EXPECT_EQ(f.dst_ip, kOurIp);
  EXPECT_EQ(arp_reply_in_place(b.data(), mac(kOurMac), kOurIp), 42);
  testing::Decoded d = testing::decode_frame(b.data(), 42);
  ASSERT_TRUE(d.ok && d.arp);
  EXPECT_TRUE(d.eth_dst == kPeerMac);
  EXPECT_TRUE(d.eth_src == kOurMac);
  EXPECT_EQ(d.arp_op, 2);
  EXPECT_TRUE(d.arp_sha == kOurMac);
  EXPECT_EQ(d.arp_spa, kOurIp);
  EXPECT_TRUE(d.arp_tha == kPeerMac);
  EXPECT_EQ(d.arp_tpa, kPeerIp);
}

TEST(Arp, RepliesAreTheirOwnKindAndOtherProtocolsRejected) {
  Frame f;
  testing::ArpSpec reply = arp_request();
  reply.op = 2;
  ASSERT_EQ(parse(reply.build(), f), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kArpReply);
  testing::ArpSpec op3 = arp_request();
  op3.op = 3;
  EXPECT_EQ(parse(op3.build()), ParseError::kBadArp);
  testing::ArpSpec v6 = arp_request();
  v6.ptype = 0x86dd;
  EXPECT_EQ(parse(v6.build()), ParseError::kBadArp);
  testing::ArpSpec hlen = arp_request();
  hlen.hlen = 8;
  EXPECT_EQ(parse(hlen.build()), ParseError::kBadArp);
  Bytes cut = arp_request().build();
  cut.resize(40);
  EXPECT_EQ(parse(cut), ParseError::kTruncated);
  testing::ArpSpec other = arp_request();
  other.tpa = 0xC6120003;
  EXPECT_EQ(parse(other.build()), ParseError::kNotForUs);
}

// RFC 5227 2.4: another MAC claiming our address, in a request or a reply
// (announcement), is a conflict; it is counted and never answered.
TEST(Arp, ConflictIsNotAnswered) {
  EXPECT_EQ(parse(arp_request(kOurIp).build()), ParseError::kArpConflict);
  testing::ArpSpec announce = arp_request(kOurIp);
  announce.op = 2;
  announce.tpa = kOurIp;
  EXPECT_EQ(parse(announce.build()), ParseError::kArpConflict);
  // Our own announcement looped back is no conflict, and not answered either.
  testing::ArpSpec own = arp_request(kOurIp, kOurMac);
  own.eth_src = kPeerMac;
  EXPECT_NE(parse(own.build()), ParseError::kOk);
  EXPECT_NE(parse(own.build()), ParseError::kArpConflict);
}

TEST(Arp, MartianSendersAreNotAnsweredButProbesAre) {
  for (uint32_t spa :
       {0x7F000001u, 0xE0000001u, 0xF0000001u, 0xFFFFFFFFu, kOurBcast24, 0x00000001u}) {
    EXPECT_EQ(parse(arp_request(spa).build(), context(kOurBcast24)), ParseError::kArpMartian)
        << std::hex << spa;
  }
  // RFC 5227 2.1.1 probe: sender 0.0.0.0. A host defends its address by
  // answering it (as Linux arp_process does): to the prober's MAC, TPA 0.
  Bytes probe = arp_request(0).build();
  Frame f;
  ASSERT_EQ(parse(probe, f, context(kOurBcast24)), ParseError::kOk);
  EXPECT_EQ(f.kind, FrameKind::kArpRequest);
  arp_reply_in_place(probe.data(), mac(kOurMac), kOurIp);
  testing::Decoded d = testing::decode_frame(probe.data(), 42);
  ASSERT_TRUE(d.ok && d.arp);
  EXPECT_TRUE(d.eth_dst == kPeerMac);
  EXPECT_EQ(d.arp_op, 2);
  EXPECT_EQ(d.arp_spa, kOurIp);
  EXPECT_TRUE(d.arp_tha == kPeerMac);
  EXPECT_EQ(d.arp_tpa, 0u);
}

FrameBuilder with_ip_options(const Bytes& o) {
  FrameBuilder t = tcp_to_us();
  t.ip_opts = o;
  return t;
}

// Linux accept_source_route=0: LSRR and SSRR are refused, even behind NOPs.
TEST(IpOptions, SourceRoutesRefused) {
  const Bytes lsrr = {131, 7, 4, 198, 18, 0, 9};
  const Bytes ssrr = {137, 7, 4, 198, 18, 0, 9};
  EXPECT_EQ(parse(with_ip_options(lsrr).build()), ParseError::kIpSourceRoute);
  EXPECT_EQ(parse(with_ip_options(ssrr).build()), ParseError::kIpSourceRoute);
  EXPECT_EQ(parse(with_ip_options(Bytes{1, 1, 1} + lsrr).build()), ParseError::kIpSourceRoute);
  EXPECT_EQ(parse(with_ip_options(Bytes{7, 7, 4, 0, 0, 0, 0} + ssrr).build()),
            ParseError::kIpSourceRoute);
}

// ip_options_compile's length and pointer rules (RFC 791 3.1).
TEST(IpOptions, MalformedRefused) {
  const Bytes malformed[] = {
      {7, 0, 4, 0},               // length 0
      {7, 1, 4, 0},               // length 1
      {7, 11, 4, 0, 0, 0, 0, 0},  // runs past the header
      {1, 1, 1, 7},               // a kind with no length byte
      {7, 2, 0, 0},               // RR shorter than 3
      {7, 7, 3, 0, 0, 0, 0, 0},   // RR pointer < 4
      {68, 3, 5, 0},              // TS shorter than 4
      {68, 8, 4, 0, 0, 0, 0, 0},  // TS pointer < 5
      {148, 1, 0, 0},             // router alert with length 1
  };
  for (const Bytes& o : malformed) {
    EXPECT_EQ(parse(with_ip_options(o).build()), ParseError::kBadIpOptions)
        << int(o[0]) << " " << int(o[1]);
  }
}

TEST(IpOptions, HarmlessOnesAccepted) {
  const Bytes fine[] = {
      {1, 1, 1, 1},                             // NOPs
      {0, 0xaa, 0xbb, 0xcc},                    // EOL: what follows is padding
      {7, 7, 4, 0, 0, 0, 0, 0},                 // record route, room for one address
      {7, 7, 8, 198, 18, 0, 9, 0},              // record route, full
      {68, 8, 5, 0, 0, 0, 0, 0},                // timestamps only, room for one
      {68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0},   // timestamp and address, room for one
      {148, 4, 0, 0},                           // router alert (RFC 2113)
      {130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},  // security (RFC 1108)
      {30, 4, 1, 2},                            // unknown: skipped by its length
  };
  Frame f;
  for (const Bytes& o : fine) {
    Bytes b = with_ip_options(o).build();
    EXPECT_EQ(parse(b, f), ParseError::kOk) << int(o[0]);
    EXPECT_EQ(f.l4_off, 14 + 20 + (o.size() + 3) / 4 * 4);
  }
}

// ENGINE BUG (reported): check_ip_options (wire/frame.cc) says it checks as
// Linux's __ip_options_compile does, which also rejects these: an RR or TS
// whose pointer is inside the option without room for the next entry, a
// second RR or TS, a TS of address+time without room for both, a full TS
// whose overflow count is already 15, a router alert shorter than 4.
TEST(IpOptions, LinuxParityRejectsWhatIpOptionsCompileRejects) {
  const Bytes malformed[] = {
      {7, 7, 5, 0, 0, 0, 0, 0},      // RR: 5 <= 7 but 5 + 3 > 7
      {7, 3, 4, 7, 3, 4, 0, 0},      // two RRs
      {68, 8, 6, 0, 0, 0, 0, 0},     // TS: 6 <= 8 but 6 + 3 > 8
      {68, 8, 5, 1, 0, 0, 0, 0},     // TS address+time: 5 + 7 > 8
      {68, 8, 9, 0xf0, 0, 0, 0, 0},  // TS full, overflow 15
      {68, 4, 5, 0, 68, 4, 5, 0},    // two TSs
      {148, 2, 1, 1},                // router alert of length 2
  };
  for (const Bytes& o : malformed) {
    EXPECT_EQ(parse(with_ip_options(o).build()), ParseError::kBadIpOptions)
        << "IP options " << int(o[0]) << " " << int(o[1]) << " " << int(o[2]) << " " << int(o[3]);
  }
}

TEST(Craft, IcmpEchoReplyInPlace) {
  FrameBuilder echo = echo_to_us(Bytes(33, 0x5a));  // odd length
  Bytes b = echo.build();
  Frame f;
  ASSERT_EQ(parse(b, f), ParseError::kOk);
  uint16_t len = icmp_echo_reply_in_place(b.data(), f, mac(kOurMac));
  EXPECT_EQ(len, b.size());
  testing::Decoded d = testing::decode_frame(b.data(), len);
  ASSERT_TRUE(d.ok && d.icmp) << d.error;
  EXPECT_TRUE(d.eth_dst == kPeerMac);
  EXPECT_TRUE(d.eth_src == kOurMac);
  EXPECT_EQ(d.ip_src, kOurIp);
  EXPECT_EQ(d.ip_dst, kPeerIp);
  EXPECT_TRUE(d.ip_csum_ok);
  EXPECT_EQ(d.icmp_type, 0);
  EXPECT_TRUE(d.icmp_csum_ok);
  EXPECT_EQ(d.icmp_id, 0x1234);
  EXPECT_EQ(d.icmp_seq, 1);
  EXPECT_EQ(d.payload, Bytes(33, 0x5a));
}

// The reply carries no IP options (as Linux's echo reply without
// record-route): header rebuilt option-less, data intact, both checksums right.
TEST(Craft, IcmpEchoReplyDropsIpOptions) {
  for (const Bytes& o : {Bytes{1, 1, 1, 1}, Bytes{7, 7, 4, 0, 0, 0, 0, 0},
                         Bytes{148, 4, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0}}) {
    Bytes data(41);
    for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 7);
    FrameBuilder echo = echo_to_us(data);
    echo.ip_opts = o;
    Bytes b = echo.build();
    Frame f;
    ASSERT_EQ(parse(b, f), ParseError::kOk);
    const uint16_t len = icmp_echo_reply_in_place(b.data(), f, mac(kOurMac));
    EXPECT_EQ(len, 14 + 20 + 8 + data.size());
    testing::Decoded d = testing::decode_frame(b.data(), len);
    ASSERT_TRUE(d.ok && d.icmp) << d.error;
    EXPECT_EQ(d.ip_ihl, 20);
    EXPECT_EQ(d.ip_total, 20 + 8 + data.size());
    EXPECT_TRUE(d.ip_csum_ok);
    EXPECT_TRUE(d.icmp_csum_ok);
    EXPECT_EQ(d.icmp_type, 0);
    EXPECT_EQ(d.icmp_id, 0x1234);
    EXPECT_EQ(d.payload, data);
    EXPECT_EQ(d.ip_dst, kPeerIp);
  }
}

// Ethernet II + option-less IPv4 and the pseudo-header sum it returns.
TEST(Craft, WriteEthIpv4) {
  std::mt19937 rng(6);
  for (int i = 0; i < 1000; i++) {
    uint8_t buf[64] = {};
    const uint32_t src = static_cast<uint32_t>(rng()), dst = static_cast<uint32_t>(rng());
    const uint8_t proto = static_cast<uint8_t>(rng());
    const uint16_t l4_len = static_cast<uint16_t>(rng() % 1481);
    const uint64_t pseudo =
        write_eth_ipv4(buf, mac(kOurMac), mac(kPeerMac), src, dst, proto, l4_len);
    EXPECT_EQ(0, std::memcmp(buf, kPeerMac.b, 6));
    EXPECT_EQ(0, std::memcmp(buf + 6, kOurMac.b, 6));
    EXPECT_EQ(testing::get16(buf + 12), 0x0800);
    const uint8_t* ip = buf + 14;
    EXPECT_EQ(ip[0], 0x45);
    EXPECT_EQ(testing::get16(ip + 2), 20 + l4_len);
    EXPECT_EQ(testing::get16(ip + 6), 0x4000);
    EXPECT_EQ(ip[8], 64);
    EXPECT_EQ(ip[9], proto);
    EXPECT_EQ(testing::get32(ip + 12), src);
    EXPECT_EQ(testing::get32(ip + 16), dst);
    EXPECT_EQ(ref_sum(ip, 20), 0xffff) << i;
    const uint16_t got = csum_fold(pseudo), want = testing::ref_pseudo_sum(ip, proto, l4_len);
    EXPECT_TRUE(got == want || (got ^ want) == 0xffff) << i;
  }
}

::synack::tcp::TcpOptions random_options(std::mt19937& rng) {
  ::synack::tcp::TcpOptions o;
  o.has_mss = rng() & 1;
  o.mss = static_cast<uint16_t>(rng());
  o.has_wscale = rng() & 1;
  o.wscale = static_cast<uint8_t>(rng() % 15);
  o.sack_permitted = rng() & 1;
  o.has_timestamps = rng() & 1;
  o.ts_val = static_cast<uint32_t>(rng());
  o.ts_ecr = static_cast<uint32_t>(rng());
  return o;
}

// ::synack::tcp::write_segment's frames, read back by the independent decoder (fields,
// options, both checksums) and by the engine's own parsers.
TEST(Craft, TcpSegmentsDecodeWithValidChecksums) {
  std::mt19937 rng(4);
  std::vector<uint8_t> app(1400);
  for (auto& x : app) x = static_cast<uint8_t>(rng());
  for (int i = 0; i < 2000; i++) {
    ::synack::tcp::TxSegment s;
    s.seq = ::synack::tcp::Seq(static_cast<uint32_t>(rng()));
    s.ack = ::synack::tcp::Seq(static_cast<uint32_t>(rng()));
    s.wnd = static_cast<uint16_t>(rng());
    s.flags = static_cast<uint8_t>(rng());
    s.opts = random_options(rng);
    s.data_len = static_cast<uint16_t>(rng() % 1400);
    ::synack::tcp::Route r;
    r.local_mac = mac(kOurMac);
    r.remote_mac = mac(kPeerMac);
    // 198.18.0.0/15, never the peer's 198.18.0.1 (our own address is a martian source).
    r.key.local_ip = 0xC6120000u | ((static_cast<uint32_t>(rng()) & 0x1fffe) + 2);
    r.key.remote_ip = kPeerIp;
    r.key.local_port = static_cast<uint16_t>(rng());
    r.key.remote_port = static_cast<uint16_t>(rng());
    Bytes b(kMaxTcpHeadroom + s.data_len, 0xee);
    const uint16_t hdr = ::synack::tcp::segment_header_len(s);
    std::memcpy(b.data() + hdr, app.data(), s.data_len);
    const uint16_t len = ::synack::tcp::write_segment(b.data(), r, s, false);
    ASSERT_EQ(len, hdr + s.data_len);
    testing::Decoded d = testing::decode_frame(b.data(), len);
    ASSERT_TRUE(d.ok && d.tcp) << d.error;
    EXPECT_TRUE(d.ip_csum_ok) << i;
    EXPECT_TRUE(d.tcp_csum_ok) << i;
    EXPECT_EQ(d.ip_src, r.key.local_ip);
    EXPECT_EQ(d.ip_dst, r.key.remote_ip);
    EXPECT_EQ(d.ip_frag, ip::kFlagDf);
    EXPECT_EQ(d.ip_ttl, 64);
    EXPECT_EQ(d.sport, r.key.local_port);
    EXPECT_EQ(d.dport, r.key.remote_port);
    EXPECT_EQ(d.seq, s.seq.raw());
    EXPECT_EQ(d.ack, s.ack.raw());
    EXPECT_EQ(d.wnd, s.wnd);
    EXPECT_EQ(d.flags, s.flags);
    EXPECT_EQ(d.urg, 0);
    EXPECT_FALSE(d.opts.malformed);
    EXPECT_EQ(d.opts.mss, s.opts.has_mss);
    if (s.opts.has_mss) {
      EXPECT_EQ(d.opts.mss_value, s.opts.mss);
    }
    EXPECT_EQ(d.opts.ws, s.opts.has_wscale);
    if (s.opts.has_wscale) {
      EXPECT_EQ(d.opts.ws_value, s.opts.wscale);
    }
    EXPECT_EQ(d.opts.sack_perm, s.opts.sack_permitted);
    EXPECT_EQ(d.opts.ts, s.opts.has_timestamps);
    if (s.opts.has_timestamps) {
      EXPECT_EQ(d.opts.ts_val, s.opts.ts_val);
      EXPECT_EQ(d.opts.ts_ecr, s.opts.ts_ecr);
    }
    EXPECT_EQ(d.doff % 4, 0);
    ASSERT_EQ(d.payload.size(), s.data_len);
    EXPECT_TRUE(std::equal(d.payload.begin(), d.payload.end(), app.begin()));
    // And the engine's own parsers take it back.
    ParseContext pc = context();
    pc.our_mac = mac(kPeerMac);
    pc.our_ip = kPeerIp;
    Frame f;
    ASSERT_EQ(parse_frame(b.data(), len, pc, f), ParseError::kOk) << i;
    ::synack::tcp::Segment seg;
    ASSERT_EQ(::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg),
              ::synack::tcp::Drop::kNone);
    EXPECT_EQ(seg.seq, s.seq);
    EXPECT_EQ(seg.payload_len, s.data_len);
  }
}

// With offload the checksum field holds the folded pseudo-header sum, which
// the NIC completes (RTE_MBUF_F_TX_TCP_CKSUM).
TEST(Craft, OffloadLeavesThePseudoHeaderSum) {
  ::synack::tcp::TxSegment s;
  s.flags = 0x10;
  s.data_len = 7;
  ::synack::tcp::Route r;
  r.key.local_ip = kOurIp;
  r.key.remote_ip = kPeerIp;
  Bytes b(kMaxTcpHeadroom + 7);
  const uint16_t len = ::synack::tcp::write_segment(b.data(), r, s, true);
  const uint8_t* ip = b.data() + 14;
  EXPECT_EQ(testing::get16(ip + 20 + 16), testing::ref_pseudo_sum(ip, 6, len - 34u));
  EXPECT_EQ(ref_sum(ip, 20), 0xffff);
}

TEST(Parse, RandomBytesNeverCrash) {
  std::mt19937 rng(5);
  TcpSpec spec{40000, 80, 1, 2, 0x12};
  spec.opts = opt::linux_syn(9);
  spec.payload.assign(8, 'p');
  FrameBuilder with_opts = tcp_to_us(spec);
  with_opts.ip_opts = {7, 7, 4, 0, 0, 0, 0, 0};
  const Bytes seeds[] = {tcp_to_us(spec).build(), with_opts.build(), echo_to_us().build(),
                         arp_request().build()};
  for (int i = 0; i < 200000; i++) {
    Bytes b = seeds[i % 4];
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; k++) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    b.resize(rng() % (b.size() + 1));
    Frame f;
    ParseContext pc = context(rng() & 1 ? kOurBcast24 : 0);
    pc.ip_csum_verified = rng() & 1;
    pc.l4_csum_verified = rng() & 1;
    pc.accept_other_host = rng() & 1;
    if (parse_frame(b.data(), static_cast<uint32_t>(b.size()), pc, f) == ParseError::kOk &&
        f.kind == FrameKind::kTcp) {
      ASSERT_LE(size_t{f.l4_off} + f.l4_len, b.size());
      ::synack::tcp::Segment seg;
      (void)::synack::tcp::parse_segment(b.data() + f.l4_off, f.l4_len, seg);
    }
  }
}

}  // namespace
}  // namespace synack::wire
