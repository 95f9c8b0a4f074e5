// LatencyHistogram against an exact model (the sorted values and the
// nearest-rank definition), on several distributions; the bucket layout; merge;
// the edges 0, 1, the top and above it.
#include "runtime/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

namespace synack::runtime {
namespace {

using H = LatencyHistogram;

// The model: nearest rank over sorted values, p given in thousandths of a
// percent so the rank is exact integer arithmetic.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, uint64_t milli_pct) {
  const uint64_t n = sorted.size();
  uint64_t rank = (milli_pct * n + 99'999) / 100'000;
  rank = std::max<uint64_t>(rank, 1);
  return sorted[rank - 1];
}

// The stated bound: never below the exact value, less than 1/64 of it above
// (exact below 128).
::testing::AssertionResult within_bound(uint64_t exact, uint64_t reported) {
  if (reported < exact)
    return ::testing::AssertionFailure() << reported << " below the exact " << exact;
  if (exact < 128 && reported != exact)
    return ::testing::AssertionFailure() << reported << " != exact " << exact << " (< 128)";
  if ((reported - exact) * 64 >= exact && reported != exact)
    return ::testing::AssertionFailure()
           << reported << " is " << 100.0 * double(reported - exact) / double(exact)
           << " % above the exact " << exact;
  return ::testing::AssertionSuccess();
}

void check_against_model(std::vector<uint64_t> values, uint64_t seed) {
  auto h = std::make_unique<H>();
  for (uint64_t v : values) h->record(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h->count(), values.size());
  EXPECT_EQ(h->min(), values.front());
  EXPECT_EQ(h->max(), values.back());
  EXPECT_EQ(h->saturated(), 0u);

  std::vector<uint64_t> milli = {0,     1,     1000,  10000, 25000, 50000, 75000,
                                 90000, 95000, 99000, 99900, 99990, 99999, 100000};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> any(0, 100'000);
  for (int i = 0; i < 200; i++) milli.push_back(any(rng));
  for (uint64_t m : milli) {
    const uint64_t exact = exact_percentile(values, m);
    const uint64_t got = h->value_at_percentile(double(m) / 1000.0);
    EXPECT_TRUE(within_bound(exact, got)) << "p" << double(m) / 1000.0;
    EXPECT_LE(got, h->max());
  }
}

constexpr size_t kSamples = 200'000;

TEST(LatencyHistogram, Uniform) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> d(0, 2'000'000);
  std::vector<uint64_t> v(kSamples);
  for (auto& x : v) x = d(rng);
  check_against_model(std::move(v), 11);
}

TEST(LatencyHistogram, Exponential) {
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> d(1.0 / 800.0);  // mean 800 us
  std::vector<uint64_t> v(kSamples);
  for (auto& x : v) x = static_cast<uint64_t>(d(rng));
  check_against_model(std::move(v), 12);
}

TEST(LatencyHistogram, Bimodal) {
  // Most answers in ~100 us, 5 % behind a 200 ms retransmission.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> fast(100, 15), slow(200'000, 20'000);
  std::bernoulli_distribution is_slow(0.05);
  std::vector<uint64_t> v(kSamples);
  for (auto& x : v) x = static_cast<uint64_t>(std::max(0.0, is_slow(rng) ? slow(rng) : fast(rng)));
  check_against_model(std::move(v), 13);
}

TEST(LatencyHistogram, HeavyTailed) {
  // Pareto, alpha 1.1, from 20 us: values over nine decades, capped below the top.
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<uint64_t> v(kSamples);
  for (auto& x : v) {
    const double p = 20.0 / std::pow(1.0 - u(rng), 1.0 / 1.1);
    x = static_cast<uint64_t>(std::min(p, double(H::kTop - 1)));
  }
  check_against_model(std::move(v), 14);
}

TEST(LatencyHistogram, EveryValueUpToTopWithinBound) {
  // Every value reported alone, across all buckets: sampled densely, and
  // every bucket edge.
  for (uint32_t b = 0; b < H::kSaturated; b++) {
    for (uint64_t v : {H::bucket_low(b), H::bucket_high(b)}) {
      H h;
      h.record(v);
      h.record(H::kTop - 1);  // so max() does not cap the reported value
      EXPECT_TRUE(within_bound(v, h.value_at_percentile(50))) << v;
    }
  }
}

TEST(LatencyHistogram, BucketLayoutIsContiguousAndBounded) {
  EXPECT_EQ(H::bucket_low(0), 0u);
  for (uint32_t b = 0; b < H::kSaturated; b++) {
    EXPECT_EQ(H::bucket_of(H::bucket_low(b)), b);
    EXPECT_EQ(H::bucket_of(H::bucket_high(b)), b);
    const uint64_t width = H::bucket_high(b) - H::bucket_low(b) + 1;
    if (b < 128) {
      EXPECT_EQ(width, 1u);
    } else {
      EXPECT_LE(width * 64, H::bucket_low(b)) << b;
    }
    if (b + 1 < H::kSaturated) {
      EXPECT_EQ(H::bucket_low(b + 1), H::bucket_high(b) + 1);
    }
  }
  EXPECT_EQ(H::bucket_high(H::kSaturated - 1), H::kTop - 1);
  EXPECT_EQ(H::bucket_of(H::kTop), H::kSaturated);
  EXPECT_EQ(H::kBuckets, 1409u);
}

TEST(LatencyHistogram, EmptyIsZeroBytesAndReportsZero) {
  H h;
  const std::vector<unsigned char> zeros(sizeof(H), 0);
  EXPECT_EQ(std::memcmp(&h, zeros.data(), sizeof(H)), 0);
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(latency_json(h), R"({"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"count":0})");
}

TEST(LatencyHistogram, EdgeValues) {
  H h;
  h.record(0);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.value_at_percentile(100), 0u);
  EXPECT_EQ(h.bucket_count(0), 1u);
  h.record(1);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_EQ(h.value_at_percentile(100), 1u);
  EXPECT_EQ(h.bucket_count(1), 1u);

