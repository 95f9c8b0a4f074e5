// SourcePortAllocator: every pair it hands out must come back on its queue by
// an independent Toeplitz (bit by bit, checked against Microsoft's published
// RSS test vector), the queues' pair sets must partition the ranges, and
// allocate/release must follow a model exactly (round robin over IPs, FIFO per
// IP, nothing handed out twice while held).
#include "flow/source_port_allocator.h"

#include <gtest/gtest.h>
#include <rte_memory.h>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace synack::flow {
namespace {

using Source = SourcePortAllocator::Source;
using Bytes = std::vector<uint8_t>;

// Toeplitz as the RSS specification states it: for every set bit of the input
// (most significant bit of the first byte first), XOR in the 32 key bits that
// start at that bit position.
uint32_t toeplitz(const Bytes& key, const Bytes& input) {
  auto key_bit = [&](size_t i) -> uint32_t {
    return i / 8 < key.size() ? (key[i / 8] >> (7 - i % 8)) & 1 : 0;
  };
  uint32_t h = 0;
  for (size_t i = 0; i < input.size() * 8; i++) {
    if (((input[i / 8] >> (7 - i % 8)) & 1) == 0) continue;
    uint32_t window = 0;
    for (size_t k = 0; k < 32; k++) window = window << 1 | key_bit(i + k);
    h ^= window;
  }
  return h;
}

void put32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// The reply's input: source = target, destination = us, in wire order.
uint32_t reply_hash(const Bytes& key, uint32_t target_ip, uint16_t target_port, uint32_t our_ip,
                    uint16_t our_port, bool l4 = true) {
  Bytes in;
  put32(in, target_ip);
  put32(in, our_ip);
  if (l4) {
    put16(in, target_port);
    put16(in, our_port);
  }
  return toeplitz(key, in);
}

TEST(Toeplitz, ReferenceMatchesMicrosoftTestVector) {
  // "Verifying the RSS Hash Calculation" (Microsoft RSS documentation), IPv4
  // with TCP: destination 161.142.100.80:1766, source 66.9.149.187:2794.
  const Bytes key = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
                     0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
                     0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
                     0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  const uint32_t src = (66u << 24) | (9u << 16) | (149u << 8) | 187u;
  const uint32_t dst = (161u << 24) | (142u << 16) | (100u << 8) | 80u;
  EXPECT_EQ(reply_hash(key, src, 2794, dst, 1766), 0x51ccc178u);
  EXPECT_EQ(reply_hash(key, src, 0, dst, 0, false), 0x323e8fc2u);
}

constexpr uint32_t kTargetIp = 0xC6120001;  // 198.18.0.1
constexpr uint16_t kTargetPort = 80;
constexpr uint32_t kFirstSrc = 0xC6120100;  // 198.18.1.0

Bytes random_key(size_t len, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes k(len);
  for (auto& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

// 128 entries over `queues` queues, each queue present, in random order.
std::vector<uint16_t> random_reta(uint16_t queues, uint64_t seed) {
  std::vector<uint16_t> r(128);
  for (size_t i = 0; i < r.size(); i++) r[i] = static_cast<uint16_t>(i % queues);
  std::shuffle(r.begin(), r.end(), std::mt19937_64(seed));
  return r;
}

SourcePortAllocator::Config config(const Bytes& key, const std::vector<uint16_t>& reta,
                                   uint16_t queue, uint32_t num_ips) {
  SourcePortAllocator::Config c;
  c.target_ip = kTargetIp;
  c.target_port = kTargetPort;
  c.first_src_ip = kFirstSrc;
  c.last_src_ip = kFirstSrc + num_ips - 1;
  c.rss_key = key.data();
  c.rss_key_len = static_cast<uint32_t>(key.size());
  c.reta = reta.data();
  c.reta_size = static_cast<uint32_t>(reta.size());
  c.queue_id = queue;
  return c;
}

std::unique_ptr<SourcePortAllocator> make(const SourcePortAllocator::Config& c) {
  std::string err;
  auto a = SourcePortAllocator::create(c, SOCKET_ID_ANY, &err);
  EXPECT_NE(a, nullptr) << err;
  return a;
}

uint64_t pack(Source s) {
  return uint64_t{s.ip} << 16 | s.port;
}

// Drains an allocator: every pair it has, in the order it gives them.
std::vector<Source> drain(SourcePortAllocator& a) {
  std::vector<Source> out;
  Source s;
  while (a.allocate(&s)) out.push_back(s);
  return out;
}

// The four queues' allocators: each pair's reply hashes to a RETA entry equal
// to its queue, the sets are disjoint, and together they cover the ranges.
void check_partition(const Bytes& key) {
  constexpr uint16_t kQueues = 4;
  constexpr uint32_t kIps = 4;
  const auto reta = random_reta(kQueues, 7);
  std::set<uint64_t> all;
  for (uint16_t q = 0; q < kQueues; q++) {
    auto a = make(config(key, reta, q, kIps));
    ASSERT_NE(a, nullptr);
    const auto got = drain(*a);
    EXPECT_EQ(got.size(), a->capacity());
    EXPECT_EQ(a->available(), 0u);
    // Each queue gets roughly a quarter (a random key; a wide margin).
    EXPECT_GT(got.size(), kIps * 64512u / 8);
    for (Source s : got) {
      ASSERT_GE(s.ip, kFirstSrc);
      ASSERT_LT(s.ip, kFirstSrc + kIps);
      ASSERT_GE(s.port, 1024);
      const uint32_t h = reply_hash(key, kTargetIp, kTargetPort, s.ip, s.port);
      ASSERT_EQ(reta[h % reta.size()], q) << std::hex << s.ip << ":" << std::dec << s.port;
      ASSERT_TRUE(all.insert(pack(s)).second) << "pair on two queues: " << s.port;
    }
  }
  EXPECT_EQ(all.size(), kIps * 64512u);
}

TEST(SourcePortAllocator, QueuesPartitionThePairsBy40ByteKey) {
  check_partition(random_key(40, 1));
}

TEST(SourcePortAllocator, QueuesPartitionThePairsBy52ByteKey) {
  // i40e/ice keys; the IPv4 4-tuple reads only the first 16 bytes, the
  // reference reads the key as given.
  check_partition(random_key(52, 2));
}

TEST(SourcePortAllocator, AddressOnlyHashGivesWholeIps) {
  // A port that hashes TCP on the addresses only: an IP's ports all go to one
  // queue, so each queue owns whole IPs.
  const Bytes key = random_key(40, 3);
  const auto reta = random_reta(4, 8);
  constexpr uint32_t kIps = 64;
  std::set<uint32_t> ips;
  uint32_t total = 0;
  for (uint16_t q = 0; q < 4; q++) {
    auto c = config(key, reta, q, kIps);
    c.l4_hash = false;
    c.first_port = 5000;
    c.last_port = 5099;
    std::string err;
    auto a = SourcePortAllocator::create(c, SOCKET_ID_ANY, &err);
    if (a == nullptr) {  // possible for a queue no IP hashes to; say which
      EXPECT_NE(err.find("RX queue"), std::string::npos) << err;
      continue;
    }
    EXPECT_EQ(a->capacity() % 100, 0u);
    for (Source s : drain(*a)) {
      const uint32_t h = reply_hash(key, kTargetIp, 0, s.ip, 0, false);
      ASSERT_EQ(reta[h % reta.size()], q);
      ips.insert(s.ip);
      total++;
    }
  }
  EXPECT_EQ(ips.size(), kIps);
  EXPECT_EQ(total, kIps * 100);
}

TEST(SourcePortAllocator, OneQueueOrNoRssTakesEveryPair) {
  const Bytes key = random_key(40, 4);
  const std::vector<uint16_t> one_queue(128, 0);
  auto with_reta = make(config(key, one_queue, 0, 3));
  ASSERT_NE(with_reta, nullptr);
  EXPECT_EQ(with_reta->capacity(), 3 * 64512u);

  auto c = config(key, one_queue, 0, 3);
  c.rss_key = nullptr;
  c.reta_size = 0;
  c.first_port = 60000;
  auto no_rss = make(c);
  ASSERT_NE(no_rss, nullptr);
  EXPECT_EQ(no_rss->capacity(), 3 * 5536u);
  std::set<uint64_t> seen;
  for (Source s : drain(*no_rss)) EXPECT_TRUE(seen.insert(pack(s)).second);
  EXPECT_EQ(seen.size(), 3 * 5536u);
}

TEST(SourcePortAllocator, RoundRobinOverIpsThenFifoPerIp) {
  auto c = config({}, {}, 0, 3);
  c.rss_key = nullptr;
  c.reta_size = 0;
  c.first_port = 2000;
  c.last_port = 2001;
  auto a = make(c);
  ASSERT_NE(a, nullptr);
  Source s;
  const std::vector<Source> want = {{kFirstSrc, 2000},     {kFirstSrc + 1, 2000},
                                    {kFirstSrc + 2, 2000}, {kFirstSrc, 2001},
                                    {kFirstSrc + 1, 2001}, {kFirstSrc + 2, 2001}};
  for (Source w : want) {
    ASSERT_TRUE(a->allocate(&s));
    EXPECT_EQ(s, w);
  }
  EXPECT_FALSE(a->allocate(&s));
  // Only IP 1 has free ports: it serves alone, oldest release first.
  EXPECT_TRUE(a->release({kFirstSrc + 1, 2001}));
  EXPECT_TRUE(a->release({kFirstSrc + 1, 2000}));
  ASSERT_TRUE(a->allocate(&s));
  EXPECT_EQ(s, (Source{kFirstSrc + 1, 2001}));
  ASSERT_TRUE(a->allocate(&s));
  EXPECT_EQ(s, (Source{kFirstSrc + 1, 2000}));
}

TEST(SourcePortAllocator, ExhaustionIsCountedAndEnds) {
  const Bytes key = random_key(40, 5);
  const auto reta = random_reta(4, 9);
  auto c = config(key, reta, 2, 2);
  c.first_port = 40000;
  c.last_port = 40255;
  auto a = make(c);
  ASSERT_NE(a, nullptr);
  const auto got = drain(*a);  // one failed call at the end
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(a->ports_exhausted(), 1u);
  Source s;
  for (int i = 0; i < 5; i++) EXPECT_FALSE(a->allocate(&s));
  EXPECT_EQ(a->ports_exhausted(), 6u);
  EXPECT_EQ(a->available(), 0u);
  ASSERT_TRUE(a->release(got[3]));
  EXPECT_EQ(a->available(), 1u);
  ASSERT_TRUE(a->allocate(&s));
  EXPECT_EQ(s, got[3]);
  EXPECT_FALSE(a->allocate(&s));
  EXPECT_EQ(a->ports_exhausted(), 7u);
}

TEST(SourcePortAllocator, RandomisedAgainstModel) {
  // The model: per IP a FIFO of free ports (ascending at first), and a FIFO of
  // the IPs that have one. Every allocate must match it exactly.
  const Bytes key = random_key(40, 6);
  const auto reta = random_reta(4, 10);
  constexpr uint16_t kQueue = 1;
  constexpr uint32_t kIps = 5;
  auto c = config(key, reta, kQueue, kIps);
  c.first_port = 30000;
  c.last_port = 30999;
  auto a = make(c);
  ASSERT_NE(a, nullptr);

  std::map<uint32_t, std::deque<uint16_t>> free_ports;
  std::deque<uint32_t> turn;
  std::vector<Source> other_queue;  // pairs that are not ours, for bad releases
  for (uint32_t ip = kFirstSrc; ip < kFirstSrc + kIps; ip++) {
    for (uint32_t p = c.first_port; p <= c.last_port; p++) {
      const uint32_t h = reply_hash(key, kTargetIp, kTargetPort, ip, static_cast<uint16_t>(p));
      if (reta[h % 128] == kQueue)
        free_ports[ip].push_back(static_cast<uint16_t>(p));
      else
        other_queue.push_back({ip, static_cast<uint16_t>(p)});
    }
    if (!free_ports[ip].empty()) turn.push_back(ip);
  }
  uint32_t model_capacity = 0;
  for (auto& [ip, q] : free_ports) model_capacity += static_cast<uint32_t>(q.size());
  ASSERT_EQ(a->capacity(), model_capacity);

  std::vector<Source> held;
  std::set<uint64_t> held_set;
  uint64_t model_exhausted = 0;
  std::mt19937_64 rng(11);
  for (int step = 0; step < 60'000; step++) {
    const auto r = rng() % 100;
    if (r < 55) {  // allocate (slightly more than release, so it fills up)
      Source s;
      const bool ok = a->allocate(&s);
      ASSERT_EQ(ok, !turn.empty()) << step;
      if (!ok) {
        model_exhausted++;
        continue;
      }
      const uint32_t ip = turn.front();
      turn.pop_front();
      const uint16_t port = free_ports[ip].front();
      free_ports[ip].pop_front();
      if (!free_ports[ip].empty()) turn.push_back(ip);
      ASSERT_EQ(s, (Source{ip, port})) << step;
      ASSERT_TRUE(held_set.insert(pack(s)).second) << "handed out twice while held";
      held.push_back(s);
    } else if (r < 95) {  // release a held pair
      if (held.empty()) continue;
      const size_t k = rng() % held.size();
      const Source s = held[k];
      held[k] = held.back();
      held.pop_back();
      held_set.erase(pack(s));
      ASSERT_TRUE(a->release(s)) << step;
      if (free_ports[s.ip].empty()) turn.push_back(s.ip);
      free_ports[s.ip].push_back(s.port);
    } else {  // a release that must be refused and change nothing
      Source bad;
      switch (rng() % 4) {
        case 0:  // another queue's pair
          bad = other_queue[rng() % other_queue.size()];
          break;
        case 1:  // a free pair of ours (double release)
          if (turn.empty()) continue;
          bad = {turn.front(), free_ports[turn.front()].front()};
          break;
        case 2:  // outside the IP range
          bad = {kFirstSrc + kIps + static_cast<uint32_t>(rng() % 3), 30000};
          if (rng() & 1) bad.ip = kFirstSrc - 1;
          break;
        default:  // outside the port range
          bad = {kFirstSrc, static_cast<uint16_t>(rng() & 1 ? 29999 : 31000)};
          break;
      }
      ASSERT_FALSE(a->release(bad)) << step;
    }
    ASSERT_EQ(a->available(), model_capacity - held.size());
  }
  EXPECT_EQ(a->ports_exhausted(), model_exhausted);
  EXPECT_GT(model_exhausted, 0u);  // the run did reach exhaustion
}

TEST(SourcePortAllocator, RejectsBadConfigs) {
  const Bytes key = random_key(40, 12);
  const auto reta = random_reta(4, 13);
  std::string err;
  auto expect_error = [&](const SourcePortAllocator::Config& c, const std::string& want) {
    err.clear();
    EXPECT_EQ(SourcePortAllocator::create(c, SOCKET_ID_ANY, &err), nullptr);
    EXPECT_EQ(err, want);
  };
  auto c = config(key, reta, 0, 1);
  c.first_src_ip = kFirstSrc + 1;
  c.last_src_ip = kFirstSrc;
  expect_error(c, "--src_ips=198.18.1.1-198.18.1.0: the first address is above the last");
  c = config(key, reta, 0, 1025);
  expect_error(c, "--src_ips: 1025 addresses, at most 1024");
  c = config(key, reta, 0, 1);
  c.first_port = 0;
  expect_error(c, "source ports 0-65535: not a range within 1-65535");
  c = config(key, reta, 0, 1);
  c.first_port = 3000;
  c.last_port = 2999;
  expect_error(c, "source ports 3000-2999: not a range within 1-65535");
  c = config(key, reta, 0, 1);
  c.rss_key_len = 12;
  expect_error(c, "RSS key of 12 bytes: must be 16 to 64");
  c = config(key, reta, 0, 1);
  c.reta = nullptr;
  expect_error(c, "RSS redirection table of 128 entries missing");
  c = config(key, reta, 4, 1);  // no RETA entry names queue 4
  expect_error(c,
               "source ports: no pair in --src_ips and the port range has its reply steered to "
               "RX queue 4");
}

}  // namespace
}  // namespace synack::flow
