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

std::unique_ptr<FlowTable> make_table(uint32_t capacity) {
  std::string err;
  auto t = FlowTable::create(unique_name(), capacity, SOCKET_ID_ANY, &err);
  EXPECT_NE(t, nullptr) << err;
  return t;
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
  EXPECT_EQ(FlowTable::create(unique_name(), 0, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_EQ(err, "--max_flows=0: must be between 1 and 67108864");
  err.clear();
  EXPECT_EQ(FlowTable::create(unique_name(), (1u << 26) + 1, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_EQ(err, "--max_flows=67108865: must be between 1 and 67108864");
}

TEST(FlowTable, CreateRejectsDuplicateName) {
  std::string err;
  auto a = FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, &err);
  ASSERT_NE(a, nullptr) << err;
  EXPECT_EQ(FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, &err), nullptr);
  EXPECT_FALSE(err.empty());
  a.reset();  // the name is free again
  EXPECT_NE(FlowTable::create("ut_dup_name", 16, SOCKET_ID_ANY, &err), nullptr) << err;
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
      int32_t idx = t->insert(make_key(i));
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
    EXPECT_EQ(t->insert(make_key(cap)), -ENOSPC);
    EXPECT_EQ(t->insert(make_key(cap + 1)), -ENOSPC);
    EXPECT_EQ(t->insert(make_key(0)), -EEXIST);
    EXPECT_EQ(t->insert(make_key(cap - 1)), -EEXIST);
    EXPECT_EQ(t->size(), cap);
    for (uint32_t i = 0; i < cap; i++) {
      int32_t idx = t->lookup(make_key(i));
      ASSERT_GE(idx, 0);
      EXPECT_EQ(stamp_of(t->at(idx)), i);
      EXPECT_EQ(t->at(idx).key, make_key(i));
    }
    // Freeing one slot makes room for exactly one more.
    t->erase(t->lookup(make_key(0)));
    EXPECT_EQ(t->lookup(make_key(0)), -1);
    EXPECT_GE(t->insert(make_key(cap)), 0);
    EXPECT_EQ(t->insert(make_key(cap + 1)), -ENOSPC);
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
  int32_t a = t->insert(make_key(1));
  ASSERT_GE(a, 0);
  // Dirty everything but the key (erase() needs the key).
  std::memset(reinterpret_cast<uint8_t*>(&t->at(a)) + sizeof(FourTuple), 0xab,
              sizeof(FlowRecord) - sizeof(FourTuple));
  t->erase(a);
  EXPECT_FALSE(t->occupied(a));
  // rte_hash recycles freed positions; whichever slot comes back is clean.
  for (uint32_t i = 2; i < 18; i++) {
    int32_t b = t->insert(make_key(i));
    if (b < 0) break;
    const FlowRecord& r = t->at(b);
    EXPECT_EQ(r.key, make_key(i));
    const auto* bytes = reinterpret_cast<const uint8_t*>(&r);
    for (size_t j = sizeof(FourTuple); j < sizeof(FlowRecord); j++) ASSERT_EQ(bytes[j], 0) << j;
  }
}

TEST(FlowTable, EraseWhileIterating) {
  constexpr uint32_t kCap = 4096;
  auto t = make_table(kCap);
  ASSERT_NE(t, nullptr);
  for (uint32_t i = 0; i < kCap; i++) {
    int32_t idx = t->insert(make_key(i));
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
    int32_t idx = t->lookup(make_key(i));
    ASSERT_GE(idx, 0);
    EXPECT_EQ(stamp_of(t->at(idx)), i);
  }
  for (uint32_t i : erased) EXPECT_EQ(t->lookup(make_key(i)), -1);
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
    ASSERT_EQ(t->at(idx).key, keys[k]);
    ASSERT_EQ(stamp_of(t->at(idx)), k);
    hits++;
  };

  for (uint32_t op = 0; op < kOps; op++) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    if (r < 50) {  // insert
      const uint32_t k = static_cast<uint32_t>(rng() % kKeySpace);
      int32_t idx = t->insert(keys[k]);
      if (model.count(pack(keys[k]))) {
        ASSERT_EQ(idx, -EEXIST);
        dups++;
      } else if (model.size() == kCap) {
        ASSERT_EQ(idx, -ENOSPC);
        full++;
      } else {
        ASSERT_GE(idx, 0);
        ASSERT_LT(static_cast<uint32_t>(idx), t->slots());
        ASSERT_EQ(t->at(idx).key, keys[k]);
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
      check_hit(k, t->lookup(keys[k]));
    } else {  // bulk lookup
      const uint32_t n = 1 + static_cast<uint32_t>(rng() % FlowTable::kMaxBulk);
      const FourTuple* ptrs[FlowTable::kMaxBulk];
      uint32_t ids[FlowTable::kMaxBulk];
      int32_t idx[FlowTable::kMaxBulk];
      for (uint32_t i = 0; i < n; i++) {
        ids[i] = static_cast<uint32_t>(rng() % kKeySpace);
        ptrs[i] = &keys[ids[i]];
      }
      t->lookup_bulk(ptrs, n, idx);
      for (uint32_t i = 0; i < n; i++) check_hit(ids[i], idx[i]);
      bulk_keys += n;
    }
    ASSERT_EQ(t->size(), model.size());
  }
  // Final full comparison, both ways.
  for (uint32_t k = 0; k < kKeySpace; k++) check_hit(k, t->lookup(keys[k]));
  uint32_t n = 0;
  t->for_each([&](uint32_t idx, FlowRecord& rec) {
    auto it = model.find(pack(rec.key));
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

}  // namespace
}  // namespace synack::flow
