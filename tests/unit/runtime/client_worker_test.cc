// Client-mode Workers through their whole loop (Worker::poll) on a ring port
// with one or two queue pairs, against a scripted HTTP server peer that
// answers ARP, SYN, requests and FINs from the frames the workers transmit,
// and puts its replies on the RX queue the test chooses (as a driver that
// places flows itself would). Time is synthetic: one test millisecond per
// step, every worker polled until nothing moves within it.
#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/counters.h"
#include "runtime/stats.h"
#include "runtime/worker.h"
#include "support/frame_builder.h"
#include "support/frame_decoder.h"

namespace synack::runtime {
namespace {

using testing::ArpSpec;
using testing::Bytes;
using testing::decode_frame;
using testing::Decoded;
using testing::FrameBuilder;
using testing::Mac;
using testing::TcpSpec;
using testing::operator+;
namespace flag = testing::flag;
namespace opt = testing::opt;

constexpr uint32_t kOurIp = 0xC6120002;     // 198.18.0.2
constexpr uint32_t kServerIp = 0xC6120001;  // 198.18.0.1
constexpr uint16_t kServerPort = 80;
const Mac kServerMac{{0x02, 0, 0, 0, 0, 0x01}};
constexpr uint64_t kEpoch = 1000000;
const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

// A ring-backed port with `queues` RX/TX queue pairs.
struct Port {
  rte_mempool* pool = nullptr;
  std::vector<rte_ring*> rx, tx;
  uint16_t id = 0;
  Mac mac;

  bool open(const std::string& name, uint16_t queues) {
    pool =
        rte_pktmbuf_pool_create((name + "_pool").c_str(), 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    if (pool == nullptr) return false;
    for (uint16_t q = 0; q < queues; q++) {
      rx.push_back(rte_ring_create((name + "_rx" + std::to_string(q)).c_str(), 4096, 0,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ));
      tx.push_back(rte_ring_create((name + "_tx" + std::to_string(q)).c_str(), 4096, 0,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ));
      if (rx.back() == nullptr || tx.back() == nullptr) return false;
    }
    const int p = rte_eth_from_rings(name.c_str(), rx.data(), queues, tx.data(), queues, 0);
    if (p < 0) return false;
    id = static_cast<uint16_t>(p);
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(id, queues, queues, &conf) != 0) return false;
    for (uint16_t q = 0; q < queues; q++)
      if (rte_eth_rx_queue_setup(id, q, 512, 0, nullptr, pool) != 0 ||
          rte_eth_tx_queue_setup(id, q, 512, 0, nullptr) != 0)
        return false;
    if (rte_eth_dev_start(id) != 0) return false;
    rte_ether_addr a;
    rte_eth_macaddr_get(id, &a);
    std::memcpy(mac.b, a.addr_bytes, 6);
    return true;
  }
  void close() {
    rte_eth_dev_stop(id);
    rte_eth_dev_close(id);
    for (rte_ring* r : rx) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(r);
    }
    for (rte_ring* r : tx) {
      void* m;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
      rte_ring_free(r);
    }
    rte_mempool_free(pool);
  }
};

// What the server saw of one 4-tuple (all its incarnations).
struct ServerConn {
  uint32_t srv_nxt = 0;
  uint32_t cli_nxt = 0;
  uint32_t last_seq_end = 0;  // the client's highest sequence number + length
  uint32_t last_tsval = 0;    // the client's latest TSval
  uint32_t old_tsval = 0;     // its TSval on the last FIN
  uint64_t closed_ms = 0;     // when the client's last FIN came
  int incarnations = 0;
  bool done = false;  // this incarnation's FIN exchange is over
};

// A SYN that reopened a 4-tuple, with what the old incarnation had shown.
struct Reuse {
  uint64_t ms;
  uint64_t old_closed_ms;
  uint32_t old_seq_end, new_isn;
  uint32_t old_tsval, new_tsval;
};

class ClientRig {
 public:
  RuntimeConfig cfg;
  uint64_t now = 0;  // test milliseconds
  bool answer_arp = true;
  // Which RX queue a reply from the server goes to (default: queue 0).
  std::function<uint16_t(const Decoded& sent)> deliver = [](const Decoded&) { return 0; };
  std::map<uint64_t, ServerConn> conns;  // by our IP << 16 | our port
  std::vector<Reuse> reuses;
  std::vector<std::pair<uint64_t, uint16_t>> syns;  // (ms, port) of every SYN
  uint64_t rsts_seen = 0;
  uint64_t arp_requests_seen = 0;
  uint16_t sent_on = 0;  // the TX queue of the frame being answered

