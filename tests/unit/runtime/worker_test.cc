// The Worker end to end without a NIC: frames in through process_burst, replies
// read off a ring port's TX ring, time driven by synthetic TSC values. Checks
// the wire exchange of a connection and of cookies, and, with a randomised
// peer, that every flow and every mbuf comes back once the timers have run.
#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/worker.h"
#include "support/ring_port.h"
#include "support/tcp_options.h"
#include "tcp/options.h"
#include "wire/craft.h"
#include "wire/frame.h"

namespace synack::runtime {
namespace {

using tcp::tcpflag::kAck;
using tcp::tcpflag::kFin;
using tcp::tcpflag::kPsh;
using tcp::tcpflag::kRst;
using tcp::tcpflag::kSyn;

constexpr uint32_t kEngineIp = 0xC6120002;  // 198.18.0.2
constexpr uint32_t kPeerIp = 0xC6120001;    // 198.18.0.1
const wire::MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x01}};

struct Reply {
  wire::Frame f;
  tcp::TcpOptions opts;
};

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    std::string err;
    ASSERT_TRUE(port_.open("wt" + std::to_string(n++), 4095, &err)) << err;
    cfg_.ip = kEngineIp;
    cfg_.ports = {80};
    cfg_.max_flows = 256;
    cfg_.backlog = 16;
    cfg_.endpoint.time_wait_ms = 100;
    cfg_.endpoint.idle_timeout_ms = 2000;
    cfg_.endpoint.rto_initial_ms = 200;
    cfg_.endpoint.synack_retries = 2;
    cfg_.endpoint.data_retries = 2;
    const char* resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    cfg_.response.assign(resp, resp + strlen(resp));
    cfg_.endpoint.response_len = static_cast<uint32_t>(cfg_.response.size());
  }
  void TearDown() override {
    worker_.reset();
    ctl_.reset();
    port_.close();
  }

  void start(CookieMode mode) {
    cfg_.syncookies = mode;
    tcp::CookieSecret secret{{1, 2}, {3, 4}};
    ctl_ = std::make_unique<ControlBlock>(mode, secret);
    WorkerParams p;
    p.lcore_id = rte_lcore_id();
    p.port_id = port_.port;
    p.pool = port_.pool;
    p.mac = port_.mac;
    p.tsc_hz = rte_get_tsc_hz();
    p.tsc_epoch = 1000000;
    p.isn_key = tcp::SipKey{5, 6};
    epoch_ = p.tsc_epoch;
    std::string err;
    worker_ = Worker::create(cfg_, *ctl_, p, &err);
    ASSERT_TRUE(worker_) << err;
    in_use_at_start_ = rte_mempool_in_use_count(port_.pool);
  }

  uint64_t tsc(uint64_t ms) const { return epoch_ + ms * (rte_get_tsc_hz() / 1000); }

  std::vector<uint8_t> segment(uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags,
                               uint16_t payload = 0, bool options = false) {
    wire::TcpHeaderSpec s;
    s.src_mac = kPeerMac;
    s.dst_mac = port_.mac;
    s.src_ip = kPeerIp;
    s.dst_ip = kEngineIp;
    s.src_port = sport;
    s.dst_port = 80;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = 65535;
    uint8_t opts[40];
    if (options) {
      s.opt_len =
          static_cast<uint8_t>(tcp::write_options(opts, synack::testing::linux_syn_options()));
      s.opts = opts;
    }
    static const uint8_t kData[1500] = {'G', 'E', 'T'};
    s.payload = kData;
    s.payload_len = payload;
    std::vector<uint8_t> f(wire::kMaxTcpHeadroom + payload);
    f.resize(wire::write_tcp_segment(f.data(), s));
    return f;
  }

  // Feeds frames as one burst at time `ms`, returns the replies.
  std::vector<Reply> exchange(const std::vector<std::vector<uint8_t>>& frames, uint64_t ms) {
    rte_mbuf* pkts[kBurst];
    uint16_t n = 0;
    for (const auto& fr : frames) {
      pkts[n] = port_.frame(fr.data(), static_cast<uint16_t>(fr.size()));
      EXPECT_NE(pkts[n], nullptr);
      n++;
    }
    worker_->process_burst(pkts, n, tsc(ms));
    worker_->tick(tsc(ms));
    return collect();
  }
  std::vector<Reply> advance(uint64_t ms) {
    worker_->tick(tsc(ms));
    return collect();
  }
  std::vector<Reply> collect() {
    worker_->flush_tx();
    std::vector<Reply> out;
    while (rte_mbuf* m = port_.sent()) {
      Reply r;
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      EXPECT_EQ(wire::parse_frame(d, m->data_len, {}, r.f), wire::ParseError::kOk);
      if (r.f.opt_len) {
        EXPECT_TRUE(tcp::parse_options(d + r.f.l4_off + 20, r.f.opt_len, r.opts));
      }
      out.push_back(r);
      rte_pktmbuf_free(m);
    }
    return out;
  }

  testing::RingPort port_;
  RuntimeConfig cfg_;
  std::unique_ptr<ControlBlock> ctl_;
  std::unique_ptr<Worker> worker_;
  uint64_t epoch_ = 0;
  unsigned in_use_at_start_ = 0;
};

