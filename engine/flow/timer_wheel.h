// Per-lcore hierarchical timing wheel: one timer per flow slot, O(1) arm/re-arm/
// cancel, deadlines exact to the tick on a 64-bit tick clock (milliseconds in the
// engine), and bounded work per advance(). Hierarchical wheels are Varghese &
// Lauck's (as in VPP's tw_timer and Linux's cascading wheel before 4.8); the
// double-length rings and the paced cascade are this class's own.
//
// Levels. With b = slot_bits, level L has S = 2^(b+1) slots of 2^(bL) ticks each.
// A timer due at tick e sits in slot (e >> bL) mod S of the lowest level L where
// (e >> bL) - (pos >> bL) < S, pos being the wheel's position. levels =
// ceil(63 / b) (7 for b = 10), which covers every 64-bit tick: there is no level
// above the top one, so no overflow list and no clamping; any expiry is exact.
// A level-0 slot holds one tick, so everything in it fires together, with no
// comparison.
//
// Cascades. The slot a level enters next, pos_L + 1, is its "draining" slot. A
// ring is twice as long as the ratio between levels, so every timer due in a
// draining slot also fits one level down: arms never land in it, and from the
// moment it becomes the draining slot its content only shrinks. It is emptied
// into the lower levels during the level-L window before its own, by its
// deadline D(j) = j * 2^(bL) - 2^(b(L-1)) - 1 (L >= 2; j * 2^b - 1 at L = 1):
// the last tick before its first sub-slot starts draining one level down (or,
// at level 1, fires). A moved timer goes to the lowest level it fits in,
// always lower than before, so a timer placed at level L is moved at most L <=
// levels - 1 times in its life (at b = 10: never below 2048 ticks, once for
// 60 s and 300 s).
//
// Bounded work. At the end of each advance() the draining slot of each level
// L >= 1 moves ceil(n * m / (D - P + m)) of its n timers, where P < D is the
// position reached and m the ticks this call covered of the slot's drain window
// (the deadline tick itself moves the rest). With one tick per call that is
// ceil(n / ticks left), which never exceeds ceil(n0 / W_L), n0 being the slot's
// count when it started draining and W_L = 2^(bL) - 2^(b(L-1)) (2^b at L = 1)
// the number of ticks in its window: 10^6 timers in one level-1 slot (b = 10)
// move at most ceil(10^6 / 1024) per tick, not 10^6 at once. So a one-tick call
// does at most max_expiries callbacks plus sum over L of ceil(n0_L / W_L) moves.
// A call that jumps past a deadline moves what is left of that slot at once,
// part of the O(timers touched) every jump costs.
//
// Jumps. advance(t) visits, in tick order, only the deadlines and the non-empty
// level-0 slots up to t, found through one bitmap per level (a set bit means
// "may be non-empty"; stale bits are cleared when seen), so a jump from tick 1 to
// 2^40 costs O(levels * slots / 64) per event plus the timers it touches, never
// O(t - now).
//
// Caps. When max_expiries callbacks have run, what is left of the tick being
// fired stays on a due list and fires first on the next call (earliest first:
// nothing later has been processed); now() is then the tick before it.
//
// Memory, all taken at construction from the caller's Allocator (none later):
// 16 bytes per timer (64-bit expiry and two 32-bit links, the level in the top
// 4 bits of one), plus 16 bytes and 1 bit per slot, levels * S slots (224 KiB
// + 1.75 KiB at b = 10). Timer ids plus list heads must stay below 2^28.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "flow/allocator.h"

namespace synack::flow {

class TimerWheel {
 public:
  // 2048-slot rings: in bench_timer's steady run they cascade a quarter as
  // often as 512-slot ones (b = 8), for 224 KiB of list heads instead of 64.
  static constexpr uint32_t kDefaultSlotBits = 10;
  static constexpr uint32_t kMinSlotBits = 5;   // levels must fit the 4-bit tag
  static constexpr uint32_t kMaxSlotBits = 12;  // 8192-slot rings

  // Timer ids are [0, capacity); the clock starts at now_tick. Memory comes from
  // `alloc`; returns nullptr and sets *err when the arguments are out of range or
  // the allocator has no memory.
  static std::unique_ptr<TimerWheel> create(uint32_t capacity, uint64_t now_tick,
                                            const Allocator& alloc, std::string* err,
                                            uint32_t slot_bits = kDefaultSlotBits);
  // The same on the heap, for unit tests and tools: aborts if that fails.
  TimerWheel(uint32_t capacity, uint64_t now_tick, uint32_t slot_bits = kDefaultSlotBits);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Bytes create() asks the allocator for.
  static size_t memory_bytes(uint32_t capacity, uint32_t slot_bits = kDefaultSlotBits);

