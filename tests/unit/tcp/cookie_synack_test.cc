// The pieces of the cookie fast path held to the general code they shortcut:
// the fixed-byte option layouts against the option walk, the SYN-ACK
// template against write_segment(build_synack()), the template shape against
// promise_synack(), and the codec's encode in pieces against encode().
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "support/frame_builder.h"
#include "tcp/options.h"
#include "tcp/segment_write.h"
#include "tcp/siphash.h"
#include "tcp/syn_cookie.h"
#include "tcp/synack.h"
#include "tcp/synack_template.h"

namespace synack::tcp {
namespace {

namespace opt = testing::opt;
using testing::Bytes;

void expect_same(const TcpOptions& a, const TcpOptions& b, const Bytes& bytes) {
  const std::string where = ::testing::PrintToString(bytes);
  EXPECT_EQ(a.has_mss, b.has_mss) << where;
  EXPECT_EQ(a.has_wscale, b.has_wscale) << where;
  EXPECT_EQ(a.sack_permitted, b.sack_permitted) << where;
  EXPECT_EQ(a.has_timestamps, b.has_timestamps) << where;
  EXPECT_EQ(a.has_md5, b.has_md5) << where;
  EXPECT_EQ(a.mss, b.mss) << where;
  EXPECT_EQ(a.wscale, b.wscale) << where;
  EXPECT_EQ(a.ts_val, b.ts_val) << where;
  EXPECT_EQ(a.ts_ecr, b.ts_ecr) << where;
}

// parse_options() (fixed layouts first) gives what the walk alone gives, for
// each common layout with random variable bytes, and with one byte of it
// changed anywhere (whatever the walk makes of that, the fast path agrees or
// steps aside).
TEST(OptionLayouts, AgreeWithTheWalk) {
  std::mt19937 rng(17);
  int fast_taken = 0;
  for (int i = 0; i < 40000; i++) {
    const auto mss = static_cast<uint16_t>(rng());
    const auto ws = static_cast<uint8_t>(rng());
    const uint32_t tsv = rng(), tse = rng();
    Bytes b;
    switch (i % 4) {
      case 0:
        b = opt::linux_syn(tsv, tse, mss, ws);
        break;
      case 1:
        b = opt::windows_syn(mss, ws);
        break;
      case 2:
        b = opt::macos_syn(tsv, mss, ws);
        b[23] = static_cast<uint8_t>(rng());  // after EOL: ignored
        break;
      default:
        b = opt::ts_only(tsv, tse);
        break;
    }
    if (i % 3 == 0) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    TcpOptions walked, fast, direct;
    const bool walk_ok = parse_options_walk(b.data(), b.size(), walked);
    const bool ok = parse_options(b.data(), b.size(), fast);
    ASSERT_EQ(ok, walk_ok) << ::testing::PrintToString(b);
    if (ok) expect_same(fast, walked, b);
    if (options_detail::parse_common_layout(b.data(), b.size(), direct)) {
      fast_taken++;
      ASSERT_TRUE(walk_ok);
      expect_same(direct, walked, b);
    }
  }
  EXPECT_GT(fast_taken, 25000);  // the untouched layouts all took the fast path
}

// The template writes byte for byte the frame the general writer makes for
// the same SYN-ACK, for every shape, with and without checksum offload.
TEST(SynAckTemplate, WritesWhatWriteSegmentWrites) {
  std::mt19937 rng(23);
  EndpointConfig cfg;
  const wire::MacAddr our_mac{{0x02, 0, 0, 0, 0, 0x02}};
  const uint32_t our_ip = 0xC6120002;
  for (bool offload : {false, true}) {
    for (int shape = 0; shape < kCookieShapes; shape++) {
      SynAckPromise p;
      p.timestamps = shape & 4;
      p.wscale = shape & 2;
      p.sack = shape & 1;
      p.our_wscale = cfg.rcv_wscale;
      SynAckTemplate t;
      t.init(p, cfg, our_mac, our_ip, offload);
      for (int i = 0; i < 2000; i++) {
        Route r;
        r.local_mac = our_mac;
        for (auto& x : r.remote_mac.b) x = static_cast<uint8_t>(rng());
        r.key = FourTuple{static_cast<uint32_t>(rng()), our_ip, static_cast<uint16_t>(rng()),
                          static_cast<uint16_t>(rng())};
        if (i % 7 == 0) r.key.remote_ip = ~uint32_t{0};  // carries in every sum
        const uint32_t seq = rng(), ack = rng(), tsv = rng(), tse = rng();
        uint8_t want[128] = {}, got[128];
        std::memset(got, 0xee, sizeof got);
        const uint16_t len =
            write_segment(want, r, build_synack(p, cfg, Seq(seq), Seq(ack), tsv, tse), offload);
        ASSERT_EQ(t.write(got, {r.remote_mac.b, r.key.remote_ip,
                                uint32_t{r.key.remote_port} << 16 | r.key.local_port, seq, ack, tsv,
                                tse}),
                  len);
        ASSERT_EQ(std::memcmp(got, want, len), 0) << "shape " << shape << " offload " << offload;
      }
    }
  }
}

// The peer's MAC may lie in the buffer being overwritten (the SYN answered
// in place): it is read before the template covers it.
TEST(SynAckTemplate, PeerMacInTheBufferItself) {
  EndpointConfig cfg;
  SynAckPromise p;
  p.timestamps = true;
  SynAckTemplate t;
  t.init(p, cfg, wire::MacAddr{{2, 0, 0, 0, 0, 2}}, 0xC6120002, false);
  uint8_t buf[128] = {};
  const uint8_t peer[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  std::memcpy(buf + 6, peer, 6);  // the SYN's source MAC
  t.write(buf, {buf + 6, 0xC6128001, 1234u << 16 | 80, 1, 2, 3, 4});
  EXPECT_EQ(std::memcmp(buf, peer, 6), 0);
}

TEST(CookieShape, IsTheStatelessPromise) {
  EndpointConfig cfg;
  for (int bits = 0; bits < 16; bits++) {
    for (uint8_t ws : {uint8_t{0}, uint8_t{7}, uint8_t{14}, uint8_t{15}, uint8_t{255}}) {
      TcpOptions o;
      o.has_mss = bits & 8;
      o.mss = 1460;
      o.has_timestamps = bits & 4;
      o.has_wscale = bits & 2;
      o.wscale = ws;
      o.sack_permitted = bits & 1;
      const SynAckPromise p = promise_synack(o, cfg, true);
      EXPECT_EQ(cookie_shape(o), (p.timestamps ? 4 : 0) | (p.wscale ? 2 : 0) | (p.sack ? 1 : 0))
          << bits << " " << int{ws};
    }
  }
}

// mss_idx: the largest table entry <= mss, for every 16-bit MSS.
TEST(CookiePieces, MssIndexOfEveryMss) {
  for (uint32_t mss = 0; mss <= 0xffff; mss++) {
    uint32_t want = 0;
    for (uint32_t i = 1; i < cookie_detail::kMssEntries; i++)
      if (mss >= cookie_detail::kMssTable[i]) want = i;
    ASSERT_EQ(cookie_detail::mss_idx(mss), want) << mss;
  }
}

// A cookie made in pieces (the burst's fast path) is the one encode() makes.
TEST(CookiePieces, AreEncode) {
  std::mt19937_64 rng(29);
  const CookieSecret secret{{rng(), rng()}};
  const FourTuple t0{0x0a000001, 0xC6120002, 40000, 80};
  const SynCookieCodec codec(secret, t0.local_ip, 0);
  for (int i = 0; i < 20000; i++) {
    const FourTuple t{static_cast<uint32_t>(rng()), t0.local_ip, static_cast<uint16_t>(rng()),
                      static_cast<uint16_t>(rng())};
    TcpOptions o;
    o.has_mss = rng() & 1;
    o.mss = static_cast<uint16_t>(rng());
    o.has_wscale = rng() & 1;
    o.wscale = static_cast<uint8_t>(rng() % 20);
    o.sack_permitted = rng() & 1;
    o.has_timestamps = rng() & 1;
    o.ts_val = static_cast<uint32_t>(rng());
    const Seq isn(static_cast<uint32_t>(rng()));
    const uint64_t now_s = rng() >> 20;
    const auto now_ts = static_cast<uint32_t>(rng());
    const SynCookieCodec::Cookie want = codec.encode(t, isn, o, now_s, now_ts);
    const uint32_t idx = SynCookieCodec::mss_index_of(o);
    const uint64_t hash = siphash24_2w(codec.current_key(), SynCookieCodec::word0_of(t),
                                       SynCookieCodec::word1_of(isn, idx, now_s));
    ASSERT_EQ(SynCookieCodec::isn_from_hash(hash, idx, now_s), want.isn);
    if (o.has_timestamps) {
      ASSERT_EQ(SynCookieCodec::ts_val_of(SynCookieCodec::ts_bits_of(o), now_ts), want.ts_val);
    }
  }
}

}  // namespace
}  // namespace synack::tcp
