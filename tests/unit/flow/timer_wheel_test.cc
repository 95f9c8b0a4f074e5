// TimerWheel: the API's promises case by case (caps, clamping, callbacks that
// arm and cancel), the cascade bounds (per timer, per call), the allocator hook,
// and a model-based run: random arm/re-arm/cancel/advance with random caps and
// jumps from 1 tick to 2^40, durations up to 2^33 ticks, clocks starting at 1,
// 2^32 - 100 and near 2^62, checked against a per-id expiry model at every
// callback.
#include "flow/timer_wheel.h"

#include <gtest/gtest.h>

#include <ostream>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace synack::flow {
namespace {

// Heap allocator that counts what it hands out, for "no allocation after
// construction" and "everything is given back".
struct CountingHeap {
  int allocs = 0;
  int frees = 0;
  size_t bytes = 0;
  void* last = nullptr;
  bool fail = false;

  Allocator allocator() {
    return Allocator{[](size_t n, void* ctx) -> void* {
                       auto* self = static_cast<CountingHeap*>(ctx);
                       if (self->fail) return nullptr;
                       self->allocs++;
                       self->bytes += n;
                       self->last = std::aligned_alloc(64, (n + 63) / 64 * 64);
                       return self->last;
                     },
                     [](void* p, void* ctx) {
                       auto* self = static_cast<CountingHeap*>(ctx);
                       EXPECT_EQ(p, self->last);
                       self->frees++;
                       std::free(p);
                     },
                     this};
  }
};

// The level a wheel at `pos` must put a timer due at `e` in, from the header's
// rule: the lowest L with (e >> bL) - (pos >> bL) < 2^(b+1).
uint32_t expected_level(uint64_t e, uint64_t pos, uint32_t b) {
  uint32_t level = 0;
  while ((e >> (b * level)) - (pos >> (b * level)) >= (uint64_t{2} << b)) level++;
  return level;
}

TEST(TimerWheel, FiresAtExpiryNotBefore) {
  TimerWheel w(8, 100);
  EXPECT_EQ(w.now(), 100u);
  w.arm(0, 105);
  w.arm(1, 100 + 1024 + 5);  // a level-1 timer: cascades before it fires
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
    w.arm((id + 1) % 10, 7 + 1024);  // and arm another for later
  };
  EXPECT_EQ(w.advance(7, 100, f), 1u);
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(w.armed_count(), 1u);
  EXPECT_EQ(w.advance(7 + 1023, 100, f), 0u);
  EXPECT_EQ(w.advance(7 + 1024, 100, f), 1u);
}