TEST_F(WorkerTest, FullTableRefusesNewConnectionsAndKeepsTheOldOnes) {
  cfg_.max_flows = 16;
  start(CookieMode::kAlways);
  uint32_t accepted = 0;
  for (uint16_t i = 0; i < 20; i++) {
    auto r = exchange({segment(static_cast<uint16_t>(41000 + i), 100, 0, kSyn)}, 1 + i);
    ASSERT_EQ(r.size(), 1u);
    exchange({segment(static_cast<uint16_t>(41000 + i), 101, r[0].f.seq + 1, kAck)}, 1 + i);
    accepted = static_cast<uint32_t>(worker_->flows_in_use());
  }
  EXPECT_EQ(accepted, 16u);
  EXPECT_EQ(worker_->counters().drops[static_cast<int>(DropReason::flow_table_full)].get(), 4u);
  // The first connection is still served: nothing was evicted.
  EXPECT_EQ(worker_->counters().connections_established.get(), 16u);
  EXPECT_EQ(worker_->counters().cookies_validated.get(), 20u);
  EXPECT_EQ(worker_->flows_in_use(), 16u);
}

TEST_F(WorkerTest, DestinationMacRules) {
  start(CookieMode::kAlways);
  // Unicast to another MAC (a pcap replay, mirrored traffic): the IP decides.
  auto other = segment(42000, 1, 0, kSyn);
  other[0] = 0x02;
  other[5] = 0x99;
  EXPECT_EQ(exchange({other}, 1).size(), 1u);
  // TCP in a broadcast or multicast frame is not for us (Linux: PACKET_HOST only).
  auto bcast = segment(42001, 1, 0, kSyn);
  std::memset(bcast.data(), 0xff, 6);
  auto mcast = segment(42002, 1, 0, kSyn);
  mcast[0] = 0x01;
  EXPECT_TRUE(exchange({bcast, mcast}, 2).empty());
  EXPECT_EQ(worker_->counters().drops[static_cast<int>(DropReason::not_for_us)].get(), 2u);
}

