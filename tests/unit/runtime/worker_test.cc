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

// A SYN after the cookie ACK of its own 4-tuple in one burst meets the flow
// that ACK made (a challenge ACK, RFC 5961 4.2), never a second cookie: the
// SYN stage of the burst must not overtake the general path. At an idle
// server (the first pass) and with another flow in the table (stage 3).
class SynAfterCookieAck : public WorkerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SynAfterCookieAck, InOneBurstMeetsTheFlowTheAckMade) {
  start(CookieMode::kAlways);
  if (GetParam()) {
    Client other(h_, 41000);
    h_.now = 1;
    ASSERT_TRUE(other.connect());
    ASSERT_EQ(w().flows_in_use(), 1u);
  }
  const unsigned flows_before = w().flows_in_use();
  const uint64_t validated_before = c().cookies_validated.get();
  Client cl(h_, 40001);
  h_.now = 2;
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].flags, kSynAck);
  const uint64_t cookies_before = answered(ReplyKind::cookie_syn_ack);
  h_.now = 3;
  const Bytes ack = cl.frame(cl.seg(flag::kAck));
  TcpSpec again = cl.syn_spec();
  again.seq = cl.isn + 1000;
  r = h_.send(std::vector<Bytes>{ack, cl.frame(again)});
  EXPECT_EQ(c().cookies_validated.get(), validated_before + 1);
  EXPECT_EQ(w().flows_in_use(), flows_before + 1);
  EXPECT_EQ(answered(ReplyKind::cookie_syn_ack), cookies_before) << h_.counter_dump();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck) << describe(r[0]);
  EXPECT_EQ(r[0].seq, cl.iss + 1);
  h_.expect_accounting();
}

INSTANTIATE_TEST_SUITE_P(IdleOrNot, SynAfterCookieAck, ::testing::Bool());

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

// ---- Clocks that never stop ------------------------------------------------
//
// The millisecond clock starts just below 2^32: our TSval (RFC 7323 5.4, the
// clock's low 32 bits) wraps to small values while every timer, being 64-bit,
// keeps its order.

constexpr uint64_t kJustBelowWrap = (uint64_t{1} << 32) - 250;

class ClockWrap : public WorkerTest {
 protected:
  void SetUp() override {
    WorkerTest::SetUp();
    h_.ms_offset = kJustBelowWrap;
  }
  // Test millisecond at which the TSval wraps to 0.
  uint64_t wrap_at() const { return (uint64_t{1} << 32) - (kJustBelowWrap + 1); }
};

TEST_F(ClockWrap, SynAckRetransmissionBacksOffAcrossTheWrap) {
  h_.cfg.endpoint.synack_retries = 4;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].opts.ts_val, h_.engine_ts(0));
  const uint32_t iss = r[0].seq;
  std::vector<Sent> resent = h_.run_until(10000);
  // RFC 6298 5.5: the RTO doubles at each retransmission: 200, 400, 800, 1600.
  const uint64_t want[] = {200, 600, 1400, 3000};
  ASSERT_EQ(resent.size(), 4u);
  for (size_t i = 0; i < 4; i++) {
    EXPECT_EQ(resent[i].ms, want[i]);
    EXPECT_EQ(resent[i].d.flags, kSynAck);
    EXPECT_EQ(resent[i].d.seq, iss);
    EXPECT_EQ(resent[i].d.opts.ts_val, h_.engine_ts(want[i])) << "TSval is the clock mod 2^32";
    EXPECT_EQ(resent[i].d.opts.ts_ecr, cl.ts_base);
  }
  EXPECT_GT(want[1], wrap_at());
  EXPECT_LT(resent[1].d.opts.ts_val, 1000u) << "wrapped";
  // After the last one (3000 + 3200) the record gives up quietly.
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().half_open_closed.get(), 1u);
  EXPECT_EQ(c().synack_retransmits.get(), 4u);
  EXPECT_EQ(c().rst_sent.get(), 0u);
}

TEST_F(ClockWrap, DataRetransmissionAndTimeWaitAcrossTheWrap) {
  h_.cfg.endpoint.time_wait_ms = 1000;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  ASSERT_EQ(cl.syn().size(), 1u);
  // RTT 100 ms, measured from TSecr: SRTT 100, RTTVAR 50, RTO 300 (RFC 6298 2.2).
  h_.now = 100;
  EXPECT_TRUE(cl.ack().empty());
  h_.now = 200;
  std::vector<Decoded> r = cl.request();  // the response (+FIN) is lost
  ASSERT_EQ(r.size(), 1u);
  const Decoded lost = r[0];
  EXPECT_EQ(lost.opts.ts_val, h_.engine_ts(200));
  std::vector<Sent> rtx = h_.run_until(520);
  ASSERT_EQ(rtx.size(), 1u) << "one retransmission";
  EXPECT_EQ(rtx[0].ms, 500u) << "200 + RTO 300, past the TSval wrap at " << wrap_at();
  EXPECT_EQ(rtx[0].d.seq, lost.seq);
  EXPECT_EQ(rtx[0].d.payload, lost.payload);
  EXPECT_EQ(rtx[0].d.opts.ts_val, h_.engine_ts(500));
  EXPECT_LT(rtx[0].d.opts.ts_val, 1000u) << "wrapped";
  cl.take(rtx);
  EXPECT_TRUE(cl.fin_received);
  // ACK + FIN: TIME-WAIT from 520 for 1000 ms.
  r = cl.fin();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].opts.ts_val, h_.engine_ts(520));
  EXPECT_EQ(w().time_wait_in_use(), 1u);
  h_.run_until(1519);
  EXPECT_EQ(w().time_wait_in_use(), 1u) << "not before its 2*MSL";
  h_.run_until(1520);
  EXPECT_EQ(w().time_wait_in_use(), 0u) << "expired on time across the wrap";
  EXPECT_EQ(c().retransmits.get(), 1u);
  EXPECT_EQ(c().time_wait_expired.get(), 1u);
}

TEST_F(ClockWrap, IdleTimeoutAcrossTheWrap) {
  h_.cfg.endpoint.idle_timeout_ms = 1000;
  h_.cfg.active_close = false;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 100;
  ASSERT_TRUE(cl.connect());
  h_.now = 150;
  std::vector<Decoded> r = cl.request();
  ASSERT_EQ(r.size(), 1u);
  h_.now = 160;
  EXPECT_TRUE(cl.ack().empty());  // everything acked: idle from 160
  std::vector<Sent> out = h_.run_until(1159);
  EXPECT_TRUE(out.empty());
  out = h_.run_until(1200);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ms, 1160u);
  EXPECT_EQ(out[0].d.flags, flag::kRst | flag::kAck) << describe(out[0].d);
  EXPECT_EQ(out[0].d.seq, cl.rcv_nxt);
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().connections_reset.get(), 1u);
}

// ---- TIME-WAIT in the compact store ------------------------------------------

