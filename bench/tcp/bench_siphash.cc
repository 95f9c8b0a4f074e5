// SipHash-2-4 and SipHash-1-3 of 16-byte messages, per hash, for each batch variant
// (scalar, AVX2 4 lanes, AVX-512 8 lanes) side by side, at a burst of 32 (the RX burst)
// and of 8; with the per-packet 3-word scalar siphash24_3w as the reference.
//
// Each benchmark iteration hashes 16 batches, timed alone with the TSC (__rdtsc between
// lfences); cyc/hash is the median of those windows over the run divided by the hashes
// in one, so another process taking the CPU now and then (this is a shared 2-vCPU VM)
// moves only the far end of the distribution. These are TSC ticks, at the nominal
// frequency, not core clocks; ns/hash converts them with the TSC rate measured over the
// same run against the steady clock. Variants this CPU cannot run report an error.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tcp/siphash.h"
#include "tcp/siphash_batch.h"

namespace synack::tcp {
namespace {

constexpr SipKey kKey{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

struct Inputs {
  std::array<uint64_t, kSipBatchMax> w0, w1, w2, out;
  Inputs() {
    std::mt19937_64 rng(32);
    for (uint32_t i = 0; i < kSipBatchMax; ++i) {
      w0[i] = rng();
      w1[i] = rng();
      w2[i] = rng();
    }
  }
};

constexpr uint32_t kBatchesPerWindow = 16;

[[gnu::always_inline]] inline uint64_t tsc() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

// Runs body() (one batch of `per_batch` messages) kBatchesPerWindow times per iteration
// and sets the per-hash columns from the median window.
template <class Body>
void measure(benchmark::State& state, uint32_t per_batch, Body&& body) {
  if (per_batch == 0) {
    state.SkipWithError("empty batch");
    return;
  }
  std::vector<uint32_t> hist(1u << 17, 0);  // window length in ticks; the last bucket: more
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = tsc();
  for (auto _ : state) {
    const uint64_t a = tsc();
    for (uint32_t b = 0; b < kBatchesPerWindow; ++b) body();
    const uint64_t d = tsc() - a;
    ++hist[d < hist.size() ? d : hist.size() - 1];
  }
  const uint64_t c1 = tsc();
  const auto t1 = std::chrono::steady_clock::now();
  uint64_t seen = 0, median = 0;
  while (median < hist.size() &&
         2 * (seen + hist[median]) < static_cast<uint64_t>(state.iterations())) {
    seen += hist[median++];
  }
  const double per_window = static_cast<double>(per_batch) * kBatchesPerWindow;
  const double ticks_per_ns =
      static_cast<double>(c1 - c0) / std::chrono::duration<double, std::nano>(t1 - t0).count();
  state.counters["cyc/hash"] = static_cast<double>(median) / per_window;
  state.counters["ns/hash"] = static_cast<double>(median) / per_window / ticks_per_ns;
  state.counters["tsc_GHz"] = ticks_per_ns;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * per_window));
}

void batch(benchmark::State& state, SipLanes lanes, bool one_three) {
  if (!sip_lanes_runnable(lanes)) {
    state.SkipWithError((std::string("this CPU cannot run ") + sip_batch(lanes).name).c_str());
    return;
  }
  const SipBatchFn fn = one_three ? sip_batch(lanes).hash13 : sip_batch(lanes).hash24;
  const auto n = static_cast<uint32_t>(state.range(0));
  Inputs in;
  measure(state, n, [&] {
    fn(kKey, in.w0.data(), in.w1.data(), in.out.data(), n);
    benchmark::DoNotOptimize(in.out.data());
    benchmark::ClobberMemory();
  });
}

void BM_SipBatch24(benchmark::State& state, SipLanes lanes) {
  batch(state, lanes, false);
}
void BM_SipBatch13(benchmark::State& state, SipLanes lanes) {
  batch(state, lanes, true);
}

BENCHMARK_CAPTURE(BM_SipBatch24, scalar, SipLanes::kScalar)->Arg(32)->Arg(8);
BENCHMARK_CAPTURE(BM_SipBatch24, avx2, SipLanes::kAvx2)->Arg(32)->Arg(8);
BENCHMARK_CAPTURE(BM_SipBatch24, avx512, SipLanes::kAvx512)->Arg(32)->Arg(8);
BENCHMARK_CAPTURE(BM_SipBatch13, scalar, SipLanes::kScalar)->Arg(32)->Arg(8);
BENCHMARK_CAPTURE(BM_SipBatch13, avx2, SipLanes::kAvx2)->Arg(32)->Arg(8);
BENCHMARK_CAPTURE(BM_SipBatch13, avx512, SipLanes::kAvx512)->Arg(32)->Arg(8);

// The per-packet form the cookie codec calls today: 24 bytes, one call per hash.
void BM_Siphash24_3w(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  Inputs in;
  measure(state, n, [&] {
    for (uint32_t i = 0; i < n; ++i) in.out[i] = siphash24_3w(kKey, in.w0[i], in.w1[i], in.w2[i]);
    benchmark::DoNotOptimize(in.out.data());
    benchmark::ClobberMemory();
  });
}
BENCHMARK(BM_Siphash24_3w)->Arg(32);

}  // namespace
}  // namespace synack::tcp

BENCHMARK_MAIN();
