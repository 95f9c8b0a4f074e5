// The Worker end to end without a NIC: frames in through process_burst, replies
// read off a ring port's TX ring and decoded independently
// (tests/support/frame_decoder.h), time driven by synthetic TSC values. Every
// test ends with the accounting identity: each received frame was answered,
// consumed or dropped exactly once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "runtime/worker.h"
#include "support/frame_builder.h"
#include "support/frame_decoder.h"
#include "support/worker_harness.h"
#include "tcp/syn_cookie.h"

namespace synack::runtime {
namespace {

using testing::Bytes;
using testing::Client;
using testing::Decoded;
using testing::describe;
using testing::kEngineIp;
using testing::kPeerIp;
using testing::kPeerMac;
using testing::Sent;
using testing::TcpSpec;
using testing::operator+;
namespace flag = testing::flag;
namespace opt = testing::opt;

constexpr uint8_t kSynAck = flag::kSyn | flag::kAck;

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(h_.open(&err)) << err;
    RuntimeConfig& c = h_.cfg;
    c.endpoint.time_wait_ms = 100;
    c.endpoint.idle_timeout_ms = 2000;
    c.endpoint.fin_timeout_ms = 3000;
    c.endpoint.rto_initial_ms = 200;
    c.endpoint.synack_retries = 2;
    c.endpoint.data_retries = 2;
  }
  void TearDown() override {
    if (started_) {
      h_.expect_accounting("at the end of the test");
      if (::testing::Test::HasFailure()) std::printf("counters:%s\n", h_.counter_dump().c_str());
    }
    h_.close();
  }
  void start(CookieMode mode) {
    std::string err;
    ASSERT_TRUE(h_.start(mode, &err)) << err;
    started_ = true;
  }
  uint64_t drops(DropReason r) const { return h_.drops(r); }
  uint64_t answered(ReplyKind k) const { return h_.answered(k); }
  const WorkerCounters& c() const { return h_.counters(); }
  Worker& w() { return h_.worker(); }

  // Connection closed by us (active close): request, response + FIN, the
  // client's FIN+ACK, our ACK. Leaves the engine's side in TIME-WAIT.
  void close_active(Client& cl) {
    std::vector<Decoded> r = cl.request();
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r[0].has(flag::kFin)) << describe(r[0]);
    r = cl.fin();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].flags, flag::kAck) << describe(r[0]);
    EXPECT_EQ(r[0].ack, cl.snd_nxt);
  }

  testing::WorkerHarness h_;
  bool started_ = false;
};

// ---- Kept from before the restructure (adjusted for the accounting) --------

TEST_F(WorkerTest, FullTableRefusesNewConnectionsAndKeepsTheOldOnes) {
  h_.cfg.max_flows = 16;
  start(CookieMode::kAlways);
  std::vector<Client> clients;
  for (uint16_t i = 0; i < 20; i++) {
    clients.emplace_back(h_, static_cast<uint16_t>(41000 + i), false);
    h_.now = 1 + i;
    ASSERT_EQ(clients.back().syn().size(), 1u);
    EXPECT_TRUE(clients.back().ack().empty());
  }
  // A valid cookie ACK that finds the table full is dropped (the client
  // retransmits it), never answered by evicting anything.
  EXPECT_EQ(w().flows_in_use(), 16u);
  EXPECT_EQ(drops(DropReason::accept_overflow), 4u);
  EXPECT_EQ(drops(DropReason::flow_table_full), 0u);
  EXPECT_EQ(c().connections_established.get(), 16u);
  EXPECT_EQ(c().cookies_validated.get(), 20u);
  // The first connection is still served.
  std::vector<Decoded> r = clients[0].request();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
}

