// RFC 6528 ISNs: a keyed per-tuple offset plus a 4-microsecond clock.
#include "tcp/isn.h"

#include <gtest/gtest.h>

namespace synack::tcp {
namespace {

constexpr SipKey kKey{0x0123456789abcdefull, 0xfedcba9876543210ull};
constexpr FourTuple kTuple{0x0a000001, 0xc0a80001, 40000, 80};

TEST(Isn, AdvancesWithTheFourMicrosecondClock) {
  const IsnGenerator g(kKey);
  const Seq base = g.next(kTuple, 1'000'000);
  EXPECT_EQ(g.next(kTuple, 1'000'000), base);  // deterministic
  EXPECT_EQ(g.next(kTuple, 1'000'003), base);  // same 4 us tick
  EXPECT_EQ(g.next(kTuple, 1'000'004) - base, 1);
  EXPECT_EQ(g.next(kTuple, 1'004'000) - base, 1000);
  // M wraps modulo 2^32 ticks (about 4.77 hours).
  EXPECT_EQ(g.next(kTuple, 1'000'000 + (uint64_t{1} << 34)), base);
}

TEST(Isn, DependsOnEveryTupleFieldAndTheKey) {
  const IsnGenerator g(kKey);
  const Seq base = g.next(kTuple, 42);
  FourTuple t = kTuple;
  t.remote_ip ^= 1;
  EXPECT_NE(g.next(t, 42), base);
  t = kTuple;
  t.local_ip ^= 0x80000000;
  EXPECT_NE(g.next(t, 42), base);
  t = kTuple;
  t.remote_port += 1;
  EXPECT_NE(g.next(t, 42), base);
  t = kTuple;
  t.local_port += 1;
  EXPECT_NE(g.next(t, 42), base);
  // Swapping the ends is another connection.
  t = FourTuple{kTuple.local_ip, kTuple.remote_ip, kTuple.local_port, kTuple.remote_port};
  EXPECT_NE(g.next(t, 42), base);
  EXPECT_NE(IsnGenerator(SipKey{kKey.k0, kKey.k1 + 1}).next(kTuple, 42), base);
}

TEST(Isn, ConsecutivePortsAreNotPredictable) {
  // RFC 6528's point: an off-path attacker cannot guess another tuple's ISN
  // from its own. Successive ports must not give successive offsets.
  const IsnGenerator g(kKey);
  FourTuple t = kTuple;
  int near = 0;
  for (int p = 0; p < 1000; ++p) {
    t.remote_port = static_cast<uint16_t>(30000 + p);
    const Seq a = g.next(t, 0);
    t.remote_port = static_cast<uint16_t>(30001 + p);
    const Seq b = g.next(t, 0);
    const int32_t d = b - a;
    if (d > -65536 && d < 65536) ++near;
  }
  EXPECT_LE(near, 2);
}

}  // namespace
}  // namespace synack::tcp
