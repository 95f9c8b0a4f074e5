// Per-lcore counters, cache-line aligned, written only by their lcore and
// summed by the control plane (stats line, JSON, telemetry).
//
// Each counter is a relaxed atomic so the control plane's read is defined
// behaviour; a relaxed load+store compiles to a plain add on x86 (no lock
// prefix), which is what the hot path pays.
//
// Every received frame is counted exactly once: `answered` under the kind of
// its first reply, `consumed` when it was taken without a reply, or `drops`
// under the one reason it was discarded, so rx_packets = answered + consumed +
// drops. Frames that were answered without being taken (a RST to a closed
// port, a challenge ACK) also name their reason in `rejected`, a breakdown of
// part of `answered`.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_common.h>

#include "tcp/tcb.h"
#include "tcp/tcp_drops.h"
#include "wire/frame.h"

namespace synack::runtime {

// Event counters: name, description. The names are the JSON/telemetry keys.
#define SYNACK_COUNTERS(X)                                                                     \
  X(rx_packets, "frames received")                                                             \
  X(tx_packets, "frames handed to the port")                                                   \
  X(tx_dropped, "frames the port did not take (TX ring full)")                                 \
  X(tx_no_mbuf, "extra segments (beyond the reply written in place) not sent: pool empty")     \
  X(consumed, "frames taken without a reply (a handshake's last ACK, an ACK of data)")         \
  X(syn_received, "SYNs for a listening port")                                                 \
  X(synack_sent, "SYN-ACKs sent (stateful and cookie)")                                        \
  X(synack_retransmits, "SYN-ACKs retransmitted")                                              \
  X(connections_established, "connections that reached ESTABLISHED")                           \
  X(connections_closed, "connections closed by a FIN exchange (TIME-WAIT entered or done)")    \
  X(connections_reset, "connections ended by a RST, a give-up, an idle or FIN-WAIT-2 timeout") \
  X(requests, "requests answered by the application")                                          \
  X(rst_sent, "RSTs sent")                                                                     \
  X(challenge_acks_sent, "RFC 5961 challenge ACKs sent")                                       \
  X(acks_rate_limited, "ACKs to unacceptable segments not sent (RFC 5961 7, flow or lcore)")   \
  X(time_wait_entered, "connections moved to the TIME-WAIT store")                             \
  X(time_wait_expired, "TIME-WAIT entries that ran their full 2*MSL")                          \
  X(time_wait_recycled, "TIME-WAIT entries dropped early because the store was full")          \
  X(time_wait_reused, "TIME-WAIT entries reopened by a newer SYN (RFC 6191)")                  \
  X(time_wait_reset, "TIME-WAIT entries ended by a valid RST")                                 \
  X(time_wait_reused_by_client,                                                                \
    "client TIME-WAIT entries (>= 1 s old) ended early for their source pair (tcp_tw_reuse)")  \
  X(half_open_closed, "handshakes that ended before ESTABLISHED (retries out, RST)")           \
  X(fin_wait_2_timeouts, "FIN-WAIT-2 connections ended by --fin_timeout_ms")                   \
  X(retransmits, "data or FIN segments retransmitted")                                         \
  X(cookies_sent, "SYN-ACKs carrying a SYN cookie")                                            \
  X(cookies_validated, "final ACKs that carried a valid cookie")                               \
  X(cookies_bad_hash, "ACKs to a listener whose cookie did not verify")                        \
  X(cookies_too_old, "ACKs to a listener whose cookie was past its lifetime")                  \
  X(syncookie_mode_switches, "overload mode switching between backlog and cookies")            \
  X(syn_rate_limited, "SYNs dropped by the per-source rate limit")                             \
  X(timer_expiries, "timers fired")                                                            \
  X(arp_requests_sent, "ARP requests for the client's next hop")                               \
  X(connections_started, "client connections opened (SYN sent)")                               \
  X(connections_completed, "client connections with every response, closed cleanly")           \
  X(requests_sent, "client requests sent")                                                     \
  X(responses_received, "client responses received whole")                                     \
  X(handed_over, "frames passed to the lcore that owns their flow (client, several lcores)")

// The kinds of reply a received frame can get (the keys of "answered").
#define SYNACK_REPLY_KINDS(X) \
  X(arp)                      \
  X(icmp_echo)                \
  X(syn_ack)                  \
  X(cookie_syn_ack)           \
  X(rst)                      \
  X(ack)                      \
  X(data)

// Why a client connection failed (the keys of "connections_failed").
#define SYNACK_CLIENT_FAILURES(X)                                        \
  X(refused)         /* a RST answered our SYN */                        \
  X(reset)           /* a RST later */                                   \
  X(timed_out)       /* SYN or data retransmissions ran out */           \
  X(no_arp)          /* the next hop never answered ARP */               \
  X(ports_exhausted) /* no free source port that steers to this lcore */ \
  X(truncated)       /* the server closed (or garbled) before a whole response */

enum class ClientFailure : uint8_t {
#define SYNACK_CLIENT_FAILURE_ENUM(name) name,
  SYNACK_CLIENT_FAILURES(SYNACK_CLIENT_FAILURE_ENUM)
#undef SYNACK_CLIENT_FAILURE_ENUM
};
inline constexpr int kNumClientFailures = 0
#define SYNACK_CLIENT_FAILURE_COUNT(name) +1
    SYNACK_CLIENT_FAILURES(SYNACK_CLIENT_FAILURE_COUNT)
#undef SYNACK_CLIENT_FAILURE_COUNT
    ;
const char* client_failure_name(ClientFailure f);

// The runtime's own drop reasons, after the wire and TCP layers' lists.
// X(enumerator, counter name)
#define SYNACK_RUNTIME_DROPS(X)                                                    \
  X(kMultiSegment, multi_segment)      /* a chained mbuf: we parse one segment */  \
  X(kArpReplyUnused, arp_reply_unused) /* an ARP reply nobody asked for */         \
  X(kBacklogFull, backlog_full)        /* --backlog SYN-RECEIVED records in use */ \
  X(kFlowTableFull, flow_table_full)   /* --max_flows connection records in use */ \
  X(kAcceptOverflow, accept_overflow)  /* valid cookie ACK, flow table full */     \
  X(kSynRateLimited, syn_rate_limited) /* per-source or per-/24 bucket empty */    \
  X(kReplyTooLarge, reply_too_large)   /* a reply would not fit the mbuf */        \
  X(kHandoffFull, handoff_full)        /* the owner lcore's hand-over ring was full */

// All drop reasons: the wire layer's, then the TCP layer's, then the runtime's.
enum class DropReason : uint8_t {
#define SYNACK_DROP_ENUM(e, name) name,
  SYNACK_WIRE_DROPS(SYNACK_DROP_ENUM) SYNACK_TCP_DROPS(SYNACK_DROP_ENUM)
      SYNACK_RUNTIME_DROPS(SYNACK_DROP_ENUM)
#undef SYNACK_DROP_ENUM
};
inline constexpr int kNumWireDrops = wire::kNumParseErrors - 1;
inline constexpr int kNumTcpDrops = tcp::kNumDrops - 1;
inline constexpr int kNumDropReasons = 0
#define SYNACK_DROP_COUNT(e, name) +1
    SYNACK_WIRE_DROPS(SYNACK_DROP_COUNT) SYNACK_TCP_DROPS(SYNACK_DROP_COUNT)
        SYNACK_RUNTIME_DROPS(SYNACK_DROP_COUNT)
#undef SYNACK_DROP_COUNT
    ;
const char* drop_reason_name(DropReason r);

// The layers' reasons map by position: no table, no default case.
constexpr DropReason drop_reason(wire::ParseError e) {
  return static_cast<DropReason>(static_cast<int>(e) - 1);
}
constexpr DropReason drop_reason(tcp::Drop d) {
  return static_cast<DropReason>(kNumWireDrops + static_cast<int>(d) - 1);
}
static_assert(drop_reason(wire::ParseError::kTruncated) == DropReason::truncated);
static_assert(drop_reason(wire::ParseError::kBadTcpChecksum) == DropReason::bad_tcp_checksum);
static_assert(drop_reason(tcp::Drop::kBadTcpHeader) == DropReason::bad_tcp_header);
static_assert(drop_reason(tcp::Drop::kSynSentNoSyn) == DropReason::syn_sent_no_syn);

enum class ReplyKind : uint8_t {
#define SYNACK_REPLY_ENUM(name) name,
  SYNACK_REPLY_KINDS(SYNACK_REPLY_ENUM)
#undef SYNACK_REPLY_ENUM
};
inline constexpr int kNumReplyKinds = 0
#define SYNACK_REPLY_COUNT(name) +1
    SYNACK_REPLY_KINDS(SYNACK_REPLY_COUNT)
#undef SYNACK_REPLY_COUNT
    ;
const char* reply_kind_name(ReplyKind k);

class Counter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct alignas(RTE_CACHE_LINE_SIZE) WorkerCounters {
#define SYNACK_COUNTER_FIELD(name, desc) Counter name;
  SYNACK_COUNTERS(SYNACK_COUNTER_FIELD)
#undef SYNACK_COUNTER_FIELD
  Counter drops[kNumDropReasons];
  Counter rejected[tcp::kNumDrops];  // answered, not taken: by the TCP layer's reason
  Counter answered[kNumReplyKinds];
  Counter failed[kNumClientFailures];
  // Gauges, refreshed by the lcore once per millisecond tick.
  Counter open_connections;  // client connections not yet completed or failed
  Counter client_done;       // 1 once the lcore has run its share of --connections
  Counter next_hop_failed;   // 1 while the client's next hop is FAILED (no ARP reply)
  // Set when they happen, on the shared clock (microseconds since start, + 1;
  // 0 = not yet): the first connection started, the latest outcome.
  Counter first_start_us;
  Counter last_outcome_us;
  Counter active_flows;
  Counter time_wait_flows;
  Counter states[tcp::kNumStates];
  Counter half_open_peak;      // most SYN-RECEIVED records this lcore ever held
  Counter cookie_mode_active;  // 1 while overload mode answers with cookies

