// TimerWheel set-up and the cold half of advance(): event search, cascades and
// their pacing. The design is in timer_wheel.h, the hot path in timer_wheel_inl.h.
#include "flow/timer_wheel.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace synack::flow {
namespace {

// ceil(63 / b): then (levels - 1) * b >= 63 - b, so at the top level any 64-bit
// tick is fewer than 2^(b+1) slots ahead (see TimerWheel::level_for).
uint32_t levels_for(uint32_t slot_bits) {
  return (63 + slot_bits - 1) / slot_bits;
}

struct Layout {
  uint64_t nodes;  // timers + list heads + the due list's head
  size_t bytes;
  size_t bitmap_offset;
};

Layout layout(uint32_t capacity, uint32_t slot_bits) {
  const uint64_t slots = uint64_t{2} << slot_bits;
  const uint64_t heads = levels_for(slot_bits) * slots;
  Layout l;
  l.nodes = capacity + heads + 1;
  l.bitmap_offset = static_cast<size_t>(l.nodes * 16);
  // One bit per head; the due list's head gets a bit too (never read), so that
  // link() needs no test.
  l.bytes = l.bitmap_offset + static_cast<size_t>((heads / 64 + 1) * sizeof(uint64_t));
  return l;
}

}  // namespace

size_t TimerWheel::memory_bytes(uint32_t capacity, uint32_t slot_bits) {
  return layout(capacity, slot_bits).bytes;
}

bool TimerWheel::init(uint32_t capacity, uint64_t now_tick, const Allocator& alloc,
                      uint32_t slot_bits, std::string* err) {
  auto fail = [err](std::string msg) {
    if (err) *err = std::move(msg);
    return false;
  };
  if (slot_bits < kMinSlotBits || slot_bits > kMaxSlotBits)
    return fail("timer wheel: slot_bits " + std::to_string(slot_bits) + " must be in [" +
                std::to_string(kMinSlotBits) + ", " + std::to_string(kMaxSlotBits) + "]");
  if (now_tick >= (uint64_t{1} << 63)) return fail("timer wheel: the clock must start below 2^63");
  const Layout l = layout(capacity, slot_bits);
  if (l.nodes > kIdMask + uint64_t{1})
    return fail("timer wheel: " + std::to_string(capacity) + " timers is too many (at most " +
                std::to_string(kIdMask + uint64_t{1} - (l.nodes - capacity)) + ")");
  void* mem = alloc.alloc(l.bytes, alloc.ctx);
  if (mem == nullptr)
    return fail("timer wheel: cannot allocate " + std::to_string(l.bytes) + " bytes for " +
                std::to_string(capacity) + " timers");

  alloc_ = alloc;
  mem_ = mem;
  nodes_ = static_cast<Node*>(mem);
  bitmap_ = reinterpret_cast<uint64_t*>(static_cast<char*>(mem) + l.bitmap_offset);
  capacity_ = capacity;
  bits_per_level_ = slot_bits;
  levels_ = levels_for(slot_bits);
  slots_ = 2u << slot_bits;
  mask_ = slots_ - 1;
  due_ = static_cast<uint32_t>(l.nodes - 1);
  pos_ = now_ = paced_ = now_tick;
  // A distance of n bits, d < 2^n, is at least (e >> bL) - (pos >> bL) >=
  // 2^(b+1) slots ahead at every level with bL + b + 1 < n, and at most 2 slots
  // ahead at the first level with bL + b + 1 >= n: the level is that one or
  // the next (never past the top: there any distance fits).
  for (uint32_t n = 0; n <= 64; n++)
    min_level_[n] = static_cast<uint8_t>(
        n <= slot_bits + 1 ? 0 : (n - slot_bits - 1 + slot_bits - 1) / slot_bits);

  for (uint32_t i = 0; i < capacity; i++) nodes_[i] = Node{0, 0, kDisarmed << kIdBits};
  for (uint32_t h = capacity; h <= due_; h++) nodes_[h] = Node{0, h, h};
  std::fill(bitmap_, bitmap_ + (l.bytes - l.bitmap_offset) / sizeof(uint64_t), 0);
  return true;
}

std::unique_ptr<TimerWheel> TimerWheel::create(uint32_t capacity, uint64_t now_tick,
                                               const Allocator& alloc, std::string* err,
                                               uint32_t slot_bits) {
  std::unique_ptr<TimerWheel> w(new TimerWheel());
  if (!w->init(capacity, now_tick, alloc, slot_bits, err)) return nullptr;
  return w;
}