TEST_F(WorkerTest, DestinationMacRules) {
  start(CookieMode::kAlways);
  // Unicast to another MAC: another host's (Linux PACKET_OTHERHOST).
  Bytes other = h_.tcp_frame(TcpSpec(42000, 80, 1, 0, flag::kSyn));
  other[5] = 0x99;
  EXPECT_TRUE(h_.send(other).empty());
  EXPECT_EQ(drops(DropReason::other_host), 1u);
  // TCP in a broadcast or multicast frame is not for us (Linux: PACKET_HOST only).
  Bytes bcast = h_.tcp_frame(TcpSpec(42001, 80, 1, 0, flag::kSyn));
  std::memset(bcast.data(), 0xff, 6);
  Bytes mcast = h_.tcp_frame(TcpSpec(42002, 80, 1, 0, flag::kSyn));
  mcast[0] = 0x01;
  EXPECT_TRUE(h_.send({bcast, mcast}).empty());
  EXPECT_EQ(drops(DropReason::not_for_us), 2u);
}

TEST_F(WorkerTest, OtherHostFramesAnsweredWhenAsked) {
  h_.cfg.accept_other_host = true;
  start(CookieMode::kAlways);
  Bytes other = h_.tcp_frame(TcpSpec(42000, 80, 1, 0, flag::kSyn));
  other[5] = 0x99;
  std::vector<Decoded> r = h_.send(other);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, kSynAck);
  EXPECT_TRUE(r[0].eth_dst == kPeerMac);
  EXPECT_TRUE(r[0].eth_src == h_.engine_mac());
  EXPECT_EQ(answered(ReplyKind::cookie_syn_ack), 1u);
}

TEST_F(WorkerTest, ConnectionOpensAnswersAndClosesOnTheWire) {
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 1;
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  const Decoded& sa = r[0];
  EXPECT_EQ(sa.flags, kSynAck);
  EXPECT_EQ(sa.ack, cl.isn + 1);
  EXPECT_EQ(sa.dport, 40000);
  EXPECT_EQ(sa.ip_dst, kPeerIp);
  EXPECT_TRUE(sa.ip_csum_ok && sa.tcp_csum_ok);
  EXPECT_TRUE(sa.opts.mss && sa.opts.ws && sa.opts.sack_perm && sa.opts.ts) << describe(sa);
  EXPECT_EQ(sa.opts.mss_value, h_.cfg.endpoint.mss);
  EXPECT_EQ(sa.opts.ts_ecr, cl.ts_base + 1);
  EXPECT_EQ(sa.opts.ts_val, h_.engine_ts(1));
  EXPECT_EQ(w().flows_in_use(), 1u);
  h_.now = 2;
  EXPECT_TRUE(cl.ack().empty());
  h_.now = 3;
  r = cl.request(20);
  ASSERT_EQ(r.size(), 1u);  // response with the FIN riding on it (active close)
  EXPECT_EQ(r[0].flags, flag::kAck | flag::kPsh | flag::kFin);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
  EXPECT_EQ(r[0].ack, cl.isn + 21);
  EXPECT_EQ(r[0].seq, cl.iss + 1);
  EXPECT_TRUE(r[0].tcp_csum_ok);
  h_.now = 4;
  r = cl.fin();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].ack, cl.isn + 22);
  // TIME-WAIT holds the closer's side, in the compact store.
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(w().time_wait_in_use(), 1u);
  h_.run_until(4 + h_.cfg.endpoint.time_wait_ms + 1);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(c().connections_established.get(), 1u);
  EXPECT_EQ(c().connections_closed.get(), 1u);
  EXPECT_EQ(c().time_wait_expired.get(), 1u);
  EXPECT_EQ(answered(ReplyKind::syn_ack), 1u);
  EXPECT_EQ(answered(ReplyKind::data), 1u);
  EXPECT_EQ(answered(ReplyKind::ack), 1u);
  EXPECT_EQ(c().consumed.get(), 1u);
  EXPECT_EQ(h_.mbufs_in_use(), h_.mbufs_at_start());
}