  ClientRig() {
    cfg.client_mode = true;
    cfg.ip = kOurIp;
    cfg.ip_last = kOurIp;
    cfg.client.target_ip = kServerIp;
    cfg.client.target_port = kServerPort;
    const std::string req = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n";
    cfg.client.request.assign(req.begin(), req.end());
    cfg.client.concurrency = 8;
    cfg.active_close = true;
    cfg.max_flows = 256;
    cfg.max_time_wait = 4096;
    cfg.endpoint.time_wait_ms = 60000;
  }
  ~ClientRig() { close(); }

  // `queues` workers, one per queue. reta: the redirection table
  // given to every worker (empty: none, as for one worker on a port without
  // RSS); handoff: the rings, as engine.cc makes them for several workers.
  bool start(uint16_t queues, const std::vector<uint16_t>& reta, bool handoff) {
    static int n = 0;
    if (!port_.open("cw" + std::to_string(n++), queues)) return false;
    opened_ = true;
    tcp::CookieSecret secret{{1, 2}};
    ctl_ = std::make_unique<ControlBlock>(CookieMode::kOverload, secret);
    reta_ = reta;
    for (size_t i = 0; i < sizeof key_; i++) key_[i] = static_cast<uint8_t>(i * 37 + 11);
    if (handoff) {
      std::string err;
      handoff_ = HandoffRings::create(std::vector<unsigned>(queues, rte_lcore_id()), &err);
      EXPECT_NE(handoff_, nullptr) << err;
      if (!handoff_) return false;
    }
    for (uint16_t q = 0; q < queues; q++) {
      WorkerParams p;
      p.lcore_id = rte_lcore_id();
      p.port_id = port_.id;
      p.queue_id = q;
      p.workers = queues;
      p.pool = port_.pool;
      std::memcpy(p.mac.b, port_.mac.b, 6);
      p.tsc_hz = rte_get_tsc_hz();
      p.tsc_epoch = kEpoch;
      p.isn_key = tcp::SipKey{5, 6};
      p.flow_key = tcp::SipKey{7, 8};
      p.limiter_key = tcp::SipKey{9, 10};
      if (!reta_.empty()) {
        p.rss_key = key_;
        p.rss_key_len = 40;
        p.reta = reta_.data();
        p.reta_size = static_cast<uint32_t>(reta_.size());
      }
      if (handoff_) p.handoff = handoff_->rings();
      std::string err;
      WorkerPtr w = Worker::create(cfg, *ctl_, p, &err);
      EXPECT_NE(w, nullptr) << err;
      if (!w) return false;
      workers_.push_back(std::move(w));
    }
    mbufs_at_start_ = rte_mempool_in_use_count(port_.pool);
    return true;
  }

  void close() {
    workers_.clear();
    handoff_.reset();
    if (opened_) {
      port_.close();
      opened_ = false;
    }
  }

  Worker& worker(size_t q) { return *workers_[q]; }
  const WorkerCounters& counters(size_t q) const { return workers_[q]->counters(); }
  size_t workers() const { return workers_.size(); }
  CounterTotals totals() const {
    CounterTotals t;
    for (const auto& w : workers_) t.accumulate(w->counters());
    return t;
  }
  unsigned mbufs_in_use() const { return rte_mempool_in_use_count(port_.pool); }
  unsigned mbufs_at_start() const { return mbufs_at_start_; }

