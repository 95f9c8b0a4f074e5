// Per-lcore hashed timing wheel (after VPP's tw_timer): one timer per flow slot,
// O(1) arm/re-arm/cancel through intrusive doubly linked slot lists, and a cap on
// how many expiries one advance() handles. Ticks are milliseconds.
#pragma once

#include <cstdint>
#include <vector>

namespace synack::flow {

class TimerWheel {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Timer ids are [0, capacity). `slots` must be a power of two.
  TimerWheel(uint32_t capacity, uint64_t now_tick, uint32_t slots = 1024);

  // (Re)arms `id` to expire at `expiry_tick` (clamped to >= the current tick + 1).
  void arm(uint32_t id, uint64_t expiry_tick);
  void cancel(uint32_t id);
  bool armed(uint32_t id) const { return nodes_[id].slot != kNone; }
  uint32_t armed_count() const { return armed_; }
  uint64_t now() const { return now_; }

  // Expires timers whose tick <= now_tick, at most max_expiries of them (the rest
  // stay due and fire on the next call). Each timer is disarmed before f(id) runs,
  // so f may re-arm it. Returns how many fired.
  template <class F>
  uint32_t advance(uint64_t now_tick, uint32_t max_expiries, F&& f);

 private:
  struct Node {
    uint64_t expiry = 0;
    uint32_t prev = kNone;
    uint32_t next = kNone;
    uint32_t slot = kNone;  // kNone = not armed
  };
  void link(uint32_t id, uint32_t slot);
  void unlink(uint32_t id);

  std::vector<Node> nodes_;
  std::vector<uint32_t> heads_;
  uint64_t now_;  // every tick < now_ has been processed
  uint32_t mask_;
  uint32_t armed_ = 0;
};

}  // namespace synack::flow

#include "flow/timer_wheel_inl.h"
