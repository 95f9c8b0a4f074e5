// FlowTable against a std::unordered_map model, plus the edge cases the runtime
// relies on: exact capacity, no eviction, duplicates, erase during for_each.
#include "flow/flow_table.h"

#include <gtest/gtest.h>
#include <rte_memory.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_hash_crc.h>

namespace synack::flow {
namespace {

using tcp::FourTuple;

uint64_t pack(const FourTuple& k) {
  // Unique for the keys generated below (remote_ip fits in 16 bits there).
  return (uint64_t{k.remote_ip} << 48) ^ (uint64_t{k.local_ip & 0xffff} << 32) ^
         (uint64_t{k.remote_port} << 16) ^ k.local_port;
}

FourTuple make_key(uint32_t i) {
  FourTuple k;
  k.remote_ip = 0x0a000000u | (i >> 8);
  k.local_ip = 0xc0a80001u;
  k.remote_port = static_cast<uint16_t>(1024 + (i & 0xff) * 197);
  k.local_port = 443;
  return k;
}

std::string unique_name() {
  static int n = 0;
  return "ut_flows_" + std::to_string(n++);
}

const FlowHash kHash(tcp::SipKey{0x243f6a8885a308d3ull, 0x13198a2e03707344ull});

std::unique_ptr<FlowTable> make_table(uint32_t capacity) {
  std::string err;
  auto t = FlowTable::create(unique_name(), capacity, SOCKET_ID_ANY, kHash, &err);
  EXPECT_NE(t, nullptr) << err;
  return t;
}

// The table's contract: the caller looks a key up before it inserts it, with
// the key's signature. These wrap that for the tests.
int32_t find(const FlowTable& t, const FourTuple& k) {
  return t.lookup(k, t.signature(k));
}
int32_t add(FlowTable& t, const FourTuple& k) {
  if (find(t, k) >= 0) return -EEXIST;
  return t.insert(k, t.signature(k));
}

// A per-slot stamp in the bytes the table does not interpret.
void stamp(FlowRecord& r, uint32_t v) {
  std::memcpy(r.peer_mac, &v, sizeof(v));
  r.peer_mac[4] = 0x5a;
}
uint32_t stamp_of(const FlowRecord& r) {
  uint32_t v;
  std::memcpy(&v, r.peer_mac, sizeof(v));
  return v;
}

TEST(FlowTable, RecordIsOneCacheLine) {
  EXPECT_EQ(sizeof(FlowRecord), 64u);
  EXPECT_EQ(alignof(FlowRecord), 64u);
}

TEST(FlowTable, CreateRejectsBadCapacity) {
  std::string err;
  EXPECT_EQ(FlowTable::create(unique_name(), 0, SOCKET_ID_ANY, kHash, &err), nullptr);
  EXPECT_EQ(err, "--max_flows=0: must be between 1 and 67108864");
  err.clear();
  EXPECT_EQ(FlowTable::create(unique_name(), (1u << 26) + 1, SOCKET_ID_ANY, kHash, &err), nullptr);
  EXPECT_EQ(err, "--max_flows=67108865: must be between 1 and 67108864");
}

TEST(FlowTable, CreateRejectsDuplicateName) {
  std::string err;
  auto a = FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, kHash, &err);
  ASSERT_NE(a, nullptr) << err;
  EXPECT_EQ(FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, kHash, &err), nullptr);
  EXPECT_FALSE(err.empty());
  a.reset();  // the name is free again
  EXPECT_NE(FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, kHash, &err), nullptr) << err;
}