  // One test millisecond: every worker polled, the server answering, until
  // nothing moves.
  void step() {
    for (int round = 0; round < 64; round++) {
      for (auto& w : workers_) w->poll(tsc(now));
      if (!serve()) break;
    }
  }
  // Steps up to test millisecond `to`, or until `done` says so.
  void run_until(uint64_t to, const std::function<bool()>& done = nullptr) {
    while (now < to) {
      now++;
      step();
      if (done && done()) return;
    }
  }
  bool all_done() const { return totals().lcores_done == workers_.size(); }

  // The queue the reply to (our ip, port) belongs to by the rig's key and
  // table: rte_softrss over the whole reply tuple.
  uint16_t owner(uint32_t ip, uint16_t port) const {
    uint32_t key_words[10];
    std::memcpy(key_words, key_, sizeof key_words);
    uint32_t t[RTE_THASH_V4_L4_LEN] = {kServerIp, ip, uint32_t{kServerPort} << 16 | port};
    const uint32_t h =
        rte_softrss(t, RTE_THASH_V4_L4_LEN, reinterpret_cast<const uint8_t*>(key_words));
    return reta_[h % reta_.size()];
  }

  // An unsolicited ARP reply from the server (as if answering a request).
  void inject_arp_reply(uint16_t q) {
    ArpSpec a;
    a.eth_dst = port_.mac;
    a.eth_src = kServerMac;
    a.op = 2;
    a.sha = kServerMac;
    a.spa = kServerIp;
    a.tha = port_.mac;
    a.tpa = kOurIp;
    inject(q, a.build());
  }

 private:
  uint64_t tsc(uint64_t ms) const { return kEpoch + ms * (rte_get_tsc_hz() / 1000); }