TEST_F(WorkerTest, ConnectionOpensAnswersAndClosesOnTheWire) {
  start(CookieMode::kNever);
  auto r = exchange({segment(40000, 1000, 0, kSyn, 0, true)}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f.tcp_flags, kSyn | kAck);
  EXPECT_EQ(r[0].f.ack, 1001u);
  EXPECT_EQ(r[0].f.dst_port, 40000);
  EXPECT_TRUE(r[0].opts.has_mss && r[0].opts.has_wscale && r[0].opts.has_timestamps);
  EXPECT_EQ(r[0].opts.ts_ecr, 12345u);
  EXPECT_EQ(worker_->flows_in_use(), 1u);
  uint32_t iss = r[0].f.seq;
  EXPECT_TRUE(exchange({segment(40000, 1001, iss + 1, kAck)}, 2).empty());
  r = exchange({segment(40000, 1001, iss + 1, kAck | kPsh, 20)}, 3);
  ASSERT_EQ(r.size(), 1u);  // response with the FIN riding on it (active close)
  EXPECT_EQ(r[0].f.tcp_flags, kAck | kPsh | kFin);
  EXPECT_EQ(r[0].f.payload_len, cfg_.response.size());
  EXPECT_EQ(r[0].f.ack, 1021u);
  uint32_t fin_end = iss + 1 + static_cast<uint32_t>(cfg_.response.size()) + 1;
  r = exchange({segment(40000, 1021, fin_end, kAck | kFin)}, 4);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f.tcp_flags, kAck);
  EXPECT_EQ(r[0].f.ack, 1022u);
  EXPECT_EQ(worker_->flows_in_use(), 1u);  // TIME-WAIT holds the closer's side
  advance(4 + cfg_.endpoint.time_wait_ms + 1);
  EXPECT_EQ(worker_->flows_in_use(), 0u);
  const WorkerCounters& c = worker_->counters();
  EXPECT_EQ(c.connections_established.get(), 1u);
  EXPECT_EQ(c.connections_closed.get(), 1u);
  EXPECT_EQ(c.time_wait_expired.get(), 1u);
  EXPECT_EQ(rte_mempool_in_use_count(port_.pool), in_use_at_start_);
}

TEST_F(WorkerTest, CookiesAllocateNothingUntilTheFinalAck) {
  start(CookieMode::kAlways);
  auto r = exchange({segment(40001, 7000, 0, kSyn, 0, true)}, 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f.tcp_flags, kSyn | kAck);
  EXPECT_EQ(worker_->flows_in_use(), 0u);
  EXPECT_EQ(worker_->counters().cookies_sent.get(), 1u);
  uint32_t cookie = r[0].f.seq;
  // A forged final ACK (wrong cookie) gets a RST (RFC 9293: seq = SEG.ACK).
  r = exchange({segment(40001, 7001, cookie + 2, kAck)}, 2);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f.tcp_flags, kRst);
  EXPECT_EQ(r[0].f.seq, cookie + 2);
  EXPECT_EQ(worker_->flows_in_use(), 0u);
  // The right one creates the connection, in ESTABLISHED, and it is served.
  EXPECT_TRUE(exchange({segment(40001, 7001, cookie + 1, kAck)}, 3).empty());
  EXPECT_EQ(worker_->flows_in_use(), 1u);
  EXPECT_EQ(worker_->counters().cookies_validated.get(), 1u);
  r = exchange({segment(40001, 7001, cookie + 1, kAck | kPsh, 10)}, 4);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].f.payload_len, cfg_.response.size());
  const uint64_t bad =
      worker_->counters().drops[static_cast<int>(DropReason::cookie_bad_hash)].get() +
      worker_->counters().drops[static_cast<int>(DropReason::cookie_too_old)].get();
  EXPECT_EQ(bad, 1u);
}

TEST_F(WorkerTest, BacklogBoundsHalfOpenAndOverloadSwitchesToCookies) {
  start(CookieMode::kOverload);
  std::vector<std::vector<uint8_t>> syns;
  for (uint16_t i = 0; i < 24; i++) syns.push_back(segment(50000 + i, 1, 0, kSyn));
  auto r = exchange(syns, 1);
  EXPECT_EQ(r.size(), 24u);  // every SYN answered: 16 stateful, then cookies
  EXPECT_EQ(worker_->flows_in_use(), cfg_.backlog);
  EXPECT_EQ(worker_->counters().cookies_sent.get(), 24u - cfg_.backlog);
  EXPECT_EQ(worker_->counters().syncookie_mode_switches.get(), 1u);
  // The half-open records give up after their retries; the mode drains back.
  for (uint64_t ms = 2; ms < 5000; ms += 50) advance(ms);
  EXPECT_EQ(worker_->flows_in_use(), 0u);
  EXPECT_EQ(worker_->counters().half_open_closed.get(), cfg_.backlog);
  EXPECT_EQ(worker_->counters().syncookie_mode_switches.get(), 2u);
  EXPECT_EQ(rte_mempool_in_use_count(port_.pool), in_use_at_start_);
}