// TIME-WAIT gives its connection record back: far more sequential
// connections than --max_flows complete while the old ones wait out 2*MSL.
TEST_F(WorkerTest, TimeWaitDoesNotHoldConnectionRecords) {
  h_.cfg.max_flows = 16;
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kNever);
  for (uint16_t i = 0; i < 200; i++) {
    Client cl(h_, static_cast<uint16_t>(30000 + i));
    h_.now += 1;
    ASSERT_TRUE(cl.connect()) << i;
    ASSERT_NO_FATAL_FAILURE(close_active(cl));
  }
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(w().time_wait_in_use(), 200u);
  EXPECT_EQ(drops(DropReason::flow_table_full), 0u);
  EXPECT_EQ(c().connections_established.get(), 200u);
  EXPECT_EQ(c().time_wait_entered.get(), 200u);
  h_.jump_to(h_.now + 1);  // gauges are refreshed once per millisecond
  EXPECT_EQ(c().states[static_cast<int>(tcp::State::kTimeWait)].get(), 200u);
  h_.jump_to(h_.now + 60001);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(c().time_wait_expired.get(), 200u);
}

// RFC 6191 (RFC 1122 4.2.2.13 without timestamps): which SYNs reopen a
// connection in TIME-WAIT, and that the new incarnation's ISS lies above the
// old SND.NXT.
struct ReopenCase {
  const char* name;
  bool timestamps;
  int32_t ts_delta;   // the SYN's TSval - TS.Recent
  int32_t seq_delta;  // the SYN's SEQ - RCV.NXT
  bool reopens;
};

class TimeWaitReopen : public WorkerTest, public ::testing::WithParamInterface<ReopenCase> {};

TEST_P(TimeWaitReopen, NewerSynReopens) {
  const ReopenCase& rc = GetParam();
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kNever);
  Client cl(h_, 40000, rc.timestamps);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  ASSERT_NO_FATAL_FAILURE(close_active(cl));
  ASSERT_EQ(w().time_wait_in_use(), 1u);
  const uint32_t ts_recent = cl.ts_now();   // the FIN's TSval
  const uint32_t old_snd_nxt = cl.rcv_nxt;  // everything the engine sent, its FIN included
  h_.now = 1000;
  TcpSpec syn(cl.sport, 80, cl.snd_nxt + static_cast<uint32_t>(rc.seq_delta), 0, flag::kSyn);
  syn.opts = rc.timestamps ? opt::linux_syn(ts_recent + static_cast<uint32_t>(rc.ts_delta))
                           : opt::windows_syn();
  std::vector<Decoded> r = h_.send(cl.frame(syn));
  ASSERT_EQ(r.size(), 1u);
  if (!rc.reopens) {
    // Processed as TIME-WAIT does any other segment: an ACK of what it knows.
    EXPECT_EQ(r[0].flags, flag::kAck) << describe(r[0]);
    EXPECT_EQ(r[0].ack, cl.snd_nxt);
    EXPECT_EQ(w().time_wait_in_use(), 1u);
    EXPECT_EQ(c().time_wait_reused.get(), 0u);
    return;
  }
  ASSERT_EQ(r[0].flags, kSynAck) << describe(r[0]);
  EXPECT_EQ(r[0].ack, syn.seq + 1);
  EXPECT_GT(static_cast<int32_t>(r[0].seq - old_snd_nxt), 0)
      << "ISS " << r[0].seq << " not above the old SND.NXT " << old_snd_nxt;
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(w().flows_in_use(), 1u);
  EXPECT_EQ(c().time_wait_reused.get(), 1u);
  // The new incarnation completes and is served.
  Client again(h_, cl.sport, rc.timestamps);
  again.isn = syn.seq;
  again.ts_base = cl.ts_base + static_cast<uint32_t>(rc.ts_delta);
  again.take(r);
  again.snd_nxt = syn.seq + 1;
  EXPECT_TRUE(again.ack().empty());
  r = again.request();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
  EXPECT_EQ(c().connections_established.get(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6191, TimeWaitReopen,
    ::testing::Values(ReopenCase{"NewerTsval", true, 5, 0, true},
                      ReopenCase{"NewerTsvalLowerSeq", true, 5, -100000, true},
                      ReopenCase{"EqualTsvalNewerSeq", true, 0, 1, true},
                      ReopenCase{"EqualTsvalSameSeq", true, 0, 0, false},
                      ReopenCase{"EqualTsvalOlderSeq", true, 0, -1000, false},
                      ReopenCase{"OlderTsval", true, -5, 100000, false},
                      ReopenCase{"NoTimestampsNewerSeq", false, 0, 1, true},
                      ReopenCase{"NoTimestampsSameSeq", false, 0, 0, false},
                      ReopenCase{"NoTimestampsOlderSeq", false, 0, -1000, false}),
    [](const ::testing::TestParamInfo<ReopenCase>& i) { return std::string(i.param.name); });

// With cookies on (always, or overload while the backlog is full) a
// reopening SYN still gets a record: a cookie's ISN is the MAC, not a number
// above the old SND.NXT (RFC 1122 4.2.2.13 (1), RFC 6191 2). Linux never
// answers a TIME-WAIT reuse with a cookie (tcp_conn_request: want_cookie
// only when !tcp_tw_isn).
TEST_F(WorkerTest, ReopenWithCookiesOnStillPicksAnIssAboveTheOldSndNxt) {
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kAlways);
  int below = 0;
  for (uint16_t port = 40000; port < 40016; port++) {
    Client cl(h_, port);
    h_.now += 10;
    ASSERT_TRUE(cl.connect());
    ASSERT_NO_FATAL_FAILURE(close_active(cl));
    const uint32_t old_snd_nxt = cl.rcv_nxt;
    h_.now += 10;
    TcpSpec syn(cl.sport, 80, cl.snd_nxt + 1, 0, flag::kSyn);
    syn.opts = opt::linux_syn(cl.ts_now());
    std::vector<Decoded> r = h_.send(cl.frame(syn));
    // The earlier ports' half-open records may resend their SYN-ACKs now.
    std::erase_if(r, [&](const Decoded& d) { return d.dport != cl.sport; });
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].flags, kSynAck);
    if (static_cast<int32_t>(r[0].seq - old_snd_nxt) <= 0) below++;
  }
  EXPECT_EQ(c().cookies_sent.get(), 16u) << "the first handshakes only";
  EXPECT_EQ(c().time_wait_reused.get(), 16u);
  EXPECT_EQ(below, 0) << "of 16 reopened connections had an ISS at or below the old SND.NXT";
}

