// The SYN -> SYN-ACK cookie path on real mbufs, in bursts of 32, through the
// same Worker::process_burst the lcore loop runs (parse, checksum checks, one
// bulk flow-table probe, cookie, reply written over the SYN, TX buffer), with
// a ring-backed port as the NIC.
//
//   build/bench/runtime/bench_synack_path
//
// BM_SynCookiePath  = harness + path;  BM_Harness = the same loop without the
// path (alloc, copy the SYN in, enqueue, free). The path's cost per packet is
// the difference of the two, measured side by side in one run.
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

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
#include "support/tcp_options.h"
#include "tcp/segment_write.h"

namespace {

using namespace synack;

constexpr uint32_t kOurIp = 0xC6120002;  // 198.18.0.2
constexpr int kTemplates = 4096;
constexpr uint16_t kBurst = runtime::kBurst;

struct Fixture {
  testing::RingPort port;
  std::vector<std::vector<uint8_t>> syns;
  runtime::RuntimeConfig cfg;
  std::unique_ptr<runtime::ControlBlock> ctl;
  runtime::WorkerPtr worker;
};
Fixture* g_fx = nullptr;  // the benchmark library gives no other way in

// A Linux-style SYN (MSS, SACK_PERM, TS, NOP, WS) from a distinct source.
std::vector<uint8_t> make_syn(const wire::MacAddr& dst_mac, int i) {
  // The peer writes it: from its side the 4-tuple's "local" end is the peer.
  tcp::Route r;
  r.local_mac = wire::MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
  r.remote_mac = dst_mac;
  r.key.local_ip = 0xC6128000u + static_cast<uint32_t>(i);  // 198.18.128.0/17
  r.key.remote_ip = kOurIp;
  r.key.local_port = static_cast<uint16_t>(1024 + i * 7);
  r.key.remote_port = 80;
  tcp::TxSegment s;
  s.seq = tcp::Seq(0x10000000u * static_cast<uint32_t>(i & 7) + static_cast<uint32_t>(i));
  s.flags = 0x02;
  s.wnd = 64240;
  s.opts = synack::testing::linux_syn_options(1, 0);
  std::vector<uint8_t> f(tcp::segment_header_len(s));
  tcp::write_segment(f.data(), r, s, false);
  return f;
}

bool setup(std::string* err) {
  auto* fx = new Fixture;
  g_fx = fx;
  if (!fx->port.open("bench", 8191, err)) return false;
  for (int i = 0; i < kTemplates; i++) fx->syns.push_back(make_syn(fx->port.mac, i));

  fx->cfg.ip = kOurIp;
  fx->cfg.syncookies = runtime::CookieMode::kAlways;
  tcp::CookieSecret secret{{0x0123456789abcdefull, 0xfedcba9876543210ull}};
  fx->ctl = std::make_unique<runtime::ControlBlock>(fx->cfg.syncookies, secret);
  runtime::WorkerParams p;
  p.lcore_id = rte_lcore_id();
  p.port_id = fx->port.port;
  p.queue_id = 0;
  p.pool = fx->port.pool;
  p.mac = fx->port.mac;
  p.tsc_hz = rte_get_tsc_hz();
  p.tsc_epoch = rte_rdtsc();
  p.isn_key = tcp::SipKey{1, 2};
  fx->worker = runtime::Worker::create(fx->cfg, *fx->ctl, p, err);
  return fx->worker != nullptr;
}

// Fills a burst with copies of the next 32 SYN templates.
bool fill(rte_mbuf** pkts, int& next) {
  if (rte_pktmbuf_alloc_bulk(g_fx->port.pool, pkts, kBurst) != 0) return false;
  for (int i = 0; i < kBurst; i++) {
    const auto& t = g_fx->syns[static_cast<size_t>(next)];
    next = (next + 1) % kTemplates;
    std::memcpy(rte_pktmbuf_mtod(pkts[i], uint8_t*), t.data(), t.size());
    pkts[i]->data_len = static_cast<uint16_t>(t.size());
    pkts[i]->pkt_len = static_cast<uint32_t>(t.size());
  }
  return true;
}

void drain_tx() {
  rte_mbuf* out[kBurst * 2];
  unsigned n;
  while ((n = rte_ring_dequeue_burst(g_fx->port.tx, reinterpret_cast<void**>(out), kBurst * 2,
                                     nullptr)) > 0)
    rte_pktmbuf_free_bulk(out, n);
}

void BM_SynCookiePath(benchmark::State& st) {
  rte_mbuf* pkts[kBurst];
  int next = 0;
  uint64_t before = g_fx->worker->counters().cookies_sent.get();
  for (auto _ : st) {
    if (!fill(pkts, next)) {
      st.SkipWithError("mempool empty");
      break;
    }
    g_fx->worker->process_burst(pkts, kBurst, rte_rdtsc());
    g_fx->worker->flush_tx();
    drain_tx();
  }
  uint64_t sent = g_fx->worker->counters().cookies_sent.get() - before;
  if (sent != static_cast<uint64_t>(st.iterations()) * kBurst)
    st.SkipWithError("not every SYN was answered with a cookie");
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * kBurst);
  st.counters["ns_per_pkt"] =
      benchmark::Counter(static_cast<double>(st.iterations()) * kBurst,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SynCookiePath);

void BM_Harness(benchmark::State& st) {
  rte_mbuf* pkts[kBurst];
  int next = 0;
  for (auto _ : st) {
    if (!fill(pkts, next)) {
      st.SkipWithError("mempool empty");
      break;
    }
    rte_eth_tx_burst(g_fx->port.port, 0, pkts, kBurst);
    drain_tx();
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * kBurst);
  st.counters["ns_per_pkt"] =
      benchmark::Counter(static_cast<double>(st.iterations()) * kBurst,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Harness);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (!testing::init_test_eal(argv[0], "bench-path", "512")) {
    std::fprintf(stderr, "bench_synack_path: rte_eal_init failed\n");
    return 1;
  }
  std::string err;
  if (!setup(&err)) {
    std::fprintf(stderr, "bench_synack_path: %s\n", err.c_str());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  g_fx->worker.reset();
  g_fx->port.close();
  synack::testing::finish_test_eal();
  return 0;
}