TEST_F(WorkerTest, CookiesAllocateNothingUntilTheFinalAck) {
  start(CookieMode::kAlways);
  Client cl(h_, 40001);
  h_.now = 1;
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, kSynAck);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().cookies_sent.get(), 1u);
  EXPECT_EQ(answered(ReplyKind::cookie_syn_ack), 1u);
  const uint32_t cookie = r[0].seq;
  // A forged final ACK (wrong cookie) gets a RST (RFC 9293: seq = SEG.ACK).
  h_.now = 2;
  TcpSpec forged = cl.seg(flag::kAck);
  forged.ack = cookie + 2;
  r = h_.send(cl.frame(forged));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kRst);
  EXPECT_EQ(r[0].seq, cookie + 2);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().cookies_bad_hash.get() + c().cookies_too_old.get(), 1u);
  EXPECT_EQ(answered(ReplyKind::rst), 1u);
  EXPECT_EQ(h_.rejected(tcp::Drop::kListenAck), 1u);
  // The right one creates the connection, in ESTABLISHED, and it is served.
  h_.now = 3;
  EXPECT_TRUE(cl.ack().empty());
  EXPECT_EQ(w().flows_in_use(), 1u);
  EXPECT_EQ(c().cookies_validated.get(), 1u);
  h_.now = 4;
  r = cl.request(10);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
  EXPECT_EQ(r[0].seq, cookie + 1);
}

TEST_F(WorkerTest, BacklogBoundsHalfOpenAndOverloadSwitchesToCookies) {
  start(CookieMode::kOverload);
  std::vector<Bytes> syns;
  for (uint16_t i = 0; i < 24; i++)
    syns.push_back(h_.tcp_frame(TcpSpec(50000 + i, 80, 1, 0, flag::kSyn)));
  std::vector<Decoded> r = h_.send_at(1, syns);
  EXPECT_EQ(r.size(), 24u);  // every SYN answered: 16 stateful, then cookies
  EXPECT_EQ(w().flows_in_use(), h_.cfg.backlog);
  EXPECT_EQ(c().cookies_sent.get(), 24u - h_.cfg.backlog);
  EXPECT_EQ(answered(ReplyKind::syn_ack), h_.cfg.backlog);
  EXPECT_EQ(answered(ReplyKind::cookie_syn_ack), 24u - h_.cfg.backlog);
  EXPECT_EQ(c().syncookie_mode_switches.get(), 1u);
  // The half-open records give up after their retries; the mode drains back.
  h_.run_until(5000);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().half_open_closed.get(), h_.cfg.backlog);
  EXPECT_EQ(c().syncookie_mode_switches.get(), 2u);
  EXPECT_EQ(h_.mbufs_in_use(), h_.mbufs_at_start());
}

// ---- Counters add up -----------------------------------------------------

// A randomised peer on 32 ports: handshakes, data, FINs and RSTs at the right
// and wrong sequence numbers, plus corrupted frames, in all three cookie modes.
// After every burst each frame was counted once; afterwards every timer runs
// out: no flow, no TIME-WAIT entry and no mbuf may be left behind, and every
// connection that opened was counted closed or reset exactly once.
class RandomPeer : public WorkerTest, public ::testing::WithParamInterface<int> {};