// Admission comes first: a SYN that would reopen the entry but is refused
// leaves it as it was.
TEST_F(WorkerTest, RefusedReopenLeavesTheTimeWaitEntry) {
  h_.cfg.endpoint.time_wait_ms = 60000;
  h_.cfg.limiter.rate_per_source = 1;
  h_.cfg.limiter.burst_per_source = 1;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  ASSERT_NO_FATAL_FAILURE(close_active(cl));
  h_.now = 30;  // the source's one token went to the first SYN
  TcpSpec syn(cl.sport, 80, cl.snd_nxt + 1, 0, flag::kSyn);
  syn.opts = opt::linux_syn(cl.ts_now());
  EXPECT_TRUE(h_.send(cl.frame(syn)).empty());
  EXPECT_EQ(drops(DropReason::syn_rate_limited), 1u);
  EXPECT_EQ(w().time_wait_in_use(), 1u);
  EXPECT_EQ(c().time_wait_reused.get(), 0u);
  // Still TIME-WAIT: a retransmitted FIN is ACKed.
  TcpSpec fin = cl.seg(flag::kAck | flag::kFin);
  fin.seq = cl.snd_nxt - 1;
  std::vector<Decoded> r = h_.send(cl.frame(fin));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].ack, cl.snd_nxt);
}

TEST_F(WorkerTest, ReopenRefusedByAFullBacklogLeavesTheTimeWaitEntry) {
  h_.cfg.endpoint.time_wait_ms = 60000;
  h_.cfg.endpoint.rto_initial_ms = 10000;
  h_.cfg.backlog = 1;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  ASSERT_NO_FATAL_FAILURE(close_active(cl));
  Client half_open(h_, 40001);
  ASSERT_EQ(half_open.syn().size(), 1u);  // the one backlog slot
  h_.now = 30;
  TcpSpec syn(cl.sport, 80, cl.snd_nxt + 1, 0, flag::kSyn);
  syn.opts = opt::linux_syn(cl.ts_now());
  EXPECT_TRUE(h_.send(cl.frame(syn)).empty());
  EXPECT_EQ(drops(DropReason::backlog_full), 1u);
  EXPECT_EQ(w().time_wait_in_use(), 1u);
  EXPECT_EQ(c().time_wait_reused.get(), 0u);
}

// RFC 9293 3.10.7.4 TIME-WAIT: "Acknowledge it, and restart the 2 MSL timeout".
TEST_F(WorkerTest, RetransmittedFinInTimeWaitIsReAckedAndRestartsTheTimer) {
  h_.cfg.endpoint.time_wait_ms = 1000;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  ASSERT_NO_FATAL_FAILURE(close_active(cl));  // TIME-WAIT until 1020
  const uint32_t fin_ts = cl.ts_now();
  h_.run_until(800);
  TcpSpec fin = cl.seg(flag::kAck | flag::kFin);
  fin.seq = cl.snd_nxt - 1;
  std::vector<Decoded> r = h_.send(cl.frame(fin));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].ack, cl.snd_nxt);
  EXPECT_EQ(r[0].seq, cl.rcv_nxt);
  // The duplicate is outside the window, so it does not move TS.Recent
  // (RFC 7323 5.3 R2 before R3; Linux echoes tw_ts_recent the same way).
  EXPECT_EQ(r[0].opts.ts_ecr, fin_ts);
  h_.run_until(1799);
  EXPECT_EQ(w().time_wait_in_use(), 1u) << "restarted at 800";
  h_.run_until(1800);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
}

// --max_time_wait: when the store is full the oldest entry goes early.
TEST_F(WorkerTest, FullTimeWaitStoreRecyclesTheOldest) {
  h_.cfg.max_time_wait = 4;
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kNever);
  std::vector<Client> clients;
  for (uint16_t i = 0; i < 10; i++) {
    clients.emplace_back(h_, static_cast<uint16_t>(30000 + i));
    h_.now += 1;
    ASSERT_TRUE(clients.back().connect());
    ASSERT_NO_FATAL_FAILURE(close_active(clients.back()));
  }
  EXPECT_EQ(w().time_wait_in_use(), 4u);
  EXPECT_EQ(c().time_wait_recycled.get(), 6u);
  EXPECT_EQ(c().time_wait_entered.get(), 10u);
  // The oldest is forgotten: its retransmitted FIN meets the listener (RST);
  // the newest is still in TIME-WAIT (ACK).
  for (size_t i : {size_t{0}, size_t{9}}) {
    Client& cl = clients[i];
    TcpSpec fin = cl.seg(flag::kAck | flag::kFin);
    fin.seq = cl.snd_nxt - 1;
    std::vector<Decoded> r = h_.send(cl.frame(fin));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].flags, i == 0 ? flag::kRst : flag::kAck) << i << ": " << describe(r[0]);
  }
}

// RFC 7323 4.3 in TIME-WAIT: an acceptable segment with a newer TSval moves
// TS.Recent (Linux tcp_timewait_state_process does the same for an in-window
// ACK); our next ACK echoes it.
TEST_F(WorkerTest, TsRecentUpdatesInTimeWait) {
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  ASSERT_NO_FATAL_FAILURE(close_active(cl));
  const uint32_t t1 = cl.ts_now();
  h_.now = 500;
  const uint32_t t2 = cl.ts_now();
  EXPECT_TRUE(cl.ack().empty()) << "a bare in-window ACK: taken, no reply";
  h_.now = 600;
  TcpSpec fin = cl.seg(flag::kAck | flag::kFin);
  fin.seq = cl.snd_nxt - 1;
  fin.opts = opt::ts_only(t2, cl.ts_recent);
  std::vector<Decoded> r = h_.send(cl.frame(fin));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].opts.ts_ecr, t2) << "TS.Recent still " << t1 << "?";
  // PAWS now judges by t2: a TSval between t1 and t2 is old.
  h_.now = 1200;
  fin.opts = opt::ts_only(t1 + 1, cl.ts_recent);
  r = h_.send(cl.frame(fin));
  EXPECT_EQ(drops(DropReason::paws) + h_.rejected(tcp::Drop::kPaws), 1u);
}

// ---- ACK throttling (RFC 5961 7) ---------------------------------------------

// The same limit holds for a connection in TIME-WAIT, whose compact record
// keeps the flow's stamp (Linux: tw_last_oow_ack_time): a flood of
// out-of-window segments at it gets one ACK per 500 ms, not one each.
TEST_F(WorkerTest, TimeWaitAnswersAnOutOfWindowFloodWithOneAckPer500ms) {
  h_.cfg.endpoint.time_wait_ms = 60000;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  ASSERT_NO_FATAL_FAILURE(close_active(cl));
  ASSERT_EQ(c().time_wait_entered.get(), 1u);
  std::vector<uint64_t> acks;
  for (uint64_t t = 100; t < 2600; t++) {
    h_.now = t;
    TcpSpec s = cl.seg(flag::kAck | flag::kPsh, 10);
    s.seq += 0x40000000u;  // far outside the window (and our own next stays)
    for (const Decoded& d : h_.send(cl.frame(s))) {
      EXPECT_EQ(d.flags, flag::kAck) << describe(d);
      acks.push_back(t);
    }
  }
  ASSERT_GE(acks.size(), 4u);
  EXPECT_LE(acks.size(), 5u);
  for (size_t i = 1; i < acks.size(); i++)
    EXPECT_GE(acks[i] - acks[i - 1], 500u) << "ACKs at " << acks[i - 1] << " and " << acks[i];
  EXPECT_EQ(w().time_wait_in_use(), 1u) << "the entry stays";
}

