// Per-/32 and per-/24 SYN token buckets, driven by a fake TSC.
#include "flow/source_limiter.h"

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_memory.h>

#include <string>

namespace synack::flow {
namespace {

constexpr uint64_t kT0 = 1'000'000'000'000ull;  // arbitrary fake TSC start
constexpr tcp::SipKey kKey{0x0123456789abcdefull, 0x0fedcba987654321ull};

std::unique_ptr<SourceLimiter> make(const SourceLimiter::Config& cfg) {
  std::string err;
  auto l = SourceLimiter::create(cfg, kKey, SOCKET_ID_ANY, &err);
  EXPECT_NE(l, nullptr) << err;
  return l;
}

uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

TEST(SourceLimiter, ConfigValidation) {
  std::string err;
  SourceLimiter::Config cfg;
  cfg.entries = 0;
  EXPECT_EQ(SourceLimiter::create(cfg, kKey, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_NE(err.find("power of two"), std::string::npos) << err;
  cfg.entries = 1000;
  EXPECT_EQ(SourceLimiter::create(cfg, kKey, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_NE(err.find("power of two"), std::string::npos) << err;

  cfg = {};
  cfg.rate_per_source = 100;
  EXPECT_EQ(SourceLimiter::create(cfg, kKey, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_EQ(err, "--syn_burst_per_source must be >= 1 when --syn_rate_per_source is set");
  cfg = {};
  cfg.rate_per_prefix = 100;
  EXPECT_EQ(SourceLimiter::create(cfg, kKey, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_EQ(err, "--syn_burst_per_prefix must be >= 1 when --syn_rate_per_prefix is set");

  // A burst without a rate is fine (the level is off); so is no limit at all.
  cfg = {};
  cfg.burst_per_source = 5;
  auto off = make(cfg);
  ASSERT_NE(off, nullptr);
  EXPECT_FALSE(off->enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off->allow(ip(10, 0, 0, 1), kT0));

  cfg = {};
  cfg.rate_per_prefix = 1;
  cfg.burst_per_prefix = 1;
  cfg.entries = 1;
  auto on = make(cfg);
  ASSERT_NE(on, nullptr);
  EXPECT_TRUE(on->enabled());
}

TEST(SourceLimiter, BurstThenRefusalThenRefill) {
  const uint64_t hz = rte_get_tsc_hz();
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 10;
  cfg.burst_per_source = 5;
  cfg.entries = 1024;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  const uint32_t a = ip(192, 0, 2, 1);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l->allow(a, kT0)) << i;
  EXPECT_FALSE(l->allow(a, kT0));
  EXPECT_FALSE(l->allow(a, kT0 + hz / 10 - 1));  // not yet one token
  EXPECT_TRUE(l->allow(a, kT0 + hz / 10));       // one token after 1/rate s
  EXPECT_FALSE(l->allow(a, kT0 + hz / 10));
  // Another /32 has its own bucket (no /24 limit configured).
  EXPECT_TRUE(l->allow(ip(192, 0, 2, 2), kT0));
  // A long pause refills to the burst, not beyond.
  const uint64_t later = kT0 + 100 * hz;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l->allow(a, later)) << i;
  EXPECT_FALSE(l->allow(a, later));
}

TEST(SourceLimiter, SustainedRateOverFakeTime) {
  const uint64_t hz = rte_get_tsc_hz();
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 1000;
  cfg.burst_per_source = 10;
  cfg.entries = 64;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  // Offer 20000 SYNs/s for 2 s: burst + 2 s * rate get through.
  int allowed = 0;
  const uint64_t step = hz / 20000;
  for (uint64_t t = 0; t < 2 * hz; t += step) allowed += l->allow(ip(198, 51, 100, 7), kT0 + t);
  EXPECT_GE(allowed, 2000 + 10 - 2);
  EXPECT_LE(allowed, 2000 + 10 + 2);
}

TEST(SourceLimiter, PrefixLimitAcrossSourcesOfOneSlash24) {
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 1000;
  cfg.burst_per_source = 100;
  cfg.rate_per_prefix = 10;
  cfg.burst_per_prefix = 8;
  cfg.entries = 4096;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  for (uint8_t host = 1; host <= 8; ++host) EXPECT_TRUE(l->allow(ip(203, 0, 113, host), kT0));
  EXPECT_FALSE(l->allow(ip(203, 0, 113, 9), kT0));
  EXPECT_FALSE(l->allow(ip(203, 0, 113, 1), kT0));
  EXPECT_TRUE(l->allow(ip(203, 0, 114, 1), kT0));  // the next /24 is independent
  EXPECT_TRUE(l->allow(ip(203, 0, 112, 255), kT0));
}

TEST(SourceLimiter, RefusedSynTakesNoToken) {
  const uint64_t hz = rte_get_tsc_hz();
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 1;  // slow /32 refill
  cfg.burst_per_source = 2;
  cfg.rate_per_prefix = 1000;  // fast /24 refill, depth 1
  cfg.burst_per_prefix = 1;
  cfg.entries = 256;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  const uint32_t a = ip(10, 1, 2, 3);
  EXPECT_TRUE(l->allow(a, kT0));
  EXPECT_FALSE(l->allow(a, kT0));  // /24 empty: must not charge the /32
  EXPECT_FALSE(l->allow(a, kT0));
  EXPECT_TRUE(l->allow(a, kT0 + hz / 1000));       // the /32's second token is still there
  EXPECT_FALSE(l->allow(a, kT0 + 2 * hz / 1000));  // now the /32 is empty
}

TEST(SourceLimiter, CollidingSourceNeverRefillsABucket) {
  // One slot for everyone: a source that takes over a slot with debt takes
  // the debt too, so alternating sources cannot refill each other's bucket.
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 1;
  cfg.burst_per_source = 2;
  cfg.entries = 1;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  const uint32_t a = ip(10, 0, 0, 1), b = ip(10, 9, 9, 9);
  EXPECT_TRUE(l->allow(a, kT0));
  EXPECT_TRUE(l->allow(a, kT0));
  EXPECT_FALSE(l->allow(a, kT0));
  EXPECT_FALSE(l->allow(b, kT0)) << "b inherits a's empty bucket";
  EXPECT_FALSE(l->allow(a, kT0)) << "and a gets no refill back from b";
  for (int i = 0; i < 100; i++) EXPECT_FALSE(l->allow(i % 2 ? a : b, kT0));
  // Time refills the slot for whoever holds it, at the configured rate.
  const uint64_t hz = rte_get_tsc_hz();
  EXPECT_TRUE(l->allow(b, kT0 + hz));
  EXPECT_FALSE(l->allow(a, kT0 + hz));
  // A slot whose bucket is full again costs its next owner nothing.
  EXPECT_TRUE(l->allow(a, kT0 + 3 * hz));
  EXPECT_TRUE(l->allow(a, kT0 + 3 * hz));
  // Address 0 against a zeroed table: a full bucket like any other.
  auto z = make(cfg);
  EXPECT_TRUE(z->allow(0, kT0));
  EXPECT_TRUE(z->allow(0, kT0));
  EXPECT_FALSE(z->allow(0, kT0));
}

TEST(SourceLimiter, KeyedSlotsSpreadAnyChosenSources) {
  // Sources an attacker picks so that they would share one slot under an
  // index of the address's low bits (all 2^16 apart, for 2^16 slots) land in
  // slots of their own under the keyed hash: none is limited by another.
  SourceLimiter::Config cfg;
  cfg.rate_per_source = 1;
  cfg.burst_per_source = 1;
  cfg.entries = 65536;
  auto l = make(cfg);
  ASSERT_NE(l, nullptr);
  int refused = 0;
  for (uint32_t i = 0; i < 4096; i++) refused += !l->allow(ip(10, 0, 0, 7) + (i << 16), kT0);
  // Two choices in 2^16 slots: a source finds both taken with probability
  // about (n / 2^16)^2, under 0.4 % here, so a handful at most.
  EXPECT_LE(refused, 8) << "sources refused on their first SYN: they shared a slot";
}

}  // namespace
}  // namespace synack::flow
