// bench_timer: flow::TimerWheel (hierarchical, paced cascades) against the
// single-level 1024-slot wheel it replaced (LegacySingleLevelWheel below, kept
// here only as the baseline), in the same run, with the same workload.
//
//   build/bench/flow/bench_timer [--benchmark_filter=...]
//
// BM_Steady*: 10^6 timers shaped like a server's: 10% retransmission timers
// (RTO 200-1000 ms, restarted by 1000 ACKs per tick, re-armed on expiry), 40%
// TIME-WAIT (60 s, re-armed on expiry: the slot's next connection) and 50% idle
// timeouts (300 s, pushed out by 1000 segments per tick), first expiries spread
// over each duration. 10 s of 1-ms ticks warm up, then 120 s are measured:
// every advance() of one tick (cap 256, the engine's --max_timer_expiries) is
// timed alone, callbacks (which re-arm) included, the traffic's re-arms between
// ticks not. Counters: mean ns per tick and p50 / p99 / p99.9 / worst tick by
// the TSC; p99.9 and worst by thread CPU time (cpu_*: leaves out time the
// thread was descheduled, which on a shared machine is most of a worst TSC
// tick); expiries
// per tick; and the timers each wheel relinked besides expiries (cascade moves;
// for the legacy wheel, timers walked because they were a lap or more early),
// mean and worst.
// BM_Burst*: 10^6 timers armed in one tick for 60 s (a mass close into
// TIME-WAIT), run until all have fired at 256 per tick, same counters.
// BM_ArmCancel / BM_ReArm: one operation on a random id of a wheel holding 5 *
// 10^5 timers of the same mix. BM_Jump: one advance() over 2^32 + 5 or 2^40
// ticks with 10^6 timers armed, all of which fire.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include <time.h>

#include "flow/timer_wheel.h"

namespace synack::flow {
namespace {

// ---------------------------------------------------------------------------
// The legacy baseline: engine/flow/timer_wheel* before the hierarchical wheel
// (commit f6c5b90), unchanged but for the name, arm/cancel moved inline, and
// walked_, which counts timers examined but not yet due.
class LegacySingleLevelWheel {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  LegacySingleLevelWheel(uint32_t capacity, uint64_t now_tick, uint32_t slots = 1024)
      : nodes_(capacity), heads_(std::size_t{slots} + 1, kNone), now_(now_tick), mask_(slots - 1) {}
  void arm(uint32_t id, uint64_t expiry_tick) {
    if (expiry_tick <= now_) expiry_tick = now_ + 1;
    if (nodes_[id].slot != kNone) unlink(id);
    nodes_[id].expiry = expiry_tick;
    link(id, static_cast<uint32_t>(expiry_tick) & mask_);
  }
  void cancel(uint32_t id) {
    if (nodes_[id].slot != kNone) unlink(id);
  }
  uint64_t now() const { return now_; }
  uint32_t armed_count() const { return armed_; }
  uint64_t walked() const { return walked_; }

  template <class F>
  uint32_t advance(uint64_t now_tick, uint32_t max_expiries, F&& f) {
    if (now_tick <= now_) return 0;
    const uint32_t walk = mask_ + 1;
    const uint64_t start = now_;
    const uint64_t end = now_tick - start > walk ? start + walk : now_tick;
    uint32_t fired = 0;
    for (uint64_t tick = start + 1; tick <= end; tick++) {
      const uint32_t slot = static_cast<uint32_t>(tick) & mask_;
      if (heads_[slot] == kNone) continue;
      uint32_t head = heads_[slot];
      heads_[slot] = kNone;
      heads_[walk] = head;
      for (uint32_t i = head; i != kNone; i = nodes_[i].next) nodes_[i].slot = walk;
      now_ = tick;
      while (heads_[walk] != kNone) {
        if (fired == max_expiries) {
          while (heads_[walk] != kNone) {
            const uint32_t id = heads_[walk];
            unlink(id);
            link(id, slot);
          }
          now_ = tick - 1;
          return fired;
        }
        const uint32_t id = heads_[walk];
        unlink(id);
        if (nodes_[id].expiry <= now_tick) {
          fired++;
          f(id);
        } else {
          walked_++;
          link(id, slot);
        }
      }
    }
    now_ = now_tick;
    return fired;
  }

