// TimerWheel hot path (arm, cancel, advance) and its list helpers; included by
// timer_wheel.h only. The design and its invariants are in timer_wheel.h.
//
// Lists are circular and doubly linked through Node::next/prev ids, each with
// its own head node (ids from capacity_ on), so unlinking never needs to know
// which list a timer is in; the level tag in prev says which count to keep.
// Every node of a list has the same level, so a neighbour's prev is rewritten
// with the tag of the node being linked or unlinked, as a plain store: reading
// the neighbour first would put its cache miss on the critical path. (A list
// head's prev gets a tag too, and is only read masked.)
//
// The due list holds only timers due at pos_: a level-0 slot is spliced onto it
// in O(1) when its tick is fired, so that f may arm or cancel anything
// meanwhile, and it keeps what a capped call leaves of that tick. Its timers
// keep tag 0: level 0 keeps no counts and clears its bitmap bits lazily, so
// nothing has to be retagged when a list moves.
#pragma once

#include <cassert>

namespace synack::flow {

inline uint32_t TimerWheel::level_for(uint64_t expiry) const {
  assert(expiry > pos_);
  // Branch-free: the bit length of the distance gives the level or the one
  // below it (see init()); one comparison decides.
  uint32_t level = min_level_[64 - __builtin_clzll(expiry - pos_)];
  const uint32_t sh = shift(level);
  level += (expiry >> sh) - (pos_ >> sh) >= slots_;
  return level;
}

// link() and unlink() read every member they need before their first store:
// a store through Node* may alias them, which would force reloads.
inline void TimerWheel::link(uint32_t id, uint32_t head_id, uint32_t level) {
  Node* const nodes = nodes_;
  uint64_t* const word = bitmap_ + ((head_id - capacity_) >> 6);
  const uint64_t bit = uint64_t{1} << ((head_id - capacity_) & 63);
  Node& n = nodes[id];
  Node& h = nodes[head_id];
  const uint32_t first = h.next;
  n.next = first;
  n.prev = head_id | level << kIdBits;
  nodes[first].prev = id | level << kIdBits;  // a plain store: see the top
  h.next = id;
  h.expiry += level != 0;  // level 0 keeps no count; no branch either
  *word |= bit;
}

inline void TimerWheel::unlink(uint32_t id) {
  Node* const nodes = nodes_;
  Node& n = nodes[id];
  const uint32_t level = tag(n);
  assert(level != kDisarmed);
  const uint32_t prev = n.prev & kIdMask, next = n.next;
  const uint32_t h = head(level, ring_slot(n.expiry, level));
  nodes[prev].next = next;
  nodes[next].prev = prev | level << kIdBits;
  nodes[h].expiry -= level != 0;
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
  nodes_[first].prev = due_;  // level 0: tag 0
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
