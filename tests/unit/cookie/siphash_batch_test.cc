// The SipHash batch variants: each against the reference code's vectors and against the
// scalar 2-word functions for every n up to a burst of 64 (whole vectors and every tail),
// on inputs that are not 64-byte aligned; tails that never touch memory past n; the
// variant table and the start-up choice. Variants this CPU cannot run are skipped.
#include "tcp/siphash_batch.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace synack::tcp {
namespace {

constexpr SipKey kPaperKey{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
// Bytes 00..0f as two little-endian words, and the reference code's outputs for that
// 16-byte message: SipHash-2-4 (vectors_sip64[16]) and SipHash-1-3 (cROUNDS=1, dROUNDS=3).
constexpr uint64_t kPaperW0 = 0x0706050403020100ull;
constexpr uint64_t kPaperW1 = 0x0f0e0d0c0b0a0908ull;
constexpr uint64_t kPaper24 = 0x3f2acc7f57c29bdbull;
constexpr uint64_t kPaper13 = 0xcc4fdd1a7d908b66ull;

constexpr SipLanes kAllLanes[] = {SipLanes::kScalar, SipLanes::kAvx2, SipLanes::kAvx512};

TEST(SipBatchTable, OneVariantPerLaneCount) {
  const auto variants = sip_batch_variants();
  ASSERT_EQ(variants.size(), 3u);
  EXPECT_EQ(variants[0].lanes, SipLanes::kScalar);
  EXPECT_STREQ(sip_batch(SipLanes::kScalar).name, "scalar");
  EXPECT_STREQ(sip_batch(SipLanes::kAvx2).name, "avx2");
  EXPECT_STREQ(sip_batch(SipLanes::kAvx512).name, "avx512");
  for (const SipLanes l : kAllLanes) {
    EXPECT_EQ(sip_batch(l).lanes, l);
    EXPECT_NE(sip_batch(l).hash24, nullptr);
    EXPECT_NE(sip_batch(l).hash13, nullptr);
  }
  EXPECT_TRUE(sip_lanes_runnable(SipLanes::kScalar));
}

struct ChoiceRow {
  bool avx2, avx512f_vl;
  unsigned bitwidth;
  SipLanes want;
};

// As DPDK's PMDs decide: the CPU flag and the --force-max-simd-bitwidth cap must both
// allow a width. 256 is DPDK's default cap on x86, 64 disables vectors.
constexpr ChoiceRow kChoices[] = {
    {false, false, 64, SipLanes::kScalar}, {false, false, 512, SipLanes::kScalar},
    {true, false, 64, SipLanes::kScalar},  {true, false, 128, SipLanes::kScalar},
    {true, false, 256, SipLanes::kAvx2},   {true, false, 512, SipLanes::kAvx2},
    {true, true, 64, SipLanes::kScalar},   {true, true, 255, SipLanes::kScalar},
    {true, true, 256, SipLanes::kAvx2},    {true, true, 511, SipLanes::kAvx2},
    {true, true, 512, SipLanes::kAvx512},  {true, true, 32768, SipLanes::kAvx512},
    {false, true, 256, SipLanes::kScalar}, {false, true, 512, SipLanes::kAvx512},
};

TEST(SipBatchChoice, DecisionTable) {
  for (const ChoiceRow& r : kChoices) {
    EXPECT_EQ(choose_sip_lanes(r.avx2, r.avx512f_vl, r.bitwidth), r.want)
        << "avx2 " << r.avx2 << " avx512f+vl " << r.avx512f_vl << " bitwidth " << r.bitwidth;
  }
  static_assert(choose_sip_lanes(true, true, 256) == SipLanes::kAvx2);
}

class SipBatchVariant : public ::testing::TestWithParam<SipLanes> {
 protected:
  void SetUp() override {
    if (!sip_lanes_runnable(GetParam())) {
      GTEST_SKIP() << "this CPU (or OS) lacks " << sip_batch(GetParam()).name
                   << " according to __builtin_cpu_supports";
    }
  }
  const SipBatch& b() const { return sip_batch(GetParam()); }
};

TEST_P(SipBatchVariant, ReferenceVectorInEveryLane) {
  std::array<uint64_t, kSipBatchMax> w0, w1, out;
  w0.fill(kPaperW0);
  w1.fill(kPaperW1);
  out.fill(0);
  b().hash24(kPaperKey, w0.data(), w1.data(), out.data(), kSipBatchMax);
  for (uint32_t i = 0; i < kSipBatchMax; ++i) EXPECT_EQ(out[i], kPaper24) << "lane " << i;
  b().hash13(kPaperKey, w0.data(), w1.data(), out.data(), kSipBatchMax);
  for (uint32_t i = 0; i < kSipBatchMax; ++i) EXPECT_EQ(out[i], kPaper13) << "lane " << i;
}

// Every n from 0 to 64 under many keys, each message its own random words, the arrays
// 8..56 bytes past a 64-byte boundary; words past n of `out` keep a sentinel.
TEST_P(SipBatchVariant, MatchesScalarForEveryCount) {
  constexpr uint64_t kSentinel = 0x5e5e5e5e5e5e5e5eull;
  constexpr uint32_t kPad = 8;
  alignas(64) std::array<uint64_t, kSipBatchMax + kPad> w0{}, w1{}, out{};
  std::mt19937_64 rng(static_cast<uint64_t>(GetParam()) * 6528);
  for (int round = 0; round < 70; ++round) {
    const SipKey key{rng(), rng()};
    const uint32_t off = 1 + static_cast<uint32_t>(round % 7);
    for (uint32_t n = 0; n <= kSipBatchMax; ++n) {
      for (auto& w : w0) w = rng();
      for (auto& w : w1) w = rng();
      for (const bool one_three : {false, true}) {
        out.fill(kSentinel);
        (one_three ? b().hash13 : b().hash24)(key, w0.data() + off, w1.data() + off,
                                              out.data() + off, n);
        for (uint32_t i = 0; i < n; ++i) {
          const uint64_t m0 = w0[off + i], m1 = w1[off + i];
          const uint64_t want = one_three ? siphash13_2w(key, m0, m1) : siphash24_2w(key, m0, m1);
          ASSERT_EQ(out[off + i], want) << (one_three ? "1-3" : "2-4") << " n " << n << " i " << i
                                        << " offset " << off << " round " << round;
        }
        for (uint32_t i = 0; i < out.size(); ++i) {
          if (i < off || i >= off + n) {
            ASSERT_EQ(out[i], kSentinel) << "n " << n << " word " << i;
          }
        }
      }
    }
  }
}

// Inputs and output end exactly where an inaccessible page starts, for every n: a load
// or store past the last message faults. (ASan does not see masked vector accesses, so
// this is what shows that the tails stay inside the arrays.)
TEST_P(SipBatchVariant, TailStopsAtTheLastMessage) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  ASSERT_GE(page, 3 * kSipBatchMax * sizeof(uint64_t));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* base = static_cast<uint8_t*>(map);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  auto* end = reinterpret_cast<uint64_t*>(base + page);

  std::mt19937_64 rng(17);
  const SipKey key{rng(), rng()};
  for (uint32_t n = 0; n <= kSipBatchMax; ++n) {
    // Three arrays back to back, the last one (out) against the guard page; w1 against
    // out, w0 against w1. Each ends exactly at its n-th word.
    uint64_t* out = end - n;
    uint64_t* w1 = out - n;
    uint64_t* w0 = w1 - n;
    std::array<uint64_t, kSipBatchMax> m0{}, m1{};
    for (uint32_t i = 0; i < n; ++i) {
      w0[i] = m0[i] = rng();
      w1[i] = m1[i] = rng();
    }
    b().hash24(key, w0, w1, out, n);
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(out[i], siphash24_2w(key, m0[i], m1[i])) << n;
    b().hash13(key, w0, w1, out, n);
    for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(out[i], siphash13_2w(key, m0[i], m1[i])) << n;
    // A store below out lands in w1.
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(w0[i] == m0[i] && w1[i] == m1[i]) << n;
  }
  // Reached only when no access faulted.
  ASSERT_EQ(munmap(map, 2 * page), 0);
}

TEST_P(SipBatchVariant, InPlace) {
  std::mt19937_64 rng(29);
  const SipKey key{rng(), rng()};
  std::array<uint64_t, 37> w0, w1, a, b1;
  for (auto& w : w0) w = rng();
  for (auto& w : w1) w = rng();
  a = w0;
  b1 = w1;
  b().hash24(key, a.data(), w1.data(), a.data(), static_cast<uint32_t>(a.size()));
  b().hash13(key, w0.data(), b1.data(), b1.data(), static_cast<uint32_t>(b1.size()));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i], siphash24_2w(key, w0[i], w1[i])) << i;
    EXPECT_EQ(b1[i], siphash13_2w(key, w0[i], w1[i])) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, SipBatchVariant, ::testing::ValuesIn(kAllLanes),
                         [](const ::testing::TestParamInfo<SipLanes>& p) {
                           return std::string(sip_batch(p.param).name);
                         });

}  // namespace
}  // namespace synack::tcp