 private:
  struct Node {
    uint64_t expiry = 0;
    uint32_t prev = kNone;
    uint32_t next = kNone;
    uint32_t slot = kNone;
  };
  void link(uint32_t id, uint32_t slot) {
    Node& n = nodes_[id];
    uint32_t& head = heads_[slot];
    n.slot = slot;
    n.prev = kNone;
    n.next = head;
    if (head != kNone) nodes_[head].prev = id;
    head = id;
    armed_++;
  }
  void unlink(uint32_t id) {
    Node& n = nodes_[id];
    if (n.prev != kNone)
      nodes_[n.prev].next = n.next;
    else
      heads_[n.slot] = n.next;
    if (n.next != kNone) nodes_[n.next].prev = n.prev;
    n.prev = n.next = n.slot = kNone;
    armed_--;
  }
  std::vector<Node> nodes_;
  std::vector<uint32_t> heads_;
  uint64_t now_;
  uint32_t mask_;
  uint32_t armed_ = 0;
  uint64_t walked_ = 0;
};

// ---------------------------------------------------------------------------
// The two wheels behind one interface for the runs below.
uint64_t extra_work(const LegacySingleLevelWheel& w) {
  return w.walked();
}
uint64_t extra_work(const TimerWheel& w) {
  return w.cascades();
}

std::unique_ptr<LegacySingleLevelWheel> make_legacy(uint32_t capacity, uint64_t now) {
  return std::make_unique<LegacySingleLevelWheel>(capacity, now);
}
std::unique_ptr<TimerWheel> make_wheel(uint32_t capacity, uint64_t now, uint32_t slot_bits) {
  return std::make_unique<TimerWheel>(capacity, now, slot_bits);
}

// TSC ticks per ns, measured once against steady_clock.
double tsc_per_ns() {
  static const double v = [] {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const uint64_t c0 = __rdtsc();
    while (clock::now() - t0 < std::chrono::milliseconds(200)) {
    }
    const uint64_t c1 = __rdtsc();
    const double ns = std::chrono::duration<double, std::nano>(clock::now() - t0).count();
    return static_cast<double>(c1 - c0) / ns;
  }();
  return v;
}

// Cycles of an empty timed region, subtracted from each sample.
uint64_t tsc_overhead() {
  static const uint64_t v = [] {
    std::vector<uint64_t> s(10001);
    for (auto& x : s) {
      const uint64_t a = __rdtsc();
      const uint64_t b = __rdtsc();
      x = b - a;
    }
    std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
    return s[s.size() / 2];
  }();
  return v;
}

// ---------------------------------------------------------------------------
// The server-like mix.
constexpr uint32_t kTimers = 1'000'000;
constexpr uint32_t kCap = 256;  // engine default --max_timer_expiries
constexpr uint64_t kRtoMin = 200, kRtoSpan = 801, kTimeWait = 60'000, kIdle = 300'000;

enum class Kind { kRto, kTimeWait, kIdle };
Kind kind_of(uint32_t id) {
  const uint32_t r = id % 10;
  return r < 1 ? Kind::kRto : r < 5 ? Kind::kTimeWait : Kind::kIdle;
}
uint64_t duration(Kind k, std::mt19937_64& rng) {
  switch (k) {
    case Kind::kRto:
      return kRtoMin + rng() % kRtoSpan;
    case Kind::kTimeWait:
      return kTimeWait;
    case Kind::kIdle:
      break;
  }
  return kIdle;
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Nanoseconds of an empty thread_cpu_ns() pair, subtracted from each sample.
uint64_t cpu_clock_overhead() {
  static const uint64_t v = [] {
    std::vector<uint64_t> s(10001);
    for (auto& x : s) {
      const uint64_t a = thread_cpu_ns();
      x = thread_cpu_ns() - a;
    }
    std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
    return s[s.size() / 2];
  }();
  return v;
}

// Times one advance() per tick, by the TSC and by thread CPU time.
struct TickRecorder {
  std::vector<uint64_t> cycles;
  std::vector<uint64_t> cpu_ns;
  std::vector<uint64_t> work;
  uint64_t expiries = 0;

  template <class Wheel, class F>
  void tick(Wheel& w, uint64_t now, F&& f, bool keep) {
    const uint64_t work0 = extra_work(w);
    const uint64_t n0 = thread_cpu_ns();
    const uint64_t c0 = __rdtsc();
    const uint32_t fired = w.advance(now, kCap, f);
    const uint64_t c1 = __rdtsc();
    const uint64_t n1 = thread_cpu_ns();
    if (!keep) return;
    const uint64_t oc = tsc_overhead(), on = cpu_clock_overhead();
    cycles.push_back(c1 - c0 > oc ? c1 - c0 - oc : 0);
    cpu_ns.push_back(n1 - n0 > on ? n1 - n0 - on : 0);
    work.push_back(extra_work(w) - work0);
    expiries += fired;
  }

  void report(benchmark::State& state) const {
    const double per_ns = tsc_per_ns();
    std::vector<uint64_t> sorted = cycles;
    std::sort(sorted.begin(), sorted.end());
    auto pct = [&](double q) {
      return static_cast<double>(sorted[static_cast<size_t>(q * (sorted.size() - 1))]) / per_ns;
    };
    double sum = 0, work_sum = 0;
    for (uint64_t c : cycles) sum += static_cast<double>(c);
    for (uint64_t x : work) work_sum += static_cast<double>(x);
    const double n = static_cast<double>(cycles.size());
    state.counters["ticks"] = n;
    state.counters["ns/tick"] = sum / per_ns / n;
    state.counters["p99_ns"] = pct(0.99);
    state.counters["p999_ns"] = pct(0.999);
    state.counters["worst_ns"] = static_cast<double>(sorted.back()) / per_ns;
    std::vector<uint64_t> cpu_sorted = cpu_ns;
    std::sort(cpu_sorted.begin(), cpu_sorted.end());
    state.counters["p50_ns"] = pct(0.5);
    state.counters["cpu_p999_ns"] =
        static_cast<double>(cpu_sorted[static_cast<size_t>(0.999 * (cpu_sorted.size() - 1))]);
    state.counters["cpu_worst_ns"] =
        static_cast<double>(*std::max_element(cpu_ns.begin(), cpu_ns.end()));
    state.counters["exp/tick"] = static_cast<double>(expiries) / n;
    state.counters["moved/tick"] = work_sum / n;
    state.counters["worst_moved"] =
        static_cast<double>(*std::max_element(work.begin(), work.end()));
    state.SetIterationTime(sum / per_ns / 1e9);
  }
};

template <class Wheel>
void steady(benchmark::State& state, Wheel& w) {
  constexpr uint64_t kWarm = 10'000, kMeasured = 120'000;
  constexpr uint32_t kPushes = 1000, kRestarts = 1000;
  std::mt19937_64 rng(42);
  std::vector<uint32_t> idle, rto;
  for (uint32_t id = 0; id < kTimers; id++) {
    const Kind k = kind_of(id);
    if (k == Kind::kIdle) idle.push_back(id);
    if (k == Kind::kRto) rto.push_back(id);
    w.arm(id, w.now() + 1 + rng() % duration(k, rng));
  }
  TickRecorder rec;
  rec.cycles.reserve(kMeasured);
  rec.cpu_ns.reserve(kMeasured);
  rec.work.reserve(kMeasured);
  auto on_fire = [&](uint32_t id) { w.arm(id, w.now() + duration(kind_of(id), rng)); };
  uint64_t now = w.now();
  for (uint64_t tick = 0; tick < kWarm + kMeasured; tick++) {
    now++;
    for (uint32_t k = 0; k < kPushes; k++) w.arm(idle[rng() % idle.size()], now + kIdle);
    for (uint32_t k = 0; k < kRestarts; k++)
      w.arm(rto[rng() % rto.size()], now + kRtoMin + rng() % kRtoSpan);
    rec.tick(w, now, on_fire, tick >= kWarm);
  }
  rec.report(state);
}

template <class Wheel>
void burst(benchmark::State& state, Wheel& w) {
  for (uint32_t id = 0; id < kTimers; id++) w.arm(id, w.now() + kTimeWait);
  TickRecorder rec;
  uint64_t now = w.now();
  while (w.armed_count() > 0)
    rec.tick(
        w, ++now, [](uint32_t) {}, true);
  rec.report(state);
}

void BM_SteadyLegacy(benchmark::State& state) {
  for (auto _ : state) {
    auto w = make_legacy(kTimers, 1);
    steady(state, *w);
  }
}
void BM_Steady(benchmark::State& state) {
  for (auto _ : state) {
    auto w = make_wheel(kTimers, 1, static_cast<uint32_t>(state.range(0)));
    steady(state, *w);
  }
}
void BM_BurstLegacy(benchmark::State& state) {
  for (auto _ : state) {
    auto w = make_legacy(kTimers, 1);
    burst(state, *w);
  }
}
void BM_Burst(benchmark::State& state) {
  for (auto _ : state) {
    auto w = make_wheel(kTimers, 1, static_cast<uint32_t>(state.range(0)));
    burst(state, *w);
  }
}
BENCHMARK(BM_SteadyLegacy)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Steady)
    ->ArgName("slot_bits")
    ->Arg(8)
    ->Arg(10)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BurstLegacy)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Burst)
    ->ArgName("slot_bits")
    ->Arg(8)
    ->Arg(10)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Per-operation costs on a wheel holding half of 10^6 ids (the even ones) with