TimerWheel::TimerWheel(uint32_t capacity, uint64_t now_tick, uint32_t slot_bits) {
  std::string err;
  if (!init(capacity, now_tick, heap_allocator(), slot_bits, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    std::abort();
  }
}

TimerWheel::~TimerWheel() {
  if (mem_) alloc_.free(mem_, alloc_.ctx);
}

uint64_t TimerWheel::deadline(uint32_t level, uint64_t slot_index) const {
  const uint64_t lead = level >= 2 ? uint64_t{1} << shift(level - 1) : 0;
  return (slot_index << shift(level)) - lead - 1;
}

uint64_t TimerWheel::scan(uint32_t level, uint32_t from, uint64_t len) {
  uint64_t* words = bitmap_ + level * (slots_ / 64);
  uint64_t off = 0;
  while (off < len) {
    const uint32_t r = (from + static_cast<uint32_t>(off)) & mask_;
    const uint32_t bit = r & 63;
    const uint64_t span = std::min<uint64_t>(64 - bit, len - off);
    uint64_t w = words[r >> 6] >> bit;
    if (span < 64) w &= (uint64_t{1} << span) - 1;
    while (w) {
      const uint32_t t = static_cast<uint32_t>(__builtin_ctzll(w));
      const uint32_t h = head(level, r + t);
      if (nodes_[h].next != h) return off + t;
      words[r >> 6] &= ~(uint64_t{1} << (bit + t));  // stale: the list emptied
      w &= w - 1;
    }
    off += span;
  }
  return len;
}

bool TimerWheel::next_event(uint64_t t, uint64_t* at) {
  assert(t > pos_);
  bool found = false;
  uint64_t best = 0;
  // Level 0: the first non-empty slot in (pos_, t]; the ring reaches pos_ + S - 1.
  const uint64_t len0 = std::min<uint64_t>(t - pos_, slots_ - 1);
  const uint64_t off0 = scan(0, static_cast<uint32_t>(pos_ + 1) & mask_, len0);
  if (off0 < len0) {
    best = pos_ + 1 + off0;
    found = true;
  }
  // Level L: the first non-empty slot whose deadline is <= t. Its event is the
  // deadline, or the next tick if that has passed (which the invariants exclude;
  // the max() only keeps time from going back).
  for (uint32_t level = 1; level < levels_; level++) {
    const uint32_t sh = shift(level);
    const uint64_t p = pos_ >> sh;
    const uint64_t lead = level >= 2 ? uint64_t{1} << shift(level - 1) : 0;
    // The last slot j with deadline(level, j) <= t, without overflowing t.
    const uint64_t last = (t >> sh) + (((t & ((uint64_t{1} << sh) - 1)) + lead + 1) >> sh);
    const uint64_t jmax = std::min(last, p + slots_ - 1);
    if (jmax <= p) continue;
    if (found && std::max(pos_ + 1, deadline(level, p + 1)) >= best) continue;
    const uint64_t len = jmax - p;
    const uint64_t off = scan(level, static_cast<uint32_t>(p + 1) & mask_, len);
    if (off == len) continue;
    const uint64_t ev = std::max(pos_ + 1, deadline(level, p + 1 + off));
    if (!found || ev < best) {
      best = ev;
      found = true;
    }
  }
  *at = best;
  return found;
}

void TimerWheel::drain_overdue() {
  for (uint32_t level = levels_ - 1; level >= 1; level--) {
    const uint64_t j = (pos_ >> shift(level)) + 1;
    // The slot of the current window was drained before its deadline.
    assert(nodes_[head(level, static_cast<uint32_t>(j - 1) & mask_)].expiry == 0);
    const uint32_t h = head(level, static_cast<uint32_t>(j) & mask_);
    if (nodes_[h].expiry && deadline(level, j) <= pos_) move_down(h, nodes_[h].expiry);
  }
}

void TimerWheel::pace() {
  const uint64_t p = pos_;
  if (p == paced_) return;
  for (uint32_t level = 1; level < levels_; level++) {
    const uint32_t sh = shift(level);
    const uint64_t j = (p >> sh) + 1;
    const uint32_t h = head(level, static_cast<uint32_t>(j) & mask_);
    const uint64_t n = nodes_[h].expiry;
    if (n == 0) continue;
    const uint64_t d = deadline(level, j);
    assert(d > p);
    // This call covered the ticks (from, p] of the slot's drain window, which
    // runs from w0 to d; move the same share of what is left.
    const uint64_t w0 = (j - 1) << sh;
    const uint64_t from = paced_ >= w0 ? paced_ : w0 - 1;
    const uint64_t m = p - from, span = d - from;
    const unsigned __int128 share = (static_cast<unsigned __int128>(n) * m + span - 1) / span;
    move_down(h, static_cast<uint64_t>(share));
  }
  paced_ = p;
}

void TimerWheel::move_down(uint32_t head_id, uint64_t limit) {
  uint64_t moved = 0;
  while (moved < limit && nodes_[head_id].next != head_id) {
    const uint32_t id = nodes_[head_id].next;
    [[maybe_unused]] const uint32_t from = tag(nodes_[id]);
    unlink(id);
    place(id);
    assert(tag(nodes_[id]) < from);
    moved++;
  }
  cascades_ += moved;
}

}  // namespace synack::flow