// Exactly `capacity` keys fit, every slot index is < slots(), and a full table
// refuses new keys (-ENOSPC) and duplicates (-EEXIST) without evicting.
TEST(FlowTable, ExactCapacityNoEviction) {
  for (uint32_t cap : {1u, 7u, 8u, 9u, 900u, 1000u, 4096u, 65536u}) {
    SCOPED_TRACE(cap);
    auto t = make_table(cap);
    ASSERT_NE(t, nullptr);
    EXPECT_GE(t->slots(), cap);
    std::set<int32_t> seen;
    for (uint32_t i = 0; i < cap; i++) {
      int32_t idx = add(*t, make_key(i));
      ASSERT_GE(idx, 0) << i;
      ASSERT_LT(static_cast<uint32_t>(idx), t->slots());
      ASSERT_TRUE(seen.insert(idx).second);
      ASSERT_TRUE(t->occupied(idx));
      stamp(t->at(idx), i);
    }
    EXPECT_EQ(t->size(), cap);
    // rte_hash positions are exactly [0, slots()).
    if (t->slots() == cap) {
      EXPECT_EQ(*seen.rbegin(), static_cast<int32_t>(cap - 1));
    }
    EXPECT_EQ(add(*t, make_key(cap)), -ENOSPC);
    EXPECT_EQ(add(*t, make_key(cap + 1)), -ENOSPC);
    EXPECT_EQ(add(*t, make_key(0)), -EEXIST);
    EXPECT_EQ(add(*t, make_key(cap - 1)), -EEXIST);
    EXPECT_EQ(t->size(), cap);
    for (uint32_t i = 0; i < cap; i++) {
      int32_t idx = find(*t, make_key(i));
      ASSERT_GE(idx, 0);
      EXPECT_EQ(stamp_of(t->at(idx)), i);
      EXPECT_EQ(t->key(idx), make_key(i));
    }
    // Freeing one slot makes room for exactly one more.
    t->erase(find(*t, make_key(0)));
    EXPECT_EQ(find(*t, make_key(0)), -1);
    EXPECT_GE(add(*t, make_key(cap)), 0);
    EXPECT_EQ(add(*t, make_key(cap + 1)), -ENOSPC);
  }
}

// slots() is what the runtime sizes its per-slot side arrays (timers) with.
TEST(FlowTable, SlotsValues) {
  const std::pair<uint32_t, uint32_t> cases[] = {{1, 8},      {8, 8},       {900, 900},  {960, 960},
                                                 {961, 1025}, {1000, 1025}, {4096, 4097}};
  for (auto [cap, slots] : cases) {
    auto t = make_table(cap);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->slots(), slots) << cap;
    EXPECT_EQ(t->capacity(), cap);
  }
}

TEST(FlowTable, InsertZeroesRecordAndSetsKey) {
  auto t = make_table(16);
  ASSERT_NE(t, nullptr);
  int32_t a = add(*t, make_key(1));
  ASSERT_GE(a, 0);
  // Dirty the whole record (the key is kept apart, for erase()).
  std::memset(reinterpret_cast<uint8_t*>(&t->at(a)), 0xab, sizeof(FlowRecord));
  t->erase(a);
  EXPECT_FALSE(t->occupied(a));
  // rte_hash recycles freed positions; whichever slot comes back is clean.
  for (uint32_t i = 2; i < 18; i++) {
    int32_t b = add(*t, make_key(i));
    if (b < 0) break;
    const FlowRecord& r = t->at(b);
    EXPECT_EQ(t->key(b), make_key(i));
    const auto* bytes = reinterpret_cast<const uint8_t*>(&r);
    for (size_t j = 0; j < sizeof(FlowRecord); j++) ASSERT_EQ(bytes[j], 0) << j;
  }
}

TEST(FlowTable, EraseWhileIterating) {
  constexpr uint32_t kCap = 4096;
  auto t = make_table(kCap);
  ASSERT_NE(t, nullptr);
  for (uint32_t i = 0; i < kCap; i++) {
    int32_t idx = add(*t, make_key(i));
    ASSERT_GE(idx, 0);
    stamp(t->at(idx), i);
  }
  std::vector<uint32_t> kept, erased;
  uint32_t visited = 0;
  t->for_each([&](uint32_t idx, FlowRecord& r) {
    ASSERT_TRUE(t->occupied(idx));
    if (visited++ % 2 == 0) {
      erased.push_back(stamp_of(r));
      t->erase(idx);
    } else {
      kept.push_back(stamp_of(r));
    }
  });
  EXPECT_EQ(visited, kCap);
  EXPECT_EQ(t->size(), kCap / 2);
  for (uint32_t i : kept) {
    int32_t idx = find(*t, make_key(i));
    ASSERT_GE(idx, 0);
    EXPECT_EQ(stamp_of(t->at(idx)), i);
  }
  for (uint32_t i : erased) EXPECT_EQ(find(*t, make_key(i)), -1);
  uint32_t left = 0;
  t->for_each([&](uint32_t, FlowRecord&) { left++; });
  EXPECT_EQ(left, kCap / 2);
}

