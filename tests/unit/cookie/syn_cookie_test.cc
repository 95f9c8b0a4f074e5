// The SYN cookie codec as a pure function: round trips over every option
// combination and counter age, forgeries, tampering, other tuples, rotation,
// and the hash-free rejection of stale cookies.
#include "tcp/syn_cookie.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace synack::tcp {
namespace {

using Codec = SynCookieCodec;
using V = Codec::Verdict;

constexpr CookieSecret kSecretA{{0x1111111111111111ull, 0x2222222222222222ull}};
constexpr CookieSecret kSecretB{{0x5555555555555555ull, 0x6666666666666666ull}};
constexpr CookieSecret kSecretC{{0x9999999999999999ull, 0xaaaaaaaaaaaaaaaaull}};
constexpr CookieSecret kSecretD{{0x1212121212121212ull, 0x3434343434343434ull}};
constexpr CookieSecret kSecretE{{0x5656565656565656ull, 0x7878787878787878ull}};
constexpr FourTuple kTuple{0x0a000001, 0xc0a80001, 40000, 80};
constexpr uint32_t kLocal = kTuple.local_ip;
constexpr uint64_t kStep = uint64_t{1} << Codec::kCounterShiftS;  // seconds per count
constexpr uint64_t kNow = 1000 * kStep + 17;                      // count 1000
constexpr uint32_t kNowTs = 0x12345678;

// The client's final ACK for a cookie: SEG.SEQ = client ISN + 1, SEG.ACK = our
// ISN + 1, TSecr echoing our TSval when timestamps are on.
Segment ack_for(const Codec::Cookie& c, Seq client_isn, bool ts) {
  Segment s;
  s.seq = client_isn + 1;
  s.ack = c.isn + 1;
  s.flags = tcpflag::kAck;
  s.opts.has_timestamps = ts;
  if (ts) {
    s.opts.ts_val = 777;
    s.opts.ts_ecr = c.ts_val;
  }
  return s;
}

TcpOptions syn_options(int mss, int wscale, bool sack, bool ts) {
  TcpOptions o;
  if (mss >= 0) {
    o.has_mss = true;
    o.mss = static_cast<uint16_t>(mss);
  }
  if (wscale >= 0) {
    o.has_wscale = true;
    o.wscale = static_cast<uint8_t>(wscale);
  }
  o.sack_permitted = sack;
  if (ts) {
    o.has_timestamps = true;
    o.ts_val = 4242;
  }
  return o;
}

// The table an independent reading of syn_cookie.h gives.
constexpr uint16_t kTable[] = {88, 536, 1200, 1360, 1400, 1440, 1452, 1460};

// The MSS the cookie can carry for a peer MSS (-1 = no option, 0 = "no MSS"
// as Linux reads it: 536): the largest table entry not above it, never more
// than the peer asked for (except below the engine's floor of 88).
uint16_t expected_mss(int mss) {
  const int m = mss <= 0 ? 536 : mss;
  uint16_t best = kTable[0];
  for (uint16_t v : kTable)
    if (v <= m) best = v;
  return best;
}

TEST(SynCookie, MssTable) {
  EXPECT_EQ(Codec::mss_index(0), 0);
  EXPECT_EQ(Codec::mss_index(87), 0);
  EXPECT_EQ(Codec::mss_index(88), 0);
  EXPECT_EQ(Codec::mss_index(535), 0);
  EXPECT_EQ(Codec::mss_index(536), 1);
  EXPECT_EQ(Codec::mss_index(1199), 1);
  EXPECT_EQ(Codec::mss_index(1459), 6);
  EXPECT_EQ(Codec::mss_index(1460), 7);
  EXPECT_EQ(Codec::mss_index(9000), 7);
  EXPECT_EQ(Codec::mss_index(65535), 7);
  for (uint8_t i = 0; i < 8; ++i) {
    EXPECT_EQ(Codec::mss_value(i), kTable[i]);
    EXPECT_EQ(Codec::mss_index(kTable[i]), i);
    if (i > 0) {
      EXPECT_EQ(Codec::mss_index(static_cast<uint16_t>(kTable[i] - 1)), i - 1);
    }
  }
}

TEST(SynCookie, LifetimeIsAtMost120Seconds) {
  // A cookie is accepted for at most 120 s after its SYN-ACK (as Linux), and
  // for at least 96 s, wherever in its counter step it was made.
  const Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1460, 7, true, true);
  for (uint64_t made = kNow; made < kNow + 2 * kStep; made++) {
    const Codec::Cookie c = codec.encode(kTuple, Seq(11), o, made, kNowTs);
    const Segment ack = ack_for(c, Seq(11), true);
    CookieOptions out;
    uint64_t last_valid = made;
    for (uint64_t t = made; t < made + 200; t++)
      if (codec.validate(kTuple, ack, t, out) == V::kValid) last_valid = t;
    EXPECT_LE(last_valid - made, 120u) << made;
    EXPECT_GE(last_valid - made, 96u) << made;
    EXPECT_LT(last_valid - made, Codec::kLifetimeS);
  }
}

