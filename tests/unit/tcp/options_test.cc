// Option parsing/writing: round trips, malformed lists, byte-exact layouts.
#include <gtest/gtest.h>

#include "support/tcp_options.h"

#include <random>
#include <vector>

#include <array>
#include <vector>

#include "tcp/options.h"

namespace synack::tcp {
namespace {

std::vector<uint8_t> write(const TcpOptions& o) {
  std::array<uint8_t, kMaxOptionBytes> buf{};
  const size_t n = write_options(buf.data(), o);
  EXPECT_EQ(n, options_length(o));
  EXPECT_EQ(n % 4, 0u);
  EXPECT_LE(n, kMaxOptionBytes);
  return {buf.begin(), buf.begin() + static_cast<long>(n)};
}

bool parse(const std::vector<uint8_t>& b, TcpOptions& o) {
  return parse_options(b.data(), b.size(), o);
}

TcpOptions all_options() {
  return synack::testing::linux_syn_options(0x01020304, 0xA0B0C0D0);
}

TEST(Options, LinuxLayoutAllOptions) {
  const std::vector<uint8_t> want = {2, 4, 0x05, 0xB4,                          // MSS 1460
                                     4, 2, 8,    10,                            // SACK_PERM, TS
                                     1, 2, 3,    4,    0xA0, 0xB0, 0xC0, 0xD0,  // TSval, TSecr
                                     1, 3, 3,    7};                            // NOP, WS 7
  EXPECT_EQ(write(all_options()), want);
}

TEST(Options, LinuxLayoutTimestampsWithoutSack) {
  TcpOptions o = all_options();
  o.sack_permitted = false;
  o.has_wscale = false;
  const std::vector<uint8_t> want = {2, 4, 0x05, 0xB4, 1,    1,    8,    10,
                                     1, 2, 3,    4,    0xA0, 0xB0, 0xC0, 0xD0};
  EXPECT_EQ(write(o), want);
}

TEST(Options, LinuxLayoutSackWithoutTimestamps) {
  TcpOptions o = all_options();
  o.has_timestamps = false;
  const std::vector<uint8_t> want = {2, 4, 0x05, 0xB4, 1, 1, 4, 2, 1, 3, 3, 7};
  EXPECT_EQ(write(o), want);
}

TEST(Options, OnlyFlaggedOptionsAreWritten) {
  TcpOptions o;
  EXPECT_TRUE(write(o).empty());
  o.mss = 1200;  // value without has_mss: not written
  EXPECT_TRUE(write(o).empty());
  o.has_mss = true;
  EXPECT_EQ(write(o), (std::vector<uint8_t>{2, 4, 0x04, 0xB0}));
  TcpOptions ts;
  ts.has_timestamps = true;
  ts.ts_val = 1;
  EXPECT_EQ(write(ts), (std::vector<uint8_t>{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0}));
}

TEST(Options, RoundTripEveryCombination) {
  for (int mask = 0; mask < 16; ++mask) {
    TcpOptions o = all_options();
    o.has_mss = mask & 1;
    o.has_wscale = mask & 2;
    o.sack_permitted = mask & 4;
    o.has_timestamps = mask & 8;
    if (!o.has_mss) o.mss = 0;
    if (!o.has_wscale) o.wscale = 0;
    if (!o.has_timestamps) o.ts_val = o.ts_ecr = 0;
    TcpOptions back;
    ASSERT_TRUE(parse(write(o), back)) << mask;
    EXPECT_EQ(back.has_mss, o.has_mss);
    EXPECT_EQ(back.mss, o.mss);
    EXPECT_EQ(back.has_wscale, o.has_wscale);
    EXPECT_EQ(back.wscale, o.wscale);
    EXPECT_EQ(back.sack_permitted, o.sack_permitted);
    EXPECT_EQ(back.has_timestamps, o.has_timestamps);
    EXPECT_EQ(back.ts_val, o.ts_val);
    EXPECT_EQ(back.ts_ecr, o.ts_ecr);
  }
}

TEST(Options, EmptyAndPadding) {
  TcpOptions o;
  EXPECT_TRUE(parse_options(nullptr, 0, o));
  EXPECT_FALSE(o.has_mss);
  EXPECT_TRUE(parse({1, 1, 1, 1}, o));
  // EOL ends the list: whatever follows is padding, even garbage.
  EXPECT_TRUE(parse({2, 4, 0x05, 0xB4, 0, 0xFF, 0x00, 0x07}, o));
  EXPECT_TRUE(o.has_mss);
  EXPECT_EQ(o.mss, 1460);
}

TEST(Options, UnknownOptionsAreSkipped) {
  TcpOptions o;
  // kind 30 (MPTCP) len 6, kind 254 len 2, then WS.
  ASSERT_TRUE(parse({30, 6, 1, 2, 3, 4, 254, 2, 3, 3, 9, 1}, o));
  EXPECT_TRUE(o.has_wscale);
  EXPECT_EQ(o.wscale, 9);  // as received; callers clamp
  EXPECT_FALSE(o.has_mss);
}

TEST(Options, ParseResetsOutput) {
  TcpOptions o = all_options();
  ASSERT_TRUE(parse({1}, o));
  EXPECT_FALSE(o.has_mss);
  EXPECT_FALSE(o.has_timestamps);
}

TEST(Options, Malformed) {
  TcpOptions o;
  EXPECT_FALSE(parse({30, 0}, o)) << "zero length";
  EXPECT_FALSE(parse({30, 1, 1, 1}, o)) << "length 1";
  EXPECT_FALSE(parse({30, 5, 1, 1}, o)) << "overrun";
  EXPECT_FALSE(parse({1, 1, 1, 30}, o)) << "kind without length";
  EXPECT_FALSE(parse({2, 3, 5, 1}, o)) << "MSS length 3";
  EXPECT_FALSE(parse({2, 6, 5, 0xB4, 0, 0}, o)) << "MSS length 6";
  EXPECT_FALSE(parse({3, 4, 7, 1}, o)) << "WS length 4";
  EXPECT_FALSE(parse({4, 3, 0, 1}, o)) << "SACK_PERM length 3";
  EXPECT_FALSE(parse({8, 8, 0, 0, 0, 0, 0, 0}, o)) << "TS length 8";
  EXPECT_FALSE(parse({2, 4, 5}, o)) << "MSS truncated";
  EXPECT_FALSE(parse({2, 255, 5, 0xB4}, o)) << "huge length";
}

// The fast path for Linux's layouts must agree with the generic walk, and any
// byte that breaks the layout must fall back to it (or be rejected by it).
TEST(Options, LinuxLayoutFastPathAgreesWithGenericWalk) {
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    uint16_t mss = static_cast<uint16_t>(rng());
    uint32_t tsv = static_cast<uint32_t>(rng()), tse = static_cast<uint32_t>(rng());
    uint8_t ws = static_cast<uint8_t>(rng());
    std::vector<uint8_t> syn = {2,
                                4,
                                static_cast<uint8_t>(mss >> 8),
                                static_cast<uint8_t>(mss),
                                4,
                                2,
                                8,
                                10,
                                static_cast<uint8_t>(tsv >> 24),
                                static_cast<uint8_t>(tsv >> 16),
                                static_cast<uint8_t>(tsv >> 8),
                                static_cast<uint8_t>(tsv),
                                static_cast<uint8_t>(tse >> 24),
                                static_cast<uint8_t>(tse >> 16),
                                static_cast<uint8_t>(tse >> 8),
                                static_cast<uint8_t>(tse),
                                1,
                                3,
                                3,
                                ws};
    TcpOptions o;
    ASSERT_TRUE(parse(syn, o));
    EXPECT_TRUE(o.has_mss && o.sack_permitted && o.has_timestamps && o.has_wscale);
    EXPECT_EQ(o.mss, mss);
    EXPECT_EQ(o.ts_val, tsv);
    EXPECT_EQ(o.ts_ecr, tse);
    EXPECT_EQ(o.wscale, ws);
    // One fixed byte changed: whatever the result, it is the generic walk's,
    // which sees e.g. a WS length of 4 as malformed.
    std::vector<uint8_t> bad = syn;
    static constexpr int kFixed[] = {0, 1, 4, 5, 6, 7, 16, 17, 18};
    int at = kFixed[rng() % 9];
    bad[static_cast<size_t>(at)] =
        static_cast<uint8_t>(bad[static_cast<size_t>(at)] + 1 + rng() % 200);
    TcpOptions g;
    bool ok = parse(bad, g);
    if (ok) {
      EXPECT_FALSE(g.has_mss && g.sack_permitted && g.has_timestamps && g.has_wscale &&
                   g.mss == mss && g.wscale == ws)
          << "byte " << at;
    }
    std::vector<uint8_t> data = {1,       1,       8,       10,      syn[8],  syn[9],
                                 syn[10], syn[11], syn[12], syn[13], syn[14], syn[15]};
    ASSERT_TRUE(parse(data, o));
    EXPECT_TRUE(o.has_timestamps && !o.has_mss && !o.sack_permitted && !o.has_wscale);
    EXPECT_EQ(o.ts_val, tsv);
    EXPECT_EQ(o.ts_ecr, tse);
  }
}

TEST(Options, WrittenSumMatchesTheBytes) {
  // write_options' checksum contribution must equal summing what it wrote.
  std::mt19937 rng(5);
  for (int i = 0; i < 5000; ++i) {
    TcpOptions o;
    o.has_mss = rng() & 1;
    o.mss = static_cast<uint16_t>(rng());
    o.has_wscale = rng() & 1;
    o.wscale = static_cast<uint8_t>(rng() % 15);
    o.sack_permitted = rng() & 1;
    o.has_timestamps = rng() & 1;
    o.ts_val = static_cast<uint32_t>(rng());
    o.ts_ecr = static_cast<uint32_t>(rng());
    uint8_t buf[kMaxOptionBytes];
    uint32_t sum = 0;
    size_t n = write_options(buf, o, &sum);
    uint32_t ref = 0;
    for (size_t k = 0; k < n; k += 2) ref += uint32_t{buf[k]} << 8 | buf[k + 1];
    auto fold = [](uint32_t v) {
      while (v >> 16) v = (v & 0xffff) + (v >> 16);
      return v;
    };
    EXPECT_EQ(fold(sum), fold(ref)) << i;
  }
}

TEST(Options, ExhaustiveTwoByteListsNeverOverrun) {
  // Every 3-byte list: parse must never read past the end (ASan catches it).
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : {0, 1, 2, 3, 4, 8, 255}) {
        const uint8_t buf[3] = {static_cast<uint8_t>(a), static_cast<uint8_t>(b),
                                static_cast<uint8_t>(c)};
        TcpOptions o;
        (void)parse_options(buf, sizeof buf, o);
      }
    }
  }
}

}  // namespace
}  // namespace synack::tcp
