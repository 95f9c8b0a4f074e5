// The fixed-length sums, folds and tests of wire/inet_checksum.h against the
// general sum and the RFC 1071 reference of tests/support, at the edges
// where end-around carries pile up (all-ones data and accumulators).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "support/ref_checksum.h"
#include "wire/inet_checksum.h"

namespace synack::wire {
namespace {

// A 64-bit sum folded the long way: 16-bit pieces added with carries until
// they fit (the reference for csum_fold; shares nothing with it).
uint16_t slow_fold(uint64_t v) {
  uint64_t s = (v & 0xffff) + (v >> 16 & 0xffff) + (v >> 32 & 0xffff) + (v >> 48);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Bytes that are mostly random, sometimes all ones (the carries' worst case).
void fill(std::mt19937_64& rng, uint8_t* p, size_t n, int i) {
  for (size_t k = 0; k < n; k++) p[k] = static_cast<uint8_t>(rng());
  if (i % 5 == 0) std::memset(p, 0xff, n);
  if (i % 11 == 0) std::memset(p, 0, n);
}

uint64_t edge_acc(std::mt19937_64& rng, int i) {
  switch (i % 4) {
    case 0:
      return 0;
    case 1:
      return ~uint64_t{0} - (rng() & 0xff);
    default:
      return rng();
  }
}

template <size_t N>
void fixed_length_sum_matches_general() {
  std::mt19937_64 rng(N);
  uint8_t buf[64 + 8];
  for (int i = 0; i < 20000; i++) {
    const size_t off = static_cast<size_t>(i) % 8;  // any alignment
    fill(rng, buf + off, N, i);
    const uint64_t acc = edge_acc(rng, i);
    ASSERT_EQ(csum_fold(csum_add_n<N>(buf + off, acc)), csum_fold(csum_add(buf + off, N, acc)))
        << "N=" << N << " i=" << i;
  }
}

TEST(Checksum, FixedLengthSumsMatchTheGeneralSum) {
  fixed_length_sum_matches_general<8>();
  fixed_length_sum_matches_general<12>();
  fixed_length_sum_matches_general<20>();
  fixed_length_sum_matches_general<28>();
  fixed_length_sum_matches_general<40>();
  fixed_length_sum_matches_general<48>();
  fixed_length_sum_matches_general<52>();
  fixed_length_sum_matches_general<60>();
}

TEST(Checksum, FixedLengthSumMatchesRfc1071) {
  // Byte order: csum_add_n sums native words, the reference big-endian ones;
  // folded, one is the byte swap of the other.
  std::mt19937_64 rng(3);
  uint8_t buf[40];
  for (int i = 0; i < 20000; i++) {
    fill(rng, buf, sizeof buf, i);
    EXPECT_EQ(__builtin_bswap16(csum_fold(csum_add_n<40>(buf))), testing::ref_sum(buf, sizeof buf));
  }
}

TEST(Checksum, FoldsMatchTheLongWay) {
  std::mt19937_64 rng(5);
  const uint64_t edges[] = {0,
                            1,
                            0xffff,
                            0x10000,
                            0xffffffff,
                            0x100000000,
                            0xffff0000ffff0000,
                            0x0000ffff0000ffff,
                            0xfffffffffffffffe,
                            ~uint64_t{0}};
  for (uint64_t v : edges) EXPECT_EQ(csum_fold(v), slow_fold(v)) << std::hex << v;
  for (int i = 0; i < 200000; i++) {
    const uint64_t v = rng() >> (rng() % 64);
    ASSERT_EQ(csum_fold(v), slow_fold(v)) << std::hex << v;
    const auto w = static_cast<uint32_t>(v);
    ASSERT_EQ(csum_fold32(w), slow_fold(w)) << std::hex << w;
  }
}

TEST(Checksum, VerifiesExactlyWhenTheFoldIsAllOnes) {
  std::mt19937_64 rng(7);
  EXPECT_FALSE(csum_verifies(0));  // folds to 0, not 0xffff
  EXPECT_TRUE(csum_verifies(0xffff));
  EXPECT_TRUE(csum_verifies(0xffffull * 0x10001));
  EXPECT_FALSE(csum_verifies(0xfffe));
  int verified = 0;
  for (int i = 0; i < 200000; i++) {
    // Multiples of 0xffff and their neighbours, and plain random sums.
    uint64_t v = i % 2 ? (rng() >> 17) * 0xffff + (rng() % 3) - 1 : rng();
    const bool want = slow_fold(v) == 0xffff;
    ASSERT_EQ(csum_verifies(v), want) << std::hex << v;
    if (v != 0) {
      ASSERT_EQ(csum_verifies_nonzero(v), want) << std::hex << v;
    }
    verified += want;
  }
  EXPECT_GT(verified, 10000);  // the multiples were reached
}

TEST(Checksum, AddedWordsMatchTheirBytes) {
  // csum_add_words(acc, a, b, c) is the sum of a, b and c stored as bytes.
  std::mt19937_64 rng(9);
  for (int i = 0; i < 100000; i++) {
    uint64_t w[3];
    for (auto& x : w) x = i % 7 == 0 ? ~uint64_t{0} : rng();
    const uint64_t acc = edge_acc(rng, i);
    uint8_t bytes[24];
    std::memcpy(bytes, w, sizeof bytes);
    ASSERT_EQ(csum_fold(csum_add_words(acc, w[0], w[1], w[2])),
              csum_fold(csum_add(bytes, sizeof bytes, acc)));
  }
}

}  // namespace
}  // namespace synack::wire