TEST_P(RandomPeer, LeavesNoFlowsAndNoMbufsAndCountsEveryFrameOnce) {
  start(CookieMode::kOverload);
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  struct Peer {
    uint32_t seq = 0;  // next sequence number we send
    uint32_t ack = 0;  // engine's next sequence number, as seen
  };
  std::map<uint16_t, Peer> peers;
  uint64_t frames_in = 0;
  for (int round = 0; round < 3000; round++) {
    if (round % 1000 == 0) h_.control().set_cookie_mode(static_cast<CookieMode>(round / 1000));
    std::vector<Bytes> burst;
    const int n = 1 + static_cast<int>(rng() % kBurst);
    for (int i = 0; i < n; i++) {
      const uint16_t sport = static_cast<uint16_t>(40000 + rng() % 32);
      Peer& p = peers[sport];
      TcpSpec s(sport, 80, p.seq, p.ack, flag::kAck);
      switch (rng() % 10) {
        case 0:
        case 1:
          p.seq = static_cast<uint32_t>(rng());
          s.seq = p.seq++;
          s.ack = 0;
          s.flags = flag::kSyn;
          if (rng() & 1) s.opts = opt::linux_syn(static_cast<uint32_t>(h_.now));
          break;
        case 2:
        case 3:
          break;
        case 4:
          s.flags |= flag::kPsh;
          s.payload.assign(1 + rng() % 200, 'x');
          p.seq += static_cast<uint32_t>(s.payload.size());
          break;
        case 5:
          s.flags |= flag::kFin;
          p.seq++;
          break;
        case 6:
          s.seq = p.seq + rng() % 3;
          s.flags = flag::kRst;
          break;
        case 7:
          s.seq = static_cast<uint32_t>(rng());
          s.ack = static_cast<uint32_t>(rng());
          s.flags = static_cast<uint8_t>(rng());
          s.payload.assign(rng() % 50, 'y');
          break;
        default: {
          s.flags |= flag::kPsh;
          s.payload.assign(10, 'z');
          Bytes f = h_.tcp_frame(s);
          f[rng() % f.size()] ^= static_cast<uint8_t>(1 + rng() % 255);  // corrupted
          if (rng() & 1) f.resize(rng() % f.size() + 1);                 // or cut short
          burst.push_back(f);
          continue;
        }
      }
      burst.push_back(h_.tcp_frame(s));
    }
    frames_in += burst.size();
    for (const Decoded& r : h_.send_at(h_.now + rng() % 30, burst)) {
      if (!r.tcp) continue;
      Peer& p = peers[r.dport];
      if (!r.has(flag::kRst)) p.ack = r.seq + r.seg_len();
    }
    if (round % 100 == 0) h_.expect_accounting("after a burst");
  }
  EXPECT_EQ(c().rx_packets.get(), frames_in);
  EXPECT_GT(c().connections_established.get(), 10u);
  // Let every timer (RTO backoff, TIME-WAIT, idle) run out.
  for (int i = 0; i < 400 && (w().flows_in_use() || w().time_wait_in_use()); i++)
    h_.jump_to(h_.now + 100);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(h_.mbufs_in_use(), h_.mbufs_at_start());
  EXPECT_EQ(c().connections_established.get(),
            c().connections_closed.get() + c().connections_reset.get())
      << "every established connection ends exactly once";
  EXPECT_EQ(c().time_wait_entered.get(), c().time_wait_expired.get() + c().time_wait_reused.get() +
                                             c().time_wait_reset.get() +
                                             c().time_wait_recycled.get());
  EXPECT_GT(c().cookies_validated.get(), 10u);
  EXPECT_GT(c().half_open_closed.get(), 10u);
}
INSTANTIATE_TEST_SUITE_P(Seeds, RandomPeer, ::testing::Range(1, 11));

// Everything a port can receive, in every cookie mode: ARP (requests,
// replies, conflicts, martians, probes), ICMP with and without IP options,
// TCP to closed and listening ports, martian sources, other-host and group
// frames, garbage. After every burst: rx_packets = answered + consumed +
// drops, exactly.
class MixedTraffic : public WorkerTest, public ::testing::WithParamInterface<int> {};

