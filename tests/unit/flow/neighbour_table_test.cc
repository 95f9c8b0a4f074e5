// NeighbourTable with time driven by hand: request timing, the retry bound and
// the global rate bound under many lookups, learning (RFC 826 merge rules),
// FAILED and recovery, the table-full policy; and the ARP request frame,
// decoded field by field at RFC 826's offsets, independently of wire/headers.h.
#include "flow/neighbour_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "wire/arp_request.h"
#include "wire/frame.h"

namespace synack::flow {
namespace {

using wire::MacAddr;
using S = NeighbourState;

constexpr uint32_t kGateway = 0xC6120001;  // 198.18.0.1
constexpr uint32_t kOther = 0xC6120063;    // 198.18.0.99
const MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
const MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};

uint32_t host(uint32_t i) {
  return 0xC6130000u + 1 + i;  // 198.19.0.x
}

// Calls need_request every millisecond over [from, to) and returns the times
// it said true.
std::vector<uint64_t> poll(NeighbourTable& t, uint32_t ip, uint64_t from, uint64_t to) {
  std::vector<uint64_t> sent;
  for (uint64_t now = from; now < to; now++)
    if (t.need_request(ip, now)) sent.push_back(now);
  return sent;
}

TEST(NeighbourTable, FirstRequestAtOnceThenBoundedRetriesThenFailed) {
  NeighbourTable t({});
  EXPECT_EQ(t.state(kGateway, 0), S::kNone);
  EXPECT_EQ(poll(t, kGateway, 100, 3100), (std::vector<uint64_t>{100, 1100, 2100}));
  EXPECT_EQ(t.state(kGateway, 3099), S::kIncomplete);
  EXPECT_EQ(t.lookup(kGateway), nullptr);
  // Failed 1 s after the third try; no request during the 20 s hold-down.
  EXPECT_EQ(t.state(kGateway, 3100), S::kFailed);
  EXPECT_TRUE(poll(t, kGateway, 3100, 23100).empty());
  EXPECT_EQ(t.state(kGateway, 23099), S::kFailed);
  EXPECT_EQ(t.stats().failures, 1u);
  // After it, a new resolution starts with a request at once.
  EXPECT_EQ(poll(t, kGateway, 23100, 25100), (std::vector<uint64_t>{23100, 24100}));
  EXPECT_EQ(t.state(kGateway, 25100), S::kIncomplete);
  EXPECT_EQ(t.stats().requests, 5u);
}

TEST(NeighbourTable, FailedLaterIfNobodyAsks) {
  // The caller stops asking after the last try: the entry still fails
  // retry_ms after it, and the hold-down counts from then.
  NeighbourTable t({});
  EXPECT_EQ(poll(t, kGateway, 0, 2001).size(), 3u);
  EXPECT_FALSE(t.need_request(kGateway, 22999));
  EXPECT_TRUE(t.need_request(kGateway, 23000));
}

TEST(NeighbourTable, LearnsFromReplyAndRefreshesWhenStale) {
  NeighbourTable t({});
  EXPECT_TRUE(t.need_request(kGateway, 0));
  t.on_arp(kGateway, kMacA, 5);
  ASSERT_NE(t.lookup(kGateway), nullptr);
  EXPECT_EQ(*t.lookup(kGateway), kMacA);
  EXPECT_EQ(t.state(kGateway, 5), S::kReachable);
  // Fresh for reachable_ms after the confirmation, then one refresh request;
  // the MAC stays in use meanwhile.
  EXPECT_EQ(poll(t, kGateway, 5, 30500), (std::vector<uint64_t>{30005}));
  EXPECT_EQ(*t.lookup(kGateway), kMacA);
  t.on_arp(kGateway, kMacA, 30500);
  EXPECT_TRUE(poll(t, kGateway, 30500, 60500).empty());
  EXPECT_EQ(t.stats().learned, 2u);
  EXPECT_EQ(t.stats().mac_changes, 0u);
}

TEST(NeighbourTable, UnansweredRefreshEndsFailed) {
  NeighbourTable t({});
  t.on_arp(kGateway, kMacA, 0);
  EXPECT_EQ(poll(t, kGateway, 0, 33000), (std::vector<uint64_t>{30000, 31000, 32000}));
  EXPECT_EQ(*t.lookup(kGateway), kMacA);  // still in use until the last try's answer is due
  EXPECT_FALSE(t.need_request(kGateway, 33000));
  EXPECT_EQ(t.state(kGateway, 33000), S::kFailed);
  EXPECT_EQ(t.lookup(kGateway), nullptr);
  EXPECT_EQ(t.stats().failures, 1u);
}

TEST(NeighbourTable, ReplyEndsFailedAtOnce) {
  NeighbourTable t({});
  poll(t, kGateway, 0, 3000);
  ASSERT_EQ(t.state(kGateway, 3000), S::kFailed);
  t.on_arp(kGateway, kMacB, 4000, false);  // even a gratuitous one: the entry is known
  EXPECT_EQ(t.state(kGateway, 4000), S::kReachable);
  EXPECT_EQ(*t.lookup(kGateway), kMacB);
  EXPECT_FALSE(t.need_request(kGateway, 4001));
}

TEST(NeighbourTable, MergeRulesOfRfc826) {
  NeighbourTable t({});
  // Unknown sender, target not us: nothing is added.
  t.on_arp(kOther, kMacA, 0, false);
  EXPECT_EQ(t.state(kOther, 0), S::kNone);
  EXPECT_EQ(t.size(), 0u);
  // Unknown sender asking for us: added.
  t.on_arp(kOther, kMacA, 0, true);
  EXPECT_EQ(t.state(kOther, 0), S::kReachable);
  // Known sender, whatever the target: updated, and a new MAC is counted.
  t.on_arp(kOther, kMacB, 10, false);
  EXPECT_EQ(*t.lookup(kOther), kMacB);
  EXPECT_EQ(t.stats().mac_changes, 1u);
  // A pending resolution is answered by any ARP from the neighbour.
  EXPECT_TRUE(t.need_request(kGateway, 20));
  t.on_arp(kGateway, kMacA, 30, false);
  EXPECT_EQ(*t.lookup(kGateway), kMacA);
  // Unusable senders are ignored.
  const MacAddr bcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  const MacAddr mcast{{0x01, 0x00, 0x5e, 0, 0, 1}};
  const MacAddr zero{};
  for (const MacAddr& m : {bcast, mcast, zero}) {
    t.on_arp(kGateway, m, 40, true);
    EXPECT_EQ(*t.lookup(kGateway), kMacA);
  }
  t.on_arp(0, kMacA, 40, true);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.need_request(0, 50));
  EXPECT_EQ(t.lookup(0), nullptr);
}

