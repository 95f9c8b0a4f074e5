// Per-lcore TIME-WAIT store: what RFC 9293 3.10.7.4 TIME-WAIT processing needs
// from a closed connection, in 32 bytes, apart from the flow table and bounded
// in number (--max_time_wait). When it is full, inserting recycles the oldest
// entry early, and says so, so the caller counts it.
//
// All TIME-WAITs last equally long (2*MSL), so expiry order is insertion order:
// the entries form a FIFO (an intrusive doubly linked list over a fixed slot
// array), appended at the tail, expired from the head, no timer wheel. A
// retransmitted FIN restarts the 2*MSL timer (RFC 9293 3.10.7.4, "restart the
// 2 MSL timeout"): the entry moves to the tail. Lookups by 4-tuple go through a
// bucketed hash index of slot numbers keyed by the caller's 32-bit signature.
// Everything is allocated by create(); no operation allocates.
//
// Handles are slot numbers: stable for an entry's whole life (restart() does
// not move it in memory), invalid once it is erased, expired or recycled (the
// slot may then hold a newer entry).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tcp/endpoint.h"
#include "tcp/segment.h"
#include "tcp/seq.h"

namespace synack::flow {

// The connection state TIME-WAIT still needs (tcp::Endpoint works on it): the
// sequence numbers to ACK a retransmitted FIN and to judge a reopening SYN
// (RFC 6191), TS.Recent for PAWS and the TSecr of our ACKs (RFC 7323), and our
// window shift for their window.
using TimeWaitState = tcp::TimeWaitState;

// The caller's 32-bit hash of a 4-tuple. The store calls it only when it
// removes an entry (expiry, recycling, erase) to find the entry's index slot;
// the signature given to insert() and find() must equal hasher(key).
struct KeyHasher {
  uint32_t (*fn)(const tcp::FourTuple& key, const void* ctx) = nullptr;
  const void* ctx = nullptr;
  uint32_t operator()(const tcp::FourTuple& key) const { return fn(key, ctx); }
};

class TimeWaitStore {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kMaxCapacity = 1u << 26;
  static constexpr uint32_t kMaxBulk = 64;

  // `capacity` entries in [1, kMaxCapacity], memory on `socket_id` (needs an
  // initialised EAL). nullptr and a one-line *err naming --max_time_wait when
  // the capacity is out of range or the memory cannot be had.
  static std::unique_ptr<TimeWaitStore> create(uint32_t capacity, int socket_id, KeyHasher hasher,
                                               std::string* err);
  ~TimeWaitStore();
  TimeWaitStore(const TimeWaitStore&) = delete;
  TimeWaitStore& operator=(const TimeWaitStore&) = delete;

  // Handle of `key`, or kNone. sig == hasher(key).
  uint32_t find(const tcp::FourTuple& key, uint32_t sig) const;
  // n <= kMaxBulk lookups with the index buckets and the candidate entries
  // prefetched ahead: handles[i] = find(*keys[i], sigs[i]).
  void find_bulk(const tcp::FourTuple* const* keys, const uint32_t* sigs, uint32_t n,
                 uint32_t* handles) const;

  struct Inserted {
    uint32_t handle = kNone;
    bool recycled = false;  // the store was full: the oldest entry made room
    tcp::FourTuple recycled_key;
    TimeWaitState recycled_state;
  };
  // Adds `key` (the caller guarantees it is not present; sig == hasher(key))
  // to expire at deadline_ms. Deadlines are kept in FIFO order: a deadline
  // earlier than the newest entry's is raised to it (with one TIME-WAIT length
  // and a monotonic clock that never happens). When size() == capacity(), the
  // oldest entry is removed first and reported in the result.
  Inserted insert(const tcp::FourTuple& key, uint32_t sig, const TimeWaitState& state,
                  uint64_t deadline_ms);

  // Restarts the 2*MSL timer of `handle`: it becomes the newest entry, expiring
  // at new_deadline_ms, raised to the newest entry's deadline (its own
  // included: a restart never shortens a TIME-WAIT) if earlier. Returns the
  // entry's handle, which is `handle`: entries never move.
  uint32_t restart(uint32_t handle, uint64_t new_deadline_ms);

  // Removes `handle` (a SYN reopened the connection, RFC 6191, or a valid RST).
  void erase(uint32_t handle);

  // TS.Recent moved (RFC 7323 4.3: a segment in TIME-WAIT carried a newer TSval).
  void set_ts_recent(uint32_t handle, uint32_t ts_recent) {
    entries_[handle].ts_recent = ts_recent;
  }
  // The last throttled ACK's stamp (RFC 5961 7), as the segment left it.
  void set_oow_ack_stamp(uint32_t handle, uint16_t stamp) {
    uint64_t& w = entries_[handle].word;
    w = (w & ~(uint64_t{0xffff} << kStampShift)) | (uint64_t{stamp} << kStampShift);
  }

  // Removes the entries whose deadline is <= now_ms, oldest first, at most
  // `max` of them, and calls f(key, state) for each in that order. They go in
  // batches of up to kExpireBatch whose index buckets are fetched together; f
  // runs once its entry and the rest of its batch are gone, and may use the
  // store. Returns how many. O(1) per entry (one hasher call each).
  template <class F>
  uint32_t expire(uint64_t now_ms, uint32_t max, F&& f);

