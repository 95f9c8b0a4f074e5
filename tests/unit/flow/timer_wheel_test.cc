// TimerWheel against a per-id expiry model: random arm/re-arm/cancel/advance
// with random tick jumps, plus the callback re-entrancy and cap cases.
#include "flow/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace synack::flow {
namespace {

TEST(TimerWheel, FiresAtExpiryNotBefore) {
  TimerWheel w(8, 100);
  EXPECT_EQ(w.now(), 100u);
  w.arm(0, 105);
  w.arm(1, 100 + 1024 + 5);  // same slot, one lap later
  EXPECT_EQ(w.armed_count(), 2u);
  std::vector<uint32_t> fired;
  auto f = [&](uint32_t id) { fired.push_back(id); };
  EXPECT_EQ(w.advance(104, 100, f), 0u);
  EXPECT_EQ(w.now(), 104u);
  EXPECT_EQ(w.advance(105, 100, f), 1u);
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
  EXPECT_FALSE(w.armed(0));
  EXPECT_TRUE(w.armed(1));
  EXPECT_EQ(w.advance(100 + 1024 + 4, 100, f), 0u);
  EXPECT_EQ(w.advance(100 + 1024 + 5, 100, f), 1u);
  EXPECT_EQ(fired, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(w.armed_count(), 0u);
  // Going backwards or standing still is a no-op.
  EXPECT_EQ(w.advance(50, 100, f), 0u);
  EXPECT_EQ(w.now(), 100u + 1024 + 5);
}

TEST(TimerWheel, ArmClampsToNextTick) {
  TimerWheel w(4, 1000);
  w.arm(0, 10);  // in the past
  w.arm(1, 1000);
  int n = 0;
  EXPECT_EQ(w.advance(1001, 10, [&](uint32_t) { n++; }), 2u);
  EXPECT_EQ(n, 2);
}

TEST(TimerWheel, ReArmAndCancel) {
  TimerWheel w(4, 0);
  w.arm(0, 10);
  w.arm(0, 20);  // re-arm moves it
  w.arm(1, 10);
  w.cancel(1);
  w.cancel(1);  // idempotent
  w.cancel(2);  // never armed
  EXPECT_EQ(w.armed_count(), 1u);
  std::vector<uint32_t> fired;
  auto f = [&](uint32_t id) { fired.push_back(id); };
  EXPECT_EQ(w.advance(19, 10, f), 0u);
  EXPECT_EQ(w.advance(20, 10, f), 1u);
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
}

TEST(TimerWheel, LongJumpIsOneLap) {
  TimerWheel w(3, 0);
  w.arm(0, 60000);
  w.arm(1, 5);
  w.arm(2, 2'000'000'000ull);
  std::vector<uint32_t> fired;
  auto f = [&](uint32_t id) { fired.push_back(id); };
  EXPECT_EQ(w.advance(1'000'000'000ull, 10, f), 2u);  // would be 1e9 ticks tick by tick
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(w.now(), 1'000'000'000ull);
  EXPECT_TRUE(w.armed(2));
  EXPECT_EQ(w.advance(2'000'000'000ull, 10, f), 1u);
}

TEST(TimerWheel, CapLeavesRestForNextCall) {
  TimerWheel w(102, 0);
  for (uint32_t i = 0; i < 100; i++) w.arm(i, 10 + i % 3);  // ticks 10, 11, 12
  std::set<uint32_t> fired;
  auto f = [&](uint32_t id) { EXPECT_TRUE(fired.insert(id).second) << id; };
  EXPECT_EQ(w.advance(50, 30, f), 30u);
  EXPECT_LT(w.now(), 50u);
  // Earliest first: all 30 come from tick 10 (34 timers there).
  for (uint32_t id : fired) EXPECT_EQ(id % 3, 0u);
  EXPECT_EQ(w.armed_count(), 70u);
  // Armed while the wheel lags: must wait for its own tick.
  w.arm(100, 50);
  w.arm(101, 51);
  EXPECT_EQ(w.advance(50, 30, f), 30u);
  EXPECT_EQ(w.advance(50, 30, f), 30u);
  EXPECT_EQ(w.advance(50, 30, f), 11u);  // 10 left + id 100
  EXPECT_EQ(w.now(), 50u);
  EXPECT_EQ(fired.size(), 101u);
  EXPECT_EQ(w.armed_count(), 1u);
  EXPECT_TRUE(w.armed(101));
  EXPECT_EQ(w.advance(51, 30, f), 1u);
  EXPECT_EQ(fired.size(), 102u);
}

TEST(TimerWheel, ZeroCapFiresNothing) {
  TimerWheel w(2, 0);
  w.arm(0, 1);
  EXPECT_EQ(w.advance(10, 0, [](uint32_t) { ADD_FAILURE(); }), 0u);
  EXPECT_TRUE(w.armed(0));
  int n = 0;
  EXPECT_EQ(w.advance(10, 1, [&](uint32_t) { n++; }), 1u);
  EXPECT_EQ(n, 1);
}

TEST(TimerWheel, ReArmInsideCallback) {
  TimerWheel w(1, 0);
  w.arm(0, 5);
  std::vector<uint64_t> at;
  auto f = [&](uint32_t id) {
    EXPECT_FALSE(w.armed(id));  // disarmed before f runs
    at.push_back(w.now());
    if (at.size() < 4) w.arm(id, w.now() + 5);
  };
  for (uint64_t t = 1; t <= 100; t++) w.advance(t, 10, f);
  EXPECT_EQ(at, (std::vector<uint64_t>{5, 10, 15, 20}));
  // Re-arming into the past from a callback fires on the next tick, not this one,
  // so a callback cannot make advance() spin.
  TimerWheel w2(1, 0);
  w2.arm(0, 1);
  int n = 0;
  auto g = [&](uint32_t id) {
    n++;
    w2.arm(id, 0);
  };
  EXPECT_EQ(w2.advance(1, 1000, g), 1u);
  EXPECT_EQ(w2.advance(2, 1000, g), 1u);
  EXPECT_EQ(n, 2);
}

TEST(TimerWheel, CancelOtherInsideCallback) {
  // All due in the same tick (same list); whichever fires first cancels the rest.
  TimerWheel w(10, 0);
  for (uint32_t i = 0; i < 10; i++) w.arm(i, 7);
  std::vector<uint32_t> fired;
  auto f = [&](uint32_t id) {
    fired.push_back(id);
    for (uint32_t j = 0; j < 10; j++) w.cancel(j);
    w.arm((id + 1) % 10, 7 + 1024);  // and arm another into the same slot
  };
  EXPECT_EQ(w.advance(7, 100, f), 1u);
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(w.armed_count(), 1u);
  EXPECT_EQ(w.advance(7 + 1023, 100, f), 0u);
  EXPECT_EQ(w.advance(7 + 1024, 100, f), 1u);
}

// Model: expiry[id] (0 = disarmed). Checks: a timer fires only when armed and
// due, at most once per arming; an uncapped advance leaves nothing due; counts.
void random_run(uint32_t slots, uint32_t capacity, uint64_t seed, uint32_t steps) {
  SCOPED_TRACE(testing::Message() << "slots=" << slots << " seed=" << seed);
  std::mt19937_64 rng(seed);
  uint64_t t = 1'000'000;
  TimerWheel w(capacity, t);
  std::vector<uint64_t> expiry(capacity, 0);
  std::set<std::pair<uint64_t, uint32_t>> due;  // (expiry, id) of armed timers
  uint64_t total_fired = 0, capped_calls = 0, jumps = 0;

  auto model_arm = [&](uint32_t id, uint64_t e) {
    w.arm(id, e);
    if (expiry[id]) due.erase({expiry[id], id});
    expiry[id] = std::max(e, w.now() + 1);
    due.insert({expiry[id], id});
  };
  auto model_cancel = [&](uint32_t id) {
    w.cancel(id);
    if (expiry[id]) due.erase({expiry[id], id});
    expiry[id] = 0;
  };
  auto random_delay = [&]() -> uint64_t {
    switch (rng() % 8) {
      case 0:
        return 60000;  // a long (TIME_WAIT-like) timer, many laps
      case 1:
        return 1 + rng() % (4 * slots);
      case 2:
        return 1;
      default:
        return 1 + rng() % 300;
    }
  };

  for (uint32_t step = 0; step < steps; step++) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    const uint32_t id = static_cast<uint32_t>(rng() % capacity);
    if (r < 45) {
      // Sometimes in the past (clamped), usually ahead.
      uint64_t e = (rng() % 16 == 0) ? w.now() - std::min<uint64_t>(w.now(), rng() % 5)
                                     : w.now() + random_delay();
      model_arm(id, e);
    } else if (r < 60) {
      model_cancel(id);
    } else {
      uint64_t jump;
      switch (rng() % 10) {
        case 0:
          jump = slots + rng() % (10 * slots);
          jumps++;
          break;  // more than a lap
        case 1:
          jump = 0;
          break;
        case 2:
          jump = rng() % 100;
          break;
        default:
          jump = 1 + rng() % 4;
          break;
      }
      t += jump;
      const uint32_t cap = (rng() % 4 == 0) ? 1 + static_cast<uint32_t>(rng() % 8) : 1000000;
      uint32_t calls = 0;
      auto f = [&](uint32_t fid) {
        calls++;
        ASSERT_NE(expiry[fid], 0u) << "fired while disarmed: " << fid;
        ASSERT_LE(expiry[fid], t) << "fired early: " << fid;
        ASSERT_FALSE(w.armed(fid));
        due.erase({expiry[fid], fid});
        expiry[fid] = 0;
        total_fired++;
        switch (rng() % 6) {
          case 0:
            model_arm(fid, t + random_delay());
            break;  // re-arm itself
          case 1:
            model_cancel(static_cast<uint32_t>(rng() % capacity));
            break;
          case 2:
            model_arm(static_cast<uint32_t>(rng() % capacity), t + random_delay());
            break;
          default:
            break;
        }
      };
      const uint32_t fired = w.advance(t, cap, f);
      ASSERT_EQ(fired, calls);
      ASSERT_LE(fired, cap);
      if (fired < cap) {
        ASSERT_EQ(w.now(), t);
        ASSERT_TRUE(due.empty() || due.begin()->first > t)
            << "left due: id " << due.begin()->second << " @" << due.begin()->first;
      } else {
        capped_calls++;
        ASSERT_LE(w.now(), t);
      }
    }
    ASSERT_EQ(w.armed_count(), due.size());
    const uint32_t probe = static_cast<uint32_t>(rng() % capacity);
    ASSERT_EQ(w.armed(probe), expiry[probe] != 0);
  }
  // Drain: everything fires exactly once, by the latest expiry.
  if (!due.empty()) {
    t = std::max(t, due.rbegin()->first);
    std::vector<uint8_t> seen(capacity, 0);
    uint32_t n = w.advance(t, UINT32_MAX, [&](uint32_t fid) {
      ASSERT_NE(expiry[fid], 0u);
      ASSERT_FALSE(seen[fid]++);
    });
    EXPECT_EQ(n, due.size());
    EXPECT_EQ(w.armed_count(), 0u);
  }
  EXPECT_GT(total_fired, steps / 10);
  EXPECT_GT(capped_calls, 100u);
  EXPECT_GT(jumps, 100u);
}

TEST(TimerWheel, MatchesModel1024Slots) {
  random_run(1024, 2048, 1, 2'000'000);
}
TEST(TimerWheel, MatchesModel64Slots) {
  random_run(64, 512, 2, 2'000'000);
}
TEST(TimerWheel, MatchesModel1Slot) {
  random_run(1, 64, 3, 100'000);
}

}  // namespace
}  // namespace synack::flow