TEST(NeighbourTable, RateAndRetryBoundsUnderManyLookups) {
  // 40 next hops that never answer, each asked every millisecond for 60 s.
  NeighbourTable::Config cfg;
  cfg.max_requests_per_s = 10;
  NeighbourTable t(cfg);
  constexpr uint32_t kHops = 40;
  std::vector<uint64_t> all;
  std::map<uint32_t, std::vector<uint64_t>> per_hop;
  for (uint64_t now = 0; now < 60'000; now++) {
    for (uint32_t h = 0; h < kHops; h++) {
      if (!t.need_request(host(h), now)) continue;
      all.push_back(now);
      per_hop[h].push_back(now);
    }
  }
  // Never more than 10 in any 1000 ms window; at the start, when all 40 want
  // one, exactly 10 go out at once and the next only a second later.
  for (size_t i = 10; i < all.size(); i++) ASSERT_GE(all[i] - all[i - 10], 1000u) << i;
  ASSERT_GT(all.size(), 10u);
  EXPECT_EQ(all[9], 0u);
  EXPECT_EQ(all[10], 1000u);
  EXPECT_EQ(t.stats().requests, all.size());
  EXPECT_GT(t.stats().rate_limited, 0u);
  EXPECT_EQ(per_hop.size(), kHops);  // nobody starved
  // Per hop: tries at least retry_ms apart, three per resolution, and after
  // the third at least retry_ms + hold_down_ms before the next.
  for (auto& [h, times] : per_hop) {
    for (size_t k = 1; k < times.size(); k++) {
      const uint64_t gap = times[k] - times[k - 1];
      ASSERT_GE(gap, k % 3 == 0 ? 21'000u : 1'000u) << "hop " << h << " try " << k;
    }
  }
}

