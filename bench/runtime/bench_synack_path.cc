// The Worker's data path on real mbufs, in bursts of 32, through the same
// Worker::process_burst the lcore loop runs, with a ring-backed port as the NIC:
//
//   BM_SynCookiePath/<siphash>/<layout>/<hot|cold>  SYN -> cookie SYN-ACK written over it
//   BM_CookieAckPath/<siphash>                      valid cookie ACK -> flow made, then
//                                                   an exact RST closes it (the pair)
//   BM_ForgedAckPath/<siphash>                      ACK flood: forged cookies -> RST
//   BM_EstablishedAckPath                           pure ACKs on 4096 open connections
//   BM_Harness/<hot|cold>                           the same loop without the path
//
//   build/bench/runtime/bench_synack_path [--benchmark_filter=...]
//
// The path's cost per packet is each case less BM_Harness, measured side by
// side in one run. Counters: ns_per_pkt, and cycles_per_pkt from the TSC.
// `cold` flushes the packets' two cache lines before the burst (as if the NIC
// had just written them); `hot` leaves them in cache. Layouts are the SYN
// options of Linux (MSS, SACK_PERM, TS, NOP, WS), Windows (MSS, NOP, WS, NOP,
// NOP, SACK_PERM), macOS (MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL) and
// none. SipHash variants the CPU lacks are skipped.
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/config.h"
#include "runtime/control.h"
#include "runtime/worker.h"
#include "support/eal.h"
#include "support/ring_port.h"
#include "tcp/segment_write.h"
#include "tcp/siphash_batch.h"
#include "wire/checksum.h"
#include "wire/headers.h"