// the same mix: arm+cancel of a disarmed (odd) id, re-arm of an armed one.
template <class Wheel>
void fill_half(Wheel& w, std::mt19937_64& rng) {
  for (uint32_t id = 0; id < kTimers; id += 2)
    w.arm(id, w.now() + 1 + rng() % duration(kind_of(id), rng));
}

struct OpInputs {
  std::vector<uint32_t> ids;
  std::vector<uint64_t> delays;
  explicit OpInputs(uint32_t parity) {
    std::mt19937_64 rng(7 + parity);
    for (uint32_t i = 0; i < (1u << 16); i++) {
      const uint32_t id = static_cast<uint32_t>(rng() % (kTimers / 2)) * 2 + parity;
      ids.push_back(id);
      delays.push_back(duration(kind_of(id), rng));
    }
  }
};

template <class Wheel>
void arm_cancel(benchmark::State& state, Wheel& w) {
  std::mt19937_64 rng(3);
  fill_half(w, rng);
  const OpInputs in(1);
  size_t i = 0;
  for (auto _ : state) {
    w.arm(in.ids[i], w.now() + in.delays[i]);
    w.cancel(in.ids[i]);
    i = (i + 1) & 0xffff;
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Wheel>
void re_arm(benchmark::State& state, Wheel& w) {
  std::mt19937_64 rng(3);
  fill_half(w, rng);
  const OpInputs in(0);
  size_t i = 0;
  for (auto _ : state) {
    w.arm(in.ids[i], w.now() + in.delays[i]);
    i = (i + 1) & 0xffff;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ArmCancelLegacy(benchmark::State& state) {
  auto w = make_legacy(kTimers, 1);
  arm_cancel(state, *w);
}
void BM_ArmCancel(benchmark::State& state) {
  auto w = make_wheel(kTimers, 1, static_cast<uint32_t>(state.range(0)));
  arm_cancel(state, *w);
}
void BM_ReArmLegacy(benchmark::State& state) {
  auto w = make_legacy(kTimers, 1);
  re_arm(state, *w);
}
void BM_ReArm(benchmark::State& state) {
  auto w = make_wheel(kTimers, 1, static_cast<uint32_t>(state.range(0)));
  re_arm(state, *w);
}
BENCHMARK(BM_ArmCancelLegacy);
BENCHMARK(BM_ArmCancel)->ArgName("slot_bits")->Arg(8)->Arg(10);
BENCHMARK(BM_ReArmLegacy);
BENCHMARK(BM_ReArm)->ArgName("slot_bits")->Arg(8)->Arg(10);

// ---------------------------------------------------------------------------
// One advance() over a huge jump with 10^6 timers armed: all of them fire.
template <class Make>
void jump(benchmark::State& state, Make make) {
  const uint64_t span = state.range(0) == 32 ? (uint64_t{1} << 32) + 5 : uint64_t{1} << 40;
  uint64_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto w = make();
    std::mt19937_64 rng(5);
    for (uint32_t id = 0; id < kTimers; id++)
      w->arm(id, w->now() + 1 + rng() % duration(kind_of(id), rng));
    state.ResumeTiming();
    fired += w->advance(w->now() + span, UINT32_MAX, [](uint32_t) {});
    state.PauseTiming();
    w.reset();
    state.ResumeTiming();
  }
  state.counters["ns/timer"] = benchmark::Counter(
      static_cast<double>(fired), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_JumpLegacy(benchmark::State& state) {
  jump(state, [] { return make_legacy(kTimers, 1); });
}
void BM_Jump(benchmark::State& state) {
  jump(state, [] { return make_wheel(kTimers, 1, TimerWheel::kDefaultSlotBits); });
}
BENCHMARK(BM_JumpLegacy)
    ->ArgName("log2jump")
    ->Arg(32)
    ->Arg(40)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Jump)
    ->ArgName("log2jump")
    ->Arg(32)
    ->Arg(40)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

// An empty wheel catching up 1000 ticks (e.g. after a stall).
template <class Wheel>
void empty_catch_up(benchmark::State& state, Wheel& w) {
  uint64_t now = w.now();
  for (auto _ : state) {
    now += 1000;
    benchmark::DoNotOptimize(w.advance(now, 64, [](uint32_t) {}));
  }
}
void BM_EmptyCatchUp1000Legacy(benchmark::State& state) {
  auto w = make_legacy(1, 0);
  empty_catch_up(state, *w);
}
void BM_EmptyCatchUp1000(benchmark::State& state) {
  auto w = make_wheel(1, 0, TimerWheel::kDefaultSlotBits);
  empty_catch_up(state, *w);
}
BENCHMARK(BM_EmptyCatchUp1000Legacy);
BENCHMARK(BM_EmptyCatchUp1000);

}  // namespace
}  // namespace synack::flow

BENCHMARK_MAIN();
