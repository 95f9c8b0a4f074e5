// Sequence arithmetic modulo 2^32 (RFC 9293 3.4).
#include <gtest/gtest.h>

#include "tcp/seq.h"

namespace synack::tcp {
namespace {

TEST(Seq, WrapAround) {
  const Seq hi(0xFFFFFFF0u);
  const Seq lo = hi + 0x20;  // wrapped past zero
  EXPECT_EQ(lo.raw(), 0x10u);
  EXPECT_LT(hi, lo);
  EXPECT_GT(lo, hi);
  EXPECT_LE(hi, hi);
  EXPECT_EQ(lo - hi, 0x20);
  EXPECT_EQ(hi - lo, -0x20);
  EXPECT_EQ(lo - 0x20u, hi);
  EXPECT_TRUE(in_window(Seq(2), hi, lo));
  EXPECT_TRUE(in_window(Seq(0xFFFFFFFFu), hi, lo));
  EXPECT_FALSE(in_window(lo, hi, lo));
  EXPECT_FALSE(in_window(Seq(0xFFFFFF00u), hi, lo));
}

TEST(Seq, HalfSpaceBoundary) {
  const Seq a(0);
  EXPECT_LT(a, a + 0x7FFFFFFFu);
  EXPECT_GT(a, a + 0x80000001u);  // more than 2^31 ahead reads as behind
}

}  // namespace
}  // namespace synack::tcp
