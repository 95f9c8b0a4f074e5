// SipHash-2-4 against the official vectors of the paper's reference code
// (key 00..0f, message 00..n-1 for n = 0..63), SipHash-1-3 against the same
// reference code built with 1 and 3 rounds, and the word forms against the byte form.
#include "tcp/siphash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace synack::tcp {
namespace {

// vectors_sip64 from the SipHash reference implementation, as little-endian
// 64-bit integers; index n is the hash of the n bytes 00 01 .. n-1.
constexpr uint64_t kVectors[64] = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d,
    0xcf2794e0277187b7, 0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137,
    0x93f5f5799a932462, 0x9e0082df0ba9e4b0, 0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7,
    0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee, 0xa129ca6149be45e5,
    0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8,
    0xb8ad50c6f649af94, 0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad,
    0xde4daaaca71dc9a5, 0xa6a2506687956571, 0xad87a3535c49ef28, 0x32d892fad841c342,
    0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238, 0x15e034d40fa197ae,
    0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95,
    0xf935451de4f21df2, 0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb,
    0xe612a3cb9ecba951, 0xc766e62cfcadaf96, 0xee64435a9752fe72, 0xa192d576b245165a,
    0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea, 0x245731c13ca42499,
    0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

// Key bytes 00..0f read little-endian.
constexpr SipKey kPaperKey{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

TEST(SipHash, PaperVectors) {
  uint8_t msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n < 64; ++n) {
    EXPECT_EQ(siphash24(kPaperKey, msg, n), kVectors[n]) << "n = " << n;
  }
}

TEST(SipHash, PaperAppendixExample) {
  // The worked example of the paper's appendix A: 15 bytes.
  uint8_t msg[15];
  for (int i = 0; i < 15; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(siphash24(kPaperKey, msg, sizeof(msg)), 0xa129ca6149be45e5ull);
}

TEST(SipHash, ThreeWordsMatchesTheVector) {
  // 00..17 as three little-endian words is the 24-byte vector.
  EXPECT_EQ(
      siphash24_3w(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull, 0x1716151413121110ull),
      0xb8ad50c6f649af94ull);
  static_assert(siphash24_3w_inline(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull,
                                    0x1716151413121110ull) == 0xb8ad50c6f649af94ull);
}

TEST(SipHash, ThreeWordsMatchesBytesOnRandomInput) {
  std::mt19937_64 rng(6528);
  for (int i = 0; i < 10000; ++i) {
    const SipKey k{rng(), rng()};
    const uint64_t w[3] = {rng(), rng(), rng()};
    uint8_t bytes[24];
    for (int j = 0; j < 24; ++j) bytes[j] = static_cast<uint8_t>(w[j / 8] >> (8 * (j % 8)));
    const uint64_t ref = siphash24(k, bytes, sizeof(bytes));
    ASSERT_EQ(siphash24_3w(k, w[0], w[1], w[2]), ref) << i;
    ASSERT_EQ(siphash24_3w_inline(k, w[0], w[1], w[2]), ref) << i;
  }
}

TEST(SipHash, TwoWordsMatchTheVector) {
  // 00..0f as two little-endian words is the 16-byte vector.
  EXPECT_EQ(siphash24_2w(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull), kVectors[16]);
  static_assert(siphash24_2w(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull) ==
                0x3f2acc7f57c29bdbull);
}

// SipHash-1-3 outputs of the reference code (github.com/veorq/SipHash with
// cROUNDS=1, dROUNDS=3), key 00..0f, message 00..n-1, as the Swift standard
// library's and Go's sip13 test tables list them: no tail, a full word, a 7-byte
// tail, two full words.
TEST(SipHash13, ReferenceVectors) {
  uint8_t msg[16];
  for (int i = 0; i < 16; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ((siphash_bytes<1, 3>(kPaperKey, msg, 0)), 0xabac0158050fc4dcull);
  EXPECT_EQ((siphash_bytes<1, 3>(kPaperKey, msg, 8)), 0x369095118d299a8eull);
  EXPECT_EQ((siphash_bytes<1, 3>(kPaperKey, msg, 15)), 0xd320d86d2a519956ull);
  EXPECT_EQ((siphash_bytes<1, 3>(kPaperKey, msg, 16)), 0xcc4fdd1a7d908b66ull);
  EXPECT_EQ(siphash13_2w(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull),
            0xcc4fdd1a7d908b66ull);
  static_assert(siphash13_2w(kPaperKey, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull) ==
                0xcc4fdd1a7d908b66ull);
}

TEST(SipHash, GenericBytesAreTheTwoFourReference) {
  uint8_t msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n < 64; ++n) {
    EXPECT_EQ((siphash_bytes<2, 4>(kPaperKey, msg, n)), kVectors[n]) << "n = " << n;
  }
}

TEST(SipHash, TwoWordsMatchBytesOnRandomInput) {
  std::mt19937_64 rng(16);
  for (int i = 0; i < 10000; ++i) {
    const SipKey k{rng(), rng()};
    const uint64_t w[2] = {rng(), rng()};
    uint8_t bytes[16];
    for (int j = 0; j < 16; ++j) bytes[j] = static_cast<uint8_t>(w[j / 8] >> (8 * (j % 8)));
    ASSERT_EQ(siphash24_2w(k, w[0], w[1]), (siphash_bytes<2, 4>(k, bytes, sizeof(bytes)))) << i;
    ASSERT_EQ(siphash13_2w(k, w[0], w[1]), (siphash_bytes<1, 3>(k, bytes, sizeof(bytes)))) << i;
  }
}

TEST(SipHash, RoundCountsMatter) {
  // The 1-3 and 2-4 forms share the code; a wrong template argument would make them agree.
  uint8_t msg[16] = {};
  EXPECT_NE(siphash13_2w(kPaperKey, 0, 0), siphash24_2w(kPaperKey, 0, 0));
  EXPECT_NE((siphash_bytes<1, 3>(kPaperKey, msg, 16)), (siphash_bytes<2, 4>(kPaperKey, msg, 16)));
  EXPECT_NE((siphash_bytes<2, 3>(kPaperKey, msg, 16)), (siphash_bytes<2, 4>(kPaperKey, msg, 16)));
  EXPECT_NE((siphash_bytes<1, 4>(kPaperKey, msg, 16)), (siphash_bytes<2, 4>(kPaperKey, msg, 16)));
}

TEST(SipHash, KeyMatters) {
  const uint64_t a = siphash24_3w(kPaperKey, 1, 2, 3);
  EXPECT_NE(siphash24_3w(SipKey{kPaperKey.k0 ^ 1, kPaperKey.k1}, 1, 2, 3), a);
  EXPECT_NE(siphash24_3w(SipKey{kPaperKey.k0, kPaperKey.k1 ^ (1ull << 63)}, 1, 2, 3), a);
}

}  // namespace
}  // namespace synack::tcp
