// RxClassifier against wire::parse_frame + tcp::parse_segment, which decide
// every frame on the general path: over random frames near the common case
// (and mutated ones, their checksums sometimes repaired) under varied parse
// contexts, whatever the classifier takes it takes as they would, and every
// option-less IPv4 TCP segment they accept it takes too (so the fast path
// is never silently skipped).
#include "runtime/rx_classifier.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "support/frame_builder.h"
#include "tcp/segment_parse.h"
#include "wire/frame.h"

namespace synack::runtime {
namespace {

namespace opt = testing::opt;
using testing::Bytes;
using testing::FrameBuilder;
using testing::Mac;
using testing::TcpSpec;
using testing::operator+;

const Mac kOurMac{{0x02, 0, 0, 0, 0, 0x02}};
const Mac kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};
constexpr uint32_t kOurIp = 0xC6120002;  // 198.18.0.2

struct Context {
  wire::ParseContext pc;
  RxClassifier rx;
};

Context make_context(std::mt19937& rng) {
  Context c;
  std::memcpy(c.pc.our_mac.b, kOurMac.b, 6);
  c.pc.our_ip = kOurIp;
  c.pc.our_ip_last = rng() % 3 == 0 ? kOurIp + 8 : 0;  // a client's address range
  c.pc.our_broadcast = rng() % 2 ? 0xC61200FF : 0;
  c.pc.accept_other_host = rng() % 4 == 0;
  c.pc.ip_csum_verified = rng() % 5 == 0;
  c.pc.l4_csum_verified = rng() % 5 == 0;
  c.rx.init(c.pc);
  return c;
}

uint32_t pick_src(std::mt19937& rng, const wire::ParseContext& pc) {
  switch (rng() % 12) {
    case 0:
      return rng() % 2 ? 0x00000005 : 0x7f000001;  // this network, loopback
    case 1:
      return 0xe0000000u | (rng() & 0x1fffffff);  // multicast and above
    case 2:
      return pc.our_ip + rng() % 10;  // ours (or near the range)
    case 3:
      return 0xC61200FF;  // the directed broadcast when there is one
    case 4:
      return (rng() % 256) << 24 | (rng() & 0xffffff);  // anything
    default:
      return 0xC6128000u + (rng() & 0x7fff);  // a peer
  }
}

Bytes pick_options(std::mt19937& rng) {
  switch (rng() % 11) {
    case 0:
    case 1:
      return opt::linux_syn(rng(), rng() % 3 ? 0 : rng(), static_cast<uint16_t>(rng()),
                            static_cast<uint8_t>(rng() % 16));
    case 2:
      return opt::windows_syn(static_cast<uint16_t>(rng()), static_cast<uint8_t>(rng() % 16));
    case 3:
      return opt::macos_syn(rng(), static_cast<uint16_t>(rng()), static_cast<uint8_t>(rng() % 16));
    case 4:
      return opt::ts_only(rng(), rng());
    case 5:
      return opt::mss(static_cast<uint16_t>(rng())) + opt::nop() + opt::ws(3) + opt::sack_perm();
    case 6:
      return opt::md5();
    case 7: {  // random bytes: mostly malformed
      Bytes b(rng() % 24);
      for (auto& x : b) x = static_cast<uint8_t>(rng() % 10);
      return b;
    }
    default:
      return {};
  }
}

uint8_t pick_flags(std::mt19937& rng) {
  using namespace testing::flag;
  static constexpr uint8_t kFlags[] = {kSyn,        kSyn,        kSyn | kEce | kCwr, kSyn | kPsh,
                                       kSyn | kAck, kAck,        kAck | kPsh,        kRst,
                                       kFin | kAck, kSyn | kFin, kSyn | kRst};
  return rng() % 10 ? kFlags[rng() % (sizeof kFlags)] : static_cast<uint8_t>(rng());
}

// Repairs both checksums of an IPv4/TCP frame after a mutation (where the
// header lengths leave room for them), so the checks after them are reached.
void repair(Bytes& b) {
  if (b.size() < 34) return;
  uint8_t* ip = b.data() + 14;
  const size_t ihl = (ip[0] & 0xf) * 4u;
  if (ihl < 20 || 14 + ihl > b.size()) return;
  ip[10] = ip[11] = 0;
  testing::put16(ip + 10, testing::ref_csum(ip, ihl));
  const size_t total = testing::get16(ip + 2);
  if (total < ihl + 20 || 14 + total > b.size()) return;
  uint8_t* l4 = ip + ihl;
  l4[16] = l4[17] = 0;
  testing::put16(l4 + 16, testing::ref_l4_csum(ip, 6, l4, total - ihl));
}

Bytes random_frame(std::mt19937& rng, const wire::ParseContext& pc) {
  FrameBuilder fb;
  fb.dst_mac = kOurMac;
  if (rng() % 10 == 0)
    fb.dst_mac =
        rng() % 2 ? Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} : Mac{{0x02, 0, 0, 0, 0, 0x99}};
  fb.src_mac = kPeerMac;
  if (rng() % 20 == 0) fb.src_mac = rng() % 2 ? Mac{} : Mac{{0x01, 0, 0x5e, 0, 0, 1}};
  if (rng() % 30 == 0) fb.ethertype = rng() % 2 ? 0x0806 : 0x86dd;
  if (rng() % 30 == 0) fb.version = static_cast<uint8_t>(rng() % 16);
  if (rng() % 15 == 0) fb.ip_opts = {1, 1, 1, 0};  // NOPs, EOL: legal options
  if (rng() % 30 == 0) fb.ihl_words = static_cast<int>(rng() % 16);
  fb.tos = static_cast<uint8_t>(rng());
  fb.id = static_cast<uint16_t>(rng());
  fb.frag = rng() % 10 ? 0x4000 : static_cast<uint16_t>(rng());
  fb.ttl = static_cast<uint8_t>(rng());
  if (rng() % 30 == 0) fb.proto = rng() % 2 ? 1 : 17;
  fb.src_ip = pick_src(rng, pc);
  fb.dst_ip = rng() % 10 ? pc.our_ip + (pc.our_ip_last > pc.our_ip ? rng() % 9 : 0)
                         : static_cast<uint32_t>(rng());
  TcpSpec t(static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng() % 4 ? 80 : rng()), rng(),
            rng(), pick_flags(rng), static_cast<uint16_t>(rng()));
  t.opts = pick_options(rng);
  if (rng() % 5 == 0) t.payload = Bytes(rng() % 40, 0x5a);
  if (rng() % 30 == 0) t.doff_words = static_cast<int>(rng() % 16);
  const uint8_t proto = fb.proto;
  fb.tcp(t);
  fb.proto = proto;
  if (rng() % 30 == 0) fb.total_len = static_cast<int>(rng() % 120);
  if (rng() % 30 == 0) fb.corrupt_ip_csum = true;
  if (rng() % 30 == 0) fb.corrupt_l4_csum = true;
  fb.pad = rng() % 4 ? 0 : rng() % 20;
  Bytes b = fb.build();
  if (rng() % 5 == 0) {
    for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; k++)
      b[rng() % std::min<size_t>(b.size(), 80)] = static_cast<uint8_t>(rng());
    if (rng() % 2) repair(b);
  }
  if (rng() % 30 == 0) b.resize(rng() % b.size());
  return b;
}