// Random insert/erase/lookup/lookup_bulk against std::unordered_map, on a small
// table that is full much of the time. Record contents are checked on every hit.
TEST(FlowTable, MatchesModel) {
  constexpr uint32_t kCap = 4096;
  constexpr uint32_t kKeySpace = 6000;  // > kCap: the table fills up
  constexpr uint32_t kOps = 4'000'000;
  auto t = make_table(kCap);
  ASSERT_NE(t, nullptr);
  std::unordered_map<uint64_t, int32_t> model;  // key -> slot
  std::vector<uint32_t> live;                   // key ids, for picking erase victims
  std::vector<int32_t> pos_in_live(kKeySpace, -1);
  std::mt19937_64 rng(12345);
  std::vector<FourTuple> keys(kKeySpace);
  for (uint32_t i = 0; i < kKeySpace; i++) keys[i] = make_key(i);
  uint64_t hits = 0, full = 0, dups = 0, bulk_keys = 0;

  auto check_hit = [&](uint32_t k, int32_t idx) {
    auto it = model.find(pack(keys[k]));
    if (it == model.end()) {
      ASSERT_EQ(idx, -1) << "key " << k;
      return;
    }
    ASSERT_EQ(idx, it->second) << "key " << k;
    ASSERT_TRUE(t->occupied(idx));
    ASSERT_EQ(t->key(idx), keys[k]);
    ASSERT_EQ(stamp_of(t->at(idx)), k);
    hits++;
  };

  for (uint32_t op = 0; op < kOps; op++) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    if (r < 50) {  // insert
      const uint32_t k = static_cast<uint32_t>(rng() % kKeySpace);
      int32_t idx = add(*t, keys[k]);
      if (model.count(pack(keys[k]))) {
        ASSERT_EQ(idx, -EEXIST);
        dups++;
      } else if (model.size() == kCap) {
        ASSERT_EQ(idx, -ENOSPC);
        full++;
      } else {
        ASSERT_GE(idx, 0);
        ASSERT_LT(static_cast<uint32_t>(idx), t->slots());
        ASSERT_EQ(t->key(idx), keys[k]);
        stamp(t->at(idx), k);
        model.emplace(pack(keys[k]), idx);
        pos_in_live[k] = static_cast<int32_t>(live.size());
        live.push_back(k);
      }
    } else if (r < 65) {  // erase a live key (inserts win: often full)
      if (live.empty()) continue;
      const size_t p = rng() % live.size();
      const uint32_t k = live[p];
      auto it = model.find(pack(keys[k]));
      ASSERT_NE(it, model.end());
      t->erase(it->second);
      ASSERT_FALSE(t->occupied(it->second));
      model.erase(it);
      live[p] = live.back();
      pos_in_live[live[p]] = static_cast<int32_t>(p);
      live.pop_back();
      pos_in_live[k] = -1;
    } else if (r < 90) {  // single lookup
      const uint32_t k = static_cast<uint32_t>(rng() % kKeySpace);
      check_hit(k, find(*t, keys[k]));
    } else {  // bulk lookup
      const uint32_t n = 1 + static_cast<uint32_t>(rng() % FlowTable::kMaxBulk);
      const FourTuple* ptrs[FlowTable::kMaxBulk];
      uint32_t ids[FlowTable::kMaxBulk];
      int32_t idx[FlowTable::kMaxBulk];
      for (uint32_t i = 0; i < n; i++) {
        ids[i] = static_cast<uint32_t>(rng() % kKeySpace);
        ptrs[i] = &keys[ids[i]];
      }
      uint32_t sigs[FlowTable::kMaxBulk];
      for (uint32_t i = 0; i < n; i++) sigs[i] = t->signature(*ptrs[i]);
      t->lookup_bulk(ptrs, sigs, n, idx);
      for (uint32_t i = 0; i < n; i++) check_hit(ids[i], idx[i]);
      bulk_keys += n;
    }
    ASSERT_EQ(t->size(), model.size());
  }
  // Final full comparison, both ways.
  for (uint32_t k = 0; k < kKeySpace; k++) check_hit(k, find(*t, keys[k]));
  uint32_t n = 0;
  t->for_each([&](uint32_t idx, FlowRecord&) {
    auto it = model.find(pack(t->key(idx)));
    ASSERT_NE(it, model.end());
    ASSERT_EQ(it->second, static_cast<int32_t>(idx));
    n++;
  });
  EXPECT_EQ(n, model.size());
  EXPECT_GT(full, 10000u);
  EXPECT_GT(dups, 10000u);
  EXPECT_GT(bulk_keys, 1000000u);
  RecordProperty("hits", std::to_string(hits));
}

