// Per-lcore connection table: rte_hash (no locks, no RW concurrency flags: one
// lcore owns it) mapping the 4-tuple to a slot in a preallocated record array.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "flow/flow_record.h"
#include "tcp/segment.h"

struct rte_hash;

namespace synack::flow {

class FlowTable {
 public:
  static constexpr uint32_t kMaxBulk = 64;  // RTE_HASH_LOOKUP_BULK_MAX

  // Needs an initialised EAL. Returns nullptr and sets *err on failure.
  static std::unique_ptr<FlowTable> create(const std::string& name, uint32_t capacity,
                                           int socket_id, std::string* err);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // Slot index of `key`, or -1.
  int32_t lookup(const tcp::FourTuple& key) const;
  // Bulk lookup (n <= kMaxBulk) with prefetching: idx[i] = slot or -1.
  void lookup_bulk(const tcp::FourTuple* const* keys, uint32_t n, int32_t* idx) const;
  // New slot for `key` (record zeroed, key set): >= 0, or -ENOSPC when full,
  // -EEXIST when present. Never evicts.
  int32_t insert(const tcp::FourTuple& key);
  void erase(uint32_t idx);

  FlowRecord& at(uint32_t idx) { return records_[idx]; }
  const FlowRecord& at(uint32_t idx) const { return records_[idx]; }
  bool occupied(uint32_t idx) const;

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  // Upper bound (exclusive) of slot indices: size of per-slot side arrays (timers).
  uint32_t slots() const { return slots_; }

  // f(idx, record) for every live record; f may erase the record it is given.
  template <class F>
  void for_each(F&& f) {
    for (uint32_t i = 0; i < slots_; i++)
      if (occupied(i)) f(i, records_[i]);
  }

 private:
  FlowTable() = default;
  rte_hash* hash_ = nullptr;
  FlowRecord* records_ = nullptr;
  uint8_t* used_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t slots_ = 0;
  uint32_t size_ = 0;
};

}  // namespace synack::flow
