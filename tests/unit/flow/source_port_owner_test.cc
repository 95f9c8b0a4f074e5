// SourcePortAllocator::reply_queue, the owner of a pair that the runtime's
// software hand-over relies on: it must agree with rte_softrss over the whole
// reply tuple (no use of linearity here), with every queue's allocator (each
// computes it from its own copy of the key and table), and with what each
// queue's allocate() hands out; pairs outside the ranges have no owner.
#include <gtest/gtest.h>
#include <rte_memory.h>
#include <rte_thash.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "flow/source_port_allocator.h"

namespace synack::flow {
namespace {

constexpr uint32_t kTargetIp = 0xC6120001;  // 198.18.0.1
constexpr uint16_t kTargetPort = 8000;
constexpr uint32_t kFirstSrc = 0xC6120002;  // 198.18.0.2
constexpr uint32_t kIps = 3;

struct Placement {
  std::vector<uint8_t> key;
  std::vector<uint16_t> reta;
};

Placement setup(uint16_t queues, uint32_t reta_size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Placement s;
  s.key.resize(40);
  for (auto& b : s.key) b = static_cast<uint8_t>(rng());
  s.reta.resize(reta_size);
  for (uint32_t i = 0; i < reta_size; i++) s.reta[i] = static_cast<uint16_t>(rng() % queues);
  return s;
}

std::unique_ptr<SourcePortAllocator> make(const Placement& s, uint16_t queue, bool rss = true) {
  SourcePortAllocator::Config c;
  c.target_ip = kTargetIp;
  c.target_port = kTargetPort;
  c.first_src_ip = kFirstSrc;
  c.last_src_ip = kFirstSrc + kIps - 1;
  if (rss) {
    c.rss_key = s.key.data();
    c.rss_key_len = static_cast<uint32_t>(s.key.size());
    c.reta = s.reta.data();
    c.reta_size = static_cast<uint32_t>(s.reta.size());
  }
  c.queue_id = queue;
  std::string err;
  auto a = SourcePortAllocator::create(c, SOCKET_ID_ANY, &err);
  EXPECT_NE(a, nullptr) << err;
  return a;
}

// The queue the reply (target -> us) lands on: rte_softrss over the whole tuple.
uint16_t softrss_queue(const Placement& s, uint32_t ip, uint16_t port) {
  uint32_t key_words[10];
  std::memcpy(key_words, s.key.data(), sizeof key_words);
  uint32_t t[RTE_THASH_V4_L4_LEN] = {kTargetIp, ip, uint32_t{kTargetPort} << 16 | port};
  const uint32_t h = rte_softrss(t, RTE_THASH_V4_L4_LEN, reinterpret_cast<uint8_t*>(key_words));
  return s.reta[h % s.reta.size()];
}

void check_agreement(uint16_t queues, uint32_t reta_size, uint64_t seed) {
  const Placement s = setup(queues, reta_size, seed);
  std::vector<std::unique_ptr<SourcePortAllocator>> a;
  for (uint16_t q = 0; q < queues; q++) {
    a.push_back(make(s, q));
    ASSERT_NE(a.back(), nullptr);
  }
  std::mt19937_64 rng(seed + 100);
  for (int n = 0; n < 20000; n++) {
    const uint32_t ip = kFirstSrc + static_cast<uint32_t>(rng() % kIps);
    const auto port = static_cast<uint16_t>(1024 + rng() % (65536 - 1024));
    const uint16_t want = softrss_queue(s, ip, port);
    for (uint16_t q = 0; q < queues; q++)
      ASSERT_EQ(a[q]->reply_queue(ip, port), want)
          << "queue " << q << "'s allocator, port " << port;
  }
  // Every pair a queue hands out is owned by that queue.
  for (uint16_t q = 0; q < queues; q++) {
    SourcePortAllocator::Source src;
    uint32_t n = 0;
    while (a[q]->allocate(&src)) {
      ASSERT_EQ(a[q]->reply_queue(src.ip, src.port), q);
      n++;
    }
    EXPECT_EQ(n, a[q]->capacity());
  }
}

TEST(SourcePortOwner, AgreesWithSoftRssPowerOfTwoTable) {
  check_agreement(2, 128, 1);
}

TEST(SourcePortOwner, AgreesWithSoftRssOtherTableSize) {
  // Some NICs have a redirection table that is not a power of two.
  check_agreement(3, 96, 2);
}

TEST(SourcePortOwner, OutsideTheRangesHasNoOwner) {
  const Placement s = setup(2, 128, 3);
  auto a = make(s, 0);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reply_queue(kFirstSrc - 1, 5000), -1);
  EXPECT_EQ(a->reply_queue(kFirstSrc + kIps, 5000), -1);
  EXPECT_EQ(a->reply_queue(kFirstSrc, 1023), -1);
  EXPECT_EQ(a->reply_queue(kFirstSrc, 80), -1);
  EXPECT_GE(a->reply_queue(kFirstSrc, 1024), 0);
  EXPECT_GE(a->reply_queue(kFirstSrc + kIps - 1, 65535), 0);
}

TEST(SourcePortOwner, WithoutRssEveryPairIsThisQueues) {
  const Placement s = setup(1, 1, 4);
  auto a = make(s, 5, false);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->reply_queue(kFirstSrc, 1024), 5);
  EXPECT_EQ(a->reply_queue(kFirstSrc + 2, 65535), 5);
  EXPECT_EQ(a->reply_queue(kFirstSrc, 1000), -1);
}

}  // namespace
}  // namespace synack::flow