// An in-window RST flood: at most one challenge ACK per flow per 500 ms
// (Linux tcp_invalid_ratelimit), every other RST counted, the connection
// unharmed. The per-flow stamp counts in 8 ms units: never under 500 ms.
TEST_F(WorkerTest, RstFloodGetsAtMostOneChallengeAckPer500msPerFlow) {
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  std::vector<uint64_t> acks;
  uint64_t rsts = 0;
  for (uint64_t t = 100; t < 2600; t++) {
    h_.now = t;
    std::vector<Decoded> r = cl.rst(cl.snd_nxt + 1 + static_cast<uint32_t>(t % 1000));
    rsts++;
    for (const Decoded& d : r) {
      EXPECT_EQ(d.flags, flag::kAck) << describe(d);
      EXPECT_EQ(d.ack, cl.snd_nxt);
      acks.push_back(t);
    }
  }
  ASSERT_GE(acks.size(), 4u);
  EXPECT_LE(acks.size(), 5u);
  for (size_t i = 1; i < acks.size(); i++)
    EXPECT_GE(acks[i] - acks[i - 1], 500u)
        << "challenge ACKs at " << acks[i - 1] << " and " << acks[i] << " ms";
  EXPECT_EQ(c().challenge_acks_sent.get(), acks.size());
  EXPECT_EQ(c().acks_rate_limited.get(), rsts - acks.size());
  EXPECT_EQ(h_.rejected(tcp::Drop::kRstChallenged), acks.size());
  EXPECT_EQ(drops(DropReason::rst_challenged), rsts - acks.size());
  EXPECT_EQ(w().flows_in_use(), 1u);
  std::vector<Decoded> r = cl.request();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
}

// --challenge_ack_limit: per lcore per second, across flows.
TEST_F(WorkerTest, ChallengeAckLimitHoldsAcrossFlows) {
  h_.cfg.challenge_ack_limit = 10;
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kNever);
  std::vector<Client> clients;
  for (uint16_t i = 0; i < 40; i++) {
    clients.emplace_back(h_, static_cast<uint16_t>(30000 + i));
    ASSERT_TRUE(clients.back().connect());
  }
  // Two rounds, each inside one second of the Worker's clock and more than
  // 500 ms apart (so the per-flow limit is not what holds them back).
  const uint64_t second = (h_.engine_ms(0) / 1000 + 1) * 1000 - h_.engine_ms(0);
  for (int round = 0; round < 2; round++) {
    h_.now = second + 100 + 1000 * static_cast<uint64_t>(round);
    size_t acked = 0;
    for (Client& cl : clients) acked += cl.rst(cl.snd_nxt + 5).size();
    EXPECT_EQ(acked, 10u) << "round " << round;
    EXPECT_EQ(c().acks_rate_limited.get(), 30u * (round + 1));
    EXPECT_EQ(c().challenge_acks_sent.get(), 10u * (round + 1));
  }
  EXPECT_EQ(w().flows_in_use(), 40u);
  for (Client& cl : clients) EXPECT_EQ(cl.request().size(), 1u);
}

// A retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again, as rate-limited
// as any provoked ACK: per flow and per lcore. (Fails with the flood test
// above: 8 ms stamps.)
TEST_F(WorkerTest, DuplicateSynsInSynReceivedAreThrottled) {
  h_.cfg.endpoint.rto_initial_ms = 20000;  // no timer retransmission meanwhile
  h_.cfg.endpoint.rto_max_ms = 60000;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  std::vector<Decoded> first = cl.syn();
  ASSERT_EQ(first.size(), 1u);
  std::vector<uint64_t> resent;
  uint64_t dups = 0;
  for (uint64_t t = 100; t < 2100; t++) {
    h_.now = t;
    for (const Decoded& d : h_.send(cl.frame(cl.syn_spec()))) {
      EXPECT_EQ(d.flags, kSynAck);
      EXPECT_EQ(d.seq, first[0].seq);
      EXPECT_EQ(d.ack, cl.isn + 1);
      resent.push_back(t);
    }
    dups++;
  }
  ASSERT_GE(resent.size(), 3u);
  EXPECT_LE(resent.size(), 4u);
  for (size_t i = 1; i < resent.size(); i++)
    EXPECT_GE(resent[i] - resent[i - 1], 500u)
        << "SYN-ACKs at " << resent[i - 1] << " and " << resent[i] << " ms";
  EXPECT_EQ(c().acks_rate_limited.get(), dups - resent.size());
  EXPECT_EQ(c().synack_retransmits.get(), resent.size())
      << "only SYN-ACKs that went out are retransmissions";
  EXPECT_EQ(w().flows_in_use(), 1u);
  // And the handshake still completes.
  EXPECT_TRUE(cl.ack().empty());
  EXPECT_EQ(c().connections_established.get(), 1u);
}

TEST_F(WorkerTest, DuplicateSynLimitHoldsAcrossHalfOpenFlows) {
  h_.cfg.challenge_ack_limit = 5;
  h_.cfg.backlog = 32;
  h_.cfg.endpoint.rto_initial_ms = 20000;
  start(CookieMode::kNever);
  std::vector<Client> clients;
  for (uint16_t i = 0; i < 20; i++) {
    clients.emplace_back(h_, static_cast<uint16_t>(30000 + i));
    ASSERT_EQ(clients.back().syn().size(), 1u);
  }
  const uint64_t second = (h_.engine_ms(0) / 1000 + 1) * 1000 - h_.engine_ms(0);
  h_.now = second + 100;
  size_t resent = 0;
  for (Client& cl : clients) resent += h_.send(cl.frame(cl.syn_spec())).size();
  EXPECT_EQ(resent, 5u);
  EXPECT_EQ(c().acks_rate_limited.get(), 15u);
  // Counted when sent: the lcore budget's throttled SYN-ACKs are not.
  EXPECT_EQ(c().synack_retransmits.get(), 5u) << "only SYN-ACKs that went out";
  EXPECT_EQ(c().synack_sent.get(), 25u);
  EXPECT_EQ(w().flows_in_use(), 20u);
}

// ---- RFC 5961 / RFC 7323 details ----------------------------------------------

// RFC 7323 4.3: TS.Recent moves only for a segment that is accepted; one
// whose ACK is unacceptable (RFC 5961 5.2) is dropped with an ACK first.
TEST_F(WorkerTest, TsRecentNotMovedByAnUnacceptableAck) {
  h_.cfg.active_close = false;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  const uint32_t t1 = cl.ts_now();
  h_.now = 20;
  TcpSpec bogus = cl.seg(flag::kAck);
  bogus.ack = cl.rcv_nxt + 100000;  // beyond SND.NXT
  bogus.opts = opt::ts_only(t1 + 100000, cl.ts_recent);
  std::vector<Decoded> r = h_.send(cl.frame(bogus));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].opts.ts_ecr, t1) << "TS.Recent moved by an unacceptable segment";
  EXPECT_EQ(h_.rejected(tcp::Drop::kAckUnacceptable), 1u);
  // A request with a TSval between the two is not PAWS-rejected.
  h_.now = 30;
  TcpSpec req = cl.seg(flag::kAck | flag::kPsh, 20);
  req.opts = opt::ts_only(t1 + 20, cl.ts_recent);
  r = cl.send(req);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
  EXPECT_EQ(r[0].opts.ts_ecr, t1 + 20);
  EXPECT_EQ(drops(DropReason::paws) + h_.rejected(tcp::Drop::kPaws), 0u);
}