void expect_same_frame(const wire::Frame& a, const wire::Frame& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.src_mac, b.src_mac);
  EXPECT_EQ(a.dst_mac, b.dst_mac);
  EXPECT_EQ(a.l3_off, b.l3_off);
  EXPECT_EQ(a.l4_off, b.l4_off);
  EXPECT_EQ(a.l4_len, b.l4_len);
  EXPECT_EQ(a.src_ip, b.src_ip);
  EXPECT_EQ(a.dst_ip, b.dst_ip);
}

void expect_same_segment(const tcp::Segment& a, const tcp::Segment& b) {
  EXPECT_EQ(a.src_port, b.src_port);
  EXPECT_EQ(a.dst_port, b.dst_port);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.ack, b.ack);
  EXPECT_EQ(a.payload_len, b.payload_len);
  EXPECT_EQ(a.payload, b.payload);
  EXPECT_EQ(a.wnd, b.wnd);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.opts.has_mss, b.opts.has_mss);
  EXPECT_EQ(a.opts.has_wscale, b.opts.has_wscale);
  EXPECT_EQ(a.opts.sack_permitted, b.opts.sack_permitted);
  EXPECT_EQ(a.opts.has_timestamps, b.opts.has_timestamps);
  EXPECT_EQ(a.opts.mss, b.opts.mss);
  EXPECT_EQ(a.opts.wscale, b.opts.wscale);
  EXPECT_EQ(a.opts.ts_val, b.opts.ts_val);
  EXPECT_EQ(a.opts.ts_ecr, b.opts.ts_ecr);
}