namespace {

using namespace synack;

constexpr uint32_t kOurIp = 0xC6120002;  // 198.18.0.2
constexpr int kTemplates = 4096;
constexpr uint16_t kBurst = runtime::kBurst;
constexpr tcp::CookieSecret kSecret{{0x0123456789abcdefull, 0xfedcba9876543210ull}};

enum class Layout { kLinux, kWindows, kMacos, kNone };

std::vector<uint8_t> layout_bytes(Layout l) {
  switch (l) {
    case Layout::kLinux:
      return {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
    case Layout::kWindows:
      return {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
    case Layout::kMacos:
      return {2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2, 0, 0};
    case Layout::kNone:
      return {};
  }
  return {};
}

// A segment from peer i (198.18.128.0/17), written by the peer's side of the
// writer: from there the 4-tuple's local end is the peer.
std::vector<uint8_t> peer_segment(const wire::MacAddr& dst_mac, int i, uint8_t flags, uint32_t seq,
                                  uint32_t ack, const std::vector<uint8_t>& opts) {
  tcp::Route r;
  r.local_mac = wire::MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
  r.remote_mac = dst_mac;
  r.key.local_ip = 0xC6128000u + static_cast<uint32_t>(i);
  r.key.remote_ip = kOurIp;
  r.key.local_port = static_cast<uint16_t>(1024 + i * 7);
  r.key.remote_port = 80;
  tcp::TxSegment s;
  s.seq = tcp::Seq(seq);
  s.ack = tcp::Seq(ack);
  s.flags = flags;
  s.wnd = 64240;
  // Raw option bytes: written as payload-free header options by hand below.
  std::vector<uint8_t> f(tcp::segment_header_len(s) + opts.size());
  tcp::write_segment(f.data(), r, s, false);
  if (!opts.empty()) {
    // The options as raw bytes, in place: data offset, lengths and checksums.
    std::vector<uint8_t> g(54 + opts.size());
    std::memcpy(g.data(), f.data(), 54);
    std::memcpy(g.data() + 54, opts.data(), opts.size());
    uint8_t* ip = g.data() + 14;
    uint8_t* tcp = ip + 20;
    wire::store_be16(ip + wire::ip::kTotalLen, static_cast<uint16_t>(40 + opts.size()));
    tcp[wire::tcp::kDataOff] = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4);
    wire::fill_ipv4_checksum(ip);
    tcp[wire::tcp::kCsum] = tcp[wire::tcp::kCsum + 1] = 0;
    const auto len = static_cast<uint16_t>(20 + opts.size());
    wire::store_csum(tcp + wire::tcp::kCsum, static_cast<uint16_t>(~wire::csum_fold(wire::csum_add(
                                                 tcp, len, wire::csum_pseudo_ipv4(ip, 6, len)))));
    return g;
  }
  return f;
}

struct Fixture {
  testing::RingPort port;
  runtime::RuntimeConfig cfg;
  std::unique_ptr<runtime::ControlBlock> ctl;
  runtime::WorkerPtr worker;
  tcp::SipLanes lanes = tcp::SipLanes::kScalar;
};
Fixture* g_fx = nullptr;  // the benchmark library gives no other way in

bool make_worker(tcp::SipLanes lanes, runtime::CookieMode mode, std::string* err) {
  g_fx->worker.reset();
  g_fx->cfg.syncookies = mode;
  g_fx->cfg.max_flows = 1 << 16;
  g_fx->ctl = std::make_unique<runtime::ControlBlock>(mode, kSecret);
  runtime::WorkerParams p;
  p.lcore_id = rte_lcore_id();
  p.port_id = g_fx->port.port;
  p.pool = g_fx->port.pool;
  p.mac = g_fx->port.mac;
  p.tsc_hz = rte_get_tsc_hz();
  p.tsc_epoch = rte_rdtsc();
  p.isn_key = tcp::SipKey{1, 2};
  p.flow_key = tcp::SipKey{3, 4};
  p.limiter_key = tcp::SipKey{5, 6};
  p.sip_lanes = lanes;
  g_fx->worker = runtime::Worker::create(g_fx->cfg, *g_fx->ctl, p, err);
  g_fx->lanes = lanes;
  return g_fx->worker != nullptr;
}

// Fills a burst with copies of frames[next..next+32), optionally evicted from cache.
bool fill(rte_mbuf** pkts, const std::vector<std::vector<uint8_t>>& frames, size_t& next,
          bool cold) {
  if (rte_pktmbuf_alloc_bulk(g_fx->port.pool, pkts, kBurst) != 0) return false;
  for (int i = 0; i < kBurst; i++) {
    const auto& t = frames[next];
    next = (next + 1) % frames.size();
    uint8_t* d = rte_pktmbuf_mtod(pkts[i], uint8_t*);
    std::memcpy(d, t.data(), t.size());
    pkts[i]->data_len = static_cast<uint16_t>(t.size());
    pkts[i]->pkt_len = static_cast<uint32_t>(t.size());
    if (cold) {
      _mm_clflush(d);
      _mm_clflush(d + 64);
    }
  }
  if (cold) _mm_mfence();
  return true;
}

void drain_tx() {
  rte_mbuf* out[kBurst * 4];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(g_fx->port.tx, reinterpret_cast<void**>(out), kBurst * 4,
                                     nullptr)) > 0)
    rte_pktmbuf_free_bulk(out, n);
}