// RFC 5961 3.2 against the window we advertised (RFC 9293 3.10.7.4 step 1):
// the window field of our last segment shifted by the shift we announced
// (RFC 7323 2.3), or the SYN-ACK's unscaled window in SYN-RECEIVED (2.2).
// Beyond it a RST is dropped silently; inside it, not exact, challenged.
class RstWindow : public WorkerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RstWindow, RstBeyondTheAdvertisedWindowIsSilentInsideChallenged) {
  const bool wscale = GetParam();
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kNever);
  Client cl(h_, 40000, false);
  cl.syn_opts = wscale ? opt::windows_syn() : opt::mss(1460);
  h_.now = 10;
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].opts.ws, wscale);
  const uint32_t shift = wscale ? r[0].opts.ws_value : 0;
  // SYN-RECEIVED: the SYN-ACK's window, never scaled.
  const uint32_t syn_wnd = r[0].wnd;
  h_.now = 20;
  EXPECT_TRUE(cl.rst(cl.snd_nxt + syn_wnd).empty());
  EXPECT_EQ(drops(DropReason::rst_out_of_window), 1u);
  // Inside it, a half-open record drops an inexact RST silently (as Linux
  // does for a request socket, and as the cookie path must) and stays.
  EXPECT_TRUE(cl.rst(cl.snd_nxt + syn_wnd - 1).empty());
  EXPECT_EQ(drops(DropReason::rst_inexact), 1u);
  ASSERT_EQ(w().flows_in_use(), 1u);
  // ESTABLISHED: our ACKs' window field << our shift.
  h_.now = 1000;
  EXPECT_TRUE(cl.ack().empty());
  r = cl.request();
  ASSERT_EQ(r.size(), 1u);
  const uint32_t window = uint32_t{r[0].wnd} << shift;
  h_.now = 2000;
  EXPECT_TRUE(cl.rst(cl.snd_nxt + window).empty()) << "window " << window;
  EXPECT_TRUE(cl.rst(cl.snd_nxt - 1).empty());
  EXPECT_EQ(drops(DropReason::rst_out_of_window), 3u);
  r = cl.rst(cl.snd_nxt + window - 1);
  ASSERT_EQ(r.size(), 1u) << "window " << window;
  EXPECT_EQ(r[0].flags, flag::kAck);
  EXPECT_EQ(r[0].ack, cl.snd_nxt);
  EXPECT_EQ(c().challenge_acks_sent.get(), 1u);
  EXPECT_EQ(w().flows_in_use(), 1u);
  // The exact one resets.
  EXPECT_TRUE(cl.rst(cl.snd_nxt).empty());
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().connections_reset.get(), 1u);
}
INSTANTIATE_TEST_SUITE_P(WithAndWithoutWindowScale, RstWindow, ::testing::Bool());

// RFC 4987 3.6 meets a half-open record: this lcore sent a cookie SYN-ACK,
// then (cookies off) a stateful one for the same 4-tuple; the ACK of the
// cookie does not match the record but completes the cookie's connection.
TEST_F(WorkerTest, CookieAckCompletesDespiteAHalfOpenRecordForTheTuple) {
  start(CookieMode::kAlways);
  Client cl(h_, 40000);
  h_.now = 10;
  std::vector<Decoded> r = cl.syn();
  ASSERT_EQ(r.size(), 1u);
  const Decoded cookie_synack = r[0];
  EXPECT_EQ(w().flows_in_use(), 0u);
  h_.control().set_cookie_mode(CookieMode::kNever);
  h_.now = 20;
  h_.jump_to(20);
  r = h_.send(cl.frame(cl.syn_spec()));  // the same SYN again
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].flags, kSynAck);
  EXPECT_NE(r[0].seq, cookie_synack.seq);
  EXPECT_EQ(w().flows_in_use(), 1u);
  EXPECT_EQ(answered(ReplyKind::syn_ack), 1u);
  // The client answers the first SYN-ACK (the cookie).
  cl.iss = cookie_synack.seq;
  cl.rcv_nxt = cookie_synack.seq + 1;
  cl.ts_recent = cookie_synack.opts.ts_val;
  h_.now = 30;
  EXPECT_TRUE(cl.ack().empty());
  EXPECT_EQ(c().cookies_validated.get(), 1u);
  EXPECT_EQ(c().connections_established.get(), 1u);
  EXPECT_EQ(w().flows_in_use(), 1u);
  r = cl.request();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].seq, cookie_synack.seq + 1) << "the cookie's sequence space";
  EXPECT_EQ(r[0].payload, h_.cfg.response);
}

TEST_F(WorkerTest, AckMatchingNeitherCookieNorRecordIsReset) {
  start(CookieMode::kAlways);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_EQ(cl.syn().size(), 1u);
  h_.control().set_cookie_mode(CookieMode::kNever);
  h_.jump_to(20);
  std::vector<Decoded> r = h_.send(cl.frame(cl.syn_spec()));
  ASSERT_EQ(r.size(), 1u);
  const uint32_t iss = r[0].seq;
  h_.now = 30;
  TcpSpec bad = cl.seg(flag::kAck);
  bad.ack = iss + 12345;
  r = h_.send(cl.frame(bad));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kRst);
  EXPECT_EQ(r[0].seq, bad.ack);
  EXPECT_EQ(w().flows_in_use(), 1u) << "the record stays for the right ACK";
  // And the record's own ACK completes it.
  cl.rcv_nxt = iss + 1;
  EXPECT_TRUE(cl.ack().empty());
  EXPECT_EQ(c().connections_established.get(), 1u);
  EXPECT_EQ(c().cookies_validated.get(), 0u);
}