  void inject(uint16_t q, const Bytes& b) {
    rte_mbuf* m = rte_pktmbuf_alloc(port_.pool);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), b.data(), b.size());
    m->data_len = m->pkt_len = static_cast<uint16_t>(b.size());
    ASSERT_EQ(rte_ring_enqueue(port_.rx[q], m), 0);
  }

  void reply_tcp(const Decoded& d, uint32_t seq, uint32_t ack, uint8_t flags,
                 const std::string& payload, uint32_t tsecr) {
    FrameBuilder fb;
    fb.dst_mac = port_.mac;
    fb.src_mac = kServerMac;
    fb.src_ip = kServerIp;
    fb.dst_ip = d.ip_src;
    TcpSpec s(kServerPort, d.sport, seq, ack, flags);
    const auto tsval = static_cast<uint32_t>(now + 100);
    s.opts = (flags & flag::kSyn) ? opt::mss(1460) + opt::nop() + opt::nop() + opt::ts(tsval, tsecr)
                                  : opt::ts_only(tsval, tsecr);
    s.payload.assign(payload.begin(), payload.end());
    inject(deliver(d), fb.tcp(s).build());
  }

  // Answers what the workers sent; true if they sent anything.
  bool serve() {
    bool any = false;
    for (uint16_t q = 0; q < port_.tx.size(); q++) {
      void* v;
      sent_on = q;
      while (rte_ring_dequeue(port_.tx[q], &v) == 0) {
        any = true;
        auto* m = static_cast<rte_mbuf*>(v);
        const Decoded d = decode_frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
        rte_pktmbuf_free(m);
        EXPECT_TRUE(d.ok) << d.error;
        answer(d);
      }
    }
    return any;
  }

  void answer(const Decoded& d) {
    if (d.arp) {
      if (d.arp_op != 1 || d.arp_tpa != kServerIp) return;
      arp_requests_seen++;
      if (!answer_arp) return;
      ArpSpec a;
      a.eth_dst = d.arp_sha;
      a.eth_src = kServerMac;
      a.op = 2;
      a.sha = kServerMac;
      a.spa = kServerIp;
      a.tha = d.arp_sha;
      a.tpa = d.arp_spa;
      // An ARP reply carries no flow: it goes where the test sends the
      // first segment of any flow (queue deliver() picks for it).
      inject(deliver(d), a.build());
      return;
    }
    if (!d.tcp || d.ip_dst != kServerIp || d.dport != kServerPort) return;
    ServerConn& c = conns[uint64_t{d.ip_src} << 16 | d.sport];
    if (d.opts.ts) c.last_tsval = d.opts.ts_val;
    if (d.has(flag::kRst)) {
      rsts_seen++;
      return;
    }
    if (d.has(flag::kSyn)) {
      syns.emplace_back(now, d.sport);
      if (c.incarnations > 0 && c.done && c.cli_nxt != d.seq + 1)
        reuses.push_back(
            Reuse{now, c.closed_ms, c.last_seq_end, d.seq, c.old_tsval, d.opts.ts_val});
      if (c.cli_nxt != d.seq + 1) c.incarnations++;  // not a retransmission
      c.done = false;
      c.cli_nxt = d.seq + 1;
      c.srv_nxt = 7000 + 100000 * static_cast<uint32_t>(c.incarnations);
      reply_tcp(d, c.srv_nxt, c.cli_nxt, flag::kSyn | flag::kAck, "", d.opts.ts_val);
      c.srv_nxt++;
      return;
    }
    const uint32_t end = d.seq + d.seg_len();
    if (!d.payload.empty() && d.seq == c.cli_nxt) {
      c.cli_nxt = end;
      reply_tcp(d, c.srv_nxt, c.cli_nxt, flag::kAck | flag::kPsh, kResponse, d.opts.ts_val);
      c.srv_nxt += static_cast<uint32_t>(kResponse.size());
    }
    if (d.has(flag::kFin) && end == c.cli_nxt + (d.payload.empty() ? 1 : 0)) {
      c.cli_nxt = end;
      reply_tcp(d, c.srv_nxt, c.cli_nxt, flag::kFin | flag::kAck, "", d.opts.ts_val);
      c.srv_nxt++;
      c.last_seq_end = end;
      c.old_tsval = d.opts.ts_val;
      c.closed_ms = now;
      c.done = true;
    }
  }

  Port port_;
  bool opened_ = false;
  uint8_t key_[40];
  std::vector<uint16_t> reta_;
  std::unique_ptr<ControlBlock> ctl_;
  std::unique_ptr<HandoffRings> handoff_;
  std::vector<WorkerPtr> workers_;
  unsigned mbufs_at_start_ = 0;
};

uint64_t failed(const CounterTotals& t, ClientFailure f) {
  return t.failed[static_cast<int>(f)];
}

// Nothing left over: every frame counted once per lcore, no mbuf held.
void expect_clean(ClientRig& rig) {
  for (size_t q = 0; q < rig.workers(); q++) {
    const WorkerCounters& c = rig.counters(q);
    uint64_t answered = 0, drops = 0;
    for (int i = 0; i < kNumReplyKinds; i++) answered += c.answered[i].get();
    for (int i = 0; i < kNumDropReasons; i++) drops += c.drops[i].get();
    EXPECT_EQ(c.rx_packets.get(), answered + c.consumed.get() + drops) << "lcore " << q;
  }
}

// ---- Two workers, a driver that places flows itself -------------------------

