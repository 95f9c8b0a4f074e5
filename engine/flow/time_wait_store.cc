// TIME-WAIT store: slot array + FIFO links + bucketed hash index.
//
// Why a linked FIFO and not a ring of entries with tombstones: erase() (every
// RFC 6191 reopen, every RST) and restart() leave the slot they vacate in the
// middle of the FIFO. In a ring, such a slot is only reusable once the head
// reaches it, and the head can be pinned by one entry for a whole TIME-WAIT
// length: a client reusing its ports at A connections/s would need A * 2*MSL
// ring slots for far fewer live entries, or live entries would be recycled
// early with the store nowhere near full. Links cost 8 bytes per entry and
// make erase and restart O(1) with the slot reusable at once.
//
// The index: buckets of one cache line, kSlots (tag, slot) pairs each, the tag
// being the low 16 bits of the signature and the home bucket coming from its
// high bits (multiply-shift, so that the bucket count need not be a power of
// two and the load is the same for every capacity; past 2^16 buckets home and
// tag share bits and the tag filters a little less). A full bucket spills
// into the next (linear probing by bucket), and each bucket counts the entries
// that spilled past it: a lookup stops at the first bucket whose count is
// zero, and deletion needs no backward shift, only the counts decremented
// along the path. That is why the index is not a plain array of slot numbers
// with backward-shift deletion: shifting needs the home of every entry it
// moves, i.e. an entry read and a hasher call each, where here a removal
// costs one hasher call (to find its home bucket) and no entry reads. A miss
// reads one cache line unless its home bucket has spilled; a hit reads one
// more, the entry (so does a tag match on another key). With every signature
// equal, all entries share one probe path: slow, still correct
// (tests/unit/flow checks it).
#include "flow/time_wait_store.h"

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cassert>
#include <cstring>

namespace synack::flow {

namespace {
constexpr uint32_t kSlots = 10;  // (2 + 4) bytes per slot, 4 bytes of count: one cache line
// Entries per bucket at full capacity: load 6/10, 64/6 = 10.7 index bytes per
// entry. Past 6 the home buckets that have spilled, and with them the misses
// that read a second line behind an unpredictable branch, grow fast:
// bench_time_wait (BM_TwFindMiss, BM_TwFindBulk32Miss), full store of 2^16,
// medians of 5 on this 2-vCPU guest under load from other jobs, kFill 5 / 6 /
// 7 / 8: 4.0 / 4.1-4.4 / 5.3 / 10.4 ns per miss, bulk 4.0 / 4.6 / 6.8 / 12.1
// ns; hits and insert + expiry did not differ beyond the noise.
constexpr uint32_t kFill = 6;
}  // namespace

struct alignas(64) TimeWaitStore::Bucket {
  uint16_t tag[kSlots];
  uint32_t spilled;        // entries stored past this bucket whose home is this one or earlier
  uint32_t slot1[kSlots];  // slot + 1; 0 = empty, so that zeroed memory is an empty index
};

std::unique_ptr<TimeWaitStore> TimeWaitStore::create(uint32_t capacity, int socket_id,
                                                     KeyHasher hasher, std::string* err) {
  auto fail = [err](std::string msg) {
    if (err) *err = std::move(msg);
    return std::unique_ptr<TimeWaitStore>();
  };
  const std::string flag = "--max_time_wait=" + std::to_string(capacity);
  if (capacity < 1 || capacity > kMaxCapacity)
    return fail(flag + ": must be between 1 and " + std::to_string(kMaxCapacity));
  assert(hasher.fn != nullptr);
  static_assert(sizeof(Bucket) == 64, "an index bucket is one cache line");

  std::unique_ptr<TimeWaitStore> s(new TimeWaitStore());
  s->hasher_ = hasher;
  s->capacity_ = capacity;
  s->buckets_ = (capacity + kFill - 1) / kFill;
  s->entries_ = static_cast<Entry*>(rte_zmalloc_socket(
      "time_wait_entries", sizeof(Entry) * size_t{capacity}, RTE_CACHE_LINE_SIZE, socket_id));
  s->links_ = static_cast<Link*>(rte_zmalloc_socket(
      "time_wait_links", sizeof(Link) * size_t{capacity}, RTE_CACHE_LINE_SIZE, socket_id));
  s->index_ = static_cast<Bucket*>(rte_zmalloc_socket(
      "time_wait_index", sizeof(Bucket) * size_t{s->buckets_}, RTE_CACHE_LINE_SIZE, socket_id));
  if (s->entries_ == nullptr || s->links_ == nullptr || s->index_ == nullptr)
    return fail(flag + ": cannot allocate the TIME-WAIT store (" +
                std::to_string(s->memory_bytes() >> 20) + " MiB) on socket " +
                std::to_string(socket_id) + ": give EAL more memory (-m) or lower --max_time_wait");
  return s;
}

TimeWaitStore::~TimeWaitStore() {
  rte_free(index_);
  rte_free(links_);
  rte_free(entries_);
}

size_t TimeWaitStore::memory_bytes() const {
  return (sizeof(Entry) + sizeof(Link)) * size_t{capacity_} + sizeof(Bucket) * size_t{buckets_};
}

double TimeWaitStore::index_bytes_per_entry() const {
  return static_cast<double>(sizeof(Bucket) * size_t{buckets_}) / capacity_;
}

namespace {
// Bit i set when tag[i] == t, i < kSlots. Empty slots keep a stale or zero
// tag, so a set bit still needs slot1[i] != 0.
#if defined(__SSE2__)
inline uint32_t tag_match(const uint16_t* tag, uint16_t t) {
  const __m128i want = _mm_set1_epi16(static_cast<short>(t));
  // tags 0..7 and 2..9 (the second load ends at byte 20, inside the bucket)
  const __m128i lo = _mm_cmpeq_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(tag)), want);
  const __m128i hi =
      _mm_cmpeq_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(tag + 2)), want);
  const uint32_t m = static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(lo, hi)));
  return (m & 0xffu) | ((m >> 8) << 2);
}
#else
inline uint32_t tag_match(const uint16_t* tag, uint16_t t) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < kSlots; i++) m |= uint32_t{tag[i] == t} << i;
  return m;
}
#endif
}  // namespace