// The cookie's lifetime: accepted 95 s after its SYN-ACK, refused 113 s after
// (and later), whatever the phase of the SYN in the 16-second counter step.
TEST_F(WorkerTest, CookieAgeLimit) {
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kAlways);
  // Per phase k: ACKed 95 s, 113 s and 129 s (past 8 counter steps, where
  // the 3 clear count bits alias to a young age) after the SYN-ACK.
  const uint64_t ages[] = {95000, 113000, 129000};
  std::vector<Client> clients;
  for (uint16_t k = 0; k < 6; k++)
    for (uint16_t a = 0; a < 3; a++)
      clients.emplace_back(h_, static_cast<uint16_t>(30000 + 10 * k + a));
  for (uint16_t k = 0; k < 6; k++) {
    h_.jump_to(1000 + k * 2900);
    for (uint16_t a = 0; a < 3; a++) ASSERT_EQ(clients[3 * k + a].syn().size(), 1u);
  }
  std::vector<std::pair<uint64_t, size_t>> acks;  // when, which client
  for (size_t i = 0; i < clients.size(); i++)
    acks.push_back({1000 + (i / 3) * 2900 + ages[i % 3], i});
  std::sort(acks.begin(), acks.end());
  for (const auto& [when, i] : acks) {
    h_.jump_to(when);
    std::vector<Decoded> r = clients[i].ack();
    if (i % 3 == 0) {
      EXPECT_TRUE(r.empty()) << "95 s: accepted, phase " << i / 3;
    } else {
      ASSERT_EQ(r.size(), 1u) << ages[i % 3] << " ms, phase " << i / 3;
      EXPECT_EQ(r[0].flags, flag::kRst);
    }
  }
  EXPECT_EQ(c().cookies_validated.get(), 6u);
  // Refused either from the clear count bits or by the MAC over the full
  // counter (syn_cookie.h).
  EXPECT_EQ(c().cookies_too_old.get() + c().cookies_bad_hash.get(), 12u);
  EXPECT_EQ(w().flows_in_use(), 6u);
}

// ---- Close and overflow ------------------------------------------------------

// --close=passive: every request on the connection is answered, the response
// never says "Connection: close" (the app layer's passive default has no
// Connection header), and the client's FIN is what ends it: our FIN, LAST-ACK,
// no TIME-WAIT on our side.
TEST_F(WorkerTest, PassiveCloseAnswersEveryRequestAndWaitsForTheClient) {
  h_.cfg.active_close = false;
  start(CookieMode::kNever);
  const std::string response(h_.cfg.response.begin(), h_.cfg.response.end());
  std::string lower = response;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_EQ(lower.find("connection:"), std::string::npos);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  for (int i = 0; i < 5; i++) {
    h_.now += 100;
    std::vector<Decoded> r = cl.request(30 + i);
    ASSERT_EQ(r.size(), 1u) << "request " << i;
    EXPECT_EQ(r[0].flags, flag::kAck | flag::kPsh) << describe(r[0]);
    EXPECT_EQ(r[0].payload, h_.cfg.response);
    EXPECT_EQ(r[0].ack, cl.snd_nxt);
  }
  EXPECT_EQ(cl.received.size(), 5 * h_.cfg.response.size());
  EXPECT_EQ(c().requests.get(), 5u);
  h_.now += 100;
  std::vector<Decoded> r = cl.fin();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].flags, flag::kAck | flag::kFin);
  EXPECT_EQ(r[0].ack, cl.snd_nxt);
  EXPECT_TRUE(cl.fin_received);
  EXPECT_TRUE(cl.ack().empty());
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(w().time_wait_in_use(), 0u);
  EXPECT_EQ(c().connections_closed.get(), 1u);
}

// A valid cookie ACK that finds the flow table full: dropped (as Linux's
// listen queue overflow), and the client's retransmission of it succeeds
// once a slot is free; with --abort_on_overflow it gets a RST instead.
class AcceptOverflow : public WorkerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(AcceptOverflow, CookieAckFindingTheTableFull) {
  const bool abort = GetParam();
  h_.cfg.max_flows = 4;
  h_.cfg.abort_on_overflow = abort;
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kAlways);
  std::vector<Client> clients;
  for (uint16_t i = 0; i < 4; i++) {
    clients.emplace_back(h_, static_cast<uint16_t>(30000 + i));
    ASSERT_TRUE(clients.back().connect());
  }
  Client late(h_, 31000);
  h_.now = 10;
  ASSERT_EQ(late.syn().size(), 1u);
  h_.now = 20;
  const TcpSpec final_ack = late.seg(flag::kAck);
  std::vector<Decoded> r = late.send(final_ack);
  EXPECT_EQ(w().flows_in_use(), 4u);
  EXPECT_EQ(c().cookies_validated.get(), 5u);
  if (abort) {
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].flags, flag::kRst);
    EXPECT_EQ(r[0].seq, final_ack.ack);
    EXPECT_EQ(h_.rejected(tcp::Drop::kListenAck), 1u);
    EXPECT_EQ(drops(DropReason::accept_overflow), 0u);
    return;
  }
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(drops(DropReason::accept_overflow), 1u);
  // A slot frees (an exact RST), the retransmitted ACK gets in.
  h_.now = 1000;
  EXPECT_TRUE(clients[0].rst(clients[0].snd_nxt).empty());
  EXPECT_EQ(w().flows_in_use(), 3u);
  h_.now = 1020;
  TcpSpec again = final_ack;
  r = late.send(again);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(w().flows_in_use(), 4u);
  r = late.request();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].payload, h_.cfg.response);
}
INSTANTIATE_TEST_SUITE_P(AbortOnOverflow, AcceptOverflow, ::testing::Bool());

// ---- Lifecycle -------------------------------------------------------------

// FIN-WAIT-2 with a peer that never sends its FIN ends after fin_timeout_ms,
// quietly (Linux tcp_fin_timeout: no RST), counted.
TEST_F(WorkerTest, FinWait2WithASilentPeerEndsAfterFinTimeout) {
  h_.cfg.endpoint.fin_timeout_ms = 3000;
  h_.cfg.endpoint.idle_timeout_ms = 1000;  // shorter on purpose: not what applies
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  std::vector<Decoded> r = cl.request();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_TRUE(cl.fin_received);
  h_.now = 30;
  EXPECT_TRUE(cl.ack().empty());  // our FIN is acknowledged: FIN-WAIT-2 from 30
  h_.jump_to(31);
  EXPECT_EQ(c().states[static_cast<int>(tcp::State::kFinWait2)].get(), 1u);
  EXPECT_TRUE(h_.run_until(3029).empty());
  EXPECT_EQ(w().flows_in_use(), 1u);
  EXPECT_TRUE(h_.run_until(3100).empty()) << "no RST";
  EXPECT_EQ(w().flows_in_use(), 0u);
  EXPECT_EQ(c().fin_wait_2_timeouts.get(), 1u);
  EXPECT_EQ(c().rst_sent.get(), 0u);
}