  h.record(H::kTop - 1);  // the last regular bucket
  EXPECT_EQ(h.bucket_count(H::kSaturated - 1), 1u);
  EXPECT_EQ(h.saturated(), 0u);
  EXPECT_EQ(h.value_at_percentile(100), H::kTop - 1);

  h.record(H::kTop);  // the first saturated value
  EXPECT_EQ(h.saturated(), 1u);
  EXPECT_EQ(h.value_at_percentile(100), H::kTop);
  h.record(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(h.saturated(), 2u);
  EXPECT_EQ(h.max(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(h.value_at_percentile(100), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(h.count(), 5u);
  EXPECT_EQ(h.min(), 0u);
  // Rank 3 of 5 (p60) is kTop - 1; rank 4 (p80) is saturated: reported as max.
  EXPECT_EQ(h.value_at_percentile(60), H::kTop - 1);
  EXPECT_EQ(h.value_at_percentile(80), std::numeric_limits<uint64_t>::max());
}

TEST(LatencyHistogram, PercentileArgumentClampedAndRankExact) {
  H h;
  for (uint64_t v = 1; v <= 1000; v++) h.record(v);
  EXPECT_EQ(h.value_at_percentile(-5), 1u);
  EXPECT_EQ(h.value_at_percentile(std::nan("")), 1u);
  EXPECT_EQ(h.value_at_percentile(250), 1000u);
  // 99.9 % of 1000 is rank 999 (in bucket 992..999), not 1000.
  EXPECT_EQ(h.value_at_percentile(99.9), 999u);
  // Hand-computed buckets: 500 in 500..503, 900 in 896..903, 990 in 984..991.
  EXPECT_EQ(latency_json(h),
            R"({"p50":503,"p90":903,"p99":991,"p999":999,"max":1000,"count":1000})");
}

TEST(LatencyHistogram, ReportedValueCappedAtMax) {
  H h;
  h.record(1000);  // bucket 1000..1007
  EXPECT_EQ(h.value_at_percentile(50), 1000u);
  h.record(1001);
  EXPECT_EQ(h.value_at_percentile(100), 1001u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(5);
  std::exponential_distribution<double> d(1.0 / 5000.0);
  auto all = std::make_unique<H>();
  std::vector<std::unique_ptr<H>> parts;
  for (int i = 0; i < 4; i++) parts.push_back(std::make_unique<H>());
  std::uniform_int_distribution<int> which(0, 3);
  for (int i = 0; i < 100'000; i++) {
    uint64_t v = static_cast<uint64_t>(d(rng));
    if (i % 997 == 0) v = H::kTop + static_cast<uint64_t>(i);  // some saturated ones
    all->record(v);
    parts[which(rng)]->record(v);
  }
  auto merged = std::make_unique<H>();
  for (auto& p : parts) merged->merge(*p);
  for (uint32_t b = 0; b < H::kBuckets; b++)
    ASSERT_EQ(merged->bucket_count(b), all->bucket_count(b)) << b;
  EXPECT_EQ(merged->count(), all->count());
  EXPECT_EQ(merged->min(), all->min());
  EXPECT_EQ(merged->max(), all->max());
  EXPECT_GT(merged->saturated(), 0u);
  EXPECT_EQ(latency_json(*merged), latency_json(*all));
}

TEST(LatencyHistogram, MergeWithEmptyKeepsMinAndMax) {
  H a, empty;
  a.record(700);
  a.record(90);
  a.merge(empty);
  EXPECT_EQ(a.min(), 90u);
  EXPECT_EQ(a.max(), 700u);
  EXPECT_EQ(a.count(), 2u);
  empty.merge(a);
  EXPECT_EQ(empty.min(), 90u);
  EXPECT_EQ(empty.max(), 700u);
  EXPECT_EQ(empty.count(), 2u);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.min(), 0u);
  EXPECT_EQ(a.max(), 0u);
  EXPECT_EQ(a.bucket_count(H::bucket_of(700)), 0u);
}

}  // namespace
}  // namespace synack::runtime
