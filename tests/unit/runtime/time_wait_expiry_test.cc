// TIME-WAIT expiry is not held to --max_timer_expiries: every entry due at a
// tick goes in that tick (up to the store's own, much larger bound), so an
// lcore that closes more connections per millisecond than the timer wheel's
// bound does not pile up TIME-WAIT entries (and, as a client, source pairs).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "support/worker_harness.h"

namespace synack::runtime {
namespace {

using testing::Client;
using testing::Decoded;
namespace flag = testing::flag;

TEST(TimeWaitExpiry, EveryEntryDueAtATickExpiresInIt) {
  testing::WorkerHarness h;
  std::string err;
  ASSERT_TRUE(h.open(&err)) << err;
  h.cfg.endpoint.time_wait_ms = 100;
  h.cfg.max_time_wait = 2048;
  h.cfg.max_timer_expiries = 16;  // the timer wheel's bound, far below what is due
  ASSERT_TRUE(h.start(CookieMode::kNever, &err)) << err;
  // 600 connections closed actively by the engine, all in test millisecond 1,
  // so all their TIME-WAITs end at 101.
  constexpr uint16_t kConns = 600;
  h.now = 1;
  for (uint16_t i = 0; i < kConns; i++) {
    Client cl(h, static_cast<uint16_t>(20000 + i));
    ASSERT_TRUE(cl.connect());
    std::vector<Decoded> r = cl.request();
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r[0].has(flag::kFin));
    ASSERT_EQ(cl.fin().size(), 1u);
  }
  ASSERT_EQ(h.worker().time_wait_in_use(), kConns);
  ASSERT_EQ(h.now, 1u);
  h.jump_to(100);
  EXPECT_EQ(h.worker().time_wait_in_use(), kConns) << "expired before 2*MSL";
  h.jump_to(101);  // one tick
  EXPECT_EQ(h.worker().time_wait_in_use(), 0u);
  EXPECT_EQ(h.counters().time_wait_expired.get(), kConns);
  h.expect_accounting();
  h.close();
}

}  // namespace
}  // namespace synack::runtime