// RFC 9293 3.8.6.1: a peer that keeps its window closed but keeps
// acknowledging our probes is alive however long it takes; once it opens the
// window it gets the whole response.
TEST_F(WorkerTest, ZeroWindowPeerIsProbedNeverResetThenServed) {
  h_.cfg.endpoint.rto_max_ms = 2000;
  h_.cfg.endpoint.idle_timeout_ms = 0;
  h_.set_response(std::string(3000, 'r'));
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  cl.wnd = 0;
  cl.accept_window = 0;
  h_.now = 20;
  std::vector<Decoded> r = cl.request();
  for (const Decoded& d : r) EXPECT_TRUE(d.payload.empty()) << "sent into a zero window";
  size_t probes = 0;
  while (h_.now < 60000) {
    for (const Sent& s : cl.take(h_.run_until(h_.now + 100))) {
      EXPECT_FALSE(s.d.has(flag::kRst)) << "reset at " << s.ms;
      probes++;
      // The receiver keeps its window closed and says so.
      h_.now = s.ms;
      EXPECT_TRUE(cl.ack().empty());
    }
  }
  EXPECT_GE(probes, 25u);
  EXPECT_EQ(w().flows_in_use(), 1u);
  EXPECT_EQ(c().rst_sent.get(), 0u);
  EXPECT_TRUE(cl.received.empty());
  // The window opens: the response follows (slow start, ACK by ACK).
  const uint64_t opened = h_.now + 1;
  h_.now = opened;
  cl.wnd = 65535;
  cl.accept_window = UINT32_MAX;
  std::vector<Decoded> got = cl.ack();
  uint64_t first_data = 0;
  while (!cl.fin_received && h_.now < opened + 10000) {
    for (const Decoded& d : got) {
      EXPECT_FALSE(d.has(flag::kRst));
      if (!d.payload.empty() && first_data == 0) first_data = h_.now;
    }
    const uint32_t before = cl.rcv_nxt;
    for (const Sent& s : cl.take(h_.run_until(h_.now + 1))) {
      got.push_back(s.d);
    }
    got = cl.rcv_nxt != before ? cl.ack() : std::vector<Decoded>{};
  }
  ASSERT_TRUE(cl.fin_received) << "got " << cl.received.size() << " of 3000 bytes";
  EXPECT_EQ(cl.received, h_.cfg.response);
  // The probe carries no data (an ACK at SND.UNA - 1, as Linux's
  // tcp_xmit_probe_skb), so the window update releases the data at once.
  EXPECT_LE(h_.now - opened, 250u)
      << "the whole response took " << h_.now - opened
      << " ms after the window opened (first data after " << first_data - opened << " ms)";
}

// Two secret rotations between a cookie's SYN-ACK and its ACK: still valid.
// A fourth rotation inside one cookie lifetime is refused (it would evict a
// secret cookies in flight may carry).
TEST_F(WorkerTest, SecretRotationsKeepCookiesInFlightValid) {
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kAlways);
  Client a(h_, 40000), b(h_, 40001), c3(h_, 40002);
  h_.jump_to(1000);
  ASSERT_EQ(a.syn().size(), 1u);
  ControlBlock& ctl = h_.control();
  EXPECT_TRUE(ctl.publish_secret(tcp::CookieSecret{{11, 12}}, 10));
  h_.jump_to(10000);
  EXPECT_TRUE(ctl.publish_secret(tcp::CookieSecret{{13, 14}}, 20));
  h_.jump_to(20000);
  ASSERT_EQ(b.syn().size(), 1u);
  h_.jump_to(30000);
  EXPECT_TRUE(a.ack().empty()) << "after two rotations";
  EXPECT_TRUE(ctl.publish_secret(tcp::CookieSecret{{15, 16}}, 30));
  h_.jump_to(31000);
  ASSERT_EQ(c3.syn().size(), 1u);
  EXPECT_FALSE(ctl.publish_secret(tcp::CookieSecret{{17, 18}}, 40))
      << "a fourth rotation 30 s after the first";
  EXPECT_EQ(ctl.secret_generation(), 3u);
  h_.jump_to(41000);
  EXPECT_TRUE(b.ack().empty()) << "made before the third rotation";
  EXPECT_TRUE(c3.ack().empty()) << "made with the newest secret";
  EXPECT_EQ(c().cookies_validated.get(), 3u);
  // A lifetime after the first rotation, the next one is allowed.
  EXPECT_TRUE(
      ctl.publish_secret(tcp::CookieSecret{{17, 18}}, 10 + tcp::SynCookieCodec::kLifetimeS + 1));
}

// ---- Congestion window and retransmission timer ------------------------------

// RFC 6928: a response larger than the initial window goes out as 10 segments
// (MSS 1460 less the 12 bytes of timestamps), then RFC 5681 slow start: each
// ACK of one segment opens the window by one, so it releases two.
TEST_F(WorkerTest, LargeResponseGoesOutInSlowStart) {
  constexpr uint32_t kSeg = 1448;
  h_.set_response(std::string(30 * kSeg + 100, 'r'));
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  std::vector<Decoded> flight = cl.request();
  ASSERT_EQ(flight.size(), 10u) << "RFC 6928 initial window";
  for (const Decoded& d : flight) {
    EXPECT_EQ(d.payload.size(), kSeg);
    EXPECT_FALSE(d.has(flag::kFin));
  }
  EXPECT_EQ(cl.received.size(), 10 * kSeg);
  // ACK one segment at a time, the oldest outstanding first.
  std::vector<uint32_t> ends;
  for (const Decoded& d : flight) ends.push_back(d.seq + d.seg_len());
  const uint32_t total = static_cast<uint32_t>(h_.cfg.response.size());
  for (size_t next = 0; next < ends.size(); next++) {
    const uint32_t sent = ends.back() - (cl.iss + 1);  // bytes sent so far
    const uint32_t left = total > sent ? (total - sent + kSeg - 1) / kSeg : 0;
    h_.now += 1;
    TcpSpec a = cl.seg(flag::kAck);
    a.ack = ends[next];
    std::vector<Decoded> r = cl.send(a);
    EXPECT_EQ(r.size(), std::min<uint32_t>(2, left)) << "ACK " << next + 1;
    for (const Decoded& d : r) ends.push_back(d.seq + d.seg_len());
  }
  EXPECT_TRUE(cl.fin_received);
  EXPECT_EQ(cl.received, h_.cfg.response);
  EXPECT_EQ(c().retransmits.get(), 0u);
}

