// Source (IP, port) pairs for client-mode connections from one worker lcore to
// one target (IP, port), chosen so that the NIC's RSS steers the replies back
// to this lcore's own RX queue: the reply's Toeplitz hash (source = target,
// destination = us) picks a redirection-table entry equal to our queue.
//
// Everything is worked out at creation: for every source IP in the range and
// every port in the port range, the reply hash and its queue. What remains per
// connection is O(1) and touches only this lcore's memory: the allocators of
// different queues hold disjoint pairs by construction, so nothing is shared.
//
// The same computation answers, per received segment, which queue's lcore owns
// a pair (reply_queue): a driver that places flows itself (net_tap, memif,
// af_packet, ring) delivers replies to any queue, and the runtime hands each
// to its owner (runtime/worker_handoff.cc).
//
// Memory (rte_zmalloc_socket): 2 bytes per pair that lands on this queue, one
// bit per pair in the ranges (the "held" map that catches a bad release), and
// with RSS the hash parts reply_queue XORs: 4 bytes per source IP and per port
// in the range, 2 per redirection-table entry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace synack::flow {

class SourcePortAllocator {
 public:
  static constexpr uint32_t kMaxSourceIps = 1024;
  // An IPv4 TCP 4-tuple is 12 bytes; Toeplitz reads 4 key bytes past the input.
  static constexpr uint32_t kMinKeyLen = 16;
  static constexpr uint32_t kMaxKeyLen = 64;

  struct Config {
    uint32_t target_ip = 0;  // host order
    uint16_t target_port = 0;
    uint32_t first_src_ip = 0;  // inclusive range, host order (--src_ips=FIRST-LAST)
    uint32_t last_src_ip = 0;
    uint16_t first_port = 1024;  // inclusive range of source ports
    uint16_t last_port = 65535;
    // The port's RSS set-up as rte_eth_dev_rss_hash_conf_get and
    // rte_eth_dev_rss_reta_query give it: the key bytes (40 for most NICs, 52
    // for i40e/ice), the redirection table as queue ids, and this lcore's RX
    // queue; the reply's queue is reta[hash % reta_size]. rss_key == nullptr
    // or reta_size == 0 means no RSS: every pair is this lcore's.
    const uint8_t* rss_key = nullptr;
    uint32_t rss_key_len = 0;
    const uint16_t* reta = nullptr;
    uint32_t reta_size = 0;
    uint16_t queue_id = 0;
    // The port hashes IPv4 TCP on the 4-tuple (RTE_ETH_RSS_NONFRAG_IPV4_TCP);
    // false when it hashes on the addresses only, so only the source IP matters.
    bool l4_hash = true;
  };

  struct Source {
    uint32_t ip;  // host order
    uint16_t port;
    friend bool operator==(const Source&, const Source&) = default;
  };

  // Needs an initialised EAL. Returns nullptr and sets *err (one line) on a
  // bad config, when no pair lands on this queue, or when memory runs out.
  static std::unique_ptr<SourcePortAllocator> create(const Config& cfg, int socket_id,
                                                     std::string* err);
  ~SourcePortAllocator();
  SourcePortAllocator(const SourcePortAllocator&) = delete;
  SourcePortAllocator& operator=(const SourcePortAllocator&) = delete;

  // A free pair: the source IPs that have a free port take turns (round
  // robin), and each IP hands out its least recently released port first
  // (FIFO), so a pair is reused as late as possible. false when nothing is
  // free (counted in ports_exhausted()).
  bool allocate(Source* out);

  // Gives a pair back; the caller does so only once the connection and its
  // TIME-WAIT are gone (the allocator knows nothing of TIME-WAIT). false, and
  // nothing changes, for a pair not held: released twice, outside the ranges,
  // or one that belongs to another queue.
  bool release(Source s);

  // The RX queue whose lcore owns (our_ip, our_port), as the reply's RSS hash
  // places it (with no RSS: this queue); -1 when the pair is outside the
  // ranges. Two table reads and an XOR (Toeplitz is linear, see the .cc).
  int32_t reply_queue(uint32_t our_ip, uint16_t our_port) const {
    const uint32_t i = our_ip - first_ip_;  // wraps to a large value below the range
    const uint32_t r = uint32_t{our_port} - first_port_;
    if (i >= num_ips_ || r >= range_len_) return -1;
    if (reta_ == nullptr) return queue_id_;
    const uint32_t h = ip_part_[i] ^ port_part_[r];
    return reta_[reta_mask_ != 0 ? (h & reta_mask_) : (h % reta_size_)];
  }

  uint32_t available() const { return available_; }
  uint32_t capacity() const { return capacity_; }  // pairs that land on this queue
  uint32_t source_ips() const { return num_ips_; }
  uint64_t ports_exhausted() const { return exhausted_; }

 private:
  // One source IP's free ports: a ring of `cap` slots at ports_[off].
  struct IpPool {
    uint32_t off;
    uint32_t cap;
    uint32_t head;
    uint32_t count;
  };

  SourcePortAllocator() = default;
  void push_ip(uint32_t i);
  uint64_t held_bit(uint32_t ip_index, uint16_t port) const {
    return uint64_t{ip_index} * range_len_ + (port - first_port_);
  }

  IpPool* pools_ = nullptr;
  uint16_t* ports_ = nullptr;
  uint64_t* held_ = nullptr;
  uint32_t* ip_ring_ = nullptr;  // indices of the IPs that have a free port
  uint32_t ip_head_ = 0;
  uint32_t ip_count_ = 0;
  uint32_t num_ips_ = 0;
  uint32_t first_ip_ = 0;
  uint16_t first_port_ = 0;
  uint32_t range_len_ = 0;
  uint32_t capacity_ = 0;
  uint32_t available_ = 0;
  // reply_queue: the reply's hash is ip_part_[ip index] ^ port_part_[port
  // index]; reta_ == nullptr without RSS.
  uint32_t* ip_part_ = nullptr;
  uint32_t* port_part_ = nullptr;
  uint16_t* reta_ = nullptr;
  uint32_t reta_size_ = 0;
  uint32_t reta_mask_ = 0;  // reta_size_ - 1 when a power of two, else 0
  uint16_t queue_id_ = 0;
  uint64_t exhausted_ = 0;
};

}  // namespace synack::flow
