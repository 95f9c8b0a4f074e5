// TimerWheel hot path (arm, cancel, advance) and its list helpers; included by
// timer_wheel.h only. The design and its invariants are in timer_wheel.h.
//
// Lists are circular and doubly linked through Node::next/prev ids, each with
// its own head node (ids from capacity_ on), so unlinking never needs to know
// which list a timer is in; the level tag in prev says which count to keep. The
// due list holds only timers due at pos_: a level-0 slot spliced onto it in O(1)
// when its tick is fired, so that f may arm or cancel anything meanwhile, and
// what a capped call leaves of that tick. Its timers keep tag 0: level 0 keeps
// no counts, and its bitmap bits are cleared lazily, so nothing has to be
// retagged when a list moves.
#pragma once

#include <cassert>

namespace synack::flow {

inline uint32_t TimerWheel::level_for(uint64_t expiry) const {
  assert(expiry > pos_);
  uint32_t level = 0;
  // Terminates at the top level at the latest: see levels_ in init().
  while ((expiry >> shift(level)) - (pos_ >> shift(level)) >= slots_) level++;
  return level;
}

inline void TimerWheel::link(uint32_t id, uint32_t head_id, uint32_t level) {
  Node& n = nodes_[id];
  Node& h = nodes_[head_id];
  const uint32_t first = h.next;
  n.next = first;
  n.prev = head_id | level << kIdBits;
  nodes_[first].prev = (nodes_[first].prev & ~kIdMask) | id;
  h.next = id;
  if (level > 0) h.expiry++;
  const uint32_t g = head_id - capacity_;
  bitmap_[g >> 6] |= uint64_t{1} << (g & 63);
}

inline void TimerWheel::unlink(uint32_t id) {
  Node& n = nodes_[id];
  const uint32_t level = tag(n);
  assert(level != kDisarmed);
  const uint32_t prev = n.prev & kIdMask;
  nodes_[prev].next = n.next;
  nodes_[n.next].prev = (nodes_[n.next].prev & ~kIdMask) | prev;
  if (level > 0) nodes_[head(level, ring_slot(n.expiry, level))].expiry--;
  n.prev = kDisarmed << kIdBits;
}

inline void TimerWheel::place(uint32_t id) {
  const uint64_t e = nodes_[id].expiry;
  const uint32_t level = level_for(e);
  link(id, head(level, ring_slot(e, level)), level);
}

inline void TimerWheel::arm(uint32_t id, uint64_t expiry_tick) {
  assert(id < capacity_);
  assert(expiry_tick < uint64_t{1} << 63);
  if (expiry_tick <= now_) expiry_tick = now_ + 1;
  if (armed(id))
    unlink(id);
  else
    armed_++;
  nodes_[id].expiry = expiry_tick;
  // Only while a capped call has left tick pos_ due (now_ == pos_ - 1): join it.
  if (expiry_tick <= pos_)
    link(id, due_, 0);
  else
    place(id);
}

inline void TimerWheel::cancel(uint32_t id) {
  assert(id < capacity_);
  if (!armed(id)) return;
  unlink(id);
  armed_--;
}

inline void TimerWheel::detach_due(uint32_t slot) {
  const uint32_t h = head(0, slot);
  Node& src = nodes_[h];
  if (src.next == h) return;
  const uint32_t first = src.next, last = src.prev & kIdMask;
  Node& due = nodes_[due_];
  assert(due.next == due_);
  due.next = first;
  due.prev = last;
  nodes_[first].prev = (nodes_[first].prev & ~kIdMask) | due_;
  nodes_[last].next = due_;
  src.next = src.prev = h;
}

template <class F>
bool TimerWheel::fire_due(uint32_t max_expiries, uint32_t* fired, F& f) {
  while (nodes_[due_].next != due_) {
    if (*fired == max_expiries) return false;
    const uint32_t id = nodes_[due_].next;
    unlink(id);
    armed_--;
    ++*fired;
    f(id);  // may arm/cancel id or any other, including the rest of the due list
  }
  return true;
}

template <class F>
uint32_t TimerWheel::advance(uint64_t now_tick, uint32_t max_expiries, F&& f) {
  if (now_tick <= now_) return 0;
  assert(now_tick < uint64_t{1} << 63);
  uint32_t fired = 0;
  // What a capped call left is the earliest: it goes first.
  now_ = pos_;
  if (!fire_due(max_expiries, &fired, f)) {
    now_ = pos_ - 1;
    return fired;
  }
  uint64_t at;
  while (pos_ < now_tick && next_event(now_tick, &at)) {
    pos_ = now_ = at;
    drain_overdue();
    detach_due(static_cast<uint32_t>(at) & mask_);
    if (!fire_due(max_expiries, &fired, f)) {
      now_ = pos_ - 1;
      pace();
      return fired;
    }
  }
  pos_ = now_ = now_tick;
  pace();
  return fired;
}

}  // namespace synack::flow