// The slot of `key` among the tag matches `m` of bucket `bk`, or kNone.
inline uint32_t TimeWaitStore::scan(const Bucket& bk, uint32_t m, const tcp::FourTuple& key) const {
  for (; m != 0; m &= m - 1) {
    const uint32_t s1 = bk.slot1[__builtin_ctz(m)];
    if (s1 != 0 && entries_[s1 - 1].key == key) return s1 - 1;
  }
  return kNone;
}

// The rest of a lookup once bucket b (not holding the key) has spilled.
uint32_t TimeWaitStore::find_spilled(const tcp::FourTuple& key, uint32_t sig, uint32_t b) const {
  const uint16_t tag = static_cast<uint16_t>(sig);
  for (uint32_t n = 1; n < buckets_; n++) {
    b = next_bucket(b);
    const Bucket& bk = index_[b];
    const uint32_t slot = scan(bk, tag_match(bk.tag, tag), key);
    if (slot != kNone) return slot;
    if (bk.spilled == 0) return kNone;
  }
  return kNone;
}

uint32_t TimeWaitStore::find(const tcp::FourTuple& key, uint32_t sig) const {
  const uint32_t b = home(sig);
  const Bucket& bk = index_[b];
  const uint32_t slot = scan(bk, tag_match(bk.tag, static_cast<uint16_t>(sig)), key);
  if (slot != kNone || bk.spilled == 0) return slot;
  return find_spilled(key, sig, b);
}

void TimeWaitStore::find_bulk(const tcp::FourTuple* const* keys, const uint32_t* sigs, uint32_t n,
                              uint32_t* handles) const {
  assert(n <= kMaxBulk);
  uint32_t home_of[kMaxBulk], match[kMaxBulk];
  for (uint32_t k = 0; k < n; k++) {
    home_of[k] = home(sigs[k]);
    rte_prefetch0(&index_[home_of[k]]);
  }
  // A hit almost always reads the entry of the home bucket's first tag match.
  for (uint32_t k = 0; k < n; k++) {
    const Bucket& bk = index_[home_of[k]];
    match[k] = tag_match(bk.tag, static_cast<uint16_t>(sigs[k]));
    if (match[k] != 0) rte_prefetch0(&entries_[bk.slot1[__builtin_ctz(match[k])] - 1]);
    if (bk.spilled != 0) rte_prefetch0(&index_[next_bucket(home_of[k])]);
  }
  for (uint32_t k = 0; k < n; k++) {
    const Bucket& bk = index_[home_of[k]];
    uint32_t slot = match[k] != 0 ? scan(bk, match[k], *keys[k]) : kNone;
    if (slot == kNone && bk.spilled != 0) slot = find_spilled(*keys[k], sigs[k], home_of[k]);
    handles[k] = slot;
  }
}

void TimeWaitStore::index_add(uint32_t sig, uint32_t slot) {
  const uint16_t tag = static_cast<uint16_t>(sig);
  uint32_t b = home(sig);
  // Ends: the index has buckets_ * kSlots > capacity_ >= size_ slots.
  for (;;) {
    Bucket& bk = index_[b];
    for (uint32_t i = 0; i < kSlots; i++) {
      if (bk.slot1[i] == 0) {
        bk.tag[i] = tag;
        bk.slot1[i] = slot + 1;
        return;
      }
    }
    bk.spilled++;
    b = next_bucket(b);
  }
}

