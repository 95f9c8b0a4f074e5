// TimeWaitStore against a model (std::map of key -> state/deadline, a deque for
// FIFO order): random insert/find/erase/restart/expire with random clock jumps
// at small capacities (so recycling is frequent), under a good hash, a hash
// with four values and a constant one; plus the edge cases the runtime relies
// on: capacity 1, restart of the only entry, expiry at exactly the deadline,
// 64-bit clocks (above 2^32, across 2^56, near 2^63).
#include "flow/time_wait_store.h"

#include <gtest/gtest.h>
#include <rte_memory.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace synack::flow {
namespace {

using tcp::FourTuple;
using tcp::Seq;

uint64_t pack(const FourTuple& k) {
  // Unique for the keys generated below (local_ip is fixed there).
  return (uint64_t{k.remote_ip} << 32) | (uint64_t{k.remote_port} << 16) | k.local_port;
}

FourTuple make_key(uint32_t i) {
  FourTuple k;
  k.remote_ip = 0xc6120000u | (i >> 6);  // 198.18.0.0/15
  k.local_ip = 0xc6130001u;
  k.remote_port = static_cast<uint16_t>(1024 + (i & 63) * 911);
  k.local_port = static_cast<uint16_t>(80 + (i & 1));
  return k;
}

uint32_t mix_hash(const FourTuple& k, const void*) {
  uint64_t x = pack(k) ^ (uint64_t{k.local_ip} * 0x9e3779b97f4a7c15ull);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return static_cast<uint32_t>(x >> 16);
}
// Four signatures, each shared by a quarter of the keys: long spill chains and
// tag matches on other keys everywhere.
uint32_t four_hash(const FourTuple& k, const void*) {
  static constexpr uint32_t kSigs[4] = {0x00000000u, 0x7fff0001u, 0x80000001u, 0xffffffffu};
  return kSigs[mix_hash(k, nullptr) & 3];
}
uint32_t const_hash(const FourTuple&, const void*) {
  return 0x12345678u;
}

const KeyHasher kMix{mix_hash, nullptr};
const KeyHasher kFour{four_hash, nullptr};
const KeyHasher kConst{const_hash, nullptr};

std::unique_ptr<TimeWaitStore> make_store(uint32_t capacity, KeyHasher h = kMix) {
  std::string err;
  auto s = TimeWaitStore::create(capacity, SOCKET_ID_ANY, h, &err);
  EXPECT_NE(s, nullptr) << err;
  return s;
}

TimeWaitState make_state(uint32_t i) {
  TimeWaitState st;
  st.snd_nxt = Seq(i * 2654435761u);
  st.rcv_nxt = Seq(~i * 40503u);
  st.ts_recent = i ^ 0xdeadbeefu;
  st.timestamps = (i & 1) != 0;
  st.rcv_wscale = static_cast<uint8_t>(i % 15);
  st.oow_ack_stamp = static_cast<uint16_t>(i * 7919u);
  return st;
}

TEST(TimeWaitStore, CreateRejectsBadCapacity) {
  std::string err;
  EXPECT_EQ(TimeWaitStore::create(0, SOCKET_ID_ANY, kMix, &err), nullptr);
  EXPECT_EQ(err, "--max_time_wait=0: must be between 1 and 67108864");
  err.clear();
  EXPECT_EQ(TimeWaitStore::create((1u << 26) + 1, SOCKET_ID_ANY, kMix, &err), nullptr);
  EXPECT_EQ(err, "--max_time_wait=67108865: must be between 1 and 67108864");
}

// The test EAL has 256 MB (support/eal.h); 2^26 entries need about 3 GB.
TEST(TimeWaitStore, CreateReportsMemoryShortage) {
  std::string err;
  EXPECT_EQ(TimeWaitStore::create(1u << 26, SOCKET_ID_ANY, kMix, &err), nullptr);
  EXPECT_EQ(err.rfind("--max_time_wait=67108864: cannot allocate the TIME-WAIT store (", 0), 0u)
      << err;
  EXPECT_NE(err.find("lower --max_time_wait"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);
}

TEST(TimeWaitStore, MemoryPerEntry) {
  EXPECT_EQ(TimeWaitStore::kEntryBytes, 32u);
  EXPECT_EQ(TimeWaitStore::kLinkBytes, 8u);
  for (uint32_t cap : {1u, 6u, 7u, 1000u, 1u << 16}) {
    SCOPED_TRACE(cap);
    auto s = make_store(cap);
    ASSERT_NE(s, nullptr);
    // One 64-byte bucket per 6 entries, rounded up.
    const size_t index = 64 * size_t{(cap + 5) / 6};
    EXPECT_EQ(s->memory_bytes(), size_t{40} * cap + index);
    EXPECT_DOUBLE_EQ(s->index_bytes_per_entry(), static_cast<double>(index) / cap);
    EXPECT_DOUBLE_EQ(s->bytes_per_entry(), 40.0 + s->index_bytes_per_entry());
  }
}

TEST(TimeWaitStore, FieldsRoundTrip) {
  auto s = make_store(64);
  ASSERT_NE(s, nullptr);
  std::vector<uint32_t> h;
  for (uint32_t i = 0; i < 30; i++) {
    TimeWaitState st = make_state(i);
    auto r = s->insert(make_key(i), mix_hash(make_key(i), nullptr), st, 1000 + i);
    EXPECT_FALSE(r.recycled);
    h.push_back(r.handle);
  }
  for (uint32_t i = 0; i < 30; i++) {
    EXPECT_EQ(s->find(make_key(i), mix_hash(make_key(i), nullptr)), h[i]);
    EXPECT_EQ(s->key(h[i]), make_key(i));
    EXPECT_EQ(s->state(h[i]), make_state(i)) << i;
    EXPECT_EQ(s->deadline_ms(h[i]), 1000u + i);
  }
  TimeWaitState edge;
  edge.snd_nxt = Seq(0xffffffffu);
  edge.rcv_nxt = Seq(0);
  edge.ts_recent = 0xffffffffu;
  edge.timestamps = true;
  edge.rcv_wscale = 14;
  auto r = s->insert(make_key(99), mix_hash(make_key(99), nullptr), edge, 2000);
  EXPECT_EQ(s->state(r.handle), edge);
}

TEST(TimeWaitStore, CapacityOne) {
  auto s = make_store(1);
  ASSERT_NE(s, nullptr);
  const FourTuple a = make_key(1), b = make_key(2);
  auto ra = s->insert(a, mix_hash(a, nullptr), make_state(1), 100);
  EXPECT_FALSE(ra.recycled);
  EXPECT_EQ(s->size(), 1u);
  auto rb = s->insert(b, mix_hash(b, nullptr), make_state(2), 200);
  EXPECT_TRUE(rb.recycled);
  EXPECT_EQ(rb.recycled_key, a);
  EXPECT_EQ(rb.recycled_state, make_state(1));
  EXPECT_EQ(s->size(), 1u);
  EXPECT_EQ(s->find(a, mix_hash(a, nullptr)), TimeWaitStore::kNone);
  EXPECT_EQ(s->find(b, mix_hash(b, nullptr)), rb.handle);
  // Recycling an entry with a later deadline than the new one: the store was
  // empty in between, so nothing raises the new deadline.
  auto ra2 = s->insert(a, mix_hash(a, nullptr), make_state(3), 50);
  EXPECT_TRUE(ra2.recycled);
  EXPECT_EQ(ra2.recycled_key, b);
  EXPECT_EQ(s->deadline_ms(ra2.handle), 50u);
  s->erase(ra2.handle);
  EXPECT_EQ(s->size(), 0u);
  EXPECT_EQ(s->oldest(), TimeWaitStore::kNone);
  EXPECT_EQ(s->find(a, mix_hash(a, nullptr)), TimeWaitStore::kNone);
  EXPECT_EQ(s->expire(UINT64_MAX, 10, [](const FourTuple&, const TimeWaitState&) {}), 0u);
}

TEST(TimeWaitStore, RestartOfTheOnlyEntry) {
  auto s = make_store(4);
  ASSERT_NE(s, nullptr);
  const FourTuple a = make_key(7);
  const uint32_t h = s->insert(a, mix_hash(a, nullptr), make_state(7), 1000).handle;
  EXPECT_EQ(s->restart(h, 5000), h);
  EXPECT_EQ(s->deadline_ms(h), 5000u);
  EXPECT_EQ(s->oldest(), h);
  int fired = 0;
  auto f = [&](const FourTuple& k, const TimeWaitState& st) {
    EXPECT_EQ(k, a);
    EXPECT_EQ(st, make_state(7));
    fired++;
  };
  EXPECT_EQ(s->expire(4999, 10, f), 0u);
  EXPECT_EQ(s->expire(5000, 10, f), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(s->size(), 0u);
}

TEST(TimeWaitStore, ExpiresAtExactlyTheDeadline) {
  auto s = make_store(8);
  ASSERT_NE(s, nullptr);
  for (uint32_t i = 0; i < 3; i++)
    s->insert(make_key(i), mix_hash(make_key(i), nullptr), make_state(i), 100 + 10 * i);
  std::vector<FourTuple> got;
  auto f = [&](const FourTuple& k, const TimeWaitState&) { got.push_back(k); };
  EXPECT_EQ(s->expire(99, 10, f), 0u);
  EXPECT_EQ(s->expire(100, 10, f), 1u);
  EXPECT_EQ(s->expire(119, 10, f), 1u);
  EXPECT_EQ(s->expire(120, 0, f), 0u);  // cap 0: nothing, though due
  EXPECT_EQ(s->expire(120, 10, f), 1u);
  EXPECT_EQ(got, (std::vector<FourTuple>{make_key(0), make_key(1), make_key(2)}));
}

// Restart moves an entry behind the others; deadlines below the newest are
// raised to it, so expiry order is always FIFO order.
TEST(TimeWaitStore, RestartMovesToTheTailAndDeadlinesStayInOrder) {
  auto s = make_store(8);
  ASSERT_NE(s, nullptr);
  std::vector<uint32_t> h;
  for (uint32_t i = 0; i < 4; i++)
    h.push_back(
        s->insert(make_key(i), mix_hash(make_key(i), nullptr), make_state(i), 100 + i).handle);
  EXPECT_EQ(s->restart(h[0], 50), h[0]);  // earlier than the newest (103): raised
  EXPECT_EQ(s->deadline_ms(h[0]), 103u);
  EXPECT_EQ(s->oldest(), h[1]);
  s->restart(h[2], 200);
  auto r = s->insert(make_key(9), mix_hash(make_key(9), nullptr), make_state(9), 150);
  EXPECT_EQ(s->deadline_ms(r.handle), 200u);
  std::vector<FourTuple> got;
  auto f = [&](const FourTuple& k, const TimeWaitState&) { got.push_back(k); };
  EXPECT_EQ(s->expire(199, 10, f), 3u);
  EXPECT_EQ(got, (std::vector<FourTuple>{make_key(1), make_key(3), make_key(0)}));
  EXPECT_EQ(s->expire(200, 10, f), 2u);
  EXPECT_EQ(got.back(), make_key(9));
}

// f runs after its entry is gone and may insert (the slot it freed is reused).
TEST(TimeWaitStore, ExpireCallbackMayUseTheStore) {
  auto s = make_store(2);
  ASSERT_NE(s, nullptr);
  s->insert(make_key(0), mix_hash(make_key(0), nullptr), make_state(0), 10);
  s->insert(make_key(1), mix_hash(make_key(1), nullptr), make_state(1), 20);
  uint32_t n = 0;
  EXPECT_EQ(
      s->expire(20, 10,
                [&](const FourTuple& k, const TimeWaitState&) {
                  EXPECT_EQ(s->find(k, mix_hash(k, nullptr)), TimeWaitStore::kNone);
                  const FourTuple nk = make_key(100 + n++);
                  EXPECT_FALSE(s->insert(nk, mix_hash(nk, nullptr), make_state(5), 30).recycled);
                }),
      2u);
  EXPECT_EQ(s->size(), 2u);
  EXPECT_NE(s->find(make_key(100), mix_hash(make_key(100), nullptr)), TimeWaitStore::kNone);
  EXPECT_NE(s->find(make_key(101), mix_hash(make_key(101), nullptr)), TimeWaitStore::kNone);
}

// Expiry in batches: f may insert (due entries included) and erase while a
// long expire() runs; every key it is given is already gone, FIFO order holds
// across batches, and nothing is lost or given twice.
TEST(TimeWaitStore, ExpireCallbackMutatingAcrossBatches) {
  for (bool tail_not_due : {false, true}) {
    SCOPED_TRACE(tail_not_due);
    auto s = make_store(100);
    ASSERT_NE(s, nullptr);
    std::map<uint64_t, uint32_t> order;  // key -> insertion rank
    uint32_t rank = 0;
    auto add = [&](uint32_t i, uint64_t deadline) {
      s->insert(make_key(i), mix_hash(make_key(i), nullptr), make_state(i), deadline);
      order[pack(make_key(i))] = rank++;
    };
    for (uint32_t i = 0; i < 50; i++) add(i, 100 + i);
    // With a newer entry not due, what f adds is raised to its deadline.
    if (tail_not_due) add(60, 5000);
    std::vector<uint32_t> ranks;
    uint32_t erased = 0;
    auto f = [&](const FourTuple& k, const TimeWaitState&) {
      EXPECT_EQ(s->find(k, mix_hash(k, nullptr)), TimeWaitStore::kNone);
      ranks.push_back(order.at(pack(k)));
      const uint32_t c = static_cast<uint32_t>(ranks.size());
      if (c <= 10) add(100 + c, 500);
      if (c <= 20) {
        const FourTuple victim = make_key(49 - c);
        const uint32_t h = s->find(victim, mix_hash(victim, nullptr));
        if (h != TimeWaitStore::kNone) {
          s->erase(h);
          erased++;
        }
      }
    };
    const uint32_t n = s->expire(1000, UINT32_MAX, f);
    EXPECT_EQ(n, ranks.size());
    EXPECT_GT(erased, 0u);
    EXPECT_TRUE(std::is_sorted(ranks.begin(), ranks.end()));
    EXPECT_EQ(std::adjacent_find(ranks.begin(), ranks.end()), ranks.end());
    if (tail_not_due) {
      EXPECT_EQ(n + erased, 50u);
      EXPECT_EQ(s->size(), 11u);  // key 60 and the ten added by f
      EXPECT_EQ(s->key(s->oldest()), make_key(60));
    } else {
      EXPECT_EQ(n + erased, 60u);  // the ten added by f were due too
      EXPECT_EQ(s->size(), 0u);
    }
  }
}

// Every signature equal: every key is a tag match for every other and all
// entries share one spill chain; fill, erase at random, refill, expire.
TEST(TimeWaitStore, ConstantHash) {
  constexpr uint32_t kCap = 500;
  auto s = make_store(kCap, kConst);
  ASSERT_NE(s, nullptr);
  std::vector<uint32_t> h(2 * kCap, TimeWaitStore::kNone);
  for (uint32_t i = 0; i < kCap; i++)
    h[i] = s->insert(make_key(i), 0x12345678u, make_state(i), i).handle;
  std::mt19937 rng(5);
  std::vector<uint32_t> gone;
  for (uint32_t i = 0; i < kCap; i++)
    if (rng() % 3 == 0) {
      s->erase(h[i]);
      h[i] = TimeWaitStore::kNone;
      gone.push_back(i);
    }
  for (uint32_t i = 0; i < 2 * kCap; i++) {
    const uint32_t got = s->find(make_key(i), 0x12345678u);
    ASSERT_EQ(got, h[i]) << i;
    if (got != TimeWaitStore::kNone) {
      EXPECT_EQ(s->state(got), make_state(i));
    }
  }
  for (uint32_t i = kCap; i < kCap + gone.size(); i++)
    h[i] = s->insert(make_key(i), 0x12345678u, make_state(i), kCap + i).handle;
  EXPECT_EQ(s->size(), kCap);
  for (uint32_t i = 0; i < 2 * kCap; i++) ASSERT_EQ(s->find(make_key(i), 0x12345678u), h[i]) << i;
  uint32_t expired = s->expire(UINT64_MAX, 2 * kCap, [](const FourTuple&, const TimeWaitState&) {});
  EXPECT_EQ(expired, kCap);
  for (uint32_t i = 0; i < 2 * kCap; i++)
    ASSERT_EQ(s->find(make_key(i), 0x12345678u), TimeWaitStore::kNone) << i;
}

TEST(TimeWaitStore, FindBulkMatchesFind) {
  auto s = make_store(1000);
  ASSERT_NE(s, nullptr);
  for (uint32_t i = 0; i < 1000; i += 2)
    s->insert(make_key(i), mix_hash(make_key(i), nullptr), make_state(i), i);
  for (uint32_t base = 0; base + TimeWaitStore::kMaxBulk <= 1000; base += 37) {
    FourTuple keys[TimeWaitStore::kMaxBulk];
    const FourTuple* ptrs[TimeWaitStore::kMaxBulk];
    uint32_t sigs[TimeWaitStore::kMaxBulk], handles[TimeWaitStore::kMaxBulk];
    const uint32_t n = 1 + base % TimeWaitStore::kMaxBulk;
    for (uint32_t k = 0; k < n; k++) {
      keys[k] = make_key(base + k);
      ptrs[k] = &keys[k];
      sigs[k] = mix_hash(keys[k], nullptr);
    }
    s->find_bulk(ptrs, sigs, n, handles);
    for (uint32_t k = 0; k < n; k++) {
      EXPECT_EQ(handles[k], s->find(keys[k], sigs[k]));
      EXPECT_EQ(handles[k] != TimeWaitStore::kNone, (base + k) % 2 == 0);
    }
  }
}

// Clocks are 64-bit: deadlines above 2^32, across the 2^40 wrap of the stored
// field, and across 2^63, read back exactly and expire in order.
TEST(TimeWaitStore, SixtyFourBitClocks) {
  for (uint64_t start : {(uint64_t{1} << 32) + 12345, (uint64_t{1} << 40) - 1500,
                         (uint64_t{1} << 63) - 1500, UINT64_MAX - 100000}) {
    SCOPED_TRACE(start);
    auto s = make_store(16);
    ASSERT_NE(s, nullptr);
    std::vector<uint32_t> h;
    for (uint32_t i = 0; i < 10; i++)
      h.push_back(
          s->insert(make_key(i), mix_hash(make_key(i), nullptr), make_state(i), start + 300 * i)
              .handle);
    for (uint32_t i = 0; i < 10; i++) EXPECT_EQ(s->deadline_ms(h[i]), start + 300 * i);
    s->set_oow_ack_stamp(h[0], 0xbeef);
    s->restart(h[0], start + 5000);
    EXPECT_EQ(s->deadline_ms(h[0]), start + 5000);
    EXPECT_EQ(s->state(h[0]).oow_ack_stamp, 0xbeef) << "the stamp and the deadline share a word";
    EXPECT_EQ(s->state(h[1]), make_state(1));
    EXPECT_EQ(s->deadline_ms(h[1]), start + 300);
    uint32_t n = 0;
    auto f = [&](const FourTuple&, const TimeWaitState&) { n++; };
    EXPECT_EQ(s->expire(start + 299, 100, f), 0u);
    EXPECT_EQ(s->expire(start + 1500, 100, f), 5u);  // 1..5
    EXPECT_EQ(s->expire(start + 4999, 100, f), 4u);  // 6..9
    EXPECT_EQ(s->expire(start + 5000, 100, f), 1u);  // 0
    EXPECT_EQ(n, 10u);
  }
  // An emptied store takes any deadline, however far below the ones it had.
  auto s = make_store(4);
  ASSERT_NE(s, nullptr);
  const uint32_t a =
      s->insert(make_key(0), mix_hash(make_key(0), nullptr), make_state(0), UINT64_MAX - 10).handle;
  s->erase(a);
  const uint32_t b =
      s->insert(make_key(1), mix_hash(make_key(1), nullptr), make_state(1), 1000).handle;
  EXPECT_EQ(s->deadline_ms(b), 1000u);
  EXPECT_EQ(s->expire(999, 10, [](const FourTuple&, const TimeWaitState&) {}), 0u);
  EXPECT_EQ(s->expire(1000, 10, [](const FourTuple&, const TimeWaitState&) {}), 1u);
}

// ---- randomised model test -------------------------------------------------

struct ModelEntry {
  TimeWaitState state;
  uint64_t deadline = 0;
  uint32_t handle = 0;
};

class Model {
 public:
  std::map<uint64_t, ModelEntry> entries;
  std::deque<uint64_t> fifo;  // oldest first

  uint64_t fifo_deadline(uint64_t d) const {
    return fifo.empty() ? d : std::max(d, entries.at(fifo.back()).deadline);
  }
  void drop(uint64_t k) {
    fifo.erase(std::find(fifo.begin(), fifo.end(), k));
    entries.erase(k);
  }
};

struct RunConfig {
  uint32_t capacity;
  KeyHasher hasher;
  uint64_t start_ms;
  uint32_t steps;
};

void run_model(const RunConfig& cfg, uint64_t seed) {
  SCOPED_TRACE("capacity " + std::to_string(cfg.capacity) + " seed " + std::to_string(seed) +
               " start " + std::to_string(cfg.start_ms));
  auto s = make_store(cfg.capacity, cfg.hasher);
  ASSERT_NE(s, nullptr);
  std::mt19937_64 rng(seed);
  constexpr uint32_t kKeys = 3000;
  constexpr uint64_t kTw = 1000;  // TIME-WAIT length in this run's milliseconds
  std::vector<FourTuple> keys(kKeys);
  for (uint32_t i = 0; i < kKeys; i++) keys[i] = make_key(i);
  Model m;
  uint64_t now = cfg.start_ms;
  uint32_t stamp = 0;
  uint64_t recycled = 0, expired = 0, restarted = 0, erased = 0;

  auto sig = [&](const FourTuple& k) { return cfg.hasher(k); };
  auto jitter = [&]() -> uint64_t {
    // Mostly now + kTw; sometimes earlier than the newest entry (raised).
    const uint64_t r = rng() % 8;
    return r == 0 ? now + kTw - rng() % kTw : now + kTw;
  };
  auto pick_present = [&]() { return m.fifo[rng() % m.fifo.size()]; };

  for (uint32_t step = 0; step < cfg.steps; step++) {
    const uint32_t op = static_cast<uint32_t>(rng() % 100);
    if (op < 35) {  // insert an absent key
      uint32_t i = static_cast<uint32_t>(rng() % kKeys);
      while (m.entries.count(pack(keys[i]))) i = (i + 1) % kKeys;
      const FourTuple& k = keys[i];
      const TimeWaitState st = make_state(stamp++);
      const uint64_t d = jitter();
      const bool full = m.entries.size() == cfg.capacity;
      uint64_t oldest = full ? m.fifo.front() : 0;
      ModelEntry old = full ? m.entries.at(oldest) : ModelEntry{};
      const auto r = s->insert(k, sig(k), st, d);
      ASSERT_EQ(r.recycled, full) << step;
      if (full) {
        ASSERT_EQ(pack(r.recycled_key), oldest) << step;
        ASSERT_EQ(r.recycled_state, old.state) << step;
        m.drop(oldest);
        recycled++;
      }
      ModelEntry e{st, m.fifo_deadline(d), r.handle};
      m.entries[pack(k)] = e;
      m.fifo.push_back(pack(k));
    } else if (op < 55) {  // find, present or not
      const FourTuple& k = keys[rng() % kKeys];
      auto it = m.entries.find(pack(k));
      ASSERT_EQ(s->find(k, sig(k)),
                it == m.entries.end() ? TimeWaitStore::kNone : it->second.handle)
          << step;
    } else if (op < 65) {  // erase
      if (m.fifo.empty()) continue;
      const uint64_t k = pick_present();
      s->erase(m.entries.at(k).handle);
      m.drop(k);
      erased++;
    } else if (op < 75) {  // restart
      if (m.fifo.empty()) continue;
      const uint64_t k = pick_present();
      const uint64_t d = jitter();
      ModelEntry e = m.entries.at(k);
      ASSERT_EQ(s->restart(e.handle, d), e.handle) << step;
      // Raised to the newest deadline, its own included: a restart never
      // shortens a TIME-WAIT.
      e.deadline = m.fifo_deadline(d);
      m.fifo.erase(std::find(m.fifo.begin(), m.fifo.end(), k));
      m.fifo.push_back(k);
      m.entries[k] = e;
      restarted++;
    } else if (op < 90) {  // expire with a random cap
      const uint32_t cap = rng() % 4 == 0 ? UINT32_MAX : static_cast<uint32_t>(rng() % 4);
      std::vector<std::pair<uint64_t, TimeWaitState>> got;
      const uint32_t n = s->expire(now, cap, [&](const FourTuple& k, const TimeWaitState& st) {
        got.emplace_back(pack(k), st);
      });
      ASSERT_EQ(n, got.size());
      uint32_t want = 0;
      while (want < cap && !m.fifo.empty() && m.entries.at(m.fifo.front()).deadline <= now) {
        ASSERT_LT(want, got.size()) << step;
        ASSERT_EQ(got[want].first, m.fifo.front()) << step;
        ASSERT_EQ(got[want].second, m.entries.at(m.fifo.front()).state) << step;
        m.entries.erase(m.fifo.front());
        m.fifo.pop_front();
        want++;
      }
      ASSERT_EQ(n, want) << step;
      expired += n;
    } else if ((step / 2000) % 2 == 0) {
      // A slow clock: inserts outrun expiry, the store fills and recycles.
      now += rng() % 4;
    } else {  // mostly a little, sometimes past a whole TIME-WAIT
      now += rng() % 16 == 0 ? kTw + rng() % (2 * kTw) : rng() % (kTw / 4);
    }

    // After every step: same size, same oldest, same contents.
    ASSERT_EQ(s->size(), m.entries.size()) << step;
    ASSERT_EQ(s->oldest(),
              m.fifo.empty() ? TimeWaitStore::kNone : m.entries.at(m.fifo.front()).handle)
        << step;
    for (const auto& [pk, e] : m.entries) {
      const FourTuple& k = s->key(e.handle);
      ASSERT_EQ(pack(k), pk) << step;
      ASSERT_EQ(s->find(k, sig(k)), e.handle) << step;
      ASSERT_EQ(s->state(e.handle), e.state) << step;
      ASSERT_EQ(s->deadline_ms(e.handle), e.deadline) << step;
    }
  }
  // Every path ran (the mix above makes each of these frequent).
  EXPECT_GT(recycled, 0u);
  EXPECT_GT(expired, 0u);
  EXPECT_GT(restarted, 0u);
  EXPECT_GT(erased, 0u);
}

TEST(TimeWaitStore, ModelGoodHash) {
  uint64_t seed = 1;
  for (uint32_t cap : {1u, 2u, 3u, 5u, 8u, 9u, 13u, 31u, 64u, 100u})
    for (uint64_t start : {uint64_t{0}, (uint64_t{1} << 32) + 7, (uint64_t{1} << 56) - 20000,
                           (uint64_t{1} << 63) - 20000})
      run_model({cap, kMix, start, 100000}, seed++);
}

TEST(TimeWaitStore, ModelFourSignatures) {
  uint64_t seed = 100;
  for (uint32_t cap : {1u, 4u, 11u, 40u, 100u}) run_model({cap, kFour, 0, 100000}, seed++);
}

TEST(TimeWaitStore, ModelConstantHash) {
  uint64_t seed = 200;
  for (uint32_t cap : {1u, 7u, 30u, 80u})
    run_model({cap, kConst, (uint64_t{1} << 40), 100000}, seed++);
}

}  // namespace
}  // namespace synack::flow