TEST(NeighbourTable, FullTableNeverEvictsAnEntryInUse) {
  NeighbourTable t({});
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++) t.on_arp(host(i), kMacA, i, true);
  ASSERT_EQ(t.size(), NeighbourTable::kEntries);
  // All fresh: a new next hop is refused and said so.
  EXPECT_FALSE(t.need_request(kGateway, 100));
  EXPECT_EQ(t.state(kGateway, 100), S::kNone);
  EXPECT_EQ(t.stats().table_full, 1u);
  EXPECT_EQ(t.stats().evictions, 0u);
  // A neighbour that only ARPs us does not take a slot either.
  t.on_arp(kOther, kMacB, 100, true);
  EXPECT_EQ(t.state(kOther, 100), S::kNone);

  // Past reachable_ms, every entry but host(5) and host(9) is in use.
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++)
    if (i != 5 && i != 9) t.need_request(host(i), 40'000);
  // The new next hop takes host(5)'s slot (confirmed earlier than host(9));
  // its request waits, the refreshes took this second's budget.
  EXPECT_FALSE(t.need_request(kGateway, 40'001));
  EXPECT_EQ(t.state(kGateway, 40'001), S::kIncomplete);
  EXPECT_EQ(t.stats().evictions, 1u);
  EXPECT_EQ(t.state(host(5), 40'001), S::kNone);
  EXPECT_NE(t.lookup(host(9)), nullptr);
  t.need_request(kOther, 40'002);  // then host(9)'s
  EXPECT_EQ(t.state(kOther, 40'002), S::kIncomplete);
  EXPECT_EQ(t.state(host(9), 40'002), S::kNone);
  // Now everything is in use or being resolved: refused.
  EXPECT_FALSE(t.need_request(host(100), 40'003));
  EXPECT_EQ(t.state(host(100), 40'003), S::kNone);
  EXPECT_EQ(t.stats().table_full, 3u);  // kGateway at 100, kOther's ARP, host(100)
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++)
    if (i != 5 && i != 9) {
      EXPECT_NE(t.lookup(host(i)), nullptr) << i;
    }
}

TEST(NeighbourTable, FullTableEvictsFailedFirstThenAbandonedIncomplete) {
  NeighbourTable::Config cfg;
  cfg.max_requests_per_s = 64;
  NeighbourTable t(cfg);
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++) t.on_arp(host(i), kMacA, 0, true);
  // host(3) is asked for but never answers its refresh: FAILED at 33000.
  poll(t, host(3), 30'000, 33'001);
  // Everyone else keeps being used.
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++)
    if (i != 3) t.need_request(host(i), 33'001);
  ASSERT_EQ(t.state(host(3), 33'001), S::kFailed);
  // The failed entry is the one evicted, even though it is more recent than
  // the others' confirmations.
  EXPECT_TRUE(t.need_request(kGateway, 33'002));
  EXPECT_EQ(t.state(host(3), 33'002), S::kNone);
  EXPECT_EQ(t.stats().evictions, 1u);
  // kGateway (INCOMPLETE) is protected while asked for, evictable once
  // nobody asked for hold_down_ms.
  t.need_request(kGateway, 34'000);
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++)
    if (i != 3) t.on_arp(host(i), kMacA, 34'000, true);
  EXPECT_FALSE(t.need_request(kOther, 34'001));
  // kGateway sent one try and nobody asked for it since 34000: at 54001 it is
  // abandoned and evicted.
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++)
    if (i != 3) t.need_request(host(i), 54'000);
  EXPECT_TRUE(t.need_request(kOther, 54'001));
  EXPECT_EQ(t.state(kGateway, 54'001), S::kNone);
}

TEST(NeighbourTable, IncompleteWithoutATryIsEvictableOnlyWhenAbandoned) {
  // One request per second: the second and later new hops wait for a slot
  // and stay INCOMPLETE with no try sent. Many tries, so host(7), which is
  // asked for throughout, stays INCOMPLETE too.
  NeighbourTable::Config cfg;
  cfg.max_requests_per_s = 1;
  cfg.max_tries = 255;
  NeighbourTable t(cfg);
  for (uint32_t i = 0; i < NeighbourTable::kEntries; i++) t.need_request(host(i), 0);
  EXPECT_EQ(t.stats().requests, 1u);
  EXPECT_FALSE(t.need_request(kGateway, 10));
  EXPECT_EQ(t.stats().table_full, 1u);
  // host(7) keeps being asked for; the rest are abandoned. At 20 s (hold-down)
  // the new hop may take an abandoned slot, never host(7)'s.
  for (uint64_t now = 100; now < 20'000; now += 100) t.need_request(host(7), now);
  EXPECT_FALSE(t.need_request(kGateway, 19'999));
  EXPECT_EQ(t.stats().evictions, 0u);
  t.need_request(kGateway, 20'001);
  EXPECT_EQ(t.state(kGateway, 20'001), S::kIncomplete);
  EXPECT_EQ(t.stats().evictions, 1u);
  EXPECT_EQ(t.state(host(7), 20'001), S::kIncomplete);
  EXPECT_EQ(t.state(host(0), 20'001), S::kNone);  // the longest unasked (slot order breaks the tie)
}

TEST(NeighbourTable, ConfigCheck) {
  NeighbourTable::Config c;
  EXPECT_EQ(NeighbourTable::check(c), "");
  c.max_requests_per_s = 0;
  EXPECT_EQ(NeighbourTable::check(c), "ARP max_requests_per_s must be between 1 and 64");
  c = {};
  c.max_tries = 0;
  EXPECT_EQ(NeighbourTable::check(c), "ARP max_tries must be between 1 and 255");
  c = {};
  c.retry_ms = 0;
  EXPECT_EQ(NeighbourTable::check(c), "ARP retry_ms must be at least 1");
  c = {};
  c.reachable_ms = 0;
  EXPECT_EQ(NeighbourTable::check(c), "ARP reachable_ms must be at least 1");
}

// The ARP request, read back at the byte offsets of RFC 826's packet
// diagram behind a 14-byte Ethernet II header; no wire/ code involved.
TEST(ArpRequest, FieldsAsRfc826) {
  const MacAddr our{{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
  const uint32_t our_ip = 0xC6120002;  // 198.18.0.2
  uint8_t buf[64];
  std::memset(buf, 0xa5, sizeof(buf));
  ASSERT_EQ(wire::write_arp_request(buf, our, our_ip, kGateway), 42u);

  auto be16 = [&](int off) { return buf[off] << 8 | buf[off + 1]; };
  const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(std::memcmp(buf + 0, bcast, 6), 0);   // Ethernet destination: broadcast
  EXPECT_EQ(std::memcmp(buf + 6, our.b, 6), 0);   // Ethernet source
  EXPECT_EQ(be16(12), 0x0806);                    // ether_type$ADDRESS_RESOLUTION
  EXPECT_EQ(be16(14), 1);                         // ar$hrd: ares_hrd$Ethernet
  EXPECT_EQ(be16(16), 0x0800);                    // ar$pro: IPv4
  EXPECT_EQ(buf[18], 6);                          // ar$hln
  EXPECT_EQ(buf[19], 4);                          // ar$pln
  EXPECT_EQ(be16(20), 1);                         // ar$op: ares_op$REQUEST
  EXPECT_EQ(std::memcmp(buf + 22, our.b, 6), 0);  // ar$sha
  const uint8_t spa[4] = {198, 18, 0, 2}, tpa[4] = {198, 18, 0, 1};
  EXPECT_EQ(std::memcmp(buf + 28, spa, 4), 0);  // ar$spa
  const uint8_t zero[6] = {};
  EXPECT_EQ(std::memcmp(buf + 32, zero, 6), 0);  // ar$tha: unknown, zero
  EXPECT_EQ(std::memcmp(buf + 38, tpa, 4), 0);   // ar$tpa
  for (size_t i = 42; i < sizeof(buf); i++) ASSERT_EQ(buf[i], 0xa5) << "wrote past the frame";

  // The engine's own parser, as the gateway, takes it as the request it is.
  wire::Frame f;
  wire::ParseContext gw;
  gw.our_ip = kGateway;
  ASSERT_EQ(wire::parse_frame(buf, 42, gw, f), wire::ParseError::kOk);
  EXPECT_EQ(f.kind, wire::FrameKind::kArpRequest);
  EXPECT_EQ(f.src_ip, our_ip);
  EXPECT_EQ(f.dst_ip, kGateway);
}

}  // namespace
}  // namespace synack::flow
