#include "runtime/latency_histogram.h"

#include <cmath>
#include <cstdio>

namespace synack::runtime {

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (uint32_t b = 0; b < kBuckets; b++) bump(counts_[b], other.bucket_count(b));
  bump(count_, other.count());
  inv_min_.store(std::max(inv_min_.load(std::memory_order_relaxed),
                          other.inv_min_.load(std::memory_order_relaxed)),
                 std::memory_order_relaxed);
  max_.store(std::max(max(), other.max()), std::memory_order_relaxed);
}

void LatencyHistogram::reset() {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  inv_min_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::value_at_percentile(double p) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  if (!(p > 0)) p = 0;  // also NaN
  if (p > 100) p = 100;
  // Integer arithmetic on p to 7 decimals, so 99.9 % of 1000 values is rank
  // 999 exactly (p / 100.0 * n in doubles comes out a hair above 999).
  const auto q = static_cast<unsigned __int128>(std::llround(p * 1e7));  // p in 1e-7 %
  constexpr uint64_t kScale = 1'000'000'000;                             // 100 %
  auto rank = static_cast<uint64_t>((q * n + kScale - 1) / kScale);
  rank = std::clamp<uint64_t>(rank, 1, n);
  uint64_t seen = 0;
  for (uint32_t b = 0; b < kSaturated; b++) {
    seen += bucket_count(b);
    if (seen >= rank) return std::min(bucket_high(b), max());
  }
  // In the saturated bucket, or a live histogram whose count ran ahead of its buckets.
  return max();
}

std::string latency_json(const LatencyHistogram& h) {
  char buf[192];
  std::snprintf(
      buf, sizeof(buf),
      "{\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,\"count\":%llu}",
      static_cast<unsigned long long>(h.value_at_percentile(50)),
      static_cast<unsigned long long>(h.value_at_percentile(90)),
      static_cast<unsigned long long>(h.value_at_percentile(99)),
      static_cast<unsigned long long>(h.value_at_percentile(99.9)),
      static_cast<unsigned long long>(h.max()), static_cast<unsigned long long>(h.count()));
  return buf;
}

}  // namespace synack::runtime