// Every reply, and every ARP reply, lands on queue 1: worker 0's flows and
// its next hop reach it only through the hand-over.
TEST(ClientHandOver, RepliesOnTheOtherQueueReachTheirOwner) {
  ClientRig rig;
  rig.cfg.client.connections = 400;
  rig.deliver = [](const Decoded&) { return uint16_t{1}; };
  std::vector<uint16_t> reta(128);
  for (size_t i = 0; i < reta.size(); i++) reta[i] = static_cast<uint16_t>(i % 2);
  ASSERT_TRUE(rig.start(2, reta, true));
  rig.run_until(5000, [&] { return rig.all_done(); });
  const CounterTotals t = rig.totals();
  EXPECT_TRUE(rig.all_done()) << "at test ms " << rig.now;
  EXPECT_EQ(t.connections_completed, 400u);
  EXPECT_EQ(t.total_failed(), 0u);
  EXPECT_EQ(t.rst_sent, 0u);
  EXPECT_EQ(rig.rsts_seen, 0u);
  EXPECT_EQ(t.total_drops(), 0u);
  // Both lcores did their share, on pairs of their own.
  EXPECT_EQ(rig.counters(0).connections_completed.get(), 200u);
  EXPECT_EQ(rig.counters(1).connections_completed.get(), 200u);
  // Only lcore 1 received anything from the port; everything of lcore 0's
  // came through it: SYN-ACK, response, FIN per connection, and its ARP reply.
  EXPECT_EQ(rig.counters(0).handed_over.get(), 0u);
  EXPECT_GE(rig.counters(1).handed_over.get(), 200u * 3 + 1);
  // Each lcore's pairs are disjoint: 400 distinct 4-tuples.
  EXPECT_EQ(rig.conns.size(), 400u);
  expect_clean(rig);
  rig.close();
}

TEST(ClientHandOver, NothingHandedOverWhenTheDriverPlacesByOurKey) {
  ClientRig rig;
  rig.cfg.client.connections = 200;
  std::vector<uint16_t> reta(128);
  for (size_t i = 0; i < reta.size(); i++) reta[i] = static_cast<uint16_t>(i % 2);
  ASSERT_TRUE(rig.start(2, reta, true));
  // Each reply where the key puts it (a NIC honouring the key); the ARP
  // replies, which carry no flow, on queue 0, which shares them.
  rig.deliver = [&](const Decoded& d) -> uint16_t {
    return d.arp ? 0 : rig.owner(d.ip_src, d.sport);
  };
  rig.run_until(5000, [&] { return rig.all_done(); });
  const CounterTotals t = rig.totals();
  EXPECT_EQ(t.connections_completed, 200u);
  EXPECT_EQ(t.rst_sent + t.total_drops() + t.total_failed(), 0u);
  EXPECT_EQ(rig.counters(0).handed_over.get(), rig.arp_requests_seen);  // the shared ARP replies
  EXPECT_EQ(rig.counters(1).handed_over.get(), 0u);
  expect_clean(rig);
}

// ---- The next hop -------------------------------------------------------

TEST(ClientNextHop, NoArpReplyIsAGaugeTheControlPlaneReports) {
  ClientRig rig;
  rig.answer_arp = false;
  rig.cfg.client.connections = 20;
  ASSERT_TRUE(rig.start(1, {}, false));
  rig.run_until(2500);
  EXPECT_EQ(rig.counters(0).next_hop_failed.get(), 0u) << "still resolving at 2.5 s";
  rig.run_until(5000, [&] { return rig.all_done(); });
  const CounterTotals t = rig.totals();
  EXPECT_TRUE(rig.all_done());
  EXPECT_EQ(failed(t, ClientFailure::no_arp), 20u);
  EXPECT_EQ(t.lcores_no_arp, 1u);
  EXPECT_EQ(rig.arp_requests_seen, 3u);  // NeighbourTable's bounded tries
  ClientLatency lat;
  const std::string line = format_client_line(t, CounterTotals{}, 1.0, lat, kServerIp);
  EXPECT_NE(line.find("no ARP reply from 198.18.0.1"), std::string::npos) << line;
  expect_clean(rig);
}

