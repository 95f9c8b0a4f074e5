// Checksums on header-sized buffers: DPDK's rte_raw_cksum against the
// 64-bit-accumulating sum in wire/inet_checksum.h (side by side, one run).
//   build/bench/wire/bench_checksum
#include <benchmark/benchmark.h>
#include <rte_ip.h>

#include <cstdint>
#include <random>
#include <vector>

#include "wire/inet_checksum.h"

namespace {

std::vector<uint8_t> buffer(size_t n) {
  std::mt19937 rng(7);
  std::vector<uint8_t> b(n + 1);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

void BM_RteRawCksum(benchmark::State& st) {
  auto b = buffer(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    benchmark::DoNotOptimize(b.data());
    benchmark::DoNotOptimize(rte_raw_cksum(b.data(), static_cast<size_t>(st.range(0))));
  }
}
BENCHMARK(BM_RteRawCksum)->Arg(20)->Arg(40)->Arg(60)->Arg(74);

void BM_SynackCsum(benchmark::State& st) {
  auto b = buffer(static_cast<size_t>(st.range(0)));
  for (auto _ : st) {
    benchmark::DoNotOptimize(b.data());
    benchmark::DoNotOptimize(synack::wire::csum_fold(
        synack::wire::csum_add(b.data(), static_cast<size_t>(st.range(0)))));
  }
}
BENCHMARK(BM_SynackCsum)->Arg(20)->Arg(40)->Arg(60)->Arg(74);

}  // namespace

BENCHMARK_MAIN();