void expect_same_syn(const PlainSyn& a, const PlainSyn& b) {
  EXPECT_EQ(a.isn, b.isn);
  EXPECT_EQ(a.ts_val, b.ts_val);
  EXPECT_EQ(a.mss_index, b.mss_index);
  EXPECT_EQ(a.ts_bits, b.ts_bits);
  EXPECT_EQ(a.shape, b.shape);
}

bool is_plain_syn(const tcp::Segment& s) {
  using namespace tcp::tcpflag;
  return (s.flags & (kFin | kSyn | kRst | kAck)) == kSyn && s.payload_len == 0;
}

TEST(RxClassifier, TakesWhatTheGeneralParsersTakeAndAllTheyTakeInTheCommonCase) {
  std::mt19937 rng(41);
  int tcp_taken = 0, syns_taken = 0, refused = 0;
  for (int c = 0; c < 200; c++) {
    Context ctx = make_context(rng);
    for (int i = 0; i < 1000; i++) {
      const Bytes b = random_frame(rng, ctx.pc);
      SCOPED_TRACE(::testing::PrintToString(b));
      const auto len = static_cast<uint32_t>(b.size());
      // The general path's verdict.
      wire::Frame ref_f;
      tcp::Segment ref_s;
      bool ref_ok =
          wire::parse_frame(b.data(), len, ctx.pc, ref_f) == wire::ParseError::kOk &&
          ref_f.kind == wire::FrameKind::kTcp &&
          tcp::parse_segment(b.data() + ref_f.l4_off, ref_f.l4_len, ref_s) == tcp::Drop::kNone;
      const tcp::FourTuple ref_key{ref_f.src_ip, ref_f.dst_ip, ref_s.src_port, ref_s.dst_port};
      const bool common = ref_ok && b[14] == 0x45;  // option-less IPv4
      const bool ip_ok = ctx.pc.ip_csum_verified, l4_ok = ctx.pc.l4_csum_verified;

      // Without plain SYNs: kTcp exactly for the common segments, as parsed.
      {
        wire::Frame f;
        tcp::Segment s;
        tcp::FourTuple key;
        PlainSyn syn;
        const RxKind k = ctx.rx.classify(b.data(), len, ip_ok, l4_ok, false, key, syn, f, s);
        ASSERT_NE(k, RxKind::kPlainSyn);
        ASSERT_EQ(k == RxKind::kTcp, common) << "ref_ok " << ref_ok;
        if (k == RxKind::kTcp) {
          expect_same_frame(f, ref_f);
          expect_same_segment(s, ref_s);
          EXPECT_EQ(key, ref_key);
          tcp_taken++;
        } else {
          refused++;
        }
      }
      // With them: the plain SYNs come out reduced, the rest as before.
      {
        wire::Frame f;
        tcp::Segment s;
        tcp::FourTuple key;
        PlainSyn syn;
        const RxKind k = ctx.rx.classify(b.data(), len, ip_ok, l4_ok, true, key, syn, f, s);
        const bool plain = common && is_plain_syn(ref_s);
        ASSERT_EQ(k == RxKind::kPlainSyn, plain);
        ASSERT_EQ(k == RxKind::kTcp, common && !plain);
        if (k == RxKind::kPlainSyn) {
          EXPECT_EQ(key, ref_key);
          expect_same_syn(syn, reduce_syn(ref_s.seq, ref_s.opts));
          syns_taken++;
        } else if (k == RxKind::kTcp) {
          expect_same_frame(f, ref_f);
          expect_same_segment(s, ref_s);
          EXPECT_EQ(key, ref_key);
        }
        // The first pass's classifier says the same of every frame.
        int calls = 0;
        tcp::FourTuple key2;
        PlainSyn syn2;
        const bool taken = ctx.rx.plain_syn(b.data(), len, ip_ok, l4_ok,
                                            [&](const tcp::FourTuple& k2, const PlainSyn& p2) {
                                              calls++;
                                              key2 = k2;
                                              syn2 = p2;
                                            });
        ASSERT_EQ(taken, plain);
        ASSERT_EQ(calls, plain ? 1 : 0);
        if (plain) {
          EXPECT_EQ(key2, key);
          expect_same_syn(syn2, syn);
        }
      }
    }
  }
  // Every outcome was reached often enough to mean something.
  std::printf("taken %d, plain SYNs %d, refused %d\n", tcp_taken, syns_taken, refused);
  EXPECT_GT(tcp_taken, 40000);
  EXPECT_GT(syns_taken, 10000);
  EXPECT_GT(refused, 20000);
}

}  // namespace
}  // namespace synack::runtime