// --rate: the schedule starts when the next hop resolves, so the time spent
// resolving is neither latency nor a burst of overdue connections.
TEST(ClientNextHop, RateScheduleStartsWhenTheNextHopResolves) {
  ClientRig rig;
  rig.answer_arp = false;  // the first request is lost; a reply comes at 300 ms
  rig.cfg.client.connections = 50;
  rig.cfg.client.rate = 1000;
  rig.cfg.client.concurrency = 100;
  ASSERT_TRUE(rig.start(1, {}, false));
  rig.run_until(299);
  EXPECT_TRUE(rig.syns.empty());
  rig.now = 300;
  rig.inject_arp_reply(0);
  rig.step();
  rig.answer_arp = true;
  rig.run_until(2000, [&] { return rig.all_done(); });
  EXPECT_TRUE(rig.all_done());
  ASSERT_EQ(rig.syns.size(), 50u);
  // One per millisecond from the moment of resolution: connection k at 300 + k.
  for (size_t k = 0; k < rig.syns.size(); k++) EXPECT_EQ(rig.syns[k].first, 300 + k) << "SYN " << k;
  // No connection waited for the ARP: connect latency is one round trip here
  // (the server answers within the millisecond).
  EXPECT_LE(rig.worker(0).connect_latency()->value_at_percentile(100), 1000u);
  const CounterTotals t = rig.totals();
  EXPECT_EQ(t.connections_completed, 50u);
  // The client's span runs from the first start (300 ms) to the last outcome.
  EXPECT_NEAR(client_span_s(t), 0.049, 0.0015);
  expect_clean(rig);
}

// ---- Source pairs and TIME-WAIT -------------------------------------------

// A redirection table that gives queue 0 one entry in 64 leaves it about 1000
// source pairs, all held in TIME-WAIT (60 s) after as many connections: the
// next ones reuse the oldest entries once they are 1 s old, as Linux's
// tcp_tw_reuse, with an ISN and TSval above the old incarnation's.
TEST(ClientTimeWait, OldestEntryGivesItsPairToANewConnection) {
  ClientRig rig;
  std::vector<uint16_t> reta(64, 1);
  reta[17] = 0;
  rig.cfg.client.connections = 2 * 1500;  // each lcore's share: 1500
  ASSERT_TRUE(rig.start(2, reta, false));
  // Replies where the key puts them; no hand-over, so each ARP reply goes
  // back to the queue whose lcore asked (its TX queue).
  rig.deliver = [&](const Decoded& d) -> uint16_t {
    return d.arp ? rig.sent_on : rig.owner(d.ip_src, d.sport);
  };
  uint32_t pairs0 = 0;  // what lcore 0 owns
  for (uint32_t port = 1024; port <= 65535; port++)
    pairs0 += rig.owner(kOurIp, static_cast<uint16_t>(port)) == 0 ? 1 : 0;
  ASSERT_GT(pairs0, 500u);
  ASSERT_LT(pairs0, 1500u);
  rig.run_until(4000, [&] { return rig.all_done(); });
  const CounterTotals t = rig.totals();
  EXPECT_TRUE(rig.all_done()) << "at test ms " << rig.now << ": lcore 0 completed "
                              << rig.counters(0).connections_completed.get();
  EXPECT_EQ(t.connections_completed, 3000u);
  EXPECT_EQ(t.total_failed(), 0u);
  EXPECT_EQ(rig.counters(0).time_wait_reused_by_client.get(), 1500u - pairs0);
  EXPECT_EQ(rig.counters(1).time_wait_reused_by_client.get(), 0u);
  EXPECT_EQ(rig.worker(0).time_wait_in_use(), pairs0);
  // What the server saw of each reuse: at least 1 s after the old
  // incarnation closed, ISN and TSval above everything the old one sent.
  ASSERT_EQ(rig.reuses.size(), 1500u - pairs0);
  for (const Reuse& r : rig.reuses) {
    EXPECT_GE(r.ms, r.old_closed_ms + 1000);
    EXPECT_GT(static_cast<int32_t>(r.new_isn - r.old_seq_end), 0);
    EXPECT_GT(static_cast<int32_t>(r.new_tsval - r.old_tsval), 0);
  }
  EXPECT_EQ(t.rst_sent, 0u);
  EXPECT_EQ(rig.rsts_seen, 0u);
  expect_clean(rig);
}

}  // namespace
}  // namespace synack::runtime
