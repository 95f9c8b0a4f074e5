// Reporting: the periodic stats line and the JSON object written at exit.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/config.h"
#include "runtime/counters.h"
#include "runtime/latency_histogram.h"
#include "tcp/endpoint.h"

namespace synack::runtime {

// Every reported total, once, for the JSON writer and telemetry alike:
// scalar(name, value) for each number, group(name, n, name_of(i), values[i])
// for each reason/kind/state object.
template <class Scalar, class Group>
void visit_totals(const CounterTotals& t, Scalar&& scalar, Group&& group) {
#define SYNACK_VISIT_FIELD(name, desc) scalar(#name, t.name);
  SYNACK_COUNTERS(SYNACK_VISIT_FIELD)
#undef SYNACK_VISIT_FIELD
  using tcp::State;
  scalar("active_flows", t.active_flows);
  scalar("half_open_flows", t.state(State::kSynReceived));
  scalar("established_flows", t.state(State::kEstablished));
  scalar("time_wait_flows", t.time_wait_flows);
  scalar("half_open_peak", t.half_open_peak);
  scalar("lcores_in_cookie_mode", t.lcores_in_cookie_mode);
  const uint64_t cookies[2] = {t.cookies_bad_hash, t.cookies_too_old};
  group(
      "cookies_rejected", 0, 2, [](int i) { return i == 0 ? "bad_hash" : "too_old"; }, cookies);
  group(
      "answered", 0, kNumReplyKinds,
      [](int i) { return reply_kind_name(static_cast<ReplyKind>(i)); }, t.answered);
  group(
      "rejected", 1, tcp::kNumDrops,
      [](int i) { return tcp::drop_name(static_cast<tcp::Drop>(i)); }, t.rejected);
  // The gauges of the states a connection can be in (not CLOSED or LISTEN).
  group(
      "states", static_cast<int>(State::kSynSent), tcp::kNumStates,
      [](int i) { return tcp::state_name(static_cast<State>(i)); }, t.states);
  const uint64_t port[4] = {t.port.imissed, t.port.ierrors, t.port.rx_nombuf, t.port.oerrors};
  static constexpr const char* kPort[4] = {"imissed", "ierrors", "rx_nombuf", "oerrors"};
  group(
      "port", 0, 4, [](int i) { return kPort[i]; }, port);
  group(
      "connections_failed", 0, kNumClientFailures,
      [](int i) { return client_failure_name(static_cast<ClientFailure>(i)); }, t.failed);
  group(
      "drops", 0, kNumDropReasons,
      [](int i) { return drop_reason_name(static_cast<DropReason>(i)); }, t.drops);
}

// One line summarising the interval between `prev` and `cur` (dt_s seconds).
std::string format_stats_line(const CounterTotals& cur, const CounterTotals& prev, double dt_s,
                              CookieMode mode);

// Client mode: every lcore's latencies merged.
struct ClientLatency {
  LatencyHistogram connect;
  LatencyHistogram response;
};

// The client's periodic line: started, completed, failed by reason, CPS
// (completed in this interval over its length), concurrency, latency p50/p99
// (cumulative), and "no ARP reply from NEXT_HOP" while an lcore's next hop
// (host order) is FAILED.
std::string format_client_line(const CounterTotals& cur, const CounterTotals& prev, double dt_s,
                               const ClientLatency& l, uint32_t next_hop);

// The client's notice, printed once per next hop, when it never answered ARP.
std::string format_no_arp_notice(uint32_t next_hop, uint32_t target_ip, uint16_t target_port);

// The client's run: from the first connection started to the last outcome
// (completed or failed), in seconds; 0 before both.
double client_span_s(const CounterTotals& t);

struct ExitReport {
  bool client = false;
  ClientLatency latency;
  CounterTotals totals;
  uint64_t mbufs_in_use = 0;
  uint64_t mbufs_total = 0;
  uint64_t flow_table_bytes = 0;    // every lcore's flow table: records and rte_hash
  uint64_t flow_capacity = 0;       // connection records they hold
  uint64_t time_wait_bytes = 0;     // every lcore's TIME-WAIT store
  uint64_t time_wait_capacity = 0;  // entries it holds
  uint32_t workers = 0;
  double uptime_s = 0;
  CookieMode mode = CookieMode::kOverload;
};

// Every counter as one JSON object (keys are the counter names; drops and
// cookies_rejected are objects of reason -> count). A client's also has
// "client_span_s" (client_span_s()) and "cps": connections_completed over
// that span, so start-up, ARP and the wait for the last lcore to stop are not
// in it; "uptime_s" is the whole run.
std::string to_json(const ExitReport& r);
bool write_file(const std::string& path, const std::string& text, std::string* err);

}  // namespace synack::runtime
