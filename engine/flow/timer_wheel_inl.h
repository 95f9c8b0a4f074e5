// TimerWheel template and hot-path helpers; included by timer_wheel.h only.
//
// Layout: heads_[s] is the head of a doubly linked list (Node::prev/next are ids)
// of the timers whose absolute expiry e has (e & mask_) == s. heads_[mask_ + 1]
// is the "walk list": the slot list advance() has detached and is consuming, so
// that f may arm/cancel any id (its own or others) while the walk is under way.
// Nodes on the walk list have slot == mask_ + 1 and still count as armed.
//
// now_ is the last tick that advance() has completely processed (the clock the
// callers see through now()); arm() clamps expiries to >= now_ + 1 so that a
// timer never lands in a tick that has already been walked. Invariant between
// calls: every armed timer has expiry > now_ and sits in slot (expiry & mask_).
//
// Complexity: arm/cancel/armed are O(1) and never allocate. advance(t) visits
// min(t - now_, slots) slots (at most one lap, however far t jumps ahead: with
// a jump, every slot is visited once and everything with expiry <= t fires) and
// examines every timer in the visited slots. A timer whose expiry is k laps
// ahead is examined k times before it fires, so a long timer (e.g. 60 s with
// 1024 1-ms slots) costs ~59 list steps over its life. At most max_expiries
// callbacks run per call; the timers left due fire, earliest slot first, on the
// next call. Within one tick, firing order is unspecified; after a jump of more
// than one lap, timers fire in slot order, not in expiry order.
#pragma once

#include <cassert>
#include <utility>

namespace synack::flow {

inline void TimerWheel::link(uint32_t id, uint32_t slot) {
  Node& n = nodes_[id];
  uint32_t& head = heads_[slot];
  n.slot = slot;
  n.prev = kNone;
  n.next = head;
  if (head != kNone) nodes_[head].prev = id;
  head = id;
  armed_++;
}

inline void TimerWheel::unlink(uint32_t id) {
  Node& n = nodes_[id];
  assert(n.slot != kNone);
  if (n.prev != kNone)
    nodes_[n.prev].next = n.next;
  else
    heads_[n.slot] = n.next;
  if (n.next != kNone) nodes_[n.next].prev = n.prev;
  n.prev = n.next = n.slot = kNone;
  armed_--;
}

template <class F>
uint32_t TimerWheel::advance(uint64_t now_tick, uint32_t max_expiries, F&& f) {
  if (now_tick <= now_) return 0;
  const uint32_t walk = mask_ + 1;  // index of the walk-list head
  const uint64_t start = now_;
  // One lap at most: after it every slot has been seen once.
  const uint64_t end = now_tick - start > walk ? start + walk : now_tick;
  uint32_t fired = 0;

  for (uint64_t tick = start + 1; tick <= end; tick++) {
    const uint32_t slot = static_cast<uint32_t>(tick) & mask_;
    if (heads_[slot] == kNone) continue;
    // Detach the slot's list onto the walk list.
    uint32_t head = heads_[slot];
    heads_[slot] = kNone;
    heads_[walk] = head;
    for (uint32_t i = head; i != kNone; i = nodes_[i].next) nodes_[i].slot = walk;
    // Arms made by f during this tick must land after it.
    now_ = tick;

    while (heads_[walk] != kNone) {
      if (fired == max_expiries) {
        // Cap reached: put back what is left and resume at this tick next call.
        while (heads_[walk] != kNone) {
          const uint32_t id = heads_[walk];
          unlink(id);
          link(id, slot);
        }
        now_ = tick - 1;
        return fired;
      }
      const uint32_t id = heads_[walk];
      unlink(id);
      if (nodes_[id].expiry <= now_tick) {
        fired++;
        f(id);  // may arm/cancel id or any other id, including ones on the walk list
      } else {
        link(id, slot);  // a later lap
      }
    }
  }
  now_ = now_tick;
  return fired;
}

}  // namespace synack::flow
