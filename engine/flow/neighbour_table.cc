// Neighbour (ARP) table for client mode (see neighbour_table.h).
#include "flow/neighbour_table.h"

#include <algorithm>
#include <limits>

namespace synack::flow {

namespace {

constexpr uint64_t kWindowMs = 1000;

bool usable_mac(const wire::MacAddr& m) {
  const bool zero = (m.b[0] | m.b[1] | m.b[2] | m.b[3] | m.b[4] | m.b[5]) == 0;
  return !zero && (m.b[0] & 1) == 0;  // the I/G bit: group addresses are nobody's own
}

}  // namespace

std::string NeighbourTable::check(const Config& c) {
  if (c.max_tries < 1 || c.max_tries > 255) return "ARP max_tries must be between 1 and 255";
  if (c.retry_ms < 1) return "ARP retry_ms must be at least 1";
  if (c.reachable_ms < 1) return "ARP reachable_ms must be at least 1";
  if (c.max_requests_per_s < 1 || c.max_requests_per_s > kMaxRequestsPerSecond)
    return "ARP max_requests_per_s must be between 1 and " + std::to_string(kMaxRequestsPerSecond);
  return "";
}

NeighbourTable::NeighbourTable(const Config& cfg) : cfg_(cfg) {
  cfg_.max_tries = std::clamp<uint32_t>(cfg_.max_tries, 1, 255);
  cfg_.retry_ms = std::max<uint32_t>(cfg_.retry_ms, 1);
  cfg_.reachable_ms = std::max<uint32_t>(cfg_.reachable_ms, 1);
  cfg_.max_requests_per_s = std::clamp<uint32_t>(cfg_.max_requests_per_s, 1, kMaxRequestsPerSecond);
}

uint32_t NeighbourTable::size() const {
  return static_cast<uint32_t>(
      std::count_if(ips_, ips_ + kEntries, [](uint32_t ip) { return ip != 0; }));
}

NeighbourState NeighbourTable::settled(const Entry& e, uint64_t now_ms) const {
  const bool asking = e.state == NeighbourState::kIncomplete ||
                      (e.state == NeighbourState::kReachable && e.tries > 0);
  if (asking && e.tries >= cfg_.max_tries && now_ms - e.t_req >= cfg_.retry_ms)
    return NeighbourState::kFailed;
  return e.state;
}

void NeighbourTable::settle(Entry& e, uint64_t now_ms) {
  if (e.state == NeighbourState::kFailed || settled(e, now_ms) != NeighbourState::kFailed) return;
  // Failed when the last try's answer was due, not when someone looked.
  e.state = NeighbourState::kFailed;
  e.t_state = e.t_req + cfg_.retry_ms;
  e.tries = 0;
  stats_.failures++;
}

NeighbourState NeighbourTable::state(uint32_t ip, uint64_t now_ms) const {
  const int i = ip == 0 ? -1 : find(ip);
  return i < 0 ? NeighbourState::kNone : settled(entries_[i], now_ms);
}

int NeighbourTable::take_slot(uint32_t ip, uint64_t now_ms, bool may_evict) {
  int slot = find(0);
  if (slot < 0 && may_evict) {
    // Lowest (class, time) wins: FAILED by when it failed, INCOMPLETE nobody
    // asks for by its last use, stale unused REACHABLE by its last
    // confirmation. Everything else is protected.
    uint32_t best_class = 3;
    uint64_t best_t = std::numeric_limits<uint64_t>::max();
    for (uint32_t i = 0; i < kEntries; i++) {
      Entry& e = entries_[i];
      settle(e, now_ms);
      uint32_t cls;
      uint64_t t;
      if (e.state == NeighbourState::kFailed) {
        cls = 0;
        t = e.t_state;
      } else if (e.state == NeighbourState::kIncomplete && now_ms - e.t_use >= cfg_.hold_down_ms) {
        cls = 1;
        t = e.t_use;
      } else if (e.state == NeighbourState::kReachable && now_ms - e.t_state >= cfg_.reachable_ms &&
                 now_ms - e.t_use >= cfg_.reachable_ms) {
        cls = 2;
        t = e.t_state;
      } else {
        continue;
      }
      if (cls < best_class || (cls == best_class && t < best_t)) {
        best_class = cls;
        best_t = t;
        slot = static_cast<int>(i);
      }
    }
    if (slot >= 0) stats_.evictions++;
  }
  if (slot < 0) {
    stats_.table_full++;
    return -1;
  }
  ips_[slot] = ip;
  hint_[hint_of(ip)] = static_cast<uint8_t>(slot);
  entries_[slot] = Entry{};
  entries_[slot].state = NeighbourState::kIncomplete;
  entries_[slot].t_req = now_ms;
  entries_[slot].t_use = now_ms;
  return slot;
}

bool NeighbourTable::send(Entry& e, uint64_t now_ms) {
  // Sliding window: the request may go if fewer than max_requests_per_s went
  // out in the last 1000 ms, i.e. the oldest of the last that many is older.
  const uint32_t cap = cfg_.max_requests_per_s;
  if (sent_count_ == cap) {
    if (now_ms - sent_[sent_head_] < kWindowMs) {
      stats_.rate_limited++;
      return false;
    }
    sent_head_ = sent_head_ + 1 == cap ? 0 : sent_head_ + 1;
    sent_count_--;
  }
  const uint32_t tail = (sent_head_ + sent_count_) % cap;
  sent_[tail] = now_ms;
  sent_count_++;
  e.tries++;
  e.t_req = now_ms;
  stats_.requests++;
  return true;
}

bool NeighbourTable::need_request(uint32_t ip, uint64_t now_ms) {
  if (ip == 0) return false;
  int i = find(ip);
  if (i < 0 && (i = take_slot(ip, now_ms, true)) < 0) return false;
  Entry& e = entries_[i];
  e.t_use = now_ms;
  settle(e, now_ms);
  switch (e.state) {
    case NeighbourState::kReachable:
      if (e.tries == 0 && now_ms - e.t_state < cfg_.reachable_ms) return false;  // fresh
      [[fallthrough]];  // a refresh is due or under way: the same tries as a resolution
    case NeighbourState::kIncomplete:
      if (e.tries > 0 && now_ms - e.t_req < cfg_.retry_ms) return false;  // answer not due yet
      return send(e, now_ms);
    case NeighbourState::kFailed:
      if (now_ms - e.t_state < cfg_.hold_down_ms) return false;
      e.state = NeighbourState::kIncomplete;  // the hold-down is over: start again
      e.tries = 0;
      e.t_req = now_ms;
      return send(e, now_ms);
    case NeighbourState::kNone:
      break;
  }
  return false;
}

void NeighbourTable::on_arp(uint32_t ip, const wire::MacAddr& mac, uint64_t now_ms,
                            bool addressed_to_us) {
  if (ip == 0 || !usable_mac(mac)) return;
  int i = find(ip);
  // RFC 826: merge into a known entry; make a new one only if we are the target.
  if (i < 0 && (!addressed_to_us || (i = take_slot(ip, now_ms, false)) < 0)) return;
  Entry& e = entries_[i];
  if (e.state == NeighbourState::kReachable && e.mac != mac) stats_.mac_changes++;
  e.mac = mac;
  e.state = NeighbourState::kReachable;
  e.tries = 0;
  e.t_state = now_ms;
  stats_.learned++;
}

}  // namespace synack::flow
