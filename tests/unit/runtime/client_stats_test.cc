// The client's report: JSON cps over the span from the first connection
// started to the last outcome (not the uptime, which holds start-up and ARP),
// and the lines that say a next hop never answered ARP.
#include <gtest/gtest.h>

#include <string>

#include "runtime/counters.h"
#include "runtime/stats.h"

namespace synack::runtime {
namespace {

// The number after "key": in a flat JSON text.
double json_number(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stod(json.substr(at + key.size() + 3));
}

TEST(ClientReport, CpsCountsTheSpanOfTheConnectionsNotTheUptime) {
  ExitReport r;
  r.client = true;
  r.uptime_s = 10;
  r.totals.connections_completed = 1000;
  // Microseconds since start, + 1: first start at 1.5 s, last outcome at 3.5 s.
  r.totals.first_start_us = 1500000 + 1;
  r.totals.last_outcome_us = 3500000 + 1;
  const std::string j = to_json(r);
  EXPECT_DOUBLE_EQ(json_number(j, "client_span_s"), 2.0) << j;
  EXPECT_DOUBLE_EQ(json_number(j, "cps"), 500.0) << j;
  EXPECT_DOUBLE_EQ(json_number(j, "uptime_s"), 10.0) << j;
}

TEST(ClientReport, NoConnectionNoSpanNoCps) {
  ExitReport r;
  r.client = true;
  r.uptime_s = 3;
  const std::string j = to_json(r);
  EXPECT_DOUBLE_EQ(json_number(j, "client_span_s"), 0.0) << j;
  EXPECT_DOUBLE_EQ(json_number(j, "cps"), 0.0) << j;
}

TEST(ClientReport, SpanIsEarliestStartToLatestOutcomeOverLcores) {
  WorkerCounters a, b, idle;
  a.first_start_us.set(2000 + 1);
  a.last_outcome_us.set(9000 + 1);
  b.first_start_us.set(1000 + 1);
  b.last_outcome_us.set(7000 + 1);
  CounterTotals t;
  t.accumulate(a);
  t.accumulate(idle);  // started nothing: not the earliest
  t.accumulate(b);
  EXPECT_EQ(t.first_start_us, 1000u + 1);
  EXPECT_EQ(t.last_outcome_us, 9000u + 1);
  EXPECT_DOUBLE_EQ(client_span_s(t), 0.008);
}

TEST(ClientReport, LineSaysNoArpReplyWhileALcoreHasNoNextHop) {
  CounterTotals t;
  ClientLatency l;
  const uint32_t hop = 0xC6120063;  // 198.18.0.99
  EXPECT_EQ(format_client_line(t, t, 1, l, hop).find("no ARP"), std::string::npos);
  t.lcores_no_arp = 1;
  const std::string line = format_client_line(t, CounterTotals{}, 1, l, hop);
  EXPECT_NE(line.find("no ARP reply from 198.18.0.99"), std::string::npos) << line;
}

TEST(ClientReport, NoticeNamesTheNextHopAndWhatItIsFor) {
  const std::string target = format_no_arp_notice(0xC6120063, 0xC6120063, 8000);
  EXPECT_NE(target.find("no ARP reply from 198.18.0.99 (the target, port 8000)"), std::string::npos)
      << target;
  const std::string gw = format_no_arp_notice(0xC6120001, 0xC6120101, 80);
  EXPECT_NE(gw.find("no ARP reply from 198.18.0.1 (gateway to 198.18.1.1:80)"), std::string::npos)
      << gw;
}

}  // namespace
}  // namespace synack::runtime