  void drop(DropReason r) {
    drops[static_cast<int>(r)].add();
  }
  void answer(ReplyKind k) {
    answered[static_cast<int>(k)].add();
  }
  void fail(ClientFailure f) {
    failed[static_cast<int>(f)].add();
  }
};

// What the port's driver counts (rte_eth_stats_get), for reporting.
struct PortCounters {
  uint64_t imissed = 0;    // frames the NIC dropped: RX ring full
  uint64_t ierrors = 0;    // erroneous frames
  uint64_t rx_nombuf = 0;  // RX refill failures: mempool empty
  uint64_t oerrors = 0;    // TX errors
};

// Plain sums across lcores, for reporting.
struct CounterTotals {
#define SYNACK_TOTAL_FIELD(name, desc) uint64_t name = 0;
  SYNACK_COUNTERS(SYNACK_TOTAL_FIELD)
#undef SYNACK_TOTAL_FIELD
  uint64_t drops[kNumDropReasons] = {};
  uint64_t rejected[tcp::kNumDrops] = {};
  uint64_t answered[kNumReplyKinds] = {};
  uint64_t failed[kNumClientFailures] = {};
  uint64_t open_connections = 0;
  uint64_t lcores_done = 0;
  uint64_t lcores_no_arp = 0;  // lcores whose next hop is FAILED now
  // The client's active span: the earliest first start and the latest outcome
  // over the lcores (microseconds since start, + 1; 0 = none).
  uint64_t first_start_us = 0;
  uint64_t last_outcome_us = 0;
  uint64_t active_flows = 0;
  uint64_t time_wait_flows = 0;
  uint64_t states[tcp::kNumStates] = {};
  uint64_t half_open_peak = 0;  // the largest of the lcores' peaks
  uint64_t lcores_in_cookie_mode = 0;
  PortCounters port;

  void accumulate(const WorkerCounters& w);
  uint64_t total_drops() const;
  uint64_t total_answered() const;
  uint64_t total_failed() const;
  uint64_t state(tcp::State s) const {
    return states[static_cast<int>(s)];
  }
};

}  // namespace synack::runtime