  // (Re)arms `id` to expire at `expiry_tick`, clamped to >= now() + 1. Re-arming
  // an armed timer moves it. Ticks (clock and expiries) stay below 2^63.
  void arm(uint32_t id, uint64_t expiry_tick);
  void cancel(uint32_t id);
  bool armed(uint32_t id) const { return tag(nodes_[id]) != kDisarmed; }
  uint32_t armed_count() const { return armed_; }
  // Every timer due at or before now() has fired. Inside f, the tick being fired.
  uint64_t now() const { return now_; }

  // Fires the timers due at or before now_tick, earliest tick first (within one
  // tick in no particular order), at most max_expiries of them; the rest stay due
  // and fire first on the next call. Each timer is disarmed before f(id) runs; f
  // may arm or cancel any id, including ones due later in this call (they fire
  // in this call if the cap allows), but must not call advance(). Returns how
  // many fired. now_tick <= now() does nothing.
  template <class F>
  uint32_t advance(uint64_t now_tick, uint32_t max_expiries, F&& f);

  uint32_t capacity() const { return capacity_; }
  uint32_t slot_bits() const { return bits_per_level_; }
  uint32_t levels() const { return levels_; }
  // Timers moved to a lower level since construction (the cascade work).
  uint64_t cascades() const { return cascades_; }

 private:
  struct Node {
    uint64_t expiry;  // in a list head of level >= 1: the list's length
    uint32_t next;
    uint32_t prev;  // low kIdBits: id; top bits: the level (kDisarmed: not armed)
  };
  static_assert(sizeof(Node) == 16);
  static constexpr uint32_t kIdBits = 28;
  static constexpr uint32_t kIdMask = (1u << kIdBits) - 1;
  static constexpr uint32_t kDisarmed = 15;

  TimerWheel() = default;
  bool init(uint32_t capacity, uint64_t now_tick, const Allocator& alloc, uint32_t slot_bits,
            std::string* err);

  static uint32_t tag(const Node& n) { return n.prev >> kIdBits; }
  uint32_t shift(uint32_t level) const { return level * bits_per_level_; }
  // Id of the list head of ring slot `slot` of `level`.
  uint32_t head(uint32_t level, uint32_t slot) const { return capacity_ + level * slots_ + slot; }
  uint32_t ring_slot(uint64_t tick, uint32_t level) const {
    return static_cast<uint32_t>(tick >> shift(level)) & mask_;
  }
  uint64_t deadline(uint32_t level, uint64_t slot_index) const;
  uint32_t level_for(uint64_t expiry) const;

  void link(uint32_t id, uint32_t head_id, uint32_t level);
  void unlink(uint32_t id);
  void place(uint32_t id);
  // Offset in [0, len) of the first non-empty slot from ring slot `from` on, or len.
  uint64_t scan(uint32_t level, uint32_t from, uint64_t len);
  // Tick of the next deadline or non-empty level-0 slot in (pos_, t], if any.
  bool next_event(uint64_t t, uint64_t* at);
  void drain_overdue();
  void pace();
  void move_down(uint32_t head_id, uint64_t limit);
  void detach_due(uint32_t slot);
  template <class F>
  bool fire_due(uint32_t max_expiries, uint32_t* fired, F& f);

  Allocator alloc_{};
  void* mem_ = nullptr;
  Node* nodes_ = nullptr;       // timers, then levels * slots_ list heads, then the due list
  uint64_t* bitmap_ = nullptr;  // levels * slots_ bits: the slot may be non-empty
  uint32_t capacity_ = 0;
  uint32_t bits_per_level_ = 0;
  uint32_t levels_ = 0;
  uint32_t slots_ = 0;  // S, per level
  uint32_t mask_ = 0;
  uint32_t due_ = 0;  // id of the due list's head
  // min_level_[n]: the lowest level a timer n bits of distance ahead can be in;
  // it is there or one level up.
  uint8_t min_level_[65] = {};
  uint32_t armed_ = 0;
  uint64_t pos_ = 0;    // every level-0 slot up to this tick has been detached
  uint64_t now_ = 0;    // pos_, or pos_ - 1 while the due list holds tick pos_
  uint64_t paced_ = 0;  // pos_ when pace() last ran
  uint64_t cascades_ = 0;
};

}  // namespace synack::flow

#include "flow/timer_wheel_inl.h"
