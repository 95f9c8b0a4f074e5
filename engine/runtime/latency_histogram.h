// Per-lcore latency histogram for client mode: log-linear buckets in
// HdrHistogram's layout, so a percentile needs no stored samples.
//
// Values are microseconds. 0..127 have a bucket each (exact); above that each
// power of two [2^k, 2^(k+1)) is cut into 64 equal buckets of width 2^(k-6),
// so a bucket's width is at most 1/64 of its lowest value: a percentile
// reported as its bucket's highest value is never below the true one and less
// than 1/64 (1.5625 %) above it. Buckets cover 0 .. 2^27-1 us (134.2 s); larger
// values are counted in one saturating bucket (saturated()), where only the
// count and the exact max() are known.
//
// One writer (the owning lcore). Each word is a relaxed atomic written with a
// plain load+store (as runtime/counters.h), so the control plane may read or
// merge a live histogram: it sees every count at most a moment late, never torn.
// All-zero bytes are an empty histogram, so it can sit inside an
// rte_zmalloc_socket'd per-lcore block; the counts are a member array (11 KiB),
// nothing is ever allocated.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <string>

namespace synack::runtime {

// The bucket layout, apart from the class so its constants can size the array.
namespace latency_buckets {

inline constexpr unsigned kSubBits = 6;  // 64 buckets per power of two
inline constexpr unsigned kTopBits = 27;
// The lowest saturated value: 2^27 us, above the 10^8 us (100 s) client mode needs.
inline constexpr uint64_t kTop = uint64_t{1} << kTopBits;
inline constexpr uint64_t kLinearMask = (uint64_t{1} << (kSubBits + 1)) - 1;

// No division, no loop: the power of two from the leading-zero count (at least
// 6, so 0..127 map to themselves), then the top 7 bits of the value.
constexpr uint32_t bucket_of(uint64_t v) {
  const unsigned k = 63u - static_cast<unsigned>(std::countl_zero(v | kLinearMask));
  const unsigned shift = k - kSubBits;
  return (shift << kSubBits) + static_cast<uint32_t>(v >> shift);
}
inline constexpr uint32_t kSaturated = bucket_of(kTop);  // the last bucket
inline constexpr uint32_t kBuckets = kSaturated + 1;

// Lowest and highest value of bucket b < kSaturated (HdrHistogram's
// lowestEquivalentValue / highestEquivalentValue).
constexpr uint64_t bucket_low(uint32_t b) {
  const unsigned shift = std::max(b >> kSubBits, 1u) - 1u;
  return uint64_t{b - (shift << kSubBits)} << shift;
}
constexpr uint64_t bucket_high(uint32_t b) {
  const unsigned shift = std::max(b >> kSubBits, 1u) - 1u;
  return bucket_low(b) + (uint64_t{1} << shift) - 1;
}

static_assert(kTop > 100'000'000, "the top must exceed 100 s in microseconds");
static_assert(bucket_of(kTop - 1) + 1 == kSaturated);

}  // namespace latency_buckets

class LatencyHistogram {
 public:
  static constexpr uint64_t kTop = latency_buckets::kTop;
  static constexpr uint32_t kSaturated = latency_buckets::kSaturated;
  static constexpr uint32_t kBuckets = latency_buckets::kBuckets;
  static constexpr uint32_t bucket_of(uint64_t v) { return latency_buckets::bucket_of(v); }
  static constexpr uint64_t bucket_low(uint32_t b) { return latency_buckets::bucket_low(b); }
  static constexpr uint64_t bucket_high(uint32_t b) { return latency_buckets::bucket_high(b); }

  void record(uint64_t us) {
    bump(counts_[bucket_of(std::min(us, kTop))], 1);
    bump(count_, 1);
    // min is kept as ~min so that zeroed memory means "no minimum yet".
    inv_min_.store(std::max(inv_min_.load(std::memory_order_relaxed), ~us),
                   std::memory_order_relaxed);
    max_.store(std::max(max_.load(std::memory_order_relaxed), us), std::memory_order_relaxed);
  }

  // Adds other's counts to this one (the control plane sums per-lcore
  // histograms into its own). Equal to having recorded both value sets here.
  void merge(const LatencyHistogram& other);
  void reset();

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Exact extremes; 0 when empty.
  uint64_t min() const { return count() ? ~inv_min_.load(std::memory_order_relaxed) : 0; }
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  // Values >= kTop recorded.
  uint64_t saturated() const { return counts_[kSaturated].load(std::memory_order_relaxed); }
  uint64_t bucket_count(uint32_t b) const { return counts_[b].load(std::memory_order_relaxed); }

  // Nearest-rank percentile, p in [0, 100] (clamped, to 7 decimals): the value of rank
  // ceil(p/100 * count) (at least 1) in sorted order, reported as the highest
  // value of its bucket, capped at max(); max() when that rank is in the
  // saturated bucket; 0 when empty.
  uint64_t value_at_percentile(double p) const;

 private:
  static void bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> inv_min_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> counts_[kBuckets] = {};
};

// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..,"count":..}, microseconds.
std::string latency_json(const LatencyHistogram& h);

}  // namespace synack::runtime
