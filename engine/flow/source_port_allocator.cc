// RSS-steered source pairs (see source_port_allocator.h).
//
// The reply hash of every pair comes from rte_softrss, but not once per pair:
// Toeplitz is linear over GF(2) in its input (each set input bit XORs in one
// 32-bit window of the key), so hash(target, ip, tport, port) =
// hash(target, ip, tport, 0) ^ hash(0, 0, 0, port). One rte_softrss per source
// IP and one per port, then one XOR and one table read per pair.
//
// Why per-IP FIFO rings and not a bitmap of free ports: a bitmap scan hands the
// lowest free port out again right after its release, while a FIFO reuses a
// pair as late as possible, which keeps clear of a peer that still holds the
// old connection in TIME-WAIT (when the peer closed first): it takes a new SYN
// on that tuple only if the SYN's sequence number or timestamp is newer
// (RFC 1122 4.2.2.13, RFC 6191).
#include "flow/source_port_allocator.h"

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_thash.h>

#include <cstring>

namespace synack::flow {

namespace {

bool test_bit(const uint64_t* m, uint64_t b) {
  return (m[b >> 6] >> (b & 63)) & 1;
}
void set_bit(uint64_t* m, uint64_t b) {
  m[b >> 6] |= uint64_t{1} << (b & 63);
}
void clear_bit(uint64_t* m, uint64_t b) {
  m[b >> 6] &= ~(uint64_t{1} << (b & 63));
}

std::string ip_text(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
         std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

}  // namespace

std::unique_ptr<SourcePortAllocator> SourcePortAllocator::create(const Config& cfg, int socket_id,
                                                                 std::string* err) {
  auto fail = [err](const std::string& msg) {
    if (err) *err = msg;
    return std::unique_ptr<SourcePortAllocator>();
  };
  if (cfg.first_src_ip > cfg.last_src_ip)
    return fail("--src_ips=" + ip_text(cfg.first_src_ip) + "-" + ip_text(cfg.last_src_ip) +
                ": the first address is above the last");
  const uint64_t num_ips = uint64_t{cfg.last_src_ip} - cfg.first_src_ip + 1;
  if (num_ips > kMaxSourceIps)
    return fail("--src_ips: " + std::to_string(num_ips) + " addresses, at most " +
                std::to_string(kMaxSourceIps));
  if (cfg.first_port == 0 || cfg.first_port > cfg.last_port)
    return fail("source ports " + std::to_string(cfg.first_port) + "-" +
                std::to_string(cfg.last_port) + ": not a range within 1-65535");
  const bool rss = cfg.rss_key != nullptr && cfg.reta_size > 0;
  if (rss && (cfg.rss_key_len < kMinKeyLen || cfg.rss_key_len > kMaxKeyLen))
    return fail("RSS key of " + std::to_string(cfg.rss_key_len) + " bytes: must be " +
                std::to_string(kMinKeyLen) + " to " + std::to_string(kMaxKeyLen));
  if (rss && cfg.reta == nullptr)
    return fail("RSS redirection table of " + std::to_string(cfg.reta_size) + " entries missing");

  std::unique_ptr<SourcePortAllocator> a(new SourcePortAllocator());
  a->queue_id_ = cfg.queue_id;
  a->num_ips_ = static_cast<uint32_t>(num_ips);
  a->first_ip_ = cfg.first_src_ip;
  a->first_port_ = cfg.first_port;
  a->range_len_ = uint32_t{cfg.last_port} - cfg.first_port + 1;
  const uint64_t pairs = num_ips * a->range_len_;
  const size_t held_words = (pairs + 63) / 64;
  a->held_ = static_cast<uint64_t*>(rte_zmalloc_socket(
      "synack_src_held", held_words * sizeof(uint64_t), RTE_CACHE_LINE_SIZE, socket_id));
  a->pools_ = static_cast<IpPool*>(rte_zmalloc_socket("synack_src_pools", num_ips * sizeof(IpPool),
                                                      RTE_CACHE_LINE_SIZE, socket_id));
  a->ip_ring_ = static_cast<uint32_t*>(rte_zmalloc_socket(
      "synack_src_ip_ring", num_ips * sizeof(uint32_t), RTE_CACHE_LINE_SIZE, socket_id));
  if (a->held_ == nullptr || a->pools_ == nullptr || a->ip_ring_ == nullptr)
    return fail("source ports: out of memory for " + std::to_string(pairs) + " pairs");

  // Pass 1: mark the pairs whose reply lands on our queue (the held map serves
  // as scratch) and count them per IP.
  if (rss) {
    a->ip_part_ = static_cast<uint32_t*>(rte_zmalloc_socket(
        "synack_src_ip_part", num_ips * sizeof(uint32_t), RTE_CACHE_LINE_SIZE, socket_id));
    a->port_part_ = static_cast<uint32_t*>(rte_zmalloc_socket(
        "synack_src_port_part", a->range_len_ * sizeof(uint32_t), RTE_CACHE_LINE_SIZE, socket_id));
    a->reta_ = static_cast<uint16_t*>(rte_zmalloc_socket(
        "synack_src_reta", cfg.reta_size * sizeof(uint16_t), RTE_CACHE_LINE_SIZE, socket_id));
    if (a->ip_part_ == nullptr || a->port_part_ == nullptr || a->reta_ == nullptr)
      return fail("source ports: out of memory for the reply hash tables");
    std::memcpy(a->reta_, cfg.reta, cfg.reta_size * sizeof(uint16_t));
    a->reta_size_ = cfg.reta_size;
    a->reta_mask_ = rte_is_power_of_2(cfg.reta_size) ? cfg.reta_size - 1 : 0;
    // rte_softrss reads the key as 32-bit words: an aligned copy.
    uint32_t key_words[kMaxKeyLen / 4] = {};
    std::memcpy(key_words, cfg.rss_key, cfg.rss_key_len);
    const auto* key = reinterpret_cast<const uint8_t*>(key_words);
    // The reply's tuple in rte_softrss's host-order words: source address
    // (target), destination address (us), source port << 16 | destination port.
    // Without L4 hashing the ports add nothing: port_part_ stays zero.
    if (cfg.l4_hash) {
      for (uint32_t r = 0; r < a->range_len_; r++) {
        uint32_t t[RTE_THASH_V4_L4_LEN] = {0, 0, uint32_t{cfg.first_port} + r};
        a->port_part_[r] = rte_softrss(t, RTE_THASH_V4_L4_LEN, key);
      }
    }
    for (uint32_t i = 0; i < a->num_ips_; i++) {
      uint32_t t[RTE_THASH_V4_L4_LEN] = {cfg.target_ip, cfg.first_src_ip + i,
                                         cfg.l4_hash ? uint32_t{cfg.target_port} << 16 : 0};
      a->ip_part_[i] = rte_softrss(t, RTE_THASH_V4_L4_LEN, key);
      uint32_t cap = 0;
      for (uint32_t r = 0; r < a->range_len_; r++) {
        if (a->reply_queue(cfg.first_src_ip + i, static_cast<uint16_t>(cfg.first_port + r)) !=
            cfg.queue_id)
          continue;
        set_bit(a->held_, uint64_t{i} * a->range_len_ + r);
        cap++;
      }
      a->pools_[i].cap = cap;
      a->capacity_ += cap;
    }
  } else {
    for (uint64_t b = 0; b < pairs; b++) set_bit(a->held_, b);
    for (uint32_t i = 0; i < a->num_ips_; i++) a->pools_[i].cap = a->range_len_;
    a->capacity_ = static_cast<uint32_t>(pairs);
  }
  if (a->capacity_ == 0)
    return fail(
        "source ports: no pair in --src_ips and the port range has its reply steered "
        "to RX queue " +
        std::to_string(cfg.queue_id));

  // Pass 2: every IP's ring holds its ports in ascending order; nothing is held.
  a->ports_ = static_cast<uint16_t*>(rte_zmalloc_socket(
      "synack_src_ports", size_t{a->capacity_} * sizeof(uint16_t), RTE_CACHE_LINE_SIZE, socket_id));
  if (a->ports_ == nullptr)
    return fail("source ports: out of memory for " + std::to_string(a->capacity_) + " ports");
  uint32_t off = 0;
  for (uint32_t i = 0; i < a->num_ips_; i++) {
    IpPool& p = a->pools_[i];
    p.off = off;
    for (uint32_t r = 0; r < a->range_len_; r++)
      if (test_bit(a->held_, uint64_t{i} * a->range_len_ + r))
        a->ports_[off + p.count++] = static_cast<uint16_t>(cfg.first_port + r);
    off += p.cap;
    if (p.count > 0) a->push_ip(i);
  }
  std::memset(a->held_, 0, held_words * sizeof(uint64_t));
  a->available_ = a->capacity_;
  return a;
}

SourcePortAllocator::~SourcePortAllocator() {
  rte_free(ip_part_);
  rte_free(port_part_);
  rte_free(reta_);
  rte_free(ports_);
  rte_free(held_);
  rte_free(pools_);
  rte_free(ip_ring_);
}

void SourcePortAllocator::push_ip(uint32_t i) {
  uint32_t tail = ip_head_ + ip_count_;
  if (tail >= num_ips_) tail -= num_ips_;
  ip_ring_[tail] = i;
  ip_count_++;
}

bool SourcePortAllocator::allocate(Source* out) {
  if (ip_count_ == 0) {
    exhausted_++;
    return false;
  }
  // The IP at the head of the turn ring gives its oldest free port and, if it
  // has more, goes to the back of the ring (an IP is in the ring iff it has a
  // free port, so the ring never overflows).
  const uint32_t i = ip_ring_[ip_head_];
  if (++ip_head_ == num_ips_) ip_head_ = 0;
  ip_count_--;
  IpPool& p = pools_[i];
  const uint16_t port = ports_[p.off + p.head];
  if (++p.head == p.cap) p.head = 0;
  if (--p.count > 0) push_ip(i);
  set_bit(held_, held_bit(i, port));
  available_--;
  *out = Source{first_ip_ + i, port};
  return true;
}

bool SourcePortAllocator::release(Source s) {
  const uint32_t i = s.ip - first_ip_;  // wraps to a large value below the range
  if (i >= num_ips_ || s.port < first_port_ || uint32_t{s.port} - first_port_ >= range_len_)
    return false;
  const uint64_t b = held_bit(i, s.port);
  if (!test_bit(held_, b)) return false;
  clear_bit(held_, b);
  IpPool& p = pools_[i];
  // Held ports of an IP never exceed its ring's free slots: count < cap here.
  uint32_t tail = p.head + p.count;
  if (tail >= p.cap) tail -= p.cap;
  ports_[p.off + tail] = s.port;
  if (p.count++ == 0) push_ip(i);
  available_++;
  return true;
}

}  // namespace synack::flow