TEST(TimerWheel, JumpFiresEarliestFirst) {
  TimerWheel w(5, 1);
  w.arm(0, 60000);
  w.arm(1, 5);
  w.arm(2, 2'000'000'000ull);
  w.arm(3, (1ull << 32) + 5);
  w.arm(4, 1ull << 40);
  std::vector<uint32_t> fired;
  auto f = [&](uint32_t id) { fired.push_back(id); };
  EXPECT_EQ(w.advance(1'000'000'000ull, 10, f), 2u);
  EXPECT_EQ(fired, (std::vector<uint32_t>{1, 0}));
  EXPECT_EQ(w.now(), 1'000'000'000ull);
  // One tick short of 2^32 + 5, then the tick itself.
  EXPECT_EQ(w.advance((1ull << 32) + 4, 10, f), 1u);
  EXPECT_EQ(w.advance((1ull << 32) + 5, 10, f), 1u);
  EXPECT_EQ(fired, (std::vector<uint32_t>{1, 0, 2, 3}));
  EXPECT_EQ(w.advance((1ull << 40) - 1, 10, f), 0u);
  EXPECT_TRUE(w.armed(4));
  EXPECT_EQ(w.advance(1ull << 40, 10, f), 1u);
  EXPECT_EQ(w.armed_count(), 0u);
}

TEST(TimerWheel, CappedJumpResumesInExpiryOrder) {
  // 3000 timers over durations up to 2^33, one jump to 2^40 fired 7 at a time:
  // the concatenation of all calls must be sorted by expiry.
  for (uint32_t b : {5u, 10u}) {
    SCOPED_TRACE(b);
    constexpr uint32_t kN = 3000;
    TimerWheel w(kN, 1, b);
    std::mt19937_64 rng(b);
    std::vector<uint64_t> expiry(kN);
    for (uint32_t i = 0; i < kN; i++) {
      expiry[i] = 2 + (rng() & ((uint64_t{1} << (rng() % 34)) - 1));
      w.arm(i, expiry[i]);
    }
    std::vector<uint64_t> order;
    uint32_t calls = 0;
    while (w.armed_count() > 0 && calls < 2 * kN) {
      calls++;
      const uint32_t n = w.advance(1ull << 40, 7, [&](uint32_t id) {
        EXPECT_EQ(w.now(), expiry[id]);
        order.push_back(expiry[id]);
      });
      ASSERT_LE(n, 7u);
      if (w.armed_count() > 0) {
        ASSERT_EQ(n, 7u);
        ASSERT_LT(w.now(), 1ull << 40);
      }
    }
    EXPECT_EQ(order.size(), kN);
    EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
    EXPECT_EQ(w.now(), 1ull << 40);
  }
}

TEST(TimerWheel, TimerIsMovedAtMostItsLevelTimes) {
  // A lone timer per duration, reached by random jumps: it fires at the first
  // advance() at or past its tick, and is moved at most (its starting level)
  // times, which is at most levels - 1.
  std::mt19937_64 rng(7);
  for (uint32_t b : {5u, 8u, 10u, 12u}) {
    for (uint64_t start : {uint64_t{1}, (uint64_t{1} << 32) - 100, (uint64_t{1} << 62) - 777}) {
      for (uint64_t d : {uint64_t{1}, uint64_t{63}, uint64_t{64}, uint64_t{2049}, uint64_t{60000},
                         uint64_t{300000}, uint64_t{1} << 26, (uint64_t{1} << 32) + 1,
                         uint64_t{1} << 33, uint64_t{1} << 45}) {
        SCOPED_TRACE(testing::Message() << "b=" << b << " start=" << start << " d=" << d);
        TimerWheel w(1, start, b);
        const uint64_t e = start + d;
        w.arm(0, e);
        const uint32_t level = expected_level(e, start, b);
        ASSERT_LT(level, w.levels());
        uint64_t t = start;
        int fired = 0;
        while (!fired) {
          const uint64_t before = t;
          t += 1 + (rng() & ((uint64_t{1} << (rng() % 36)) - 1));
          if (rng() % 4 == 0 && e > before + 1) t = std::min(t, e - 1);  // land just short
          w.advance(t, 1, [&](uint32_t) {
            fired++;
            EXPECT_EQ(w.now(), e);
            EXPECT_GE(t, e);
            EXPECT_LT(before, e);
          });
        }
        EXPECT_EQ(fired, 1);
        EXPECT_LE(w.cascades(), level);
      }
    }
  }
}

TEST(TimerWheel, CascadesArePacedOverTheWindow) {
  // 20000 timers due over 700 ticks far ahead start at level 2 (b = 5). Tick by
  // tick, no call may move more than the header's bound, ceil(n0 / W) summed
  // over the two draining levels, where n0 is a slot's count (W_1 = 32,
  // W_2 = 1024 - 32); moving a level-2 slot at once would be ~10000 in one call.
  constexpr uint32_t kN = 20000, kB = 5;
  TimerWheel w(kN, 0, kB);
  std::vector<uint64_t> expiry(kN);
  std::vector<uint32_t> l1(1024), l2(64);
  for (uint32_t i = 0; i < kN; i++) {
    expiry[i] = 5000 + (i * 7919u) % 700;
    w.arm(i, expiry[i]);
    ASSERT_EQ(expected_level(expiry[i], 0, kB), 2u);
    l1[expiry[i] >> 5]++;
    l2[expiry[i] >> 10]++;
  }
  const uint64_t bound = (*std::max_element(l1.begin(), l1.end()) + 31) / 32 +
                         (*std::max_element(l2.begin(), l2.end()) + 991) / 992;
  uint64_t worst = 0, calls_moving = 0, fired = 0;
  for (uint64_t t = 1; t <= 6000; t++) {
    const uint64_t before = w.cascades();
    fired += w.advance(t, UINT32_MAX, [&](uint32_t id) { EXPECT_EQ(expiry[id], t); });
    const uint64_t moved = w.cascades() - before;
    worst = std::max(worst, moved);
    calls_moving += moved > 0;
  }
  EXPECT_EQ(fired, kN);
  EXPECT_LE(worst, bound);
  EXPECT_LT(bound, kN / 50);
  EXPECT_GT(calls_moving, 1000u);   // spread over the windows, not in a few calls
  EXPECT_GE(w.cascades(), kN);      // each left level 2 once...
  EXPECT_LE(w.cascades(), 2 * kN);  // ...and level 1 at most once
}

TEST(TimerWheel, AllocatorHook) {
  CountingHeap heap;
  std::string err;
  {
    auto w = TimerWheel::create(1000, 1, heap.allocator(), &err);
    ASSERT_TRUE(w) << err;
    EXPECT_EQ(heap.allocs, 1);
    EXPECT_EQ(heap.bytes, TimerWheel::memory_bytes(1000));
    std::mt19937_64 rng(1);
    uint64_t t = 1;
    for (int i = 0; i < 100000; i++) {
      w->arm(static_cast<uint32_t>(rng() % 1000), t + 1 + rng() % 400000);
      if (i % 3 == 0) w->cancel(static_cast<uint32_t>(rng() % 1000));
      if (i % 10 == 0) w->advance(t += rng() % 2000, 50, [](uint32_t) {});
    }
    EXPECT_EQ(heap.allocs, 1);  // nothing after construction
    EXPECT_EQ(heap.frees, 0);
  }
  EXPECT_EQ(heap.frees, 1);

  heap.fail = true;
  EXPECT_FALSE(TimerWheel::create(1000, 1, heap.allocator(), &err));
  EXPECT_NE(err.find("cannot allocate"), std::string::npos) << err;
  heap.fail = false;
  EXPECT_FALSE(TimerWheel::create(1000, 1, heap.allocator(), &err, 4));
  EXPECT_NE(err.find("slot_bits"), std::string::npos) << err;
  EXPECT_FALSE(TimerWheel::create(1u << 28, 1, heap.allocator(), &err));
  EXPECT_NE(err.find("too many"), std::string::npos) << err;
  EXPECT_EQ(heap.allocs, 1);  // the refusals asked for nothing
}

TEST(TimerWheel, SixteenBytesPerTimer) {
  for (uint32_t b : {5u, 8u, 12u})
    EXPECT_EQ(TimerWheel::memory_bytes(1u << 20, b) - TimerWheel::memory_bytes(0, b), 16u << 20);
}

// Model: expiry[id] (0 = disarmed) and the ordered set of armed (expiry, id).
// At every callback: the timer was armed, is the earliest armed one (earliest
// tick first), its tick is now() and at most the call's target. After each call:
// uncapped, nothing at or before the target is left; capped, nothing at or
// before now(). So every timer fires at the first advance() at or past its tick
// unless the cap defers it, never early, at most once per arming; a drain at
// the end shows none was lost.
struct RunConfig {
  uint32_t slot_bits;
  uint32_t capacity;
  uint64_t start;
  uint64_t seed;
  uint32_t steps;
};

void PrintTo(const RunConfig& c, std::ostream* os) {
  *os << "b=" << c.slot_bits << " capacity=" << c.capacity << " start=" << c.start
      << " seed=" << c.seed << " steps=" << c.steps;
}

void random_run(const RunConfig& c) {
  SCOPED_TRACE(testing::Message() << "b=" << c.slot_bits << " start=" << c.start
                                  << " seed=" << c.seed);
  std::mt19937_64 rng(c.seed);
  CountingHeap heap;
  std::string err;
  auto wp = TimerWheel::create(c.capacity, c.start, heap.allocator(), &err, c.slot_bits);
  ASSERT_TRUE(wp) << err;
  TimerWheel& w = *wp;
  const uint32_t b = c.slot_bits;
  // Levels a duration up to 2^33 can start at.
  const uint32_t top = expected_level(c.start + (uint64_t{1} << 33), c.start, b);
  std::vector<uint64_t> expiry(c.capacity, 0);
  std::vector<uint64_t> armed_in_call(c.capacity, 0);
  std::set<std::pair<uint64_t, uint32_t>> armed;
  uint64_t t = c.start, call = 0;
  uint64_t total_fired = 0, capped_calls = 0, huge_jumps = 0, boundary_jumps = 0;
  uint64_t same_call_fires = 0, max_level_seen = 0;

  auto model_arm = [&](uint32_t id, uint64_t e) {
    w.arm(id, e);
    if (expiry[id]) armed.erase({expiry[id], id});
    expiry[id] = std::max(e, w.now() + 1);
    armed.insert({expiry[id], id});
    armed_in_call[id] = call;
  };
  auto model_cancel = [&](uint32_t id) {
    w.cancel(id);
    if (expiry[id]) armed.erase({expiry[id], id});
    expiry[id] = 0;
  };
  auto random_expiry = [&](uint64_t now) -> uint64_t {
    const uint32_t level = static_cast<uint32_t>(rng() % (top + 1));
    switch (rng() % 10) {
      case 0:
        return now + 1;
      case 1:
        return now + 1 + rng() % 8;
      case 2:
        return now + 1 + rng() % 300;
      case 3: {  // around the reach of a level, relative to now
        const uint64_t reach = uint64_t{2} << (b * level + b);
        return now + reach - 3 + rng() % 7;
      }
      case 4: {  // around a slot boundary of a level, in absolute ticks
        const uint64_t width = uint64_t{1} << (b * level);
        const uint64_t k = 1 + rng() % 4;
        return ((now >> (b * level)) + k) * width - 2 + rng() % 5;
      }
      case 5:
        return now + (uint64_t{1} << 33);
      case 6:
        return now + 60000;
      default:  // log-uniform in [1, 2^33]
        return now + 1 + (rng() & ((uint64_t{1} << (rng() % 34)) - 1));
    }
  };
  auto random_target = [&](uint64_t now) -> uint64_t {
    switch (rng() % 12) {
      case 0:
        return now;
      case 1:
      case 2:
      case 3:
        return now + 1 + rng() % 4;
      case 4:
        return now + rng() % 100;
      case 5:
      case 6: {  // just before, at or after a slot boundary of some level
        boundary_jumps++;
        const uint32_t level = 1 + static_cast<uint32_t>(rng() % top);
        const uint64_t width = uint64_t{1} << (b * level);
        const uint64_t edge = ((now >> (b * level)) + 1) * width;
        return std::max(now, edge - 2 + rng() % 5);
      }
      case 7:
        return now + rng() % (1u << 20);
      case 8:
        if (rng() % 64 == 0) {
          huge_jumps++;
          return now + (rng() % 2 ? (uint64_t{1} << 32) + 5 : uint64_t{1} << 40);
        }
        return now + 1;
      default:
        return now + 1;
    }
  };

  for (uint32_t step = 0; step < c.steps; step++) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    const uint32_t id = static_cast<uint32_t>(rng() % c.capacity);
    if (r < 40) {
      // Sometimes in the past (clamped), usually ahead.
      const uint64_t e = rng() % 16 == 0 ? w.now() - rng() % 5 : random_expiry(w.now());
      max_level_seen = std::max<uint64_t>(max_level_seen, expected_level(e, w.now(), b));
      model_arm(id, e);
    } else if (r < 55) {
      model_cancel(id);
    } else {
      t = std::max(t, random_target(w.now()));
      call++;
      uint32_t cap;
      switch (rng() % 8) {
        case 0:
          cap = static_cast<uint32_t>(rng() % 9);  // 0 included
          break;
        case 1:
          cap = 64;
          break;
        default:
          cap = UINT32_MAX;
          break;
      }
      uint32_t calls = 0;
      auto f = [&](uint32_t fid) {
        calls++;
        ASSERT_NE(expiry[fid], 0u) << "fired while disarmed: " << fid;
        const uint64_t e = expiry[fid];
        ASSERT_LE(e, t) << "fired early: " << fid;
        ASSERT_EQ(e, w.now()) << fid;
        ASSERT_EQ(e, armed.begin()->first) << "an earlier timer is still armed";
        ASSERT_FALSE(w.armed(fid));
        armed.erase({e, fid});
        expiry[fid] = 0;
        total_fired++;
        if (armed_in_call[fid] == call) same_call_fires++;
        switch (rng() % 8) {
          case 0:
            model_arm(fid, random_expiry(w.now()));  // re-arm itself
            break;
          case 1:
            model_cancel(static_cast<uint32_t>(rng() % c.capacity));
            break;
          case 2:
            model_arm(static_cast<uint32_t>(rng() % c.capacity), random_expiry(w.now()));
            break;
          case 3:  // due later in this same call, if the target is ahead
            model_arm(static_cast<uint32_t>(rng() % c.capacity), w.now() + 1 + rng() % 3);
            break;
          default:
            break;
        }
      };
      const uint32_t fired = w.advance(t, cap, f);
      if (testing::Test::HasFatalFailure()) return;
      ASSERT_EQ(fired, calls);
      ASSERT_LE(fired, cap);
      if (fired < cap) {
        ASSERT_EQ(w.now(), t);
        ASSERT_TRUE(armed.empty() || armed.begin()->first > t)
            << "left due: id " << armed.begin()->second << " @" << armed.begin()->first;
      } else {
        capped_calls++;
        ASSERT_LE(w.now(), t);
        ASSERT_TRUE(armed.empty() || armed.begin()->first > w.now());
      }
    }
    ASSERT_EQ(w.armed_count(), armed.size());
    const uint32_t probe = static_cast<uint32_t>(rng() % c.capacity);
    ASSERT_EQ(w.armed(probe), expiry[probe] != 0);
  }
  // Drain: everything fires exactly once, in expiry order, by the latest expiry.
  if (!armed.empty()) {
    t = std::max(t, armed.rbegin()->first);
    const size_t left = armed.size();
    uint64_t last = 0;
    std::vector<uint8_t> seen(c.capacity, 0);
    const uint32_t n = w.advance(t, UINT32_MAX, [&](uint32_t fid) {
      ASSERT_NE(expiry[fid], 0u);
      ASSERT_EQ(expiry[fid], w.now());
      ASSERT_GE(expiry[fid], last);
      last = expiry[fid];
      ASSERT_FALSE(seen[fid]++);
    });
    EXPECT_EQ(n, left);
    EXPECT_EQ(w.armed_count(), 0u);
  }
  EXPECT_EQ(heap.allocs, 1);  // no allocation after construction
  // The run exercised what it claims to.
  EXPECT_GT(total_fired, c.steps / 10);
  EXPECT_GT(capped_calls, 100u);
  EXPECT_GT(huge_jumps, 5u);
  EXPECT_GT(boundary_jumps, 1000u);
  EXPECT_GT(same_call_fires, 100u);
  EXPECT_GT(w.cascades(), 1000u);
  EXPECT_GE(max_level_seen, top);
}

class TimerWheelModel : public testing::TestWithParam<RunConfig> {};

TEST_P(TimerWheelModel, MatchesModel) {
  random_run(GetParam());
}

constexpr uint64_t k2to32 = uint64_t{1} << 32;
constexpr uint64_t k2to62 = uint64_t{1} << 62;

// b = 5 crosses level boundaries most often; b = 10 is the default.
INSTANTIATE_TEST_SUITE_P(Clocks, TimerWheelModel,
                         testing::Values(RunConfig{5, 1024, 1, 1, 1'500'000},
                                         RunConfig{5, 1024, k2to32 - 100, 2, 1'500'000},
                                         RunConfig{5, 1024, k2to62 - 12345, 3, 1'500'000},
                                         RunConfig{10, 2048, 1, 4, 1'500'000},
                                         RunConfig{10, 2048, k2to32 - 100, 5, 1'500'000},
                                         RunConfig{10, 2048, k2to62 - 12345, 6, 1'500'000},
                                         RunConfig{8, 2048, k2to32 - 100, 7, 1'000'000},
                                         RunConfig{12, 256, k2to62 - 12345, 8, 500'000}));

}  // namespace
}  // namespace synack::flow
