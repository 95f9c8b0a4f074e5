// Per-lcore counters, cache-line aligned, written only by their lcore and
// summed by the control plane (stats line, JSON, telemetry).
//
// Each counter is a relaxed atomic so the control plane's read is defined
// behaviour; a relaxed load+store compiles to a plain add on x86 (no lock
// prefix), which is what the hot path pays.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_common.h>

namespace synack::runtime {

// Event counters: name, description. The names are the JSON/telemetry keys.
#define SYNACK_COUNTERS(X)                                                           \
  X(rx_packets, "frames received")                                                   \
  X(tx_packets, "frames handed to the port")                                         \
  X(tx_dropped, "frames the port did not take (TX ring full)")                       \
  X(arp_replies, "ARP replies sent")                                                 \
  X(icmp_echo_replies, "ICMP echo replies sent")                                     \
  X(syn_received, "SYNs for a listening port")                                       \
  X(synack_sent, "SYN-ACKs sent (stateful and cookie)")                              \
  X(synack_retransmits, "SYN-ACKs retransmitted")                                    \
  X(connections_established, "connections that reached ESTABLISHED")                 \
  X(connections_closed, "connections closed by FIN exchange or TIME-WAIT expiry")    \
  X(connections_reset, "connections ended by a RST, a give-up or an idle timeout")   \
  X(rst_sent, "RSTs sent")                                                           \
  X(challenge_acks_sent, "RFC 5961 challenge ACKs sent")                             \
  X(time_wait_expired, "TIME-WAIT records expired")                                  \
  X(half_open_closed, "handshakes that ended before ESTABLISHED (retries out, RST)") \
  X(time_wait_reused, "TIME-WAIT records reopened by a newer SYN (RFC 6191)")        \
  X(retransmits, "data or FIN segments retransmitted")                               \
  X(cookies_sent, "SYN-ACKs carrying a SYN cookie")                                  \
  X(cookies_validated, "final ACKs that carried a valid cookie")                     \
  X(syncookie_mode_switches, "overload mode switching between backlog and cookies")  \
  X(syn_rate_limited, "SYNs dropped by the per-source rate limit")                   \
  X(timer_expiries, "timers fired")

// Drop reasons: every frame that is not answered or consumed lands in one.
#define SYNACK_DROPS(X)                                                                           \
  X(truncated)                                                                                    \
  X(unsupported_ethertype)                                                                        \
  X(bad_arp)                                                                                      \
  X(bad_ip_header)                                                                                \
  X(bad_ip_checksum)                                                                              \
  X(fragment) X(unsupported_protocol) X(bad_icmp) X(bad_icmp_checksum) X(bad_tcp_header)          \
      X(bad_tcp_checksum) X(bad_source_address) X(not_for_us) X(multi_segment) X(bad_tcp_options) \
          X(out_of_window) X(paws) X(rst_out_of_window) X(rst_challenged) X(syn_challenged)       \
              X(ack_unacceptable) X(no_ack) X(ack_in_syn_sent) X(listen_rst) X(listen_ack)        \
                  X(listen_no_syn) X(closed_port) X(duplicate) X(backlog_full) X(flow_table_full) \
                      X(syn_rate_limited) X(cookie_bad_hash) X(cookie_too_old) X(no_mbuf)         \
                          X(syn_sent_no_syn)

enum class DropReason : uint8_t {
#define SYNACK_DROP_ENUM(name) name,
  SYNACK_DROPS(SYNACK_DROP_ENUM)
#undef SYNACK_DROP_ENUM
};
inline constexpr int kNumDropReasons = 0
#define SYNACK_DROP_COUNT(name) +1
    SYNACK_DROPS(SYNACK_DROP_COUNT)
#undef SYNACK_DROP_COUNT
    ;
const char* drop_reason_name(DropReason r);

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
  // Gauges, refreshed by the lcore once per millisecond tick.
  Counter active_flows;
  Counter half_open_flows;
  Counter established_flows;
  Counter time_wait_flows;
  Counter half_open_peak;      // most SYN-RECEIVED records this lcore ever held
  Counter cookie_mode_active;  // 1 while overload mode answers with cookies

  void drop(DropReason r) {
    drops[static_cast<int>(r)].add();
  }
};

// Plain sums across lcores, for reporting.
struct CounterTotals {
#define SYNACK_TOTAL_FIELD(name, desc) uint64_t name = 0;
  SYNACK_COUNTERS(SYNACK_TOTAL_FIELD)
#undef SYNACK_TOTAL_FIELD
  uint64_t drops[kNumDropReasons] = {};
  uint64_t active_flows = 0;
  uint64_t half_open_flows = 0;
  uint64_t established_flows = 0;
  uint64_t time_wait_flows = 0;
  uint64_t half_open_peak = 0;  // the largest of the lcores' peaks
  uint64_t lcores_in_cookie_mode = 0;

  void accumulate(const WorkerCounters& w);
  uint64_t total_drops() const;
};

}  // namespace synack::runtime