TEST_P(MixedTraffic, EveryFrameIsCountedOnce) {
  h_.cfg.prefix_len = 24;
  start(CookieMode::kOverload);
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  const testing::Mac other{{0x02, 0, 0, 0, 0, 0x77}};
  uint64_t frames = 0;
  for (int round = 0; round < 600; round++) {
    if (round % 200 == 0) h_.control().set_cookie_mode(static_cast<CookieMode>(round / 200));
    std::vector<Bytes> burst;
    const int n = 1 + static_cast<int>(rng() % kBurst);
    for (int i = 0; i < n; i++) {
      const uint32_t src = 0xC6120100u + rng() % 64;  // 198.18.1.0/26
      testing::FrameBuilder fb;
      fb.dst_mac = h_.engine_mac();
      fb.src_mac = kPeerMac;
      fb.src_ip = src;
      fb.dst_ip = kEngineIp;
      TcpSpec s(static_cast<uint16_t>(1024 + rng() % 64), rng() % 4 ? 80 : 81,
                static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                static_cast<uint8_t>(rng()));
      if (rng() % 3 == 0) s.flags = flag::kSyn;
      if (rng() % 4 == 0) s.opts = opt::linux_syn(static_cast<uint32_t>(rng()));
      if (rng() % 4 == 0) s.payload.assign(rng() % 100, 'q');
      fb.tcp(s);
      switch (rng() % 16) {
        case 0: {  // ARP: request, reply, conflict, martian, probe, not for us
          testing::ArpSpec a;
          a.eth_src = kPeerMac;
          a.sha = kPeerMac;
          a.spa = std::vector<uint32_t>{src, 0, kEngineIp, 0x7F000001, 0xC61200FF}[rng() % 5];
          a.tpa = rng() % 4 ? kEngineIp : src;
          a.op = static_cast<uint16_t>(1 + rng() % 3);
          burst.push_back(a.build());
          continue;
        }
        case 1:
          fb.icmp(static_cast<uint16_t>(rng()), 1, Bytes(rng() % 64, 0x11), rng() % 4 ? 8 : 0);
          if (rng() & 1) fb.ip_opts = {7, 7, 4, 0, 0, 0, 0, 0};
          break;
        case 2:
          fb.src_ip = std::vector<uint32_t>{kEngineIp,  0x7F000001, 0xE0000001,
                                            0xFFFFFFFF, 0xC61200FF, 0}[rng() % 6];
          break;
        case 3:
          fb.dst_mac = rng() & 1 ? other : testing::Mac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
          break;
        case 4:
          fb.ip_opts = std::vector<Bytes>{{131, 7, 4, 1, 2, 3, 4}, {7, 0}, {1, 1}}[rng() % 3];
          break;
        case 5:
          fb.corrupt_l4_csum = true;
          break;
        case 6:
          fb.frag = 0x2000;
          break;
        case 7:
          fb.src_mac = testing::Mac{{0x01, 0, 0x5e, 0, 0, 1}};
          break;
        default:
          break;
      }
      Bytes b = fb.build();
      if (rng() % 16 == 0) b.resize(rng() % b.size());
      if (b.size() < 14) b.resize(14, 0);
      burst.push_back(b);
    }
    frames += burst.size();
    h_.send_at(h_.now + rng() % 50, burst);
    h_.expect_accounting("after a burst");
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_EQ(c().rx_packets.get(), frames);
  EXPECT_GT(answered(ReplyKind::arp), 0u);
  EXPECT_GT(answered(ReplyKind::icmp_echo), 0u);
  EXPECT_GT(drops(DropReason::arp_conflict), 0u);
  EXPECT_GT(drops(DropReason::arp_martian), 0u);
  EXPECT_GT(drops(DropReason::martian_source), 0u);
  EXPECT_GT(drops(DropReason::other_host), 0u);
  EXPECT_GT(drops(DropReason::ip_source_route), 0u);
  h_.jump_to(h_.now + 400000);
  for (int i = 0; i < 100 && (w().flows_in_use() || w().time_wait_in_use()); i++)
    h_.jump_to(h_.now + 1000);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(h_.mbufs_in_use(), h_.mbufs_at_start());
}
INSTANTIATE_TEST_SUITE_P(Seeds, MixedTraffic, ::testing::Range(1, 6));

}  // namespace
}  // namespace synack::runtime