// RFC 6298: the RTO follows the measured RTT (timestamps: every ACK is a
// sample), SRTT + 4 RTTVAR with the engine's floor, and a lost segment is
// retransmitted when it runs out, then after twice that.
class RtoFollowsRtt : public WorkerTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(RtoFollowsRtt, LostSegmentRetransmittedAfterTheComputedRto) {
  const uint32_t rtt = GetParam();
  h_.cfg.active_close = false;
  h_.cfg.endpoint.rto_initial_ms = 1000;
  h_.cfg.endpoint.rto_min_ms = 200;
  h_.cfg.endpoint.idle_timeout_ms = 0;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  // RFC 6298 2.2/2.3 in exact arithmetic.
  double srtt = 0, rttvar = 0;
  int samples = 0;
  auto sample = [&](double r) {
    if (samples++ == 0) {
      srtt = r;
      rttvar = r / 2;
    } else {
      rttvar = 0.75 * rttvar + 0.25 * std::fabs(srtt - r);
      srtt = 0.875 * srtt + 0.125 * r;
    }
  };
  auto rto = [&]() {
    return std::max<double>(h_.cfg.endpoint.rto_min_ms, srtt + std::max(1.0, 4 * rttvar));
  };
  h_.now = 10;
  ASSERT_EQ(cl.syn().size(), 1u);
  h_.now += rtt;
  EXPECT_TRUE(cl.ack().empty());
  sample(rtt);
  // Requests one RTT apart, each acknowledging the previous response.
  for (int i = 0; i < 6; i++) {
    std::vector<Decoded> r = cl.request();
    ASSERT_EQ(r.size(), 1u);
    h_.now += rtt;
    if (i < 5) sample(rtt);
  }
  // The last response (sent at now - rtt) was never acknowledged: the timer
  // restarted then (RFC 6298 5.3) with the RTO of five samples.
  const uint64_t sent = h_.now - rtt;
  const double want = rto();
  std::vector<Sent> rtx = h_.run_until(sent + static_cast<uint64_t>(3 * want) + 50);
  ASSERT_GE(rtx.size(), 2u) << "RTO " << want
                            << (rtx.empty() ? ""
                                            : ", first at " + std::to_string(rtx[0].ms - sent));
  // Within the rounding of the integer estimator (the 1 ms clock is G).
  EXPECT_NEAR(static_cast<double>(rtx[0].ms - sent), want, 8.0)
      << "RTT " << rtt << ": SRTT " << srtt << " RTTVAR " << rttvar;
  EXPECT_NEAR(static_cast<double>(rtx[1].ms - rtx[0].ms), 2 * want, 16.0) << "RFC 6298 5.5";
  EXPECT_EQ(rtx[0].d.payload, h_.cfg.response);
  EXPECT_LT(want, 1000.0) << "the measurement, not the initial RTO";
}
INSTANTIATE_TEST_SUITE_P(Rtts, RtoFollowsRtt, ::testing::Values(40u, 150u, 400u));

// RFC 5681 3.1: after an RTO the loss window is one segment; slow start
// then resumes from it, each ACK clocking out the next lost segments.
// After a timeout the whole lost flight is resent ACK by ACK as the
// congestion window opens (RFC 5681 3.1, go-back-N), not a window per RTO.
TEST_F(WorkerTest, RtoResendsOneSegmentOfALostFlight) {
  constexpr uint32_t kSeg = 1448;
  h_.set_response(std::string(10 * kSeg, 'r'));
  h_.cfg.endpoint.idle_timeout_ms = 0;
  h_.cfg.endpoint.data_retries = 5;
  start(CookieMode::kNever);
  Client cl(h_, 40000);
  h_.now = 10;
  ASSERT_TRUE(cl.connect());
  h_.now = 20;
  cl.accept_window = 0;  // the whole flight is lost
  std::vector<Decoded> flight = cl.request();
  ASSERT_EQ(flight.size(), 10u);
  cl.accept_window = UINT32_MAX;
  std::vector<Sent> rtx = h_.run_until(20 + 250);
  ASSERT_EQ(rtx.size(), 1u) << "loss window: one segment";
  EXPECT_EQ(rtx[0].d.seq, cl.iss + 1);
  EXPECT_EQ(rtx[0].d.payload.size(), kSeg);
  cl.take(rtx);
  std::vector<Decoded> r = cl.ack();
  EXPECT_EQ(r.size(), 2u) << "cwnd 1 + 1: two segments";
  for (size_t i = 0; i < r.size(); i++) EXPECT_EQ(r[i].seq, cl.iss + 1 + kSeg * (1 + i));
  // The whole flight, ACK by ACK: a few RTTs (here ~0), not an RTO per round.
  const uint64_t t0 = h_.now;
  uint32_t acked = cl.iss + 1 + kSeg;  // what our last ACK said
  while (!cl.fin_received && h_.now < t0 + 5000) {
    if (cl.rcv_nxt != acked) {
      acked = cl.rcv_nxt;
      cl.ack();  // what it releases is taken as it comes
      continue;
    }
    cl.take(h_.run_until(h_.now + 1));
  }
  EXPECT_TRUE(cl.fin_received);
  EXPECT_LE(h_.now - t0, 10u) << "recovery of the flight took " << h_.now - t0 << " ms";
}

// Layer 2 and address rules end to end, with a /24: ARP answered (and RFC
// 5227 probes), conflicts and martian senders counted, the prefix's directed
// broadcast refused as a source, ICMP with IP options answered without them.
TEST_F(WorkerTest, Layer2AndMartiansAtTheWorker) {
  h_.cfg.prefix_len = 24;
  EXPECT_EQ(h_.cfg.broadcast(), 0xC61200FFu);
  start(CookieMode::kNever);
  testing::ArpSpec a;
  a.eth_src = kPeerMac;
  a.sha = kPeerMac;
  a.spa = kPeerIp;
  a.tpa = kEngineIp;
  std::vector<Decoded> r = h_.send(a.build());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].arp && r[0].arp_op == 2 && r[0].arp_spa == kEngineIp);
  EXPECT_TRUE(r[0].arp_sha == h_.engine_mac());
  a.spa = 0;  // probe
  r = h_.send(a.build());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].arp_tpa, 0u);
  a.spa = kEngineIp;  // conflict
  EXPECT_TRUE(h_.send(a.build()).empty());
  a.spa = 0xC61200FF;  // martian sender
  EXPECT_TRUE(h_.send(a.build()).empty());
  EXPECT_EQ(answered(ReplyKind::arp), 2u);
  EXPECT_EQ(drops(DropReason::arp_conflict), 1u);
  EXPECT_EQ(drops(DropReason::arp_martian), 1u);
  EXPECT_TRUE(h_.send(h_.tcp_frame(TcpSpec(40000, 80, 1, 0, flag::kSyn), 0xC61200FF)).empty());
  EXPECT_TRUE(h_.send(h_.tcp_frame(TcpSpec(40000, 80, 1, 0, flag::kSyn), kEngineIp)).empty());
  EXPECT_EQ(drops(DropReason::martian_source), 2u);
  testing::FrameBuilder echo;
  echo.dst_mac = h_.engine_mac();
  echo.src_mac = kPeerMac;
  echo.src_ip = kPeerIp;
  echo.dst_ip = kEngineIp;
  echo.ip_opts = {7, 7, 4, 0, 0, 0, 0, 0};
  echo.icmp(7, 9, Bytes(20, 0x42));
  r = h_.send(echo.build());
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].icmp && r[0].icmp_type == 0 && r[0].icmp_csum_ok && r[0].ip_csum_ok);
  EXPECT_EQ(r[0].ip_ihl, 20);
  EXPECT_EQ(r[0].payload, Bytes(20, 0x42));
  echo.ip_opts = {131, 7, 4, 1, 2, 3, 4};
  EXPECT_TRUE(h_.send(echo.build()).empty());
  EXPECT_EQ(drops(DropReason::ip_source_route), 1u);
  RuntimeConfig p31;
  p31.ip = kEngineIp;
  p31.prefix_len = 31;
  EXPECT_EQ(p31.broadcast(), 0u);
  p31.prefix_len = 32;
  EXPECT_EQ(p31.broadcast(), 0u);
}

}  // namespace
}  // namespace synack::runtime