void TimeWaitStore::index_remove(uint32_t slot, uint32_t sig) {
  uint32_t b = home(sig);
  for (uint32_t n = 0; n < buckets_; n++) {
    Bucket& bk = index_[b];
    for (uint32_t i = 0; i < kSlots; i++) {
      if (bk.slot1[i] == slot + 1) {
        bk.slot1[i] = 0;
        return;
      }
    }
    // Not here: it spilled past this bucket when it was added.
    assert(bk.spilled > 0 && "hasher(key) differs from the signature given to insert()");
    bk.spilled--;
    b = next_bucket(b);
  }
  assert(false && "TIME-WAIT entry missing from the index");
}

void TimeWaitStore::link_tail(uint32_t slot) {
  Link& l = links_[slot];
  l.prev = tail_;
  l.next = kNone;
  if (tail_ != kNone)
    links_[tail_].next = slot;
  else
    head_ = slot;
  tail_ = slot;
}

void TimeWaitStore::unlink(uint32_t slot) {
  const Link l = links_[slot];
  assert(l.prev != kFree);
  if (l.prev != kNone)
    links_[l.prev].next = l.next;
  else
    head_ = l.next;
  if (l.next != kNone)
    links_[l.next].prev = l.prev;
  else
    tail_ = l.prev;
}

void TimeWaitStore::remove(uint32_t slot, uint32_t sig) {
  index_remove(slot, sig);
  unlink(slot);
  links_[slot].prev = kFree;
  links_[slot].next = free_;
  free_ = slot;
  size_--;
}

uint32_t TimeWaitStore::take_expired(uint64_t now_ms, uint32_t max, Expired* out) {
  uint32_t slots[kExpireBatch], sigs[kExpireBatch];
  uint32_t n = 0;
  for (uint32_t s = head_; n < max && s != kNone && deadline_of(entries_[s]) <= now_ms;
       s = links_[s].next) {
    slots[n] = s;
    sigs[n] = hasher_(entries_[s].key);
    rte_prefetch0(&index_[home(sigs[n])]);
    n++;
  }
  for (uint32_t i = 0; i < n; i++) {
    out[i].key = entries_[slots[i]].key;
    out[i].state = unpack(entries_[slots[i]]);
    remove(slots[i], sigs[i]);
  }
  return n;
}

// FIFO order: an entry never expires before the one ahead of it.
uint64_t TimeWaitStore::fifo_deadline(uint64_t deadline_ms) const {
  return tail_ == kNone ? deadline_ms : std::max(deadline_ms, deadline_of(entries_[tail_]));
}

void TimeWaitStore::set_deadline(Entry& e, uint64_t deadline_ms) {
  e.word = (e.word & ((uint64_t{1} << kDeadlineShift) - 1)) |
           ((deadline_ms & kDeadlineMask) << kDeadlineShift);
}

TimeWaitStore::Inserted TimeWaitStore::insert(const tcp::FourTuple& key, uint32_t sig,
                                              const TimeWaitState& state, uint64_t deadline_ms) {
  assert(state.rcv_wscale <= 14);
  Inserted r;
  if (size_ == capacity_) {
    r.recycled = true;
    r.recycled_key = entries_[head_].key;
    r.recycled_state = unpack(entries_[head_]);
    remove(head_, hasher_(r.recycled_key));
  }
  deadline_ms = fifo_deadline(deadline_ms);
  // The reference for deadline_of() must stay >= every live deadline: when the
  // store is empty the new deadline is the only one.
  newest_deadline_ = size_ == 0 ? deadline_ms : std::max(newest_deadline_, deadline_ms);

  uint32_t slot;
  if (free_ != kNone) {
    slot = free_;
    free_ = links_[slot].next;
  } else {
    slot = high_water_++;
  }
  Entry& e = entries_[slot];
  e.key = key;
  e.snd_nxt = state.snd_nxt.raw();
  e.rcv_nxt = state.rcv_nxt.raw();
  e.ts_recent = state.ts_recent;
  e.word = (state.timestamps ? 1u : 0u) | (uint64_t{state.rcv_wscale & 0xfu} << 1) |
           (uint64_t{state.oow_ack_stamp} << kStampShift);
  set_deadline(e, deadline_ms);
  index_add(sig, slot);
  link_tail(slot);
  size_++;
  r.handle = slot;
  return r;
}

uint32_t TimeWaitStore::restart(uint32_t handle, uint64_t new_deadline_ms) {
  assert(handle < high_water_ && links_[handle].prev != kFree);
  new_deadline_ms = fifo_deadline(new_deadline_ms);
  newest_deadline_ = std::max(newest_deadline_, new_deadline_ms);
  if (handle != tail_) {
    unlink(handle);
    link_tail(handle);
  }
  set_deadline(entries_[handle], new_deadline_ms);
  return handle;
}

void TimeWaitStore::erase(uint32_t handle) {
  assert(handle < high_water_ && links_[handle].prev != kFree);
  remove(handle, hasher_(entries_[handle].key));
}

}  // namespace synack::flow