// A randomised peer on 32 ports: handshakes, data, FINs and RSTs at the right
// and wrong sequence numbers, plus corrupted frames, in all three cookie modes.
// Afterwards every timer runs out: no flow and no mbuf may be left behind, and
// every connection that opened was counted closed or reset exactly once.
class RandomPeer : public WorkerTest, public ::testing::WithParamInterface<int> {};

TEST_P(RandomPeer, LeavesNoFlowsAndNoMbufs) {
  start(CookieMode::kOverload);
  std::mt19937 rng(static_cast<unsigned>(GetParam()));
  struct Peer {
    uint32_t seq = 0;  // next sequence number we send
    uint32_t ack = 0;  // engine's next sequence number, as seen
  };
  std::map<uint16_t, Peer> peers;
  uint64_t ms = 1;
  uint64_t frames_in = 0;
  for (int round = 0; round < 3000; round++) {
    if (round % 1000 == 0) ctl_->set_cookie_mode(static_cast<CookieMode>(round / 1000));
    std::vector<std::vector<uint8_t>> burst;
    int n = 1 + static_cast<int>(rng() % kBurst);
    for (int i = 0; i < n; i++) {
      uint16_t sport = static_cast<uint16_t>(40000 + rng() % 32);
      Peer& p = peers[sport];
      switch (rng() % 10) {
        case 0:
        case 1:
          p.seq = static_cast<uint32_t>(rng());
          burst.push_back(segment(sport, p.seq++, 0, kSyn, 0, rng() & 1));
          break;
        case 2:
        case 3:
          burst.push_back(segment(sport, p.seq, p.ack, kAck));
          break;
        case 4: {
          uint16_t len = static_cast<uint16_t>(1 + rng() % 200);
          burst.push_back(segment(sport, p.seq, p.ack, kAck | kPsh, len));
          p.seq += len;
          break;
        }
        case 5:
          burst.push_back(segment(sport, p.seq++, p.ack, kAck | kFin));
          break;
        case 6:
          burst.push_back(segment(sport, p.seq + (rng() % 3), p.ack, kRst));
          break;
        case 7:
          burst.push_back(segment(sport, static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()),
                                  static_cast<uint8_t>(rng()), static_cast<uint16_t>(rng() % 50)));
          break;
        default: {
          auto f = segment(sport, p.seq, p.ack, kAck | kPsh, 10);
          f[rng() % f.size()] ^= static_cast<uint8_t>(1 + rng() % 255);  // corrupted
          if (rng() & 1) f.resize(rng() % f.size() + 1);                 // or cut short
          burst.push_back(f);
        }
      }
    }
    frames_in += burst.size();
    ms += rng() % 30;
    for (const Reply& r : exchange(burst, ms)) {
      if (r.f.kind != wire::FrameKind::kTcp) continue;
      Peer& p = peers[r.f.dst_port];
      uint32_t len =
          r.f.payload_len + ((r.f.tcp_flags & kSyn) ? 1 : 0) + ((r.f.tcp_flags & kFin) ? 1 : 0);
      if (!(r.f.tcp_flags & kRst)) p.ack = r.f.seq + len;
    }
  }
  EXPECT_EQ(worker_->counters().rx_packets.get(), frames_in);
  EXPECT_GT(worker_->counters().connections_established.get(), 10u);
  // Let every timer (RTO backoff, TIME-WAIT, idle) run out.
  for (int i = 0; i < 400 && worker_->flows_in_use(); i++) advance(ms += 100);
  EXPECT_EQ(worker_->flows_in_use(), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(port_.pool), in_use_at_start_);
  const WorkerCounters& c = worker_->counters();
  EXPECT_EQ(c.connections_established.get(), c.connections_closed.get() + c.connections_reset.get())
      << "every established connection ends exactly once";
  EXPECT_GT(c.cookies_validated.get(), 10u);
  EXPECT_GT(c.half_open_closed.get(), 10u);
}
INSTANTIATE_TEST_SUITE_P(Seeds, RandomPeer, ::testing::Range(1, 11));

}  // namespace
}  // namespace synack::runtime
