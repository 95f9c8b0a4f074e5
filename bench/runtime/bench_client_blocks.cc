// bench_client_blocks: per-operation cost of the client-mode building blocks:
// LatencyHistogram::record and its report, SourcePortAllocator allocate +
// release in steady churn and its start-up precomputation, and the
// NeighbourTable's per-use calls. Has its own main: the allocator needs an EAL.
//
//   build/bench/runtime/bench_client_blocks [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <rte_memory.h>

#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "flow/neighbour_table.h"
#include "flow/source_port_allocator.h"
#include "runtime/latency_histogram.h"
#include "support/eal.h"

namespace synack {
namespace {

void BM_HistogramRecord(benchmark::State& state) {
  // Exponential latencies (mean 500 us) with a 1 % tail at 200 ms, from a
  // table that stays in L1.
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> fast(1.0 / 500);
  std::vector<uint64_t> v(4096);
  for (size_t i = 0; i < v.size(); i++)
    v[i] = i % 100 == 0 ? 200'000 + i : static_cast<uint64_t>(fast(rng));
  auto h = std::make_unique<runtime::LatencyHistogram>();
  size_t i = 0;
  for (auto _ : state) {
    h->record(v[i]);
    i = (i + 1) & (v.size() - 1);
  }
  benchmark::DoNotOptimize(h->count());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramJson(benchmark::State& state) {
  auto h = std::make_unique<runtime::LatencyHistogram>();
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> d(1.0 / 5000);
  for (int i = 0; i < 1'000'000; i++) h->record(static_cast<uint64_t>(d(rng)));
  for (auto _ : state) benchmark::DoNotOptimize(runtime::latency_json(*h));
}
BENCHMARK(BM_HistogramJson);

std::vector<uint8_t> bench_key() {
  std::vector<uint8_t> k(40);
  std::mt19937_64 rng(3);
  for (auto& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

std::vector<uint16_t> bench_reta() {
  std::vector<uint16_t> r(128);
  for (size_t i = 0; i < r.size(); i++) r[i] = static_cast<uint16_t>(i % 4);
  return r;
}

std::unique_ptr<flow::SourcePortAllocator> make_allocator(uint32_t ips) {
  static const auto key = bench_key();
  static const auto reta = bench_reta();
  flow::SourcePortAllocator::Config c;
  c.target_ip = 0xC6120001;
  c.target_port = 80;
  c.first_src_ip = 0xC6130000;
  c.last_src_ip = 0xC6130000 + ips - 1;
  c.rss_key = key.data();
  c.rss_key_len = 40;
  c.reta = reta.data();
  c.reta_size = 128;
  c.queue_id = 0;
  std::string err;
  auto a = flow::SourcePortAllocator::create(c, SOCKET_ID_ANY, &err);
  if (!a) {
    std::fprintf(stderr, "%s\n", err.c_str());
    std::abort();
  }
  return a;
}

// Steady churn: half the pairs held, each iteration opens one connection and
// closes the oldest (its TIME-WAIT over), so the rings keep rotating.
void BM_AllocateRelease(benchmark::State& state) {
  auto a = make_allocator(static_cast<uint32_t>(state.range(0)));
  std::deque<flow::SourcePortAllocator::Source> held;
  flow::SourcePortAllocator::Source s;
  while (held.size() < a->capacity() / 2 && a->allocate(&s)) held.push_back(s);
  for (auto _ : state) {
    a->allocate(&s);
    held.push_back(s);
    a->release(held.front());
    held.pop_front();
  }
  state.counters["pairs_on_queue"] = a->capacity();
}
BENCHMARK(BM_AllocateRelease)->Arg(1)->Arg(64)->Arg(1024);

// Start-up: every pair of N source IPs x ports 1024-65535, queue 0 of 4.
void BM_AllocatorCreate(benchmark::State& state) {
  for (auto _ : state) {
    auto a = make_allocator(static_cast<uint32_t>(state.range(0)));
    benchmark::DoNotOptimize(a->capacity());
  }
}
BENCHMARK(BM_AllocatorCreate)->Arg(1)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3);

// One use of a REACHABLE next hop: need_request then lookup. Arg: the entry's
// slot (0 = the only next hop, a gateway; 63 = the last of a full table).
void BM_NeighbourUse(benchmark::State& state) {
  flow::NeighbourTable t({});
  const auto slot = static_cast<uint32_t>(state.range(0));
  const wire::MacAddr mac{{0x02, 0, 0, 0, 0, 1}};
  for (uint32_t i = 0; i <= slot; i++) t.on_arp(0xC6120001 + i, mac, 0, true);
  const uint32_t ip = 0xC6120001 + slot;
  uint64_t uses = 0;
  for (auto _ : state) {
    const uint64_t now = 1 + (uses++ >> 20);  // time moves, far slower than uses
    benchmark::DoNotOptimize(t.need_request(ip, now));
    benchmark::DoNotOptimize(t.lookup(ip));
  }
}
BENCHMARK(BM_NeighbourUse)->Arg(0)->Arg(63);

}  // namespace
}  // namespace synack

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!synack::testing::init_test_eal(argv[0], "bench-client", "1024")) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  synack::testing::finish_test_eal();
  return 0;
}
