// Per-lcore connection table on rte_hash.
//
// rte_hash (22.11, no multi-writer flag, hence no per-lcore key cache) keeps
// entries + 1 key slots, slot 0 being its "miss" sentinel, and hands out
// positions key_idx - 1, i.e. [0, entries). The record array therefore has
// exactly `entries` elements: slots() == entries, which is capacity or a little
// more (see hash_entries()); tests/unit/flow checks the range empirically.
// The extendable bucket table (RTE_HASH_EXTRA_FLAGS_EXT_TABLE) guarantees that
// an add never fails with -ENOSPC while free key slots remain, so exactly
// `capacity` keys always fit.
//
// Signatures come from the caller (FlowHash, keyed); rte_hash's own hash
// function is never called (every call here is a *_with_hash one), so it is
// set to one that would make any such call obvious in a profile and a test.
// That rules out rte_hash_get_key_with_position() (it rehashes the key to
// check it), so the keys are kept beside the records, read only off the
// per-packet path (timers, erase).
#include "flow/flow_table.h"

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace synack::flow {

namespace {
constexpr uint32_t kMaxCapacity = 1u << 26;
// rte_hash_create() refuses fewer entries than one bucket holds.
constexpr uint32_t kMinEntries = 8;  // RTE_HASH_BUCKET_ENTRIES
// rte_hash's internal layout (lib/hash/rte_cuckoo_hash.h, 22.11): 64-byte
// buckets of 8 entries, key slots of 8 bytes of data pointer plus the key
// rounded up to 16 bytes, and as many extendable buckets as buckets.
constexpr uint64_t kBucketBytes = 64;
constexpr uint64_t kKeySlotBytes = 32;

// Never called (see above); a constant makes every key collide, so a stray
// call would show in the collision test at once.
uint32_t unused_hash(const void*, uint32_t, uint32_t) {
  return 0;
}

// rte_hash sizes its buckets from `entries` (align32pow2(entries) / 8 buckets of
// 8) and its key slots as exactly `entries`. Near 100% bucket load every insert
// runs the cuckoo displacement search before falling back to the extendable
// buckets: measured ~1.8 us per insert at capacity - 1 on 2^16, against ~70 ns at
// 95% and ~55 ns at 90%. So when `capacity` would load the buckets above 15/16,
// ask for one more than the power of two: twice the (small) buckets, and only
// one or a few more key slots/records.
uint32_t hash_entries(uint32_t capacity) {
  if (capacity < kMinEntries) return kMinEntries;
  const uint32_t pow2 = rte_align32pow2(capacity);
  return capacity > pow2 - pow2 / 16 ? pow2 + 1 : capacity;
}
}  // namespace

std::unique_ptr<FlowTable> FlowTable::create(const std::string& name, uint32_t capacity,
                                             int socket_id, const FlowHash& hash,
                                             std::string* err) {
  auto fail = [err](std::string msg) {
    if (err) *err = std::move(msg);
    return std::unique_ptr<FlowTable>();
  };
  if (capacity < 1 || capacity > kMaxCapacity)
    return fail("--max_flows=" + std::to_string(capacity) + ": must be between 1 and " +
                std::to_string(kMaxCapacity));
  if (name.empty() || name.size() >= RTE_HASH_NAMESIZE)
    return fail("flow table name '" + name + "' must have 1 to " +
                std::to_string(RTE_HASH_NAMESIZE - 1) + " characters");

  std::unique_ptr<FlowTable> t(new FlowTable(hash));
  const uint32_t entries = hash_entries(capacity);

  rte_hash_parameters params;
  std::memset(&params, 0, sizeof(params));
  params.name = name.c_str();
  params.entries = entries;
  params.key_len = sizeof(tcp::FourTuple);
  params.hash_func = unused_hash;
  params.hash_func_init_val = 0;
  params.socket_id = socket_id;
  // One owner lcore: no RW-concurrency or multi-writer flags.
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  t->hash_table_ = rte_hash_create(&params);
  // rte_hash reports an allocation failure as ENOENT or ENOMEM; either way the
  // cause is memory.
  if (t->hash_table_ == nullptr)
    return fail("--max_flows=" + std::to_string(capacity) + ": cannot allocate the flow table (" +
                std::to_string(entries) + " hash entries) on socket " + std::to_string(socket_id) +
                ": give EAL more memory (-m) or lower --max_flows");

  t->capacity_ = capacity;
  t->slots_ = entries;
  t->records_ = static_cast<FlowRecord*>(rte_zmalloc_socket(
      "flow_records", sizeof(FlowRecord) * size_t{t->slots_}, RTE_CACHE_LINE_SIZE, socket_id));
  t->used_ = static_cast<uint8_t*>(
      rte_zmalloc_socket("flow_used", t->slots_, RTE_CACHE_LINE_SIZE, socket_id));
  t->keys_ = static_cast<tcp::FourTuple*>(rte_zmalloc_socket(
      "flow_keys", sizeof(tcp::FourTuple) * size_t{t->slots_}, RTE_CACHE_LINE_SIZE, socket_id));
  if (t->records_ == nullptr || t->used_ == nullptr || t->keys_ == nullptr)
    return fail("--max_flows=" + std::to_string(capacity) + ": cannot allocate " +
                std::to_string(t->slots_) + " flow records on socket " + std::to_string(socket_id) +
                ": give EAL more memory (-m) or lower --max_flows");
  const uint64_t buckets = rte_align32pow2(entries) / 8;
  t->memory_bytes_ = uint64_t{t->slots_} * (sizeof(FlowRecord) + sizeof(tcp::FourTuple) + 1) +
                     (uint64_t{entries} + 1) * kKeySlotBytes + 2 * buckets * kBucketBytes;
  return t;
}

FlowTable::~FlowTable() {
  rte_free(keys_);
  rte_free(used_);
  rte_free(records_);
  rte_hash_free(hash_table_);
}

int32_t FlowTable::lookup(const tcp::FourTuple& key, uint32_t sig) const {
  int32_t pos = rte_hash_lookup_with_hash(hash_table_, &key, sig);
  return pos >= 0 ? pos : -1;
}

void FlowTable::lookup_bulk(const tcp::FourTuple* const* keys, uint32_t* sigs, uint32_t n,
                            int32_t* idx) const {
  assert(n <= kMaxBulk);
  if (n == 0) return;
  // rte_hash_lookup_with_hash_bulk() takes `const void**`; it only reads the keys.
  rte_hash_lookup_with_hash_bulk(
      hash_table_, const_cast<const void**>(reinterpret_cast<const void* const*>(keys)), sigs, n,
      idx);
  for (uint32_t i = 0; i < n; i++)
    if (idx[i] < 0) idx[i] = -1;
}

int32_t FlowTable::insert(const tcp::FourTuple& key, uint32_t sig) {
  if (size_ == capacity_) return -ENOSPC;
  int32_t pos = rte_hash_add_key_with_hash(hash_table_, &key, sig);
  if (pos < 0) return pos;  // cannot happen with the ext table and size_ < capacity_
  assert(static_cast<uint32_t>(pos) < slots_ && !used_[pos]);
  FlowRecord& r = records_[pos];
  std::memset(static_cast<void*>(&r), 0, sizeof(r));
  used_[pos] = 1;
  keys_[pos] = key;
  size_++;
  return pos;
}

void FlowTable::erase(uint32_t idx) {
  assert(idx < slots_ && used_[idx]);
  const tcp::FourTuple& k = keys_[idx];
  [[maybe_unused]] int32_t pos = rte_hash_del_key_with_hash(hash_table_, &k, hash_(k));
  assert(pos == static_cast<int32_t>(idx));
  used_[idx] = 0;
  size_--;
}

bool FlowTable::occupied(uint32_t idx) const {
  return used_[idx] != 0;
}

}  // namespace synack::flow