  const tcp::FourTuple& key(uint32_t handle) const { return entries_[handle].key; }
  TimeWaitState state(uint32_t handle) const { return unpack(entries_[handle]); }
  uint64_t deadline_ms(uint32_t handle) const { return deadline_of(entries_[handle]); }
  // The entry that expires (or is recycled) next, kNone when empty.
  uint32_t oldest() const { return head_; }

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }

  // Memory, for the README and the benchmark: the entry array (kEntryBytes per
  // entry), the FIFO links (kLinkBytes) and the hash index, all per entry of
  // capacity().
  static constexpr size_t kEntryBytes = 32;
  static constexpr size_t kLinkBytes = 8;
  size_t memory_bytes() const;
  double index_bytes_per_entry() const;
  double bytes_per_entry() const { return static_cast<double>(memory_bytes()) / capacity_; }

 private:
  // The deadline is kept modulo 2^40, beside the flags and the RFC 5961 7
  // stamp in one 64-bit word, so that an entry is 32 bytes; deadline_of()
  // rebuilds the full 64-bit value from newest_deadline_, which is >= every
  // live deadline and, as long as the live deadlines span less than 2^40 ms
  // (34 years), less than 2^40 above any of them.
  struct Entry {
    tcp::FourTuple key;
    uint32_t snd_nxt;
    uint32_t rcv_nxt;
    uint32_t ts_recent;
    // bit 0: timestamps; bits 1..4: rcv_wscale; bits 8..23: oow_ack_stamp;
    // bits 24..63: deadline_ms mod 2^40
    uint64_t word;
  };
  static_assert(sizeof(Entry) == kEntryBytes && sizeof(Entry) <= 32);
  static constexpr int kStampShift = 8;
  static constexpr int kDeadlineShift = 24;
  static constexpr uint64_t kDeadlineMask = (uint64_t{1} << 40) - 1;

  struct Link {
    uint32_t prev;  // towards the head (older); kNone at the head, kFree when unused
    uint32_t next;  // towards the tail (newer); the free list's link when unused
  };
  static_assert(sizeof(Link) == kLinkBytes);
  static constexpr uint32_t kFree = kNone - 1;

  struct Bucket;

  TimeWaitStore() = default;

  uint64_t deadline_of(const Entry& e) const {
    return newest_deadline_ - ((newest_deadline_ - (e.word >> kDeadlineShift)) & kDeadlineMask);
  }
  static TimeWaitState unpack(const Entry& e) {
    TimeWaitState s;
    s.snd_nxt = tcp::Seq(e.snd_nxt);
    s.rcv_nxt = tcp::Seq(e.rcv_nxt);
    s.ts_recent = e.ts_recent;
    s.timestamps = (e.word & 1) != 0;
    s.rcv_wscale = static_cast<uint8_t>((e.word >> 1) & 0xf);
    s.oow_ack_stamp = static_cast<uint16_t>(e.word >> kStampShift);
    return s;
  }
  void set_deadline(Entry& e, uint64_t deadline_ms);
  uint64_t fifo_deadline(uint64_t deadline_ms) const;

  uint32_t home(uint32_t sig) const {
    return static_cast<uint32_t>((uint64_t{sig} * buckets_) >> 32);
  }
  uint32_t next_bucket(uint32_t b) const { return b + 1 == buckets_ ? 0 : b + 1; }
  static constexpr uint32_t kExpireBatch = 16;
  struct Expired {
    tcp::FourTuple key;
    TimeWaitState state;
  };
  // Removes up to max (<= kExpireBatch) entries due at now_ms into out.
  uint32_t take_expired(uint64_t now_ms, uint32_t max, Expired* out);

  uint32_t scan(const Bucket& bk, uint32_t match, const tcp::FourTuple& key) const;
  uint32_t find_spilled(const tcp::FourTuple& key, uint32_t sig, uint32_t b) const;
  void index_add(uint32_t sig, uint32_t slot);
  void index_remove(uint32_t slot, uint32_t sig);

  void link_tail(uint32_t slot);
  void unlink(uint32_t slot);
  // Drops `slot` (whose key has signature sig) from the index and the FIFO
  // and frees it.
  void remove(uint32_t slot, uint32_t sig);

  KeyHasher hasher_;
  Entry* entries_ = nullptr;
  Link* links_ = nullptr;
  Bucket* index_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t buckets_ = 0;
  uint32_t size_ = 0;
  uint32_t head_ = kNone;    // oldest
  uint32_t tail_ = kNone;    // newest
  uint32_t free_ = kNone;    // free list of slots < high_water_
  uint32_t high_water_ = 0;  // slots >= high_water_ were never used
  uint64_t newest_deadline_ = 0;
};

template <class F>
uint32_t TimeWaitStore::expire(uint64_t now_ms, uint32_t max, F&& f) {
  uint32_t n = 0;
  while (n < max) {
    // Removed in batches, their index buckets fetched together; f runs after
    // the whole batch is gone, so whatever it does to the store cannot
    // disturb the batch.
    Expired batch[kExpireBatch];
    const uint32_t got = take_expired(now_ms, std::min(max - n, kExpireBatch), batch);
    for (uint32_t i = 0; i < got; i++) f(batch[i].key, batch[i].state);
    n += got;
    if (got < kExpireBatch) break;
  }
  return n;
}

}  // namespace synack::flow
