// Per-lcore connection table: rte_hash (no locks, no RW concurrency flags: one
// lcore owns it) mapping the 4-tuple to a slot in a preallocated record array.
// Every operation takes the key's keyed signature (flow_hash.h), computed once
// per packet by the caller and reused for the lookup, the insert and the
// TIME-WAIT store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "flow/flow_hash.h"
#include "flow/flow_record.h"
#include "tcp/segment.h"

struct rte_hash;

namespace synack::flow {

class FlowTable {
 public:
  static constexpr uint32_t kMaxBulk = 64;  // RTE_HASH_LOOKUP_BULK_MAX

  // Needs an initialised EAL. Returns nullptr and sets *err on failure.
  static std::unique_ptr<FlowTable> create(const std::string& name, uint32_t capacity,
                                           int socket_id, const FlowHash& hash, std::string* err);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  const FlowHash& hash() const { return hash_; }
  uint32_t signature(const tcp::FourTuple& key) const { return hash_(key); }

  // Slot index of `key`, or -1.
  int32_t lookup(const tcp::FourTuple& key, uint32_t sig) const;
  // Bulk lookup (n <= kMaxBulk), rte_hash's staged prefetching: idx[i] = slot or -1.
  void lookup_bulk(const tcp::FourTuple* const* keys, uint32_t* sigs, uint32_t n,
                   int32_t* idx) const;
  // New slot for `key`, which the caller looked up and did not find (record
  // zeroed): >= 0, or -ENOSPC when full. Never evicts.
  int32_t insert(const tcp::FourTuple& key, uint32_t sig);
  void erase(uint32_t idx);

  FlowRecord& at(uint32_t idx) { return records_[idx]; }
  const FlowRecord& at(uint32_t idx) const { return records_[idx]; }
  // The 4-tuple of a live record.
  const tcp::FourTuple& key(uint32_t idx) const { return keys_[idx]; }
  bool occupied(uint32_t idx) const;

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  // Upper bound (exclusive) of slot indices: size of per-slot side arrays (timers).
  uint32_t slots() const { return slots_; }
  // Memory this table took, for "bytes per flow" (records, rte_hash's key
  // store, buckets and extendable buckets, the occupancy map).
  uint64_t memory_bytes() const { return memory_bytes_; }

  // f(idx, record) for every live record; f may erase the record it is given.
  template <class F>
  void for_each(F&& f) {
    for (uint32_t i = 0; i < slots_; i++)
      if (occupied(i)) f(i, records_[i]);
  }

 private:
  explicit FlowTable(const FlowHash& h) : hash_(h) {}
  FlowHash hash_;
  rte_hash* hash_table_ = nullptr;
  FlowRecord* records_ = nullptr;
  uint8_t* used_ = nullptr;
  tcp::FourTuple* keys_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t slots_ = 0;
  uint32_t size_ = 0;
  uint64_t memory_bytes_ = 0;
};

}  // namespace synack::flow
