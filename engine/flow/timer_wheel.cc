// Per-lcore hashed timing wheel: see timer_wheel.h and timer_wheel_inl.h.
#include "flow/timer_wheel.h"

#include <cassert>
#include <cstddef>

namespace synack::flow {

TimerWheel::TimerWheel(uint32_t capacity, uint64_t now_tick, uint32_t slots)
    : nodes_(capacity),
      // One extra head, heads_[slots], holds the list that advance() is
      // currently walking (see timer_wheel_inl.h).
      heads_(std::size_t{slots} + 1, kNone),
      now_(now_tick),
      mask_(slots - 1) {
  assert(slots >= 1 && (slots & (slots - 1)) == 0 && slots < (1u << 31));
}

void TimerWheel::arm(uint32_t id, uint64_t expiry_tick) {
  assert(id < nodes_.size());
  if (expiry_tick <= now_) expiry_tick = now_ + 1;
  if (nodes_[id].slot != kNone) unlink(id);
  nodes_[id].expiry = expiry_tick;
  link(id, static_cast<uint32_t>(expiry_tick) & mask_);
}

void TimerWheel::cancel(uint32_t id) {
  assert(id < nodes_.size());
  if (nodes_[id].slot != kNone) unlink(id);
}

}  // namespace synack::flow
