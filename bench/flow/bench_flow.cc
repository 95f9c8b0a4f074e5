// bench_flow: per-operation cost of the per-lcore FlowTable (rte_hash). Tables
// are filled to capacity (the worst case for a cuckoo table); keys are visited
// in random order so the big tables miss the cache. TimerWheel: bench_timer.
//
//   build/bench/flow/bench_flow [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <rte_eal.h>
#include <rte_memory.h>
#include <unistd.h>
#include "support/eal.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "flow/flow_table.h"

namespace synack::flow {
namespace {

using tcp::FourTuple;

FourTuple key_for(uint32_t i) {
  FourTuple k;
  k.remote_ip = i * 2654435761u;  // a bijection on uint32: distinct keys
  k.local_ip = 0xc0a80001u;
  k.remote_port = static_cast<uint16_t>(i ^ (i >> 16));
  k.local_port = 443;
  return k;
}

// One filled table per size, shared by the benchmarks (building 2^20 takes a while).
struct Fixture {
  std::unique_ptr<FlowTable> table;
  std::vector<FourTuple> hit;   // inserted keys, random order
  std::vector<FourTuple> miss;  // never inserted, random order
};

Fixture& fixture(uint32_t capacity) {
  static std::map<uint32_t, Fixture> all;
  auto it = all.find(capacity);
  if (it != all.end()) return it->second;
  Fixture& f = all[capacity];
  std::string err;
  const FlowHash hash(tcp::SipKey{0x243f6a8885a308d3ull, 0x13198a2e03707344ull});
  f.table = FlowTable::create("bench_flows_" + std::to_string(capacity), capacity, SOCKET_ID_ANY,
                              hash, &err);
  if (!f.table) {
    std::fprintf(stderr, "%s\n", err.c_str());
    std::abort();
  }
  std::mt19937_64 rng(capacity);
  for (uint32_t i = 0; i < capacity; i++) {
    f.hit.push_back(key_for(i));
    f.miss.push_back(key_for(capacity + i));
    if (f.table->insert(f.hit.back(), f.table->signature(f.hit.back())) < 0) std::abort();
  }
  std::shuffle(f.hit.begin(), f.hit.end(), rng);
  std::shuffle(f.miss.begin(), f.miss.end(), rng);
  return f;
}

void lookup_bulk(benchmark::State& state, bool hit) {
  constexpr uint32_t kBurst = 32;
  Fixture& f = fixture(static_cast<uint32_t>(state.range(0)));
  const std::vector<FourTuple>& keys = hit ? f.hit : f.miss;
  const size_t n = keys.size() / kBurst * kBurst;
  const FourTuple* ptrs[kBurst];
  uint32_t sigs[kBurst];
  int32_t idx[kBurst];
  size_t pos = 0;
  // The keyed signature (SipHash-1-3, scalar) is part of the per-packet cost.
  for (auto _ : state) {
    for (uint32_t i = 0; i < kBurst; i++) {
      ptrs[i] = &keys[pos + i];
      sigs[i] = f.table->signature(keys[pos + i]);
    }
    pos = pos + kBurst == n ? 0 : pos + kBurst;
    f.table->lookup_bulk(ptrs, sigs, kBurst, idx);
    benchmark::DoNotOptimize(idx);
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
  state.counters["ns/key"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kBurst),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_LookupBulk32Hit(benchmark::State& s) {
  lookup_bulk(s, true);
}
void BM_LookupBulk32Miss(benchmark::State& s) {
  lookup_bulk(s, false);
}
BENCHMARK(BM_LookupBulk32Hit)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_LookupBulk32Miss)->Arg(1 << 16)->Arg(1 << 20);

void BM_Lookup(benchmark::State& state) {
  Fixture& f = fixture(static_cast<uint32_t>(state.range(0)));
  size_t pos = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.table->lookup(f.hit[pos], f.table->signature(f.hit[pos])));
    pos = pos + 1 == f.hit.size() ? 0 : pos + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lookup)->Arg(1 << 16)->Arg(1 << 20);

// The engine's insert: signature, presence check, insert(), then erase(), with the
// table holding range(1) percent of its capacity (at 100: capacity - 1, so the
// insert always succeeds). rte_hash inserts get much dearer near full load: the
// cuckoo displacement search runs before the extendable buckets are used.
void BM_InsertErase(benchmark::State& state) {
  Fixture& f = fixture(static_cast<uint32_t>(state.range(0)));
  FlowTable& t = *f.table;
  const uint64_t keep = std::min<uint64_t>(t.capacity() - 1, t.capacity() * state.range(1) / 100);
  const size_t removed = t.capacity() - keep;
  for (size_t i = 0; i < removed; i++)
    t.erase(static_cast<uint32_t>(t.lookup(f.hit[i], t.signature(f.hit[i]))));
  size_t pos = 0;
  for (auto _ : state) {
    const uint32_t sig = t.signature(f.miss[pos]);
    if (t.lookup(f.miss[pos], sig) >= 0) state.SkipWithError("present");
    int32_t idx = t.insert(f.miss[pos], sig);
    if (idx < 0) state.SkipWithError("insert failed");
    t.erase(static_cast<uint32_t>(idx));
    pos = pos + 1 == f.miss.size() ? 0 : pos + 1;
  }
  for (size_t i = 0; i < removed; i++)
    if (t.insert(f.hit[i], t.signature(f.hit[i])) < 0) std::abort();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertErase)
    ->Args({1 << 16, 50})
    ->Args({1 << 16, 90})
    ->Args({1 << 16, 95})
    ->Args({1 << 16, 98})
    ->Args({1 << 16, 99})
    ->Args({1 << 16, 100})
    ->Args({1 << 20, 50})
    ->Args({1 << 20, 90})
    ->Args({1 << 20, 100});

}  // namespace
}  // namespace synack::flow

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!synack::testing::init_test_eal(argv[0], "bench-flow", "1024")) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  synack::testing::finish_test_eal();
  return 0;
}
