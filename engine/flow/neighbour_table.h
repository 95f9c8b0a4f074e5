// Next-hop IPv4 -> MAC for one client-mode worker lcore (ARP, RFC 826): a
// fixed array of 64 entries, no allocation, no EAL, time given by the caller
// in milliseconds (never decreasing). The table decides when an ARP request
// goes out and bounds how many; the caller builds and sends it
// (wire/arp_request.h) and feeds received ARP packets back (on_arp).
//
// Per use of a next hop (every new connection):
//   if (t.need_request(nh, now_ms)) send an ARP request for nh;
//   const wire::MacAddr* mac = t.lookup(nh);  // nullptr: hold or drop the attempt
//
// Policy:
// * INCOMPLETE (no MAC yet): the first request at once, then up to max_tries
//   in all, retry_ms apart; retry_ms after the last unanswered one: FAILED.
// * FAILED: no MAC and no request for hold_down_ms; the first use after that
//   starts a new resolution.
// * REACHABLE: learned from an ARP reply, or a request, addressed to us. Every
//   ARP from the neighbour confirms it (RFC 826: the sender's pair is merged
//   into a known entry whoever the target is). reachable_ms after the last
//   confirmation the next use sends a refresh request; the MAC stays in use
//   meanwhile (as Linux's STALE/PROBE), and after max_tries unanswered
//   refreshes, retry_ms apart, the entry is FAILED.
// * Every request (new, retry or refresh) takes one of max_requests_per_s
//   slots of a sliding 1000 ms window. A request due while the window is full
//   waits (need_request says false, no try is spent) for a free slot.
// * Table full. A new next hop takes a free slot, else evicts (counted) the
//   oldest FAILED entry (its hold-down is lost; the rate bound still holds),
//   else an INCOMPLETE one nobody asked for in hold_down_ms, else the
//   REACHABLE entry longest unconfirmed among those past reachable_ms and not
//   asked for in reachable_ms. A REACHABLE entry asked for within reachable_ms,
//   or an INCOMPLETE one within hold_down_ms, is never evicted: the new next
//   hop is refused instead (need_request false, counted in table_full) until
//   a slot qualifies. A neighbour that only ARPs us takes a free slot, never
//   evicts.
#pragma once

#include <cstdint>
#include <string>

#include "wire/byteorder.h"

namespace synack::flow {

enum class NeighbourState : uint8_t { kNone, kIncomplete, kReachable, kFailed };

class NeighbourTable {
 public:
  static constexpr uint32_t kEntries = 64;
  static constexpr uint32_t kMaxRequestsPerSecond = 64;

  struct Config {
    uint32_t max_tries = 3;
    uint32_t retry_ms = 1000;
    uint32_t hold_down_ms = 20000;
    uint32_t reachable_ms = 30000;
    uint32_t max_requests_per_s = 10;  // whole table, 1..kMaxRequestsPerSecond
  };

  struct Stats {
    uint64_t requests = 0;      // requests need_request asked the caller to send
    uint64_t rate_limited = 0;  // calls that found a request due and the window full
    uint64_t learned = 0;       // on_arp calls that set or confirmed an entry
    uint64_t mac_changes = 0;   // a REACHABLE neighbour announced another MAC
    uint64_t failures = 0;      // resolutions or refreshes that ended FAILED
    uint64_t evictions = 0;     // entries evicted for a new next hop
    uint64_t table_full = 0;    // new IPs refused a slot: every entry protected
  };

  // "" when cfg is usable, else one line naming the field.
  static std::string check(const Config& cfg);
  // cfg must pass check(); out-of-range fields are clamped.
  explicit NeighbourTable(const Config& cfg);

  // The MAC of a REACHABLE entry, else nullptr. Reflects the state as of the
  // last need_request or on_arp for ip (call need_request first).
  const wire::MacAddr* lookup(uint32_t ip) const {
    const int i = ip == 0 ? -1 : find(ip);
    return i >= 0 && entries_[i].state == NeighbourState::kReachable ? &entries_[i].mac : nullptr;
  }

  // true: send an ARP request for ip now (the table counts it as sent).
  bool need_request(uint32_t ip, uint64_t now_ms);

  // An ARP packet (request or reply) whose sender is (ip, mac).
  // addressed_to_us: its target protocol address is ours, so a new entry may
  // be made (RFC 826 "Am I the target?"); otherwise only a known entry is
  // updated. Ignores sender 0.0.0.0 (RFC 5227 probes) and group or zero MACs.
  void on_arp(uint32_t ip, const wire::MacAddr& mac, uint64_t now_ms, bool addressed_to_us = true);

  NeighbourState state(uint32_t ip, uint64_t now_ms) const;
  uint32_t size() const;
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    NeighbourState state = NeighbourState::kNone;
    uint8_t tries = 0;  // requests sent in the current resolution or refresh
    wire::MacAddr mac;
    uint64_t t_req = 0;    // the last request sent, or when the entry was made
    uint64_t t_state = 0;  // REACHABLE: last confirmation; FAILED: when it failed
    uint64_t t_use = 0;    // the last need_request for it, or when the entry was made
  };

  // The slot holding ip, or -1 (ip 0 finds a free slot). The slot its hash
  // last pointed at first (a next hop's every use finds it there unless
  // another took that hint since), else a scan.
  static uint32_t hint_of(uint32_t ip) {
    static_assert(kEntries == 64, "the hash keeps 6 bits");
    return (ip * 0x9e3779b1u) >> 26;
  }
  int find(uint32_t ip) const {
    const uint32_t h = hint_[hint_of(ip)];
    if (ips_[h] == ip) return static_cast<int>(h);
    for (uint32_t i = 0; i < kEntries; i++)
      if (ips_[i] == ip) return static_cast<int>(i);
    return -1;
  }
  // The state `e` is in at now: unanswered tries run out -> FAILED.
  NeighbourState settled(const Entry& e, uint64_t now_ms) const;
  void settle(Entry& e, uint64_t now_ms);
  int take_slot(uint32_t ip, uint64_t now_ms, bool may_evict);
  bool send(Entry& e, uint64_t now_ms);

  Config cfg_;
  uint32_t ips_[kEntries] = {};  // apart from the entries: lookup scans 256 bytes; 0 = free
  uint8_t hint_[kEntries] = {};  // hint_of(ip) -> the slot ip was last given
  Entry entries_[kEntries];
  uint64_t sent_[kMaxRequestsPerSecond] = {};  // times of the last requests, a ring
  uint32_t sent_head_ = 0;
  uint32_t sent_count_ = 0;
  Stats stats_;
};

}  // namespace synack::flow
