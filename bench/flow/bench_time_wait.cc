// bench_time_wait: per-operation cost of the per-lcore TimeWaitStore, full to
// capacity (2^16 and 2^20 entries), keys visited in random order. The hasher
// is CRC32-C over the 12-byte key (what the flow table's rte_hash uses); the
// store calls it once per removal (expiry, recycling, erase), so a dearer keyed
// hash adds its cost there. Lookups take precomputed signatures, as the worker
// computes one per packet for the flow table and this store.
//
//   build/bench/flow/bench_time_wait [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <rte_hash_crc.h>
#include <rte_memory.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "flow/time_wait_store.h"
#include "support/eal.h"

namespace synack::flow {
namespace {

using tcp::FourTuple;

FourTuple key_for(uint32_t i) {
  FourTuple k;
  k.remote_ip = i * 2654435761u;  // a bijection on uint32: distinct keys
  k.local_ip = 0xc0a80001u;
  k.remote_port = static_cast<uint16_t>(i ^ (i >> 16));
  k.local_port = 443;
  return k;
}

uint32_t crc_hash(const FourTuple& k, const void*) {
  uint64_t lo;
  uint32_t hi;
  std::memcpy(&lo, &k, sizeof(lo));
  std::memcpy(&hi, reinterpret_cast<const uint8_t*>(&k) + sizeof(lo), sizeof(hi));
  return rte_hash_crc_4byte(hi, rte_hash_crc_8byte(lo, 0x5eed));
}
const KeyHasher kCrc{crc_hash, nullptr};

TimeWaitState state_for(uint32_t i) {
  TimeWaitState st;
  st.snd_nxt = tcp::Seq(i);
  st.rcv_nxt = tcp::Seq(~i);
  st.ts_recent = i * 7;
  st.timestamps = true;
  st.rcv_wscale = 7;
  return st;
}

// Keys 0..2n-1 and their signatures; the store holds keys [0, n) with
// deadlines 1..n, oldest first.
struct Fixture {
  std::unique_ptr<TimeWaitStore> store;
  std::vector<FourTuple> keys;
  std::vector<uint32_t> sigs;
  std::vector<uint32_t> hit;   // indices of present keys, random order
  std::vector<uint32_t> miss;  // indices of absent keys, random order
  // The same, as keys and signatures in that order, so that the lookup loops
  // read their inputs sequentially.
  std::vector<FourTuple> hit_keys, miss_keys;
  std::vector<uint32_t> hit_sigs, miss_sigs;
};

std::unique_ptr<Fixture> make_fixture(uint32_t n) {
  auto f = std::make_unique<Fixture>();
  std::string err;
  f->store = TimeWaitStore::create(n, SOCKET_ID_ANY, kCrc, &err);
  if (!f->store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    std::abort();
  }
  for (uint32_t i = 0; i < 2 * n; i++) {
    f->keys.push_back(key_for(i));
    f->sigs.push_back(crc_hash(f->keys.back(), nullptr));
  }
  for (uint32_t i = 0; i < n; i++) {
    if (f->store->insert(f->keys[i], f->sigs[i], state_for(i), i + 1).recycled) std::abort();
    f->hit.push_back(i);
    f->miss.push_back(n + i);
  }
  std::mt19937_64 rng(n);
  std::shuffle(f->hit.begin(), f->hit.end(), rng);
  std::shuffle(f->miss.begin(), f->miss.end(), rng);
  for (uint32_t i : f->hit) {
    f->hit_keys.push_back(f->keys[i]);
    f->hit_sigs.push_back(f->sigs[i]);
  }
  for (uint32_t i : f->miss) {
    f->miss_keys.push_back(f->keys[i]);
    f->miss_sigs.push_back(f->sigs[i]);
  }
  return f;
}

// A full store whose contents the lookup benchmarks share (not modified).
Fixture& shared_fixture(uint32_t n) {
  static std::map<uint32_t, std::unique_ptr<Fixture>> all;
  auto& f = all[n];
  if (!f) f = make_fixture(n);
  return *f;
}

void set_memory_counters(benchmark::State& state, const TimeWaitStore& s) {
  state.counters["B/entry"] = s.bytes_per_entry();
  state.counters["index_B/entry"] = s.index_bytes_per_entry();
}

void per_item(benchmark::State& state, uint64_t items, const char* name) {
  state.counters[name] = benchmark::Counter(
      static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void find_one(benchmark::State& state, bool hit) {
  Fixture& f = shared_fixture(static_cast<uint32_t>(state.range(0)));
  const std::vector<FourTuple>& keys = hit ? f.hit_keys : f.miss_keys;
  const std::vector<uint32_t>& sigs = hit ? f.hit_sigs : f.miss_sigs;
  size_t pos = 0;
  int64_t found = 0;
  for (auto _ : state) {
    found += f.store->find(keys[pos], sigs[pos]) != TimeWaitStore::kNone;
    pos = pos + 1 == keys.size() ? 0 : pos + 1;
  }
  if (found != (hit ? state.iterations() : 0)) state.SkipWithError("wrong lookup result");
  set_memory_counters(state, *f.store);
  per_item(state, state.iterations(), "ns/op");
}
void BM_TwFindHit(benchmark::State& s) {
  find_one(s, true);
}
void BM_TwFindMiss(benchmark::State& s) {
  find_one(s, false);
}
BENCHMARK(BM_TwFindHit)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_TwFindMiss)->Arg(1 << 16)->Arg(1 << 20);

// find_bulk over bursts of 32, as the worker would after its flow-table lookup.
void find_bulk(benchmark::State& state, bool hit) {
  constexpr uint32_t kBurst = 32;
  Fixture& f = shared_fixture(static_cast<uint32_t>(state.range(0)));
  const std::vector<FourTuple>& keys = hit ? f.hit_keys : f.miss_keys;
  const std::vector<uint32_t>& sigs = hit ? f.hit_sigs : f.miss_sigs;
  const size_t n = keys.size() / kBurst * kBurst;
  const FourTuple* ptrs[kBurst];
  uint32_t handles[kBurst];
  size_t pos = 0;
  int64_t found = 0;
  for (auto _ : state) {
    for (uint32_t k = 0; k < kBurst; k++) ptrs[k] = &keys[pos + k];
    f.store->find_bulk(ptrs, &sigs[pos], kBurst, handles);
    pos = pos + kBurst == n ? 0 : pos + kBurst;
    for (uint32_t k = 0; k < kBurst; k++) found += handles[k] != TimeWaitStore::kNone;
  }
  if (found != (hit ? state.iterations() * kBurst : 0)) state.SkipWithError("wrong lookup result");
  set_memory_counters(state, *f.store);
  per_item(state, state.iterations() * kBurst, "ns/op");
}
void BM_TwFindBulk32Hit(benchmark::State& s) {
  find_bulk(s, true);
}
void BM_TwFindBulk32Miss(benchmark::State& s) {
  find_bulk(s, false);
}
BENCHMARK(BM_TwFindBulk32Hit)->Arg(1 << 16)->Arg(1 << 20);
BENCHMARK(BM_TwFindBulk32Miss)->Arg(1 << 16)->Arg(1 << 20);

// Steady state of a busy lcore: each iteration the clock moves range(1) ms,
// the range(1) entries due expire (one call) and as many new TIME-WAITs enter,
// all with the same length (n ms), the store staying full. ns per entry
// (its insert + its expiry).
void BM_TwInsertExpire(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  const uint32_t batch = static_cast<uint32_t>(state.range(1));
  auto f = make_fixture(n);
  TimeWaitStore& s = *f->store;
  uint64_t now = 0;
  int64_t expired = 0;
  uint32_t next = n;  // key n + j enters at step j; key j leaves at step j
  for (auto _ : state) {
    now += batch;
    expired += s.expire(now, batch, [](const FourTuple&, const TimeWaitState&) {});
    for (uint32_t k = 0; k < batch; k++) {
      s.insert(f->keys[next], f->sigs[next], state_for(next), now + n - batch + 1 + k);
      next = next + 1 == 2 * n ? 0 : next + 1;
    }
  }
  if (expired != state.iterations() * batch || s.size() != n)
    state.SkipWithError("not a steady state");
  set_memory_counters(state, s);
  per_item(state, state.iterations() * batch, "ns/op");
}
BENCHMARK(BM_TwInsertExpire)
    ->Args({1 << 16, 1})
    ->Args({1 << 16, 16})
    ->Args({1 << 20, 1})
    ->Args({1 << 20, 16});

// Past --max_time_wait: every insert recycles the oldest entry.
void BM_TwInsertRecycle(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto f = make_fixture(n);
  TimeWaitStore& s = *f->store;
  int64_t recycled = 0;
  uint32_t next = n;
  for (auto _ : state) {
    recycled += s.insert(f->keys[next], f->sigs[next], state_for(next), 2 * n).recycled;
    next = next + 1 == 2 * n ? 0 : next + 1;
  }
  if (recycled != state.iterations()) state.SkipWithError("not recycling");
  set_memory_counters(state, s);
  per_item(state, state.iterations(), "ns/op");
}
BENCHMARK(BM_TwInsertRecycle)->Arg(1 << 16)->Arg(1 << 20);

// A retransmitted FIN on a random entry: find + restart (move to the tail).
void BM_TwFindRestart(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto f = make_fixture(n);
  TimeWaitStore& s = *f->store;
  size_t pos = 0;
  uint64_t deadline = n;
  for (auto _ : state) {
    const uint32_t i = f->hit[pos];
    s.restart(s.find(f->keys[i], f->sigs[i]), ++deadline);
    pos = pos + 1 == f->hit.size() ? 0 : pos + 1;
  }
  set_memory_counters(state, s);
  per_item(state, state.iterations(), "ns/op");
}
BENCHMARK(BM_TwFindRestart)->Arg(1 << 16)->Arg(1 << 20);

// A SYN reopening a random TIME-WAIT (RFC 6191): find + erase, then the same
// key enters TIME-WAIT again later (insert), keeping the store full.
void BM_TwFindEraseInsert(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  auto f = make_fixture(n);
  TimeWaitStore& s = *f->store;
  size_t pos = 0;
  uint64_t deadline = n;
  for (auto _ : state) {
    const uint32_t i = f->hit[pos];
    s.erase(s.find(f->keys[i], f->sigs[i]));
    s.insert(f->keys[i], f->sigs[i], state_for(i), ++deadline);
    pos = pos + 1 == f->hit.size() ? 0 : pos + 1;
  }
  if (s.size() != n) state.SkipWithError("size changed");
  set_memory_counters(state, s);
  per_item(state, state.iterations(), "ns/op");
}
BENCHMARK(BM_TwFindEraseInsert)->Arg(1 << 16)->Arg(1 << 20);

// The hasher alone, for reading the removal figures above.
void BM_TwHasher(benchmark::State& state) {
  uint32_t i = 0, acc = 0;
  for (auto _ : state) acc += kCrc(key_for(i++));
  benchmark::DoNotOptimize(acc);
  per_item(state, state.iterations(), "ns/op");
}
BENCHMARK(BM_TwHasher);

}  // namespace
}  // namespace synack::flow

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!synack::testing::init_test_eal(argv[0], "bench-tw", "1024")) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  synack::testing::finish_test_eal();
  return 0;
}