TEST(SynCookie, VerdictNames) {
  EXPECT_STREQ(verdict_name(V::kValid), "valid");
  EXPECT_STREQ(verdict_name(V::kBadHash), "bad_hash");
  EXPECT_STREQ(verdict_name(V::kTooOld), "too_old");
}

// Every MSS table value and values around them, wscale 0..14, 15 (clamped)
// and none, SACK, timestamps, validated at ages 0..kMaxAge (valid) and
// kMaxAge + 1 (too old), from the first and the last second of the count.
TEST(SynCookie, RoundTripEveryOptionCombinationAndAge) {
  const int mss_values[] = {-1,   0,    1,    87,   88,   100,  535,  536,
                            537,  1199, 1200, 1359, 1360, 1399, 1400, 1439,
                            1440, 1451, 1452, 1459, 1460, 1461, 9000, 65535};
  const Codec codec(kSecretA, kLocal, kNow);
  std::mt19937 rng(9293);
  int checked = 0;
  for (int mss : mss_values) {
    for (int ws = -1; ws <= 15; ++ws) {
      for (int sack = 0; sack < 2; ++sack) {
        {
          for (int ts = 0; ts < 2; ++ts) {
            const TcpOptions o = syn_options(mss, ws, sack != 0, ts != 0);
            const Seq client_isn(rng());
            const uint64_t enc_s = kNow - kNow % kStep + (rng() % 2 ? kStep - 1 : 0);
            const uint32_t now_ts = rng();
            const Codec::Cookie c = codec.encode(kTuple, client_isn, o, enc_s, now_ts);
            if (ts) {
              // Never ahead of our clock, at most 31 ticks behind.
              const int32_t behind = static_cast<int32_t>(now_ts - c.ts_val);
              ASSERT_GE(behind, 0);
              ASSERT_LT(behind, 32);
            }
            const Segment ack = ack_for(c, client_isn, ts != 0);
            for (uint32_t age = 0; age <= Codec::kMaxAge + 1; ++age) {
              for (uint64_t sec : {uint64_t{0}, kStep - 1}) {
                const uint64_t val_s = (enc_s / kStep + age) * kStep + sec;
                CookieOptions out;
                const V v = codec.validate(kTuple, ack, val_s, out);
                if (age > Codec::kMaxAge) {
                  ASSERT_EQ(v, V::kTooOld) << "age " << age;
                  continue;
                }
                ASSERT_EQ(v, V::kValid) << "mss " << mss << " ws " << ws << " age " << age;
                ASSERT_EQ(out.mss, expected_mss(mss));
                ASSERT_EQ(out.timestamps, ts != 0);
                if (ts) {
                  const uint8_t want_ws =
                      ws < 0 ? kNoWscale : static_cast<uint8_t>(ws > 14 ? 14 : ws);
                  ASSERT_EQ(out.wscale, want_ws) << ws;
                  ASSERT_EQ(out.sack_permitted, sack != 0);
                } else {  // without timestamps the options are given up
                  ASSERT_EQ(out.wscale, kNoWscale);
                  ASSERT_FALSE(out.sack_permitted);
                }
                ++checked;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 24 * 17 * 4 * (Codec::kMaxAge + 1) * 2);
}

TEST(SynCookie, TsValNeverAheadOfASmallClock) {
  const Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1460, -1, true, true);  // low bits 0x1f
  for (uint32_t now_ts : {0u, 5u, 30u, 31u, 32u, 33u, 63u, 64u, 65u, 0xffffffffu}) {
    const Codec::Cookie c = codec.encode(kTuple, Seq(1), o, kNow, now_ts);
    EXPECT_EQ(c.ts_val & 0x1f, 0x1fu);
    const int32_t behind = static_cast<int32_t>(now_ts - c.ts_val);
    EXPECT_GE(behind, 0) << now_ts;
    EXPECT_LT(behind, 32) << now_ts;
  }
}

// The cookie keeps 3 count bits, the MAC covers the counter.
// The burst's form of ts_val_of(): every option bit pattern, at clocks
// around each option-bit boundary, at the bottom of the clock and where it
// wraps.
TEST(SynCookie, TsValAtIsTsValOf) {
  int checked = 0;
  for (uint32_t base : {0u, 32u, 0x12345660u, 0xffffffc0u, 0xffffffe0u}) {
    for (uint32_t off = 0; off < 64; off++) {
      const uint32_t now_ts = base + off;
      const Codec::TsClock c = Codec::ts_clock(now_ts);
      for (uint32_t bits = 0; bits < 32; bits++) {
        ASSERT_EQ(Codec::ts_val_at(bits, c), Codec::ts_val_of(bits, now_ts))
            << "now " << now_ts << " bits " << bits;
        checked++;
      }
    }
  }
  EXPECT_EQ(checked, 5 * 64 * 32);
}

TEST(SynCookie, CounterWrapsAtEight) {
  const Codec codec(kSecretA, kLocal, 0);
  const TcpOptions o = syn_options(1440, 7, true, true);
  for (uint64_t count :
       {uint64_t{253}, uint64_t{254}, uint64_t{255}, uint64_t{511}, (uint64_t{1} << 40) - 1}) {
    const Codec::Cookie c = codec.encode(kTuple, Seq(99), o, count * kStep, kNowTs);
    const Segment ack = ack_for(c, Seq(99), true);
    CookieOptions out;
    for (uint64_t d = 0; d <= Codec::kMaxAge; ++d) {
      EXPECT_EQ(codec.validate(kTuple, ack, (count + d) * kStep, out), V::kValid)
          << count << "+" << d;
      EXPECT_EQ(out.mss, 1440);
      EXPECT_EQ(out.wscale, 7);
    }
    EXPECT_EQ(codec.validate(kTuple, ack, (count + Codec::kMaxAge + 1) * kStep, out), V::kTooOld);
    EXPECT_EQ(codec.validate(kTuple, ack, (count + 15) * kStep, out), V::kTooOld);
    EXPECT_EQ(codec.validate(kTuple, ack, (count + 255) * kStep, out), V::kTooOld);
    // 8k + 0..6 steps later the 3 count bits alias a fresh age, but the MAC
    // was over the counter: rejected as bad hash, not accepted.
    for (uint64_t later :
         {uint64_t{8}, uint64_t{9}, uint64_t{14}, uint64_t{256}, uint64_t{1} << 20})
      EXPECT_EQ(codec.validate(kTuple, ack, (count + later) * kStep, out), V::kBadHash) << later;
    // A cookie from the future (clock went back) is not valid either.
    if (count > 0) {
      EXPECT_NE(codec.validate(kTuple, ack, (count - 1) * kStep, out), V::kValid);
    }
  }
}

// Random ACKs (forgeries): about 1 in 8 is too old by its count bits, the
// rest fail the 26-bit MAC.
TEST(SynCookie, ForgedCookiesAreRejected) {
  const Codec codec(kSecretA, kLocal, kNow);
  std::mt19937_64 rng(4987);
  constexpr int kTries = 1'000'000;
  int bad = 0, old = 0, valid = 0;
  for (int i = 0; i < kTries; ++i) {
    const uint64_t r = rng();
    FourTuple t{static_cast<uint32_t>(r), 0xc0a80001, static_cast<uint16_t>(r >> 32), 80};
    Segment s;
    s.flags = tcpflag::kAck;
    s.seq = Seq(static_cast<uint32_t>(rng()));
    s.ack = Seq(static_cast<uint32_t>(rng()));
    CookieOptions out;
    switch (codec.validate(t, s, kNow, out)) {
      case V::kBadHash:
        ++bad;
        break;
      case V::kTooOld:
        ++old;
        break;
      case V::kValid:
        ++valid;
        break;
    }
  }
  // Chance per try: 7/8 * 2^-26 valid (expected 0.013 in 1e6).
  EXPECT_GE(bad + old, kTries - kTries / 10000) << "valid " << valid;
  EXPECT_LE(valid, 2);
  EXPECT_GT(bad, kTries / 2) << "too_old " << old;
}

TEST(SynCookie, FlippedAckBitsAreRejected) {
  const Codec codec(kSecretA, kLocal, kNow);
  std::mt19937 rng(1337);
  for (int mss : {88, 536, 1200, 1360, 1400, 1440, 1452, 1460}) {
    for (int trial = 0; trial < 50; ++trial) {
      const Seq client_isn(rng());
      const TcpOptions o = syn_options(mss, 7, true, true);
      const Codec::Cookie c = codec.encode(kTuple, client_isn, o, kNow, kNowTs);
      const Segment good = ack_for(c, client_isn, true);
      CookieOptions out;
      ASSERT_EQ(codec.validate(kTuple, good, kNow, out), V::kValid);
      for (int bit = 0; bit < 32; ++bit) {
        Segment s = good;
        s.ack = Seq(good.ack.raw() ^ (1u << bit));
        // The MAC covers the count and MSS bits too: nothing is malleable.
        EXPECT_NE(codec.validate(kTuple, s, kNow, out), V::kValid) << "bit " << bit;
      }
      // Every other value of the low 6 bits (count and MSS index) as well.
      for (uint32_t low = 0; low < 64; ++low) {
        Segment s = good;
        s.ack = Seq((((good.ack.raw() - 1) & ~0x3fu) | low) + 1);
        if (s.ack == good.ack) continue;
        EXPECT_NE(codec.validate(kTuple, s, kNow, out), V::kValid) << "low " << low;
      }
    }
  }
}

TEST(SynCookie, OtherTupleOrClientIsnIsBadHash) {
  const Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1460, 7, true, true);
  const Codec::Cookie c = codec.encode(kTuple, Seq(5000), o, kNow, kNowTs);
  const Segment ack = ack_for(c, Seq(5000), true);
  CookieOptions out;
  ASSERT_EQ(codec.validate(kTuple, ack, kNow, out), V::kValid);

  std::vector<FourTuple> others;
  for (int bit : {0, 7, 31}) {
    FourTuple t = kTuple;
    t.remote_ip ^= 1u << bit;
    others.push_back(t);
    t = kTuple;
    t.local_ip ^= 1u << bit;
    others.push_back(t);
  }
  for (int bit : {0, 15}) {
    FourTuple t = kTuple;
    t.remote_port ^= static_cast<uint16_t>(1u << bit);
    others.push_back(t);
    t = kTuple;
    t.local_port ^= static_cast<uint16_t>(1u << bit);
    others.push_back(t);
  }
  others.push_back({kTuple.local_ip, kTuple.remote_ip, kTuple.local_port, kTuple.remote_port});
  for (const FourTuple& t : others) EXPECT_EQ(codec.validate(t, ack, kNow, out), V::kBadHash);

  // Another client ISN: it is under the MAC, so every change is rejected.
  std::vector<uint32_t> deltas = {1, 2, 3, 4, 0x100, 0x10000, 0x1000000, 0xfffffffc, 0xffffffff};
  for (int bit = 0; bit < 32; ++bit) deltas.push_back(1u << bit);  // single-bit flips below
  std::mt19937 rng(6528);
  for (int i = 0; i < 1000; ++i) deltas.push_back(rng() | 1);
  for (size_t i = 0; i < deltas.size(); ++i) {
    Segment other_isn = ack;
    other_isn.seq = i >= 9 && i < 9 + 32 ? Seq(ack.seq.raw() ^ deltas[i]) : ack.seq + deltas[i];
    ASSERT_NE(other_isn.seq, ack.seq);
    EXPECT_EQ(codec.validate(kTuple, other_isn, kNow, out), V::kBadHash) << deltas[i];
  }
  // Another secret does not know the cookie.
  EXPECT_EQ(Codec(kSecretB, kLocal, kNow).validate(kTuple, ack, kNow, out), V::kBadHash);
}

// The age check reads only the 3 count bits: kTooOld exactly when they put
// the cookie 7 steps (mod 8) back, whatever the tuple, client ISN, MAC or
// secret (so it is decided without hashing), i.e. for ~1/8 of random ACKs.
TEST(SynCookie, GarbageAckTooOldWithoutHashing) {
  Codec codec(kSecretA, kLocal, kNow);
  codec.rotate(kSecretB, kNow);  // previous secret consulted too
  constexpr uint64_t kNowCount = kNow / kStep;
  std::mt19937_64 rng(793);
  constexpr int kTries = 200'000;
  int old = 0;
  for (int i = 0; i < kTries; ++i) {
    const uint64_t r = rng();
    const FourTuple t{static_cast<uint32_t>(r), static_cast<uint32_t>(r >> 32),
                      static_cast<uint16_t>(rng()), 80};
    Segment s;
    s.flags = tcpflag::kAck;
    s.seq = Seq(static_cast<uint32_t>(rng()));
    s.ack = Seq(static_cast<uint32_t>(rng()));
    CookieOptions out;
    const V v = codec.validate(t, s, kNow, out);
    const uint32_t age = static_cast<uint32_t>(kNowCount - (s.ack.raw() - 1)) & 7;
    ASSERT_EQ(v == V::kTooOld, age > Codec::kMaxAge) << "age " << age;
    old += v == V::kTooOld;
  }
  EXPECT_GT(old, kTries * 11 / 100);
  EXPECT_LT(old, kTries * 14 / 100);
}

TEST(SynCookie, RotationKeepsCookiesInFlight) {
  Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1360, 3, false, true);
  const Codec::Cookie c = codec.encode(kTuple, Seq(77), o, kNow, kNowTs);
  const Segment ack = ack_for(c, Seq(77), true);
  codec.rotate(kSecretB, kNow);
  CookieOptions out;
  EXPECT_EQ(codec.validate(kTuple, ack, kNow, out), V::kValid);
  EXPECT_EQ(out.mss, 1360);
  EXPECT_EQ(out.wscale, 3);
  for (uint64_t d = 1; d <= Codec::kMaxAge; ++d)
    EXPECT_EQ(codec.validate(kTuple, ack, kNow + d * kStep, out), V::kValid) << d;
  EXPECT_NE(codec.validate(kTuple, ack, kNow + (Codec::kMaxAge + 1) * kStep, out), V::kValid);
  // New cookies use the new secret only.
  const Codec::Cookie c2 = codec.encode(kTuple, Seq(77), o, kNow, kNowTs);
  EXPECT_EQ(Codec(kSecretB, kLocal, kNow).validate(kTuple, ack_for(c2, Seq(77), true), kNow, out),
            V::kValid);
}

TEST(SynCookie, PreviousSecretTooOldCookieIsTooOld) {
  // Made with A at count n, rotated to B at n + 2, checked at n + kMaxAge and
  // one step later: the previous secret authenticates it, then it is too old.
  Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1460, -1, false, false);
  const Codec::Cookie c = codec.encode(kTuple, Seq(1), o, kNow, kNowTs);
  const Segment ack = ack_for(c, Seq(1), false);
  codec.rotate(kSecretB, kNow + 2 * kStep);
  CookieOptions out;
  EXPECT_EQ(codec.validate(kTuple, ack, kNow + Codec::kMaxAge * kStep, out), V::kValid);
  EXPECT_EQ(codec.validate(kTuple, ack, kNow + (Codec::kMaxAge + 1) * kStep, out), V::kTooOld);
}

TEST(SynCookie, PreviousSecretNotUsedWhenRotatedLongAgo) {
  // A cookie under secret A at count n is fresh, but this codec dropped A as
  // "previous" more than kMaxAge steps ago: it must not be consulted.
  const Codec::Cookie c =
      Codec(kSecretA, kLocal, kNow)
          .encode(kTuple, Seq(9), syn_options(1460, 7, true, true), kNow, kNowTs);
  const Segment ack = ack_for(c, Seq(9), true);
  CookieOptions out;

  Codec stale(kSecretA, kLocal, kNow - 10 * kStep);
  stale.rotate(kSecretB, kNow - (Codec::kMaxAge + 1) * kStep);
  EXPECT_EQ(stale.validate(kTuple, ack, kNow, out), V::kBadHash);

  // A secret replaced before the cookie's counter cannot have made it.
  Codec before(kSecretA, kLocal, kNow - 10 * kStep);
  before.rotate(kSecretB, kNow - kStep);
  EXPECT_EQ(before.validate(kTuple, ack, kNow, out), V::kBadHash);

  Codec recent(kSecretA, kLocal, kNow);
  recent.rotate(kSecretB, kNow + kStep);
  EXPECT_EQ(recent.validate(kTuple, ack, kNow + kStep, out), V::kValid);
}

TEST(SynCookie, CookiesSurviveRotationsInsideTheirLifetime) {
  // kSecrets - 1 rotations inside one lifetime keep every cookie in flight;
  // one more would evict the oldest secret (the control plane refuses it).
  Codec codec(kSecretA, kLocal, kNow);
  const TcpOptions o = syn_options(1400, 5, true, true);
  const Codec::Cookie ca = codec.encode(kTuple, Seq(21), o, kNow, kNowTs);
  codec.rotate(kSecretB, kNow);
  const Codec::Cookie cb = codec.encode(kTuple, Seq(22), o, kNow, kNowTs);
  codec.rotate(kSecretC, kNow + 1);
  const Codec::Cookie cc = codec.encode(kTuple, Seq(23), o, kNow + 1, kNowTs);
  codec.rotate(kSecretD, kNow + 2);
  CookieOptions out;
  EXPECT_EQ(codec.validate(kTuple, ack_for(ca, Seq(21), true), kNow + 3, out), V::kValid);
  EXPECT_EQ(codec.validate(kTuple, ack_for(cb, Seq(22), true), kNow + 3, out), V::kValid);
  EXPECT_EQ(codec.validate(kTuple, ack_for(cc, Seq(23), true), kNow + 3, out), V::kValid);
  EXPECT_EQ(out.mss, 1400);
  codec.rotate(kSecretE, kNow + 4);
  EXPECT_EQ(codec.validate(kTuple, ack_for(ca, Seq(21), true), kNow + 4, out), V::kBadHash)
      << "the kSecrets-th rotation forgets the first secret";
  EXPECT_EQ(codec.validate(kTuple, ack_for(cb, Seq(22), true), kNow + 4, out), V::kValid);
}

TEST(SynCookie, SubkeyPerLocalAddress) {
  // The MAC key is derived for our address: a cookie for one local address is
  // no cookie for another, even with the same secret and tuple otherwise.
  const Codec a(kSecretA, kLocal, kNow);
  const Codec b(kSecretA, kLocal + 1, kNow);
  const Codec::Cookie c = a.encode(kTuple, Seq(5), syn_options(1460, 7, true, true), kNow, kNowTs);
  CookieOptions out;
  EXPECT_EQ(a.validate(kTuple, ack_for(c, Seq(5), true), kNow, out), V::kValid);
  EXPECT_EQ(b.validate(kTuple, ack_for(c, Seq(5), true), kNow, out), V::kBadHash);
}

TEST(SynCookie, WscaleFifteenInTsEcrMeansNone) {
  const Codec codec(kSecretA, kLocal, kNow);
  const Codec::Cookie c =
      codec.encode(kTuple, Seq(3), syn_options(1460, -1, false, true), kNow, kNowTs);
  EXPECT_EQ(c.ts_val & 0xf, 0xfu);
  CookieOptions out;
  ASSERT_EQ(codec.validate(kTuple, ack_for(c, Seq(3), true), kNow, out), V::kValid);
  EXPECT_EQ(out.wscale, kNoWscale);
  EXPECT_TRUE(out.timestamps);
}

}  // namespace
}  // namespace synack::tcp