// 4-tuples that all have the same CRC32-C (rte_hash's default hash, which
// this table used before it was keyed): CRC is affine over GF(2), so the
// tuples base ^ d, for every d in the null space of its linear part, collide.
// An attacker needs no secret to build them.
std::vector<FourTuple> crc_colliding_keys(uint32_t n) {
  auto crc = [](const FourTuple& k) {
    uint64_t lo;
    uint32_t hi;
    std::memcpy(&lo, &k, 8);
    std::memcpy(&hi, reinterpret_cast<const uint8_t*>(&k) + 8, 4);
    return rte_hash_crc_4byte(hi, rte_hash_crc_8byte(lo, 0));
  };
  auto x = [](const FourTuple& a, const FourTuple& b) {
    FourTuple r;
    r.remote_ip = a.remote_ip ^ b.remote_ip;
    r.local_ip = a.local_ip ^ b.local_ip;
    r.remote_port = static_cast<uint16_t>(a.remote_port ^ b.remote_port);
    r.local_port = static_cast<uint16_t>(a.local_port ^ b.local_port);
    return r;
  };
  const FourTuple zero{};
  const uint32_t c0 = crc(zero);
  // Differences in the remote address and port only (48 bits: the attacker's
  // own fields); lin(d) = crc(d) ^ crc(0) is linear. Gaussian elimination
  // over the 48 unit vectors keeps the combinations that map to 0.
  struct Row {
    uint32_t image;
    FourTuple diff;
  };
  std::vector<Row> basis;  // reduced rows with distinct leading bits
  std::vector<FourTuple> null;
  for (int bit = 0; bit < 48; bit++) {
    FourTuple d{};
    if (bit < 32)
      d.remote_ip = 1u << bit;
    else
      d.remote_port = static_cast<uint16_t>(1u << (bit - 32));
    Row r{crc(d) ^ c0, d};
    for (const Row& b : basis)
      if (r.image & (b.image & -b.image)) {
        r.image ^= b.image;
        r.diff = x(r.diff, b.diff);
      }
    if (r.image == 0) {
      null.push_back(r.diff);
    } else {
      for (Row& b : basis)
        if (b.image & (r.image & -r.image)) {
          b.image ^= r.image;
          b.diff = x(b.diff, r.diff);
        }
      basis.push_back(r);
    }
  }
  EXPECT_GE(null.size(), 16u);
  const FourTuple base{0xc6128001, 0xc6120002, 40000, 80};
  std::vector<FourTuple> keys;
  for (uint32_t i = 0; i < n; i++) {
    FourTuple k = base;
    for (size_t b = 0; b < null.size(); b++)
      if (i & (1u << b)) k = x(k, null[b]);
    keys.push_back(k);
  }
  for (const FourTuple& k : keys) EXPECT_EQ(crc(k), crc(base));
  return keys;
}

// 7.5: keys that all collide under the unkeyed CRC spread over the table's
// buckets under the keyed hash, so no bucket (and no lookup) gets long.
TEST(FlowTable, CrcCollisionsDoNotCollideUnderTheKeyedHash) {
  constexpr uint32_t kN = 8192;
  const std::vector<FourTuple> keys = crc_colliding_keys(kN);
  auto t = make_table(65536);
  ASSERT_NE(t, nullptr);
  for (const FourTuple& k : keys) ASSERT_GE(add(*t, k), 0);
  // rte_hash picks a key's primary bucket from the low bits of its signature
  // (2^16 entries: 2^13 buckets of 8). All kN keys would share one under the
  // CRC; under the keyed hash the fullest bucket holds a handful.
  std::vector<uint32_t> per_bucket(1u << 13, 0);
  uint32_t fullest = 0;
  for (const FourTuple& k : keys) fullest = std::max(fullest, ++per_bucket[t->signature(k) & 8191]);
  EXPECT_LE(fullest, 12u) << "about a bucket (8): no long extendable-bucket chain to walk";
  for (const FourTuple& k : keys) ASSERT_GE(find(*t, k), 0);
}

}  // namespace
}  // namespace synack::flow