void report(benchmark::State& st, uint64_t cycles, uint64_t packets) {
  st.SetItemsProcessed(static_cast<int64_t>(packets));
  st.counters["ns_per_pkt"] = benchmark::Counter(
      static_cast<double>(packets), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["cycles_per_pkt"] =
      packets ? static_cast<double>(cycles) / static_cast<double>(packets) : 0;
}

// The timed part of every case: fill (not timed by the TSC counter), then the
// path, flush and drain.
template <class Body>
void run(benchmark::State& st, const std::vector<std::vector<uint8_t>>& frames, bool cold,
         Body&& body) {
  rte_mbuf* pkts[kBurst];
  size_t next = 0;
  uint64_t cycles = 0, packets = 0;
  for (auto _ : st) {
    if (!fill(pkts, frames, next, cold)) {
      st.SkipWithError("mempool empty");
      break;
    }
    const uint64_t t0 = rte_rdtsc();
    body(pkts);
    cycles += rte_rdtsc() - t0;
    packets += kBurst;
    drain_tx();
  }
  report(st, cycles, packets);
}

bool select(benchmark::State& st, tcp::SipLanes lanes, runtime::CookieMode mode) {
  if (!tcp::sip_lanes_runnable(lanes)) {
    st.SkipWithError("this CPU lacks the SipHash variant");
    return false;
  }
  std::string err;
  if (!make_worker(lanes, mode, &err)) {
    st.SkipWithError(err.c_str());
    return false;
  }
  return true;
}

void BM_SynCookiePath(benchmark::State& st, tcp::SipLanes lanes, Layout layout, bool cold) {
  if (!select(st, lanes, runtime::CookieMode::kAlways)) return;
  std::vector<std::vector<uint8_t>> syns;
  for (int i = 0; i < kTemplates; i++)
    syns.push_back(
        peer_segment(g_fx->port.mac, i, 0x02, 0x10000000u * (i & 7) + i, 0, layout_bytes(layout)));
  const uint64_t before = g_fx->worker->counters().cookies_sent.get();
  run(st, syns, cold, [](rte_mbuf** pkts) {
    g_fx->worker->process_burst(pkts, kBurst, rte_rdtsc());
    g_fx->worker->flush_tx();
  });
  if (g_fx->worker->counters().cookies_sent.get() - before !=
      static_cast<uint64_t>(st.iterations()) * kBurst)
    st.SkipWithError("not every SYN was answered with a cookie");
}

// Each of 16 peers per burst sends a SYN (outside the timing: its answer
// gives the cookie), then in the timed burst its final ACK (valid cookie: a
// flow is made) and an exact RST that closes it again.
void BM_CookieAckPath(benchmark::State& st, tcp::SipLanes lanes) {
  if (!select(st, lanes, runtime::CookieMode::kAlways)) return;
  std::vector<std::vector<uint8_t>> pairs;
  for (int i = 0; i < kTemplates / 2; i++) {
    const uint32_t isn = 0x1000u * i + 5;
    rte_mbuf* m = g_fx->port.frame(peer_segment(g_fx->port.mac, i, 0x02, isn, 0, {}).data(), 54);
    g_fx->worker->process_burst(&m, 1, rte_rdtsc());
    g_fx->worker->flush_tx();
    rte_mbuf* r = g_fx->port.sent();
    uint32_t cookie;
    std::memcpy(&cookie, rte_pktmbuf_mtod(r, uint8_t*) + 38, 4);
    cookie = __builtin_bswap32(cookie);
    rte_pktmbuf_free(r);
    pairs.push_back(peer_segment(g_fx->port.mac, i, 0x10, isn + 1, cookie + 1, {}));
    pairs.push_back(peer_segment(g_fx->port.mac, i, 0x04, isn + 1, 0, {}));
  }
  const uint64_t before = g_fx->worker->counters().cookies_validated.get();
  run(st, pairs, false, [](rte_mbuf** pkts) {
    g_fx->worker->process_burst(pkts, kBurst, rte_rdtsc());
    g_fx->worker->flush_tx();
  });
  if (g_fx->worker->counters().cookies_validated.get() - before !=
      static_cast<uint64_t>(st.iterations()) * kBurst / 2)
    st.SkipWithError("not every cookie ACK was valid");
  if (g_fx->worker->flows_in_use() != 0) st.SkipWithError("flows left open");
}

void BM_ForgedAckPath(benchmark::State& st, tcp::SipLanes lanes) {
  if (!select(st, lanes, runtime::CookieMode::kAlways)) return;
  std::vector<std::vector<uint8_t>> acks;
  for (int i = 0; i < kTemplates; i++)
    acks.push_back(peer_segment(g_fx->port.mac, i, 0x10, 0x9e3779b9u * i, 0x7f4a7c15u * i, {}));
  run(st, acks, false, [](rte_mbuf** pkts) {
    g_fx->worker->process_burst(pkts, kBurst, rte_rdtsc());
    g_fx->worker->flush_tx();
  });
}

// 4096 connections opened (stateful handshakes, a passive close so they stay
// up), then duplicate pure ACKs on them: consumed with nothing sent.
void BM_EstablishedAckPath(benchmark::State& st) {
  g_fx->cfg.active_close = false;
  if (!select(st, tcp::SipLanes::kScalar, runtime::CookieMode::kNever)) return;
  std::vector<std::vector<uint8_t>> acks;
  for (int i = 0; i < kTemplates; i++) {
    const uint32_t isn = 0x2000u * i + 9;
    rte_mbuf* m = g_fx->port.frame(peer_segment(g_fx->port.mac, i, 0x02, isn, 0, {}).data(), 54);
    g_fx->worker->process_burst(&m, 1, rte_rdtsc());
    g_fx->worker->flush_tx();
    rte_mbuf* r = g_fx->port.sent();
    uint32_t iss;
    std::memcpy(&iss, rte_pktmbuf_mtod(r, uint8_t*) + 38, 4);
    iss = __builtin_bswap32(iss);
    rte_pktmbuf_free(r);
    auto ack = peer_segment(g_fx->port.mac, i, 0x10, isn + 1, iss + 1, {});
    rte_mbuf* a = g_fx->port.frame(ack.data(), static_cast<uint16_t>(ack.size()));
    g_fx->worker->process_burst(&a, 1, rte_rdtsc());
    acks.push_back(ack);
  }
  g_fx->worker->flush_tx();
  drain_tx();
  const uint64_t before = g_fx->worker->counters().consumed.get();
  run(st, acks, false, [](rte_mbuf** pkts) {
    g_fx->worker->process_burst(pkts, kBurst, rte_rdtsc());
    g_fx->worker->flush_tx();
  });
  if (g_fx->worker->counters().consumed.get() - before !=
      static_cast<uint64_t>(st.iterations()) * kBurst)
    st.SkipWithError("not every ACK was consumed");
  g_fx->cfg.active_close = true;
}

void BM_Harness(benchmark::State& st, bool cold) {
  std::vector<std::vector<uint8_t>> syns;
  for (int i = 0; i < kTemplates; i++)
    syns.push_back(peer_segment(g_fx->port.mac, i, 0x02, i, 0, layout_bytes(Layout::kLinux)));
  run(st, syns, cold, [](rte_mbuf** pkts) { rte_eth_tx_burst(g_fx->port.port, 0, pkts, kBurst); });
}

void register_all() {
  const std::pair<tcp::SipLanes, const char*> lanes[] = {{tcp::SipLanes::kScalar, "scalar"},
                                                         {tcp::SipLanes::kAvx2, "avx2"},
                                                         {tcp::SipLanes::kAvx512, "avx512"}};
  const std::pair<Layout, const char*> layouts[] = {{Layout::kLinux, "linux"},
                                                    {Layout::kWindows, "windows"},
                                                    {Layout::kMacos, "macos"},
                                                    {Layout::kNone, "none"}};
  for (bool cold : {false, true}) {
    const std::string temp = cold ? "cold" : "hot";
    for (auto [l, ln] : lanes)
      for (auto [lay, layn] : layouts)
        if (lay == Layout::kLinux || !cold)
          benchmark::RegisterBenchmark(
              ("BM_SynCookiePath/" + std::string(ln) + "/" + layn + "/" + temp).c_str(),
              [l = l, lay = lay, cold](benchmark::State& s) { BM_SynCookiePath(s, l, lay, cold); });
    benchmark::RegisterBenchmark(("BM_Harness/" + temp).c_str(),
                                 [cold](benchmark::State& s) { BM_Harness(s, cold); });
  }
  for (auto [l, ln] : lanes) {
    benchmark::RegisterBenchmark(("BM_CookieAckPath/" + std::string(ln)).c_str(),
                                 [l = l](benchmark::State& s) { BM_CookieAckPath(s, l); });
    benchmark::RegisterBenchmark(("BM_ForgedAckPath/" + std::string(ln)).c_str(),
                                 [l = l](benchmark::State& s) { BM_ForgedAckPath(s, l); });
  }
  benchmark::RegisterBenchmark("BM_EstablishedAckPath", BM_EstablishedAckPath);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!testing::init_test_eal(argv[0], "bench-path", "512")) {
    std::fprintf(stderr, "bench_synack_path: rte_eal_init failed\n");
    return 1;
  }
  g_fx = new Fixture;
  std::string err;
  if (!g_fx->port.open("bench", 8191, &err)) {
    std::fprintf(stderr, "bench_synack_path: %s\n", err.c_str());
    return 1;
  }
  g_fx->cfg.ip = kOurIp;
  const char* resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  g_fx->cfg.response.assign(resp, resp + std::strlen(resp));
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  g_fx->worker.reset();
  g_fx->port.close();
  synack::testing::finish_test_eal();
  return 0;
}
